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
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server/hostile"
)

// The endpoint's hostile-input corpus (internal/scim/server/testdata/hostile)
// seeds the fuzz targets of this package: its filters, PATCH bodies and
// PATCH paths.

// hostileMaxSeed bounds a seed: huge inputs are for the endpoint's specs.
const hostileMaxSeed = 16 << 10

func hostileSeeds(f *testing.F) []hostile.Seed {
	f.Helper()
	seeds, err := hostile.Seeds(filepath.Join("server", "testdata", "hostile"), hostileMaxSeed)
	if err != nil {
		f.Fatal(err)
	}
	return seeds
}

// hostileFilters are the corpus's filter query parameters and the filters
// of its search bodies.
func hostileFilters(f *testing.F) []string {
	var out []string
	for _, s := range hostileSeeds(f) {
		out = append(out, s.Query["filter"]...)
		var search struct {
			Filter string `json:"filter"`
		}
		if strings.HasSuffix(s.Path, "/.search") && json.Unmarshal(s.Body, &search) == nil && search.Filter != "" {
			out = append(out, search.Filter)
		}
	}
	return out
}

// hostilePatchBodies are the corpus's PATCH bodies.
func hostilePatchBodies(f *testing.F) [][]byte {
	var out [][]byte
	for _, s := range hostileSeeds(f) {
		if s.Method == "PATCH" {
			out = append(out, s.Body)
		}
	}
	return out
}

// FuzzParsePatchPath: a PATCH path comes from the client. Parsing never
// panics and refuses with a 400 invalidPath.
func FuzzParsePatchPath(f *testing.F) {
	for _, p := range []string{
		"title", "name.givenName", `emails[type eq "work"].value`, `members[value eq "a" or value eq "b"]`,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
		`addresses[type eq "work" and (primary eq true)].streetAddress`, "", "[", "a]", `emails[type eq "a"]]`,
	} {
		f.Add(p)
	}
	for _, body := range hostilePatchBodies(f) {
		var patch struct {
			Operations []struct {
				Path string `json:"path"`
			} `json:"Operations"`
		}
		if json.Unmarshal(body, &patch) == nil {
			for _, op := range patch.Operations {
				f.Add(op.Path)
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := parsePatchPath(s); err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 || se.ScimType != ScimTypeInvalidPath {
				t.Fatalf("parsePatchPath(%q): want a 400 invalidPath, got %v", s, err)
			}
		}
	})
}
