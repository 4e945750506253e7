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
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// TestRetryAfterHoldsEveryCaller: after one 429 with Retry-After, no other
// request of the same client reaches Lightrun before the wait is over.
func TestRetryAfterHoldsEveryCaller(t *testing.T) {
	var mu sync.Mutex
	var arrivals []time.Time
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	hc := &http.Client{Transport: newRetryAfterGate(http.DefaultTransport.(*http.Transport).Clone())}

	get := func(ctx context.Context) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		return hc.Do(req)
	}
	resp, err := get(context.Background())
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("first call: %v %v", resp, err)
	}
	_ = resp.Body.Close()

	// A caller that cannot wait a second is answered locally, at once.
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	resp, err = get(short)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("held call: %v %v", resp, err)
	}
	_ = resp.Body.Close()

	// Five other callers wait for the gate, then go through.
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			resp, err := get(context.Background())
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("gated call: %v %v", resp, err)
				return
			}
			_ = resp.Body.Close()
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 6 {
		t.Fatalf("%d requests reached the server, want 6 (the held one never left)", len(arrivals))
	}
	for _, at := range arrivals[1:] {
		if gap := at.Sub(arrivals[0]); gap < 990*time.Millisecond {
			t.Fatalf("a request reached the server %s after the 429, before its Retry-After of 1s", gap)
		}
	}
}

// TestGateClosesForTheCappedWait: the gate reads Retry-After with the
// client's parser, so both forms close it and an absurd value closes it for
// lightrun.RetryAfterCap, no longer.
func TestGateClosesForTheCappedWait(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		retryAfter string
		want       time.Time // zero: the gate stays open
	}{
		{"3", now.Add(3 * time.Second)},
		{now.Add(5 * time.Second).Format(http.TimeFormat), now.Add(5 * time.Second)},
		{"999999999", now.Add(lightrun.RetryAfterCap)},
		{"", time.Time{}},
		{"soon", time.Time{}},
		{"0", time.Time{}},
		{"-4", time.Time{}},
	}
	for _, c := range cases {
		answer := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {c.retryAfter}},
				Body: http.NoBody, Request: req}, nil
		})
		g := newRetryAfterGate(answer)
		g.now = func() time.Time { return now }
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		if _, err := g.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if !g.notBefore.Equal(c.want) {
			t.Errorf("Retry-After %q closed the gate until %v, want %v", c.retryAfter, g.notBefore, c.want)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
