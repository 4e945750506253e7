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
	"net/url"
	"slices"
	"testing"
)

func TestParseQueryParams(t *testing.T) {
	tests := []struct {
		name  string
		query string
		check func(t *testing.T, q Query)
	}{
		{"Okta user lookup", `filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100`, func(t *testing.T, q Query) {
			eqJSON(t, q.Filter.String(), `userName eq "test.user@okta.local"`)
			if q.StartIndex != 1 || q.Count == nil || *q.Count != 100 {
				t.Fatalf("startIndex %d count %v", q.StartIndex, q.Count)
			}
		}},
		{"Entra group lookup", `excludedAttributes=members&filter=displayName+eq+%22displayName%22`, func(t *testing.T, q Query) {
			eqJSON(t, q.ExcludedAttributes, []string{"members"})
			if q.StartIndex != 1 || q.Count != nil {
				t.Fatalf("startIndex %d count %v", q.StartIndex, q.Count)
			}
		}},
		{"RFC 7644 §3.4.2.4 startIndex below 1 is 1", `startIndex=-4`, func(t *testing.T, q Query) {
			if q.StartIndex != 1 {
				t.Fatalf("startIndex %d", q.StartIndex)
			}
		}},
		{"RFC 7644 §3.4.2.4 startIndex 0 is 1", `startIndex=0`, func(t *testing.T, q Query) {
			if q.StartIndex != 1 {
				t.Fatalf("startIndex %d", q.StartIndex)
			}
		}},
		{"RFC 7644 §3.4.2.4 negative count is 0", `count=-5`, func(t *testing.T, q Query) {
			if q.Count == nil || *q.Count != 0 {
				t.Fatalf("count %v", q.Count)
			}
		}},
		{"RFC 7644 §3.9 comma-separated attributes", `attributes=userName,name.givenName&sortBy=name.familyName&sortOrder=DESCENDING`, func(t *testing.T, q Query) {
			eqJSON(t, q.Attributes, []string{"userName", "name.givenName"})
			if q.SortBy != "name.familyName" || q.SortOrder != SortDescending {
				t.Fatalf("sortBy %q sortOrder %q", q.SortBy, q.SortOrder)
			}
		}},
		{"parameter names in any case", `STARTINDEX=3&Count=7`, func(t *testing.T, q Query) {
			if q.StartIndex != 3 || *q.Count != 7 {
				t.Fatalf("startIndex %d count %v", q.StartIndex, q.Count)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			q, err := ParseQueryParams(v)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, q)
		})
	}
	errs := []struct {
		name, query, scimType string
	}{
		{"RFC 7644 §3.4.2.2 bad filter", `filter=userName+eq`, ScimTypeInvalidFilter},
		{"RFC 7644 §3.4.2.4 startIndex not an integer", `startIndex=one`, ScimTypeInvalidValue},
		{"RFC 7644 §3.4.2.4 count not an integer", `count=1.5`, ScimTypeInvalidValue},
		{"RFC 7644 §3.4.2.3 unknown sortOrder", `sortOrder=up`, ScimTypeInvalidValue},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := url.ParseQuery(tt.query)
			_, err := ParseQueryParams(v)
			wantError(t, err, tt.scimType)
		})
	}
}

