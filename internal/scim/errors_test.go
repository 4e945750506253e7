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
	"fmt"
	"strings"
	"testing"
)

func TestErrorConstructors(t *testing.T) {
	tests := []struct {
		name     string
		err      *Error
		status   int
		scimType string
	}{
		{"RFC 7644 §3.12 invalidFilter", ErrInvalidFilter("x"), 400, "invalidFilter"},
		{"RFC 7644 §3.12 tooMany", ErrTooMany("x"), 400, "tooMany"},
		{"RFC 7644 §3.12 uniqueness", ErrUniqueness("x"), 409, "uniqueness"},
		{"RFC 7644 §3.12 mutability", ErrMutability("x"), 400, "mutability"},
		{"RFC 7644 §3.12 invalidSyntax", ErrInvalidSyntax("x"), 400, "invalidSyntax"},
		{"RFC 7644 §3.12 invalidPath", ErrInvalidPath("x"), 400, "invalidPath"},
		{"RFC 7644 §3.12 noTarget", ErrNoTarget("x"), 400, "noTarget"},
		{"RFC 7644 §3.12 invalidValue", ErrInvalidValue("x"), 400, "invalidValue"},
		{"RFC 7644 §3.12 invalidVers", ErrInvalidVers("x"), 400, "invalidVers"},
		{"RFC 7644 §3.12 sensitive", ErrSensitive("x"), 403, "sensitive"},
		{"RFC 7644 §3.7.4 tooLarge", ErrTooLarge("x"), 413, "tooLarge"},
		{"RFC 7644 §3.12 404", ErrNotFound("x"), 404, ""},
		{"RFC 7644 §3.12 403", ErrForbidden("x"), 403, ""},
		{"405", ErrMethodNotAllowed("x"), 405, ""},
		{"RFC 7644 §3.12 409", ErrConflict("x"), 409, ""},
		{"RFC 7644 §3.14 412", ErrPreconditionFailed("x"), 412, ""},
		{"RFC 7644 §3.12 413", ErrPayloadTooLarge("x"), 413, ""},
		{"RFC 7644 §8.1 415", ErrUnsupportedMediaType("x"), 415, ""},
		{"RFC 7644 §3.12 401", ErrUnauthorized("x"), 401, ""},
		{"rate limit 429", ErrTooManyRequests("x"), 429, ""},
		{"RFC 7644 §3.11 501", ErrNotImplemented("x"), 501, ""},
		{"store unavailable 503", ErrServiceUnavailable("x"), 503, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err.Status != tt.status || tt.err.ScimType != tt.scimType || tt.err.Detail != "x" {
				t.Fatalf("got %+v, want status %d scimType %q detail x", tt.err, tt.status, tt.scimType)
			}
		})
	}
}

func TestErrorFormatsDetail(t *testing.T) {
	err := ErrInvalidPath("path %q: %d", "emails[", 3)
	if err.Detail != `path "emails[": 3` {
		t.Fatalf("detail = %q", err.Detail)
	}
}

func TestErrorBody(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{
			name: "RFC 7644 §3.12 status is a string, scimType and detail set",
			err:  ErrInvalidFilter("bad filter"),
			want: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter","detail":"bad filter"}`,
		},
		{
			name: "RFC 7644 §3.12 404 without scimType",
			err:  ErrNotFound("Resource 2819c223 not found"),
			want: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"Resource 2819c223 not found"}`,
		},
		{
			name: "RFC 7644 §3.12 empty detail omitted",
			err:  &Error{Status: statusConflict, ScimType: ScimTypeUniqueness},
			want: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.err)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			// A value Error marshals the same way when held by pointer in a
			// larger structure.
			wrapped, err := json.Marshal(map[string]any{"e": tt.err})
			if err != nil || !strings.Contains(string(wrapped), tt.want) {
				t.Fatalf("embedded: %s, %v", wrapped, err)
			}
		})
	}
}

func TestErrorUnmarshal(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Error
	}{
		{"RFC 7644 §3.12 string status", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"mutability","detail":"d"}`, Error{400, "mutability", "d"}},
		{"Okta sends a numeric status", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"User not found","status":404}`, Error{404, "", "User not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Error
			if err := json.Unmarshal([]byte(tt.body), &e); err != nil {
				t.Fatal(err)
			}
			if e != tt.want {
				t.Fatalf("got %+v, want %+v", e, tt.want)
			}
		})
	}
	var e Error
	if err := json.Unmarshal([]byte(`{"status":"teapot"}`), &e); err == nil {
		t.Fatal("a non-numeric status must be an error")
	}
}

func TestErrorMessage(t *testing.T) {
	if got := ErrInvalidFilter("x").Error(); got != "scim 400 invalidFilter: x" {
		t.Fatalf("got %q", got)
	}
	if got := (&Error{Status: 404}).Error(); got != "scim 404 Not Found" {
		t.Fatalf("got %q", got)
	}
}

func TestAsError(t *testing.T) {
	se := ErrNoTarget("nothing")
	if got := AsError(fmt.Errorf("wrapped: %w", se)); got != se {
		t.Fatalf("AsError lost the wrapped *Error: %v", got)
	}
	got := AsError(errors.New("etcd: connection refused to 10.0.0.1"))
	if got.Status != 500 || strings.Contains(got.Detail, "etcd") {
		t.Fatalf("internal errors must become a generic 500, got %+v", got)
	}
	if AsError(nil) != nil {
		t.Fatal("AsError(nil) must be nil")
	}
}

func TestURNs(t *testing.T) {
	// IANA "SCIM Schema URIs" registry (RFC 7643 §10.2, RFC 7644 §8.2).
	want := map[string]string{
		UserSchemaURN:                  "urn:ietf:params:scim:schemas:core:2.0:User",
		GroupSchemaURN:                 "urn:ietf:params:scim:schemas:core:2.0:Group",
		EnterpriseUserSchemaURN:        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
		ServiceProviderConfigSchemaURN: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
		ResourceTypeSchemaURN:          "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
		SchemaSchemaURN:                "urn:ietf:params:scim:schemas:core:2.0:Schema",
		ListResponseURN:                "urn:ietf:params:scim:api:messages:2.0:ListResponse",
		SearchRequestURN:               "urn:ietf:params:scim:api:messages:2.0:SearchRequest",
		PatchOpURN:                     "urn:ietf:params:scim:api:messages:2.0:PatchOp",
		BulkRequestURN:                 "urn:ietf:params:scim:api:messages:2.0:BulkRequest",
		BulkResponseURN:                "urn:ietf:params:scim:api:messages:2.0:BulkResponse",
		ErrorURN:                       "urn:ietf:params:scim:api:messages:2.0:Error",
	}
	for got, w := range want {
		if got != w {
			t.Errorf("URN %q, want %q", got, w)
		}
	}
}
