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
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

const wrongToken = "wrong-token-0123456789abcdef0123456789abcdef"

// authAnswer is what a refused request shows, and what it cost.
type authAnswer struct {
	status          int
	body, challenge string
	compares        int
}

// An IdentityConfig that does not exist and a wrong token for one that does
// are answered alike, and cost the same: the token is hashed and compared,
// in constant time, against as many digests either way.
func TestUnknownIdentityConfigAndWrongTokenLookAlike(t *testing.T) {
	compares := 0
	onTokenCompare = func() { compares++ }
	defer func() { onTokenCompare = nil }()
	s, st := newFakeServer(Options{})
	rotating := st.addTenant("ns", "rotating", testToken)
	rotating.TokenDigests = append(rotating.TokenDigests, sha256.Sum256([]byte(testToken+"-previous")))

	try := func(ic, token string) authAnswer {
		compares = 0
		w := serveAt(s, ic, http.MethodGet, "/Users/none", token, "")
		return authAnswer{w.Code, w.Body.String(), w.Header().Get("WWW-Authenticate"), compares}
	}
	wrong := try("ic", wrongToken)
	if wrong.status != http.StatusUnauthorized {
		t.Fatalf("wrong token: %+v", wrong)
	}
	for _, other := range []struct {
		name   string
		answer authAnswer
	}{
		{"an unknown IdentityConfig", try("nowhere", wrongToken)},
		{"an unknown IdentityConfig with a token valid elsewhere", try("nowhere", testToken)},
		{"a wrong token during a rotation (two digests)", try("rotating", wrongToken)},
	} {
		if other.answer != wrong {
			t.Errorf("%s: %+v; a wrong token: %+v", other.name, other.answer, wrong)
		}
	}
	if wrong.compares == 0 {
		t.Fatal("no constant-time compare counted")
	}
	// The right token costs the same compares too.
	if right := try("ic", testToken); right.status != http.StatusNotFound || right.compares != wrong.compares {
		t.Errorf("right token: %+v", right)
	}
}

// BenchmarkAuthRefusal times the two refusals side by side (go test -bench
// AuthRefusal): an unknown IdentityConfig and a wrong token. Nothing is
// asserted on time; TestUnknownIdentityConfigAndWrongTokenLookAlike proves
// they do the same work.
func BenchmarkAuthRefusal(b *testing.B) {
	s, _ := newFakeServer(Options{AuthFailureBurst: 1 << 30})
	for _, bc := range []struct{ name, ic string }{{"wrong-token", "ic"}, {"unknown-identityconfig", "nowhere"}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if w := serveAt(s, bc.ic, http.MethodGet, "/Users", wrongToken, ""); w.Code != http.StatusUnauthorized {
					b.Fatalf("%d", w.Code)
				}
			}
		})
	}
}

// Failed authentications are limited per client address: past the burst,
// that address gets 429 without its token being looked at, until the
// bucket refills; other addresses and successful requests are unaffected.
func TestFailedAuthenticationsAreLimitedPerClientAddress(t *testing.T) {
	compares := 0
	onTokenCompare = func() { compares++ }
	defer func() { onTokenCompare = nil }()
	s, _ := newFakeServer(Options{AuthFailureBurst: 3, AuthFailureRate: 1})
	now := time.Now()
	s.authFailures.now = func() time.Time { return now }

	from := func(addr, token string, headers ...string) *httptest.ResponseRecorder {
		compares = 0
		return serveWith(s, token, addr, headers...)
	}
	for i := range 3 {
		if w := from("192.0.2.1:4000", wrongToken); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, w.Code)
		}
	}
	for _, token := range []string{wrongToken, testToken} {
		w := from("192.0.2.1:4001", token) // another port, the same address
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Fatalf("after the burst: %d (Retry-After %q)", w.Code, w.Header().Get("Retry-After"))
		}
		if compares != 0 {
			t.Fatalf("a blocked address had its token compared %d times", compares)
		}
	}
	if w := from("192.0.2.2:4000", testToken); w.Code != http.StatusNotFound {
		t.Fatalf("another address: %d", w.Code)
	}
	// X-Forwarded-For is not trusted unless an option says so.
	if w := from("192.0.2.1:4000", testToken, "X-Forwarded-For", "198.51.100.7"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("a blocked address behind a forged X-Forwarded-For: %d", w.Code)
	}
	// It refills slowly: one more attempt a second later, then blocked again.
	now = now.Add(time.Second)
	if w := from("192.0.2.1:4000", wrongToken); w.Code != http.StatusUnauthorized {
		t.Fatalf("a second later: %d", w.Code)
	}
	if w := from("192.0.2.1:4000", testToken); w.Code != http.StatusTooManyRequests {
		t.Fatalf("after the refilled attempt failed: %d", w.Code)
	}
	// Successful requests neither spend nor are refused.
	for i := range 50 {
		if w := from("192.0.2.3:4000", testToken); w.Code != http.StatusNotFound {
			t.Fatalf("success %d: %d", i+1, w.Code)
		}
	}
	for i := range 3 {
		if w := from("192.0.2.3:4000", wrongToken); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d after 50 successes: %d", i+1, w.Code)
		}
	}
}

// Behind a proxy that says so, the client address is the last
// X-Forwarded-For entry, the one the proxy itself appended.
func TestFailedAuthenticationsTrustForwardedForOnlyWhenTold(t *testing.T) {
	s, _ := newFakeServer(Options{AuthFailureBurst: 2, AuthFailureRate: 1, TrustForwardedFor: true})
	s.authFailures.now = func() time.Time { return time.Unix(1000, 0) }
	for range 2 {
		serveWith(s, wrongToken, "10.0.0.1:80", "X-Forwarded-For", "forged, 203.0.113.9")
	}
	if w := serveWith(s, testToken, "10.0.0.1:80", "X-Forwarded-For", "203.0.113.9"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("the client behind the proxy: %d", w.Code)
	}
	if w := serveWith(s, testToken, "10.0.0.1:80", "X-Forwarded-For", "203.0.113.10"); w.Code != http.StatusNotFound {
		t.Fatalf("another client behind the same proxy: %d", w.Code)
	}
}

// The table of failing addresses is bounded, however many addresses fail.
func TestFailedAuthenticationTableIsBounded(t *testing.T) {
	s, _ := newFakeServer(Options{AuthFailureBurst: 3, AuthFailureRate: 0.001, MaxAuthFailureClients: 8})
	for i := range 1000 {
		addr := fmt.Sprintf("[2001:db8::%x]:443", i)
		serveWith(s, wrongToken, addr)
		if n := s.authFailures.size(); n > 8 {
			t.Fatalf("after %d addresses the table holds %d", i+1, n)
		}
	}
	if n := s.authFailures.size(); n != 8 {
		t.Fatalf("the table holds %d addresses, want 8", n)
	}
}