func TestParseSearchRequest(t *testing.T) {
	// RFC 7644 §3.4.3, Figure 6.
	body := `{
     "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
     "attributes": ["displayName", "userName"],
     "filter": "displayName sw \"smith\"",
     "startIndex": 1,
     "count": 10
   }`
	q, err := ParseSearchRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := url.ParseQuery(`attributes=displayName,userName&filter=displayName+sw+%22smith%22&startIndex=1&count=10`)
	fromGet, err := ParseQueryParams(v)
	if err != nil {
		t.Fatal(err)
	}
	if q.Filter.String() != fromGet.Filter.String() || !slices.Equal(q.Attributes, fromGet.Attributes) || q.StartIndex != fromGet.StartIndex || *q.Count != *fromGet.Count {
		t.Fatalf("POST /.search %+v differs from GET %+v", q, fromGet)
	}

	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, q Query)
	}{
		{"RFC 7644 §3.4.3 excludedAttributes, sortBy and sortOrder", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"excludedAttributes":["members"],"sortBy":"displayName","sortOrder":"descending"}`, func(t *testing.T, q Query) {
			eqJSON(t, q.ExcludedAttributes, []string{"members"})
			if q.SortBy != "displayName" || q.SortOrder != SortDescending || q.StartIndex != 1 || q.Count != nil || !q.Filter.IsZero() {
				t.Fatalf("%+v", q)
			}
		}},
		{"RFC 7644 §3.4.2.4 startIndex 0 and count -1", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"startIndex":0,"count":-1}`, func(t *testing.T, q Query) {
			if q.StartIndex != 1 || *q.Count != 0 {
				t.Fatalf("%+v", q)
			}
		}},
		{"huge numbers are clamped", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"startIndex":1e30,"count":99999999999999999999999}`, func(t *testing.T, q Query) {
			if q.StartIndex < 1<<30 || *q.Count < 1<<30 {
				t.Fatalf("%+v", q)
			}
		}},
		{"attributes as a comma-separated string", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"attributes":"userName, emails"}`, func(t *testing.T, q Query) {
			eqJSON(t, q.Attributes, []string{"userName", "emails"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseSearchRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, q)
		})
	}
	errs := []struct{ name, body, scimType string }{
		{"RFC 7644 §3.4.3 not JSON", `{`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.4.3 missing SearchRequest schema", `{"filter":"userName pr"}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.4.3 attributes not strings", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"attributes":[1]}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.4.3 bad filter", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq"}`, ScimTypeInvalidFilter},
		{"RFC 7644 §3.4.3 fractional count", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"count":2.5}`, ScimTypeInvalidValue},
		{"RFC 7644 §3.4.3 bad sortOrder", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortOrder":"sideways"}`, ScimTypeInvalidValue},
		{"RFC 7644 §3.4.3 trailing data", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]} x`, ScimTypeInvalidSyntax},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSearchRequest([]byte(tt.body))
			wantError(t, err, tt.scimType)
		})
	}
}

func TestQueryValidate(t *testing.T) {
	q := Query{Filter: MustParseFilter(`userName eq "x"`), SortBy: "userName", Attributes: []string{"userName"}}
	if err := q.Validate(UserResourceType); err != nil {
		t.Fatal(err)
	}
	wantError(t, q.Validate(GroupResourceType), ScimTypeInvalidFilter)
	wantError(t, Query{SortBy: "nope"}.Validate(UserResourceType), ScimTypeInvalidValue)
	wantError(t, Query{Attributes: []string{"a[b"}}.Validate(UserResourceType), ScimTypeInvalidValue)
}

func TestPage(t *testing.T) {
	tests := []struct {
		name           string
		startIndex     int
		count          *int
		total, max     int
		wantLo, wantHi int
	}{
		{"RFC 7644 §3.4.2.4 defaults: everything", 1, nil, 10, 0, 0, 10},
		{"RFC 7644 §3.4.2.4 server page size applies without count", 1, nil, 10, 4, 0, 4},
		{"RFC 7644 §3.4.2.4 second page", 3, new(2), 10, 0, 2, 4},
		{"RFC 7644 §3.4.2.4 count larger than the cap", 1, new(100), 10, 5, 0, 5},
		{"RFC 7644 §3.4.2.4 count 0 returns no resources", 1, new(0), 10, 0, 0, 0},
		{"RFC 7644 §3.4.2.4 last partial page", 9, new(5), 10, 0, 8, 10},
		{"RFC 7644 §3.4.2.4 startIndex beyond the results", 11, new(5), 10, 0, 10, 10},
		{"RFC 7644 §3.4.2.4 startIndex below 1", -3, new(2), 10, 0, 0, 2},
		{"RFC 7644 §3.4.2.4 negative count", 1, new(-1), 10, 0, 0, 0},
		{"RFC 7644 §3.4.2.4 no results", 1, new(10), 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := Query{StartIndex: tt.startIndex, Count: tt.count}.Page(tt.total, tt.max)
			if lo != tt.wantLo || hi != tt.wantHi {
				t.Fatalf("Page = [%d, %d), want [%d, %d)", lo, hi, tt.wantLo, tt.wantHi)
			}
		})
	}
}

func ids(resources []map[string]any) []string {
	var out []string
	for _, r := range resources {
		out = append(out, r["id"].(string))
	}
	return out
}

func TestSorter(t *testing.T) {
	users := func() []map[string]any {
		return []map[string]any{
			js(t, `{"id":"1","userName":"bob","emails":[{"value":"z@x"},{"value":"a@x","primary":true}],"meta":{"created":"2011-01-01T00:00:00Z"}}`),
			js(t, `{"id":"2","userName":"Alice","emails":[{"value":"m@x"}],"meta":{"created":"2010-06-01T00:00:00+02:00"}}`),
			js(t, `{"id":"3","meta":{"created":"2012-01-01T00:00:00Z"}}`),
			js(t, `{"id":"4","userName":"carol","name":{"familyName":"Zed"},"meta":{"created":"2010-06-01T00:00:00Z"}}`),
			js(t, `{"id":"5","userName":"alice","name":{"familyName":"Abe"}}`),
		}
	}
	tests := []struct {
		name   string
		sortBy string
		order  string
		want   []string
	}{
		{"RFC 7644 §3.4.2.3 case-insensitive, missing last, stable ties", "userName", "", []string{"2", "5", "1", "4", "3"}},
		{"RFC 7644 §3.4.2.3 descending puts missing first", "userName", "descending", []string{"3", "4", "1", "2", "5"}},
		{"RFC 7644 §3.4.2.3 multi-valued sorts by the primary value", "emails.value", "ascending", []string{"1", "2", "3", "4", "5"}},
		{"RFC 7644 §3.4.2.3 complex attribute sorts by its value", "emails", "", []string{"1", "2", "3", "4", "5"}},
		{"RFC 7644 §3.4.2.3 dateTime sorts chronologically", "meta.created", "", []string{"2", "4", "1", "3", "5"}},
		{"RFC 7644 §3.4.2.3 sub-attribute", "name.familyName", "", []string{"5", "4", "1", "2", "3"}},
		{"RFC 7644 §3.4.2.3 caseExact id", "id", "descending", []string{"5", "4", "3", "2", "1"}},
		{"no sortBy keeps the storage order", "", "", []string{"1", "2", "3", "4", "5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSorter(UserResourceType, tt.sortBy, tt.order)
			if err != nil {
				t.Fatal(err)
			}
			list := users()
			s.Sort(list)
			if got := ids(list); !slices.Equal(got, tt.want) {
				t.Fatalf("order %v, want %v", got, tt.want)
			}
		})
	}
	errs := []struct{ name, sortBy, order string }{
		{"RFC 7644 §3.4.2.3 unknown attribute", "nope", ""},
		{"RFC 7644 §3.4.2.3 complex attribute without value", "name", ""},
		{"RFC 7644 §3.4.2.3 bad order", "userName", "random"},
		{"RFC 7643 §7 password cannot be sorted on", "password", ""},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSorter(UserResourceType, tt.sortBy, tt.order)
			wantError(t, err, ScimTypeInvalidValue)
		})
	}
}

func TestListResponse(t *testing.T) {
	tests := []struct {
		name string
		resp ListResponse
		want string
	}{
		{"RFC 7644 §3.4.2 a page", NewListResponse(2, 1, []map[string]any{{"id": "a"}}),
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":2,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"a"}]}`},
		{"Entra zero results: Resources is an empty array", NewListResponse(0, 1, nil),
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`},
		{"RFC 7644 §3.4.2.4 count=0 gives totalResults only", NewListResponse(57, 1, []map[string]any{}),
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":57,"startIndex":1,"itemsPerPage":0,"Resources":[]}`},
		{"RFC 7644 §3.4.2.4 startIndex is never below 1", NewListResponse(1, 0, nil),
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":0,"Resources":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.resp)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
