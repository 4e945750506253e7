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
	"errors"
	"testing"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// FuzzDecodeCursor: a cursor comes from the client, so anything may arrive.
// Decoding never panics, refuses with invalidCursor, and what it accepts
// re-encodes to the same cursor.
func FuzzDecodeCursor(f *testing.F) {
	q, err := scim.ParseQueryParams(map[string][]string{"filter": {`userName sw "a"`}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodeCursor(q, cursor{after: &store.Key{Created: 1764680000, ID: "0b6f1c9e-2f55-4c1e-9d3c-6a3c1b7f0e21"}}))
	f.Add(encodeCursor(q, cursor{offset: 300}))
	f.Add(encodeCursor(scim.Query{}, cursor{offset: 1}))
	f.Add("")
	f.Add("AQ")
	for _, s := range hostileSeeds(f) {
		for _, c := range s.Query["cursor"] {
			f.Add(c)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(q, s)
		if err != nil {
			var e *scim.Error
			if !errors.As(err, &e) || e.ScimType != scim.ScimTypeInvalidCursor || e.Status != 400 {
				t.Fatalf("decodeCursor(%q) = %v, want a 400 invalidCursor", s, err)
			}
			return
		}
		if again := encodeCursor(q, c); again != s {
			t.Fatalf("decodeCursor(%q) read %+v, which encodes as %q", s, c, again)
		}
	})
}
