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

package connect

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
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
		// The client's own parser, with its cap (lightrun.RetryAfterCap).
		if wait, ok := lightrun.ParseRetryAfter(resp.Header.Get("Retry-After"), g.now()); ok && wait > 0 {
			g.mu.Lock()
			if until := g.now().Add(wait); until.After(g.notBefore) {
				g.notBefore = until
			}
			g.mu.Unlock()
		}
	}
	return resp, nil
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
