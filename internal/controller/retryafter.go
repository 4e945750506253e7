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

package controller

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// retryAfterGate is the transport under one Lightrun client. When Lightrun
// answers 429 (or 503) with Retry-After, it holds every request of that
// client — all controllers, all workers — until the wait is over, instead of
// letting each call find out with a 429 of its own (RFC 9110 §10.2.3: the
// server asks the client, not one request, to wait). A request whose context
// ends before the gate opens is answered at once with a local 429 carrying
// the remaining wait, so the client's usual Retry-After handling applies and
// nothing is sent.
type retryAfterGate struct {
	next http.RoundTripper
	now  func() time.Time

	mu        sync.Mutex
	notBefore time.Time
}

func newRetryAfterGate(next http.RoundTripper) *retryAfterGate {
	return &retryAfterGate{next: next, now: time.Now}
}

// RoundTrip implements http.RoundTripper.
func (g *retryAfterGate) RoundTrip(req *http.Request) (*http.Response, error) {
	for {
		g.mu.Lock()
		wait := g.notBefore.Sub(g.now())
		g.mu.Unlock()
		if wait <= 0 {
			break
		}
		if deadline, ok := req.Context().Deadline(); ok && deadline.Sub(g.now()) < wait {
			return throttled(req, wait), nil
		}
		t := time.NewTimer(wait)
		select {
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		case <-t.C:
		}
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if until, ok := retryAt(resp.Header.Get("Retry-After"), g.now()); ok {
			g.mu.Lock()
			if until.After(g.notBefore) {
				g.notBefore = until
			}
			g.mu.Unlock()
		}
	}
	return resp, nil
}

// maxGate bounds how long one Retry-After closes the gate, so that an absurd
// header cannot stop a Lightrun client for days.
const maxGate = 10 * time.Minute

// retryAt reads Retry-After, delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
func retryAt(value string, now time.Time) (time.Time, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return time.Time{}, false
	}
	var wait time.Duration
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		wait = time.Duration(min(max(secs, 0), int64(maxGate/time.Second))) * time.Second
	} else if at, err := http.ParseTime(value); err == nil {
		wait = min(at.Sub(now), maxGate)
	} else {
		return time.Time{}, false
	}
	if wait <= 0 {
		return time.Time{}, false
	}
	return now.Add(wait), true
}

// throttled is the local answer for a request the gate will not send.
func throttled(req *http.Request, wait time.Duration) *http.Response {
	body := `{"message":"held by the operator: Lightrun asked to wait (Retry-After)"}`
	secs := int((wait + time.Second - 1) / time.Second)
	return &http.Response{
		StatusCode:    http.StatusTooManyRequests,
		Status:        "429 Too Many Requests",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Retry-After": {strconv.Itoa(secs)}, "Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
