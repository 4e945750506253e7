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

package scim

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"
)

func TestFoldAgreesWithMatch(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"RFC 7643 §2.3.1 ASCII", "BJensen@Example.COM", "bjensen@example.com", true},
		{"RFC 7643 §2.3.1 Latin-1", "CAFÉ", "café", true},
		{"RFC 7643 §2.3.1 long s folds to s", "ſtraße", "STRASSE", false},
		{"RFC 7643 §2.3.1 long s", "ſam", "SAM", true},
		{"RFC 7643 §2.3.1 Kelvin sign", "\u212a", "k", true},
		{"different strings", "alice", "alicia", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fold.String(tt.a) == fold.String(tt.b); got != tt.same {
				t.Fatalf("fold.String(%q) == fold.String(%q) is %v, want %v", tt.a, tt.b, got, tt.same)
			}
		})
	}
	// The index key agrees with Filter.Match for caseExact=false attributes.
	f := MustParseFilter(`userName eq "ſam"`)
	if !f.Match(UserResourceType, map[string]any{"userName": "SAM"}) {
		t.Fatal("Match and fold.String disagree")
	}
}

func TestParseDateTime(t *testing.T) {
	want := time.Date(2011, 5, 13, 4, 42, 34, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"RFC 7643 §2.3.5 UTC", "2011-05-13T04:42:34Z", true},
		{"RFC 7643 §2.3.5 offset", "2011-05-13T06:42:34+02:00", true},
		{"RFC 7643 §2.3.5 fractional seconds", "2011-05-13T04:42:34.000Z", true},
		{"RFC 7643 §2.3.5 xsd:dateTime without zone", "2011-05-13T04:42:34", true},
		{"RFC 7643 §2.3.5 date only is not a dateTime", "2011-05-13", false},
		{"RFC 7643 §2.3.5 not a date", "yesterday", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseDateTime(tt.in)
			if ok != tt.ok || (ok && !got.Equal(want)) {
				t.Fatalf("parseDateTime(%q) = %v, %v", tt.in, got, ok)
			}
		})
	}
}

func TestCheckValueNumbers(t *testing.T) {
	integer := &Attribute{Name: "n", Type: TypeInteger}
	decimal := &Attribute{Name: "d", Type: TypeDecimal}
	tests := []struct {
		name string
		attr *Attribute
		v    any
		ok   bool
	}{
		{"RFC 7643 §2.3.4 integer as json.Number", integer, json.Number("12345678901234567890"), true},
		{"RFC 7643 §2.3.4 integer as float64", integer, float64(3), true},
		{"RFC 7643 §2.3.4 integer as int", integer, 3, true},
		{"RFC 7643 §2.3.4 integer with a fraction", integer, json.Number("3.5"), false},
		{"RFC 7643 §2.3.4 integer given a string", integer, "3", false},
		{"RFC 7643 §2.3.3 decimal", decimal, json.Number("3.5e2"), true},
		{"RFC 7643 §2.3.3 decimal given a boolean", decimal, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkValue(tt.attr, tt.v, tt.attr.Name)
			if (err == nil) != tt.ok {
				t.Fatalf("checkValue(%v) error %v, want ok=%v", tt.v, err, tt.ok)
			}
		})
	}
	if c, ok := compareScalars(integer, json.Number("9007199254740993"), float64(9007199254740992)); !ok || c <= 0 {
		t.Fatalf("integers beyond 2^53 must compare exactly, got %d %v", c, ok)
	}
}
