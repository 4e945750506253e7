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
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// readFixture returns testdata/name.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	return data
}

// decodeJSON decodes a JSON object the way a handler does (json.Number).
func decodeJSON(t testing.TB, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return m
}

// fixture decodes testdata/name as a resource.
func fixture(t testing.TB, name string) map[string]any {
	t.Helper()
	return decodeJSON(t, readFixture(t, name))
}

// js decodes an inline JSON object.
func js(t testing.TB, s string) map[string]any {
	t.Helper()
	return decodeJSON(t, []byte(s))
}

// jsv decodes any inline JSON value with json.Number.
func jsv(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return v
}

// wantError asserts err is a *Error with status 400 and the scimType.
func wantError(t testing.TB, err error, scimType string) {
	t.Helper()
	const status = statusBadRequest
	if err == nil {
		t.Fatalf("want SCIM error %d %q, got success", status, scimType)
	}
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("want *Error %d %q, got %T: %v", status, scimType, err, err)
	}
	if se.Status != status || se.ScimType != scimType {
		t.Fatalf("want SCIM error %d %q, got %d %q (%s)", status, scimType, se.Status, se.ScimType, se.Detail)
	}
}

// sameJSON compares two values by their JSON encoding.
func sameJSON(t testing.TB, got, want any) bool {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("marshalling: %v", err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("marshalling: %v", err)
	}
	var gv, wv any
	_ = json.Unmarshal(g, &gv)
	_ = json.Unmarshal(w, &wv)
	return reflect.DeepEqual(gv, wv)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshalling: %v", err)
	}
	return string(b)
}
