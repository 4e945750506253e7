/*
Copyright 2026 The lightrun-identity-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package hostile reads the SCIM endpoint's hostile-input corpus
// (internal/scim/server/testdata/hostile, format in its README.md) and
// replays a case over a raw TCP connection, so that what is sent is exactly
// what the case says: unescaped bytes in the path, a body dripped one byte
// at a time, a response read one byte at a time. The endpoint's specs replay
// every case; fuzz targets seed their corpora from the bodies and filters.
package hostile

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// Delivery is how a case's request is sent or its response read.
type Delivery string

const (
	// AtOnce sends the whole request and reads the whole response.
	AtOnce Delivery = ""
	// Drip sends the headers at once and then the body one byte per Interval.
	Drip Delivery = "drip"
	// SlowRead reads the response one byte per Interval.
	SlowRead Delivery = "slow-read"
)

// DefaultTimeout is how long a case may take to be answered unless it says.
const DefaultTimeout = 30 * time.Second

// Case is one file of the corpus.
type Case struct {
	// Name is the file name without its extension.
	Name string
	// Method and Path (a template, relative to the tenant's base URL, sent
	// as written: escapes stay escapes).
	Method, Path string
	// Headers in the order given; Content-Type defaults to
	// application/scim+json when there is a body.
	Headers [][2]string
	// NoAuth sends no Authorization header.
	NoAuth bool
	// Body is a template; HasBody tells an empty body from none.
	Body    string
	HasBody bool
	// StatusMin and StatusMax bound the expected status.
	StatusMin, StatusMax int
	// SCIMTypes are the accepted scimTypes ("" is none); nil accepts any.
	SCIMTypes []string
	// SCIMError is false when the answer is not the endpoint's (net/http
	// refuses some requests before any handler runs).
	SCIMError bool
	// Delivery and Interval say how the request is sent or read.
	Delivery Delivery
	Interval time.Duration
	// SlowFor is how long a slow reader reads slowly before it reads the
	// rest at once.
	SlowFor time.Duration
	// ContentLength, when not zero, is declared instead of the body's length.
	ContentLength int
	// Timeout bounds the whole exchange.
	Timeout time.Duration
	// Uses lists what the case is about (free text, shown in failures).
	Uses string
}

// Fixtures are the ids of existing resources a case may name.
type Fixtures struct {
	User, Group string
}

// Load reads every *.case file of dir, sorted by name.
func Load(dir string) ([]Case, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.case"))
	if err != nil {
		return nil, fmt.Errorf("listing the corpus: %w", err)
	}
	slices.Sort(files)
	out := make([]Case, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		c, err := Parse(strings.TrimSuffix(filepath.Base(f), ".case"), data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no *.case file in %s", dir)
	}
	return out, nil
}

// Parse reads one case.
func Parse(name string, data []byte) (Case, error) {
	c := Case{Name: name, SCIMError: true, Timeout: DefaultTimeout, StatusMin: 400, StatusMax: 499}
	rest := data
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		text := strings.TrimRight(string(line), "\r")
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, value, ok := strings.Cut(text, ":")
		if !ok {
			return c, fmt.Errorf("line %q is not key: value", text)
		}
		value = strings.TrimSpace(value)
		var err error
		switch strings.TrimSpace(key) {
		case "method":
			c.Method = value
		case "path":
			c.Path = value
		case "header":
			k, v, ok := strings.Cut(value, ":")
			if !ok {
				return c, fmt.Errorf("header %q is not Name: value", value)
			}
			c.Headers = append(c.Headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		case "auth":
			c.NoAuth = value == "none"
		case "status":
			c.StatusMin, c.StatusMax, err = parseRange(value)
		case "scimType":
			c.SCIMTypes = strings.Split(value, "|")
			for i, t := range c.SCIMTypes {
				if t == "none" {
					c.SCIMTypes[i] = ""
				}
			}
		case "scim-error":
			c.SCIMError = value != "false"
		case "delivery":
			fields := strings.Fields(value)
			c.Delivery = Delivery(fields[0])
			switch {
			case c.Delivery == Drip && len(fields) == 2:
			case c.Delivery == SlowRead && len(fields) == 3:
				c.SlowFor, err = time.ParseDuration(fields[2])
			default:
				return c, fmt.Errorf("delivery %q is neither drip INTERVAL nor slow-read INTERVAL DURATION", value)
			}
			if err == nil {
				c.Interval, err = time.ParseDuration(fields[1])
			}
		case "content-length":
			c.ContentLength, err = strconv.Atoi(value)
		case "timeout":
			c.Timeout, err = time.ParseDuration(value)
		case "uses":
			c.Uses = value
		case "body":
			c.HasBody = true
			c.Body = strings.TrimSuffix(string(rest), "\n")
			rest = nil
		default:
			return c, fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return c, fmt.Errorf("%s: %w", key, err)
		}
	}
	if c.Method == "" || c.Path == "" {
		return c, errors.New("method and path are required")
	}
	// The templates must parse; they run when the case is replayed.
	if _, err := render(c.Path, Fixtures{}); err != nil {
		return c, err
	}
	return c, nil
}

func parseRange(s string) (int, int, error) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		hi = lo
	}
	a, err := strconv.Atoi(lo)
	if err != nil {
		return 0, 0, err
	}
	b, err := strconv.Atoi(hi)
	if err != nil {
		return 0, 0, err
	}
	return a, b, nil
}

// Funcs are the functions the templates may call, between << and >>:
//
//	<<repeat "x" 1000>>  "x" 1000 times
//	<<bytes "ff fe">>    the bytes of the hex string (spaces ignored)
//	<<user>> <<group>>   the id of the fixture user or group
func funcs(f Fixtures) template.FuncMap {
	return template.FuncMap{
		"repeat": func(s string, n int) string { return strings.Repeat(s, n) },
		"bytes": func(s string) (string, error) {
			b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
			return string(b), err
		},
		"user":  func() string { return f.User },
		"group": func() string { return f.Group },
	}
}

func render(text string, f Fixtures) (string, error) {
	tmpl, err := template.New("").Delims("<<", ">>").Funcs(funcs(f)).Parse(text)
	if err != nil {
		return "", fmt.Errorf("parsing template: %w", err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, nil); err != nil {
		return "", fmt.Errorf("running template: %w", err)
	}
	return b.String(), nil
}

// RenderBody is the body the case sends (fuzz targets seed from it).
func (c Case) RenderBody(f Fixtures) (string, error) { return render(c.Body, f) }

// RenderPath is the path the case sends, relative to the tenant's base URL.
func (c Case) RenderPath(f Fixtures) (string, error) { return render(c.Path, f) }

// Result is what the endpoint answered.
type Result struct {
	Status int
	Header http.Header
	Body   []byte
	// Cut is true when the connection ended before the whole body was read.
	Cut bool
}

// Replay sends the case to base (the tenant's base URL) with the given
// Authorization header value and reads the answer, within c.Timeout.
func Replay(c Case, base *url.URL, authorization string, f Fixtures) (Result, error) {
	path, err := c.RenderPath(f)
	if err != nil {
		return Result{}, err
	}
	var body []byte
	if c.HasBody {
		s, err := c.RenderBody(f)
		if err != nil {
			return Result{}, err
		}
		body = []byte(s)
	}
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s%s HTTP/1.1\r\nHost: %s\r\n", c.Method, base.EscapedPath(), path, base.Host)
	if !c.NoAuth {
		fmt.Fprintf(&head, "Authorization: %s\r\n", authorization)
	}
	contentType := false
	for _, h := range c.Headers {
		contentType = contentType || strings.EqualFold(h[0], "Content-Type")
		value, err := render(h[1], f)
		if err != nil {
			return Result{}, err
		}
		fmt.Fprintf(&head, "%s: %s\r\n", h[0], value)
	}
	if c.HasBody {
		if !contentType {
			head.WriteString("Content-Type: application/scim+json\r\n")
		}
		length := len(body)
		if c.ContentLength != 0 {
			length = c.ContentLength
		}
		fmt.Fprintf(&head, "Content-Length: %d\r\n", length)
	}
	head.WriteString("Connection: close\r\n\r\n")

	dialer := net.Dialer{Timeout: 10 * time.Second}
	if c.Delivery == SlowRead {
		// A small receive window from the start (set before connecting,
		// so the window is never shrunk under the sender), so that the
		// server's writes block instead of filling megabytes of buffers.
		dialer.Control = func(_, _ string, raw syscall.RawConn) error {
			var serr error
			if err := raw.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
			}); err != nil {
				return err
			}
			return serr
		}
	}
	conn, err := dialer.Dial("tcp", base.Host)
	if err != nil {
		return Result{}, fmt.Errorf("dialing %s: %w", base.Host, err)
	}
	defer func() { _ = conn.Close() }()
	if err := conn.SetDeadline(time.Now().Add(c.Timeout)); err != nil {
		return Result{}, err
	}

	// The writer runs on its own: the server may answer (413, 400) and
	// stop reading before the body is sent, and a drip never ends by
	// itself. Its errors after that are expected.
	done := make(chan struct{})
	defer close(done)
	go func() {
		if _, err := conn.Write(head.Bytes()); err != nil {
			return
		}
		if c.Delivery != Drip {
			_, _ = conn.Write(body)
			return
		}
		tick := time.NewTicker(c.Interval)
		defer tick.Stop()
		for i := range body {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if _, err := conn.Write(body[i : i+1]); err != nil {
				return
			}
		}
	}()

	br := bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return Result{}, fmt.Errorf("reading the answer: %w", err)
	}
	res := Result{Status: resp.StatusCode, Header: resp.Header}
	if c.Delivery != SlowRead {
		res.Body, err = io.ReadAll(resp.Body)
		if err != nil {
			return res, fmt.Errorf("reading the answer's body: %w", err)
		}
		return res, nil
	}
	// One byte per Interval for SlowFor, then the rest at once: a server
	// that gave up on the slow reader has closed the connection by then,
	// so the rest is only what was in the sockets' buffers.
	one := make([]byte, 1)
	for slowUntil := time.Now().Add(c.SlowFor); time.Now().Before(slowUntil); {
		n, err := resp.Body.Read(one)
		res.Body = append(res.Body, one[:n]...)
		if err != nil {
			err = readEnd(&res, err, c.Timeout)
			return res, err
		}
		time.Sleep(c.Interval)
	}
	rest, err := io.ReadAll(resp.Body)
	res.Body = append(res.Body, rest...)
	err = readEnd(&res, err, c.Timeout)
	return res, err
}

// readEnd sets res.Cut when the body ended early; a timeout is an error.
func readEnd(res *Result, err error, timeout time.Duration) error {
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("still reading after %s: %w", timeout, err)
	}
	res.Cut = true
	return nil
}

// Seed is a case as sent, for fuzz targets to seed their corpora from.
type Seed struct {
	Name, Method string
	// Path is the rendered path without its query; Query is its query.
	Path  string
	Query url.Values
	Body  []byte
}

// SeedFixtures are the ids seeds name in place of the fixtures'.
var SeedFixtures = Fixtures{User: "2819c223-7f76-453a-919d-413861904646", Group: "e9e30dba-f08f-4109-8486-d5c6a331660a"}

// Seeds renders the cases of dir whose path and body are at most maxLen
// bytes each (huge inputs are for the endpoint, not for mutation).
func Seeds(dir string, maxLen int) ([]Seed, error) {
	cases, err := Load(dir)
	if err != nil {
		return nil, err
	}
	var out []Seed
	for _, c := range cases {
		path, err := c.RenderPath(SeedFixtures)
		if err != nil {
			return nil, err
		}
		body, err := c.RenderBody(SeedFixtures)
		if err != nil {
			return nil, err
		}
		if len(path) > maxLen || len(body) > maxLen {
			continue
		}
		p, rawQuery, _ := strings.Cut(path, "?")
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			q = url.Values{}
		}
		s := Seed{Name: c.Name, Method: c.Method, Path: p, Query: q}
		if c.HasBody {
			s.Body = []byte(body)
		}
		out = append(out, s)
	}
	return out, nil
}
