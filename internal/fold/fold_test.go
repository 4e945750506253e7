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

package fold

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestEqual(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"Alice@Example.com", "alice@example.COM", true},
		{"ſam", "SAM", true},            // U+017F LONG S folds with s
		{"\u212aelvin", "kelvin", true}, // U+212A KELVIN SIGN folds with k
		{"alice", "alicia", false},
		{"", "", true},
	}
	for _, c := range cases {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%q, %q) = %t, want %t", c.a, c.b, got, c.want)
		}
	}
}

// Canonically equivalent strings (Unicode UAX #15) are the same name: an IdP
// may send "é" precomposed (U+00E9) or as "e" and a combining acute accent
// (U+0065 U+0301), and users cannot tell them apart.
func TestEqualAfterNormalisation(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"ren\u00e9@example.com", "rene\u0301@example.com", true},
		{"REN\u00c9", "rene\u0301", true}, // É precomposed, é decomposed
		{"\u01f0", "j\u030c", true},       // ǰ has no precomposed capital
		{"\u212b", "\u00e5", true},        // ANGSTROM SIGN is Å
		{"Stra\u00dfe", "strasse", false}, // full case folding is not canonical equivalence
		{"rene\u0301", "rene", false},
	}
	for _, c := range cases {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%q, %q) = %t, want %t", c.a, c.b, got, c.want)
		}
	}
	// The folded form is itself NFC, so that keys built from it are canonical.
	for _, s := range []string{"rene\u0301", "\u01f0", "J\u030c"} {
		if got, again := String(s), String(String(s)); got != again || !norm.NFC.IsNormalString(got) {
			t.Errorf("String(%q) = %q is not NFC or not stable: %q", s, got, again)
		}
	}
}
