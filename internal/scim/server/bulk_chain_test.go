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
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// chainBody is a Bulk of n user POSTs, each referring to the one before it
// by bulkId (in externalId), listed last first: each operation can run only
// after every one listed after it.
func chainBody(n int) string {
	ops := make([]string, n)
	for i := range n {
		ref := "none"
		if i > 0 {
			ref = fmt.Sprintf("bulkId:c%d", i-1)
		}
		ops[n-1-i] = postUserOp(fmt.Sprintf("c%d", i), ref)
	}
	return bulkBody(ops...)
}

// Resolving bulkIds is linear: each operation is parsed and scanned for
// references once, however the request orders them.
func TestBulkChainIsResolvedInLinearWork(t *testing.T) {
	const n = 1000
	scans := 0
	onBulkScan = func() { scans++ }
	defer func() { onBulkScan = nil }()
	s, st := newFakeServer(Options{RateLimit: 1e6, RateBurst: 1e6, MaxBodyBytes: 4 << 20})

	w := serve(s, http.MethodPost, "/Bulk", chainBody(n))
	if w.Code != http.StatusOK {
		t.Fatalf("bulk: %d %s", w.Code, w.Body)
	}
	if scans > 2*n {
		t.Fatalf("%d operations took %d scans; want at most %d", n, scans, 2*n)
	}
	var resp struct {
		Operations []bulkResult
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Operations) != n {
		t.Fatalf("%d results, want %d", len(resp.Operations), n)
	}
	// Results stay in request order; each user's externalId is the id its
	// predecessor was created under.
	for i, res := range resp.Operations {
		if res.Status != "201" || res.BulkID != fmt.Sprintf("c%d", n-1-i) {
			t.Fatalf("result %d: %+v", i, res)
		}
	}
	if st.userCount() != n {
		t.Fatalf("%d users stored", st.userCount())
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	idOf, externalIDOf := map[string]string{}, map[string]string{}
	for _, u := range st.users {
		idOf[u.Spec.UserName], externalIDOf[u.Spec.UserName] = u.Name, u.Spec.ExternalID
	}
	for i := 1; i < n; i++ {
		got, want := externalIDOf[fmt.Sprintf("c%d@example.com", i)], idOf[fmt.Sprintf("c%d@example.com", i-1)]
		if got != want || want == "" {
			t.Fatalf("c%d: externalId %q, want its predecessor's id %q", i, got, want)
		}
	}
}

// BenchmarkBulkChain measures a Bulk of 1,000 chained POSTs in reverse
// order over the in-memory store.
func BenchmarkBulkChain(b *testing.B) {
	body := chainBody(1000)
	for b.Loop() {
		s, _ := newFakeServer(Options{RateLimit: 1e6, RateBurst: 1e6, MaxBodyBytes: 4 << 20})
		if w := serve(s, http.MethodPost, "/Bulk", body); w.Code != http.StatusOK {
			b.Fatalf("bulk: %d", w.Code)
		}
	}
}
