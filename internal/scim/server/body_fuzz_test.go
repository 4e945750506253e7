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
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server/hostile"
)

// FuzzDecodeBody feeds arbitrary bytes through what a POST or PUT body of a
// User or Group goes through before it reaches the store: the body checks,
// JSON decoding, schema checks, normalisation and conversion to a spec. It
// must never panic, every refusal must be a 4xx SCIM error (anything else
// would be answered 500), and an accepted body must be valid UTF-8 whose
// decoded form encodes to a body that is accepted again.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range hostileSeeds(f) {
		if s.Body != nil {
			f.Add(s.Body)
		}
	}
	idp, err := filepath.Glob(filepath.Join("testdata", "idp", "*.http"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range idp {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if i := indexBody(data); i >= 0 {
			f.Add(data[i:])
		}
	}
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com","name":{"givenName":"A"},"emails":[{"value":"a@example.com","primary":true}],"active":"True","password":"p"}`))
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g","members":[{"value":"u1"}]}`))
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g","members":[{"value":"g2","type":"Group","$ref":"../Groups/g2"},{"value":"u1","type":"user"}],"groups":["g3"]}`))
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g","members":[{"value":"x","type":"Robot"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := checkBody(data)
		var body map[string]any
		if err == nil {
			body, err = decodeObject(data)
		}
		if err != nil {
			refused(t, err)
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("accepted a body that is not UTF-8: %q", data)
		}
		again, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("accepted body does not encode: %v", err)
		}
		if err := checkBody(again); err != nil {
			t.Fatalf("accepted %q, refused its re-encoding %s: %v", data, again, err)
		}
		if _, err := userSpecFromBody(body); err != nil {
			refused(t, err)
		}
		if _, _, err := groupFromBody(body); err != nil {
			refused(t, err)
		}
	})
}

// hostileSeeds are the corpus cases small enough to mutate.
func hostileSeeds(f *testing.F) []hostile.Seed {
	f.Helper()
	seeds, err := hostile.Seeds(filepath.Join("testdata", "hostile"), 16<<10)
	if err != nil {
		f.Fatal(err)
	}
	return seeds
}

// refused fails unless err is what the endpoint answers with a 4xx.
func refused(t *testing.T, err error) {
	t.Helper()
	if se := scim.AsError(err); se.Status < 400 || se.Status >= 500 {
		t.Fatalf("refused with status %d: %v", se.Status, err)
	}
}

// indexBody is where the body of an HTTP request file starts, or -1.
func indexBody(data []byte) int {
	for i := 0; i+3 < len(data); i++ {
		if data[i] == '\r' && string(data[i:i+4]) == "\r\n\r\n" {
			return i + 4
		}
		if data[i] == '\n' && data[i+1] == '\n' {
			return i + 2
		}
	}
	return -1
}
