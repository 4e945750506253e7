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
	"net/http"
	"testing"
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
	s, st := newFakeServer(Options{}, testToken)
	rotating := st.addTenant("ns", "rotating", testToken)
	rotating.TokenDigests = append(rotating.TokenDigests, sha256.Sum256([]byte(testToken+"-previous")))

	try := func(ic, token string) authAnswer {
		compares = 0
		w := serveAt(s, "ns", ic, http.MethodGet, "/Users/none", token, "", "")
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
	s, _ := newFakeServer(Options{AuthFailureBurst: 1 << 30}, testToken)
	for _, bc := range []struct{ name, ic string }{{"wrong-token", "ic"}, {"unknown-identityconfig", "nowhere"}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if w := serveAt(s, "ns", bc.ic, http.MethodGet, "/Users", wrongToken, "", ""); w.Code != http.StatusUnauthorized {
					b.Fatalf("%d", w.Code)
				}
			}
		})
	}
}
