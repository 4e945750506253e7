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

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// scimClient plays an identity provider against the SCIM endpoint: it sends
// requests the way the IdP does (its User-Agent, its query encoding), waits
// out 429 and 503 answers as IdPs do, and counts what it sent.
type scimClient struct {
	base      string // the IdentityConfig's SCIM base URL
	token     string
	userAgent string
	http      *http.Client

	requests atomic.Int64 // sent, retries included
	retries  atomic.Int64 // 429/503 answers waited out
}

func newSCIMClient(base, token, userAgent string) *scimClient {
	return &scimClient{
		base: strings.TrimSuffix(base, "/"), token: token, userAgent: userAgent,
		http: &http.Client{Timeout: 30 * time.Second},
	}
}

// scimError is an answer the demo did not expect.
type scimError struct {
	Method, Path string
	Status       int
	Detail       string
}

func (e *scimError) Error() string {
	return fmt.Sprintf("%s %s answered %d: %s", e.Method, e.Path, e.Status, e.Detail)
}

// filterQuery renders a SCIM filter query the way Okta's documented requests
// spell it: spaces as %20, quotes as %22.
func filterQuery(filter string, extra ...string) string {
	q := "filter=" + strings.ReplaceAll(url.QueryEscape(filter), "+", "%20")
	return strings.Join(append([]string{q}, extra...), "&")
}

// do sends one request to path (relative to the base URL, query included)
// and decodes a 2xx answer into out when out is not nil. want lists the
// statuses that are not errors (2xx when empty).
func (c *scimClient) do(ctx context.Context, method, path string, body, out any, want ...int) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encoding the %s %s body: %w", method, path, err)
		}
	}
	for attempt := 0; ; attempt++ {
		status, header, data, err := c.send(ctx, method, path, payload)
		if err != nil {
			return err
		}
		if (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && attempt < 20 {
			c.retries.Add(1)
			if err := sleep(ctx, retryAfter(header, attempt)); err != nil {
				return err
			}
			continue
		}
		ok := status/100 == 2
		if len(want) > 0 {
			ok = false
			for _, w := range want {
				ok = ok || w == status
			}
		}
		if !ok {
			return &scimError{Method: method, Path: path, Status: status, Detail: errorDetail(data)}
		}
		if out != nil && status/100 == 2 && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("decoding the answer to %s %s: %w", method, path, err)
			}
		}
		return nil
	}
}

func (c *scimClient) send(ctx context.Context, method, path string, payload []byte) (int, http.Header, []byte, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("building %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/scim+json")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	c.requests.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading the answer to %s %s: %w", method, path, err)
	}
	return resp.StatusCode, resp.Header, data, nil
}

// retryAfter is the wait a 429 or 503 asks for, else a short backoff.
func retryAfter(h http.Header, attempt int) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s)*time.Second + 50*time.Millisecond
	}
	return time.Duration(min(attempt+1, 10)) * 100 * time.Millisecond
}

func errorDetail(data []byte) string {
	var e struct {
		Detail   string `json:"detail"`
		ScimType string `json:"scimType"`
	}
	if json.Unmarshal(data, &e) == nil && e.Detail != "" {
		if e.ScimType != "" {
			return e.ScimType + ": " + e.Detail
		}
		return e.Detail
	}
	return strings.TrimSpace(string(data))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// listResponse is the part of a SCIM ListResponse the demo reads.
type listResponse struct {
	TotalResults int        `json:"totalResults"`
	Resources    []resource `json:"Resources"`
}

// resource is the part of a SCIM User or Group the demo reads.
type resource struct {
	ID          string `json:"id"`
	UserName    string `json:"userName,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// lookup runs a filter and returns the one match, or nil.
func (c *scimClient) lookup(ctx context.Context, resourceType, query string) (*resource, error) {
	var list listResponse
	if err := c.do(ctx, http.MethodGet, "/"+resourceType+"?"+query, nil, &list); err != nil {
		return nil, err
	}
	switch len(list.Resources) {
	case 0:
		return nil, nil
	case 1:
		return &list.Resources[0], nil
	default:
		return nil, errors.New(resourceType + "?" + query + " matched more than one resource")
	}
}
