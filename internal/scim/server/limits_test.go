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

package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// A Bulk request costs one token of the bearer token's rate limiter per
// operation; when the bucket cannot cover them all, nothing runs.
func TestBulkIsChargedPerOperation(t *testing.T) {
	// No refill to speak of: the bucket holds what the burst gives.
	s, st := newFakeServer(Options{RateLimit: 0.0001, RateBurst: 5})
	ops := func(n, from int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = postUserOp(fmt.Sprintf("u%d", from+i), "x")
		}
		return out
	}
	if w := serve(s, http.MethodGet, "/Users/none", ""); w.Code != http.StatusNotFound {
		t.Fatalf("GET: %d %s", w.Code, w.Body)
	}
	// 4 tokens left: a Bulk of 5 operations is refused whole.
	w := serve(s, http.MethodPost, "/Bulk", bulkBody(ops(5, 0)...))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("a Bulk of 5 with 4 tokens left: %d (Retry-After %q) %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if n := st.userCount(); n != 0 {
		t.Fatalf("a refused Bulk wrote %d users", n)
	}
	// The refused Bulk took nothing: 4 operations fit, then nothing is left.
	if w := serve(s, http.MethodPost, "/Bulk", bulkBody(ops(4, 10)...)); w.Code != http.StatusOK {
		t.Fatalf("a Bulk of 4 with 4 tokens left: %d %s", w.Code, w.Body)
	}
	if n := st.userCount(); n != 4 {
		t.Fatalf("%d users written, want 4", n)
	}
	if w := serve(s, http.MethodGet, "/Users/none", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("GET after the bucket was spent: %d %s", w.Code, w.Body)
	}
}

// A Bulk of more operations than the burst costs a full bucket: it could
// never be covered otherwise.
func TestBulkLargerThanTheBurstCostsAFullBucket(t *testing.T) {
	s, st := newFakeServer(Options{RateLimit: 0.0001, RateBurst: 3})
	ops := make([]string, 6)
	for i := range ops {
		ops[i] = postUserOp(fmt.Sprintf("big%d", i), "x")
	}
	if w := serve(s, http.MethodPost, "/Bulk", bulkBody(ops...)); w.Code != http.StatusOK {
		t.Fatalf("a Bulk of 6 with a full bucket of 3: %d %s", w.Code, w.Body)
	}
	if st.userCount() != 6 {
		t.Fatalf("%d users written, want 6", st.userCount())
	}
	if w := serve(s, http.MethodGet, "/Users/none", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("GET after a full-bucket Bulk: %d", w.Code)
	}
}

// At most MaxInFlight requests of one IdentityConfig are served at once;
// more are refused with 429 and Retry-After while those are held, and other
// IdentityConfigs are served meanwhile.
func TestInFlightRequestsAreCappedPerIdentityConfig(t *testing.T) {
	const maxInFlight = 2
	s, st := newFakeServer(Options{MaxInFlight: maxInFlight})
	st.addTenant("ns", "other", testToken)
	entered, release := make(chan struct{}), make(chan struct{})
	st.onGet = func(t store.Tenant) {
		if t.IdentityConfig == "ic" {
			entered <- struct{}{}
			<-release
		}
	}
	done := make(chan int, maxInFlight)
	for range maxInFlight {
		go func() { done <- serve(s, http.MethodGet, "/Users/held", "").Code }()
		<-entered // held inside the store
	}
	for i := range 3 {
		w := serve(s, http.MethodGet, "/ServiceProviderConfig", "")
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Fatalf("request %d beyond the cap: %d (Retry-After %q) %s", maxInFlight+1+i, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
		if !strings.Contains(w.Body.String(), scim.ErrorURN) {
			t.Fatalf("not a SCIM error: %s", w.Body)
		}
	}
	if w := serveAt(s, "other", http.MethodGet, "/ServiceProviderConfig", testToken, ""); w.Code != http.StatusOK {
		t.Fatalf("another IdentityConfig while ic is at its cap: %d", w.Code)
	}
	close(release)
	for range maxInFlight {
		if code := <-done; code != http.StatusNotFound {
			t.Fatalf("a held request ended with %d", code)
		}
	}
	if w := serve(s, http.MethodGet, "/ServiceProviderConfig", ""); w.Code != http.StatusOK {
		t.Fatalf("after the held requests ended: %d", w.Code)
	}
	if n := s.inFlightTenants(); n != 0 {
		t.Fatalf("%d IdentityConfigs still counted with nothing in flight", n)
	}
}

// A Bulk request refused before its operations are counted (too large, not
// a BulkRequest) still costs one token, as any request does.
func TestRefusedBulkCostsOneToken(t *testing.T) {
	s, _ := newFakeServer(Options{RateLimit: 0.0001, RateBurst: 2, MaxBodyBytes: 256})
	for _, body := range []string{`{"schemas":[`, bulkBody(postUserOp("x", strings.Repeat("y", 300)))} {
		if w := serve(s, http.MethodPost, "/Bulk", body); w.Code != http.StatusBadRequest && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("a bad Bulk: %d %s", w.Code, w.Body)
		}
	}
	if w := serve(s, http.MethodGet, "/Users/none", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("after two refused Bulk requests with a burst of 2: %d", w.Code)
	}
}
