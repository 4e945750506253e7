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
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// specFields lists the json paths of a spec type, "name" for a field and
// "name.sub" for a field of a struct it holds (directly, by pointer or in a
// slice), with the field's type. One level of nesting is all SCIM has
// (RFC 7643 §2.3.8: sub-attributes have no sub-attributes).
func specFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		name := jsonName(f)
		out[name] = f.Type
		if elem := elemType(f.Type); elem.Kind() == reflect.Struct {
			for sub := range elem.Fields() {
				out[name+"."+jsonName(sub)] = sub.Type
			}
		}
	}
	return out
}

// elemType strips pointers and slices: the type of one value.
func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t
}

// schemaAttributes lists the paths of attributes and their sub-attributes.
func schemaAttributes(attrs []scim.Attribute) map[string]*scim.Attribute {
	out := map[string]*scim.Attribute{}
	for i := range attrs {
		a := &attrs[i]
		out[a.Name] = a
		for j := range a.SubAttributes {
			out[a.Name+"."+a.SubAttributes[j].Name] = &a.SubAttributes[j]
		}
	}
	return out
}

// TestSpecTypesMatchSchemas keeps the three lists of SCIM attributes in
// step: the schemas served by /Schemas (internal/scim, with the RFC 7643 §7
// characteristics that must stay explicit), the CRD spec types, and
// convert.go, which goes through the spec types' json tags. An attribute
// one side has and the other lacks fails, unless it is an exception below
// with its reason; an exception that no longer applies fails too.
func TestSpecTypesMatchSchemas(t *testing.T) {
	common := scim.CommonAttributes
	derived := "schema only: derived from the object, never stored in the spec (RFC 7643 §3, §3.1)"
	tenant := "spec only: the tenant, which the server sets from the URL"
	cases := []struct {
		name       string
		attrs      []scim.Attribute
		spec       reflect.Type
		exceptions map[string]string
	}{
		{
			name:  "User",
			attrs: slices.Concat(common, scim.UserSchema.Attributes),
			spec:  reflect.TypeFor[v1.ScimUserSpec](),
			exceptions: map[string]string{
				"schemas": derived, "id": derived, "meta": derived,
				specTenantKey: tenant,
				"password":    "schema only: writeOnly (RFC 7643 §4.1.1), accepted and never stored",
				specGroupsKey: "both, in two shapes: the spec stores group ids; SCIM groups is readOnly and rendered from the groups (RFC 7643 §4.1.2)",
				specEnterpriseKey: "spec only: the enterprise extension, which SCIM keys by its URN (RFC 7643 §3.3); " +
					"compared with its schema in the EnterpriseUser case",
			},
		},
		{
			name:  "EnterpriseUser",
			attrs: scim.EnterpriseUserSchema.Attributes,
			spec:  reflect.TypeFor[v1.ScimEnterpriseUser](),
			exceptions: map[string]string{
				"manager." + scimRefKey:        "schema only: stored as manager." + specManagerRefKey,
				"manager." + specManagerRefKey: "spec only: SCIM manager." + scimRefKey + ", spelled as a Kubernetes field",
			},
		},
		{
			name:  "Group",
			attrs: slices.Concat(common, scim.GroupSchema.Attributes),
			spec:  reflect.TypeFor[v1.ScimGroupSpec](),
			exceptions: map[string]string{
				"schemas": derived, "id": derived, "meta": derived,
				specTenantKey: tenant,
				membersKey:    "schema only: membership is stored on the members (ScimUser and ScimGroup spec.groups)",
				specGroupsKey: "spec only: the groups a group is a member of, shown as those groups' members (RFC 7643 §4.2)",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			schema, spec := schemaAttributes(c.attrs), specFields(c.spec)
			used := map[string]bool{}
			// excepted reports whether path, or the attribute it is a
			// sub-attribute of, is an exception.
			excepted := func(path string) bool {
				top, _, _ := strings.Cut(path, ".")
				for _, p := range []string{path, top} {
					if _, ok := c.exceptions[p]; ok {
						used[p] = true
						return true
					}
				}
				return false
			}
			for path, a := range schema {
				if excepted(path) {
					continue
				}
				ft, ok := spec[path]
				if !ok {
					t.Errorf("schema attribute %s has no field in %s", path, c.spec.Name())
					continue
				}
				checkFieldType(t, path, a, ft)
			}
			for path := range spec {
				if _, ok := schema[path]; !ok && !excepted(path) {
					t.Errorf("%s field %s is no attribute of the schema", c.spec.Name(), path)
				}
			}
			for p, reason := range c.exceptions {
				if !used[p] {
					t.Errorf("exception %s (%s) matches nothing: remove it", p, reason)
				}
			}
		})
	}
}

// checkFieldType checks that a spec field can hold the attribute's values.
func checkFieldType(t *testing.T, path string, a *scim.Attribute, ft reflect.Type) {
	t.Helper()
	if multi := ft.Kind() == reflect.Slice; multi != a.MultiValued {
		t.Errorf("%s: multiValued is %t in the schema, the field is %s", path, a.MultiValued, ft)
	}
	want := reflect.String
	switch a.Type {
	case scim.TypeComplex:
		want = reflect.Struct
	case scim.TypeBoolean:
		want = reflect.Bool
	}
	if got := elemType(ft).Kind(); got != want {
		t.Errorf("%s: a %s attribute in a %s field", path, a.Type, ft)
	}
}

// schemaValue is a valid value for attribute a at path, distinct per path.
func schemaValue(a *scim.Attribute, path string) any {
	var v any
	switch a.Type {
	case scim.TypeComplex:
		m := map[string]any{}
		for i := range a.SubAttributes {
			sub := &a.SubAttributes[i]
			m[sub.Name] = schemaValue(sub, path+"."+sub.Name)
		}
		v = m
	case scim.TypeBoolean:
		v = true
	case scim.TypeBinary:
		v = base64.StdEncoding.EncodeToString([]byte(path))
	default:
		v = "v-" + path
	}
	if a.MultiValued {
		return []any{v}
	}
	return v
}

// TestUserRoundTripsEverySchemaAttribute writes a User with every attribute
// and sub-attribute the schemas let a client write, and reads it back: each
// must survive the spec.
func TestUserRoundTripsEverySchemaAttribute(t *testing.T) {
	body := map[string]any{}
	writable := func(a *scim.Attribute) bool {
		return a.EffectiveMutability() != scim.MutabilityReadOnly && a.EffectiveReturned() != scim.ReturnedNever
	}
	for i := range scim.UserSchema.Attributes {
		if a := &scim.UserSchema.Attributes[i]; writable(a) {
			body[a.Name] = schemaValue(a, a.Name)
		}
	}
	ext := map[string]any{}
	for i := range scim.EnterpriseUserSchema.Attributes {
		a := &scim.EnterpriseUserSchema.Attributes[i]
		ext[a.Name] = schemaValue(a, a.Name)
	}
	body[scim.EnterpriseUserSchemaURN] = ext
	body["externalId"] = "v-externalId"

	res, err := scim.Normalize(scim.UserResourceType, body)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := userSpecFromResource(res)
	if err != nil {
		t.Fatal(err)
	}
	u := &v1.ScimUser{ObjectMeta: metav1.ObjectMeta{Name: "u1", ResourceVersion: "1"}, Spec: spec}
	out, err := userResource(u, nil, "https://scim.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schemas", "id", "meta"} {
		delete(out, k)
	}
	if !reflect.DeepEqual(out, res) {
		t.Fatalf("round trip lost or changed attributes:\nwrote %v\nread  %v", res, out)
	}
}

func TestUserSpecFromResource(t *testing.T) {
	tests := []struct {
		name string
		res  map[string]any
		want v1.ScimUserSpec
	}{
		{
			name: "userName trimmed, active absent when absent, empty lists and objects unassigned (RFC 7643 §2.5)",
			res:  map[string]any{"userName": " bjensen ", "emails": []any{}, "name": map[string]any{}, scim.EnterpriseUserSchemaURN: map[string]any{}},
			want: v1.ScimUserSpec{UserName: "bjensen"},
		},
		{
			name: "a manager named by displayName alone is no manager (RFC 7643 §4.3)",
			res: map[string]any{"userName": "u", "active": false, scim.EnterpriseUserSchemaURN: map[string]any{
				"department": "d", "manager": map[string]any{"displayName": "Boss"}}},
			want: v1.ScimUserSpec{UserName: "u", Active: new(false), Enterprise: &v1.ScimEnterpriseUser{Department: "d"}},
		},
		{
			name: "manager $ref is stored as ref",
			res: map[string]any{"userName": "u", scim.EnterpriseUserSchemaURN: map[string]any{
				"manager": map[string]any{"$ref": "../Users/m"}}},
			want: v1.ScimUserSpec{UserName: "u", Enterprise: &v1.ScimEnterpriseUser{Manager: &v1.ScimManager{Ref: "../Users/m"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := userSpecFromResource(tt.res)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestUserSpecFromResourceRefuses(t *testing.T) {
	tests := []struct {
		res    map[string]any
		detail string
	}{
		{map[string]any{"userName": "  "}, "userName is required"},
		{map[string]any{"userName": "u", "roles": []any{map[string]any{"value": "r"}, map[string]any{"type": "t"}}}, "roles[1].value is required"},
	}
	for _, tt := range tests {
		_, err := userSpecFromResource(tt.res)
		if se := scim.AsError(err); se.Status != 400 || se.ScimType != scim.ScimTypeInvalidValue || se.Detail != tt.detail {
			t.Errorf("%v: got %v, want 400 invalidValue %q", tt.res, err, tt.detail)
		}
	}
}

func TestUserResource(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	u := &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Name: "u1", ResourceVersion: "42", CreationTimestamp: metav1.NewTime(created)},
		Spec: v1.ScimUserSpec{
			IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"},
			UserName:          "bjensen",
			Groups:            []string{"g1"},
			Enterprise:        &v1.ScimEnterpriseUser{Manager: &v1.ScimManager{Value: "m", Ref: "../Users/m"}},
		},
	}
	got, err := userResource(u, []groupRef{{ID: "g1", DisplayName: "Tour Guides", Type: groupDirect}}, "https://x/scim/v2/ns/okta")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"schemas":  []any{scim.UserSchemaURN, scim.EnterpriseUserSchemaURN},
		"id":       "u1",
		"userName": "bjensen",
		// active unset: absent, as written (it counts as active for Lightrun).
		"groups": []any{map[string]any{
			"value": "g1", "$ref": "https://x/scim/v2/ns/okta/Groups/g1", "display": "Tour Guides", "type": "direct",
		}},
		scim.EnterpriseUserSchemaURN: map[string]any{"manager": map[string]any{"value": "m", "$ref": "../Users/m"}},
		"meta": map[string]any{
			"resourceType": "User", "created": "2026-01-02T03:04:05Z", "lastModified": "2026-01-02T03:04:05Z",
			"location": "https://x/scim/v2/ns/okta/Users/u1", "version": `W/"42"`,
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}

	// Changed since: lastModified is the object's, else the annotation
	// of earlier versions.
	u.Annotations = map[string]string{store.AnnotationLastModified: "2026-02-01T00:00:00.5Z"}
	for _, c := range []struct {
		set  *metav1.MicroTime
		want string
	}{
		{nil, "2026-02-01T00:00:00.5Z"},
		{&metav1.MicroTime{Time: time.Date(2026, 3, 1, 9, 30, 0, 250000000, time.UTC)}, "2026-03-01T09:30:00.25Z"},
	} {
		u.LastModified = c.set
		got, err := userResource(u, nil, "https://x/scim/v2/ns/okta")
		if err != nil {
			t.Fatal(err)
		}
		if lm := got["meta"].(map[string]any)["lastModified"]; lm != c.want {
			t.Errorf("lastModified %v, want %s", lm, c.want)
		}
	}
}

func TestGroupRoundTrip(t *testing.T) {
	// "groups" is not a Group attribute: a body cannot set the groups a
	// group is a member of, which only its parents' members change.
	res := map[string]any{"displayName": "Tour Guides", "externalId": "e1", "members": []any{map[string]any{"value": "u1"}}, "groups": []any{"p1"}}
	spec, err := groupSpecFromResource(res)
	if err != nil {
		t.Fatal(err)
	}
	if want := (v1.ScimGroupSpec{DisplayName: "Tour Guides", ExternalID: "e1"}); !reflect.DeepEqual(spec, want) {
		t.Fatalf("got %+v, want %+v", spec, want)
	}
	spec.IdentityConfigRef = v1.IdentityConfigReference{Name: "okta"}
	spec.Groups = []string{"p1"}
	members := []memberRef{{ID: "u1", Type: scim.UserResourceTypeName}, {ID: "g2", Display: "Guides", Type: scim.GroupResourceTypeName}}
	out, err := groupResource(&v1.ScimGroup{ObjectMeta: metav1.ObjectMeta{Name: "g1"}, Spec: spec}, members, "https://x")
	if err != nil {
		t.Fatal(err)
	}
	delete(out, "meta")
	want := map[string]any{
		"schemas": []any{scim.GroupSchemaURN}, "id": "g1", "displayName": "Tour Guides", "externalId": "e1",
		"members": []any{
			map[string]any{"value": "u1", "$ref": "https://x/Users/u1", "type": "User"},
			map[string]any{"value": "g2", "$ref": "https://x/Groups/g2", "type": "Group", "display": "Guides"},
		},
	}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("got  %v\nwant %v", out, want)
	}
	if _, err := groupSpecFromResource(map[string]any{"externalId": "e1"}); scim.AsError(err).Detail != "displayName is required" {
		t.Fatalf("a group without displayName: %v", err)
	}
}

// BenchmarkUserResource measures rendering one ScimUser, which an
// unindexed filter does for every candidate (see docs/benchmarks.md).
func BenchmarkUserResource(b *testing.B) {
	u := &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Name: "u-0000001", ResourceVersion: "7"},
		Spec: v1.ScimUserSpec{
			IdentityConfigRef: v1.IdentityConfigReference{Name: "idp"},
			UserName:          "user-1@example.com",
			Active:            new(true),
			DisplayName:       "User One",
			Name:              &v1.ScimName{GivenName: "User", FamilyName: "One"},
			Emails:            []v1.ScimMultiValue{{Value: "user-1@example.com", Type: "work", Primary: new(true)}},
		},
	}
	for b.Loop() {
		if _, err := userResource(u, nil, "https://scim.example.com/scim/v2/ns/idp"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListPage renders and encodes a list page of 100 users as GET
// /Users?startIndex=…&count=100 answers it, without the store: what a page
// allocates sets how often the manager collects its heap of 100,000 users
// while an IdP pages through them (docs/benchmarks.md).
func BenchmarkListPage(b *testing.B) {
	users := make([]*v1.ScimUser, 100)
	for i := range users {
		email := fmt.Sprintf("bench.user%07d@example.com", i)
		users[i] = &v1.ScimUser{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("u-%07d", i), ResourceVersion: "7"},
			Spec: v1.ScimUserSpec{
				IdentityConfigRef: v1.IdentityConfigReference{Name: "idp"},
				UserName:          email,
				ExternalID:        fmt.Sprintf("00u%017d", i),
				Active:            new(true),
				DisplayName:       "User One",
				Name:              &v1.ScimName{GivenName: "User", FamilyName: "One", Formatted: "User One"},
				Emails:            []v1.ScimMultiValue{{Value: email, Type: "work", Primary: new(true)}},
				Enterprise:        &v1.ScimEnterpriseUser{EmployeeNumber: fmt.Sprint(1000 + i), Department: "Engineering"},
			},
		}
	}
	attrs, err := scim.NewAttributeSet(scim.UserResourceType, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	l := (&Server{}).userLister()
	r := &request{baseURL: "https://scim.example.com/scim/v2/ns/idp"}
	b.ReportAllocs()
	for b.Loop() {
		page, err := renderPage(r, l, users, attrs)
		if err != nil {
			b.Fatal(err)
		}
		writeJSON(httptest.NewRecorder(), 200, scim.ListResponse{TotalResults: 100_000, StartIndex: 1, Resources: page})
	}
}

// BenchmarkGetUserRequest serves the lookups an IdP makes (GET /Users/{id},
// and the userName, externalId and email filters) through the whole
// handler (authentication, routing, filter parsing, rendering, projection,
// encoding) over the in-memory store: what one lookup allocates besides
// the store's own work.
func BenchmarkGetUserRequest(b *testing.B) {
	s, st := newFakeServer(Options{RateLimit: 1e9, RateBurst: 1e9})
	email := "bench.user0000001@example.com"
	u, err := st.CreateUser(b.Context(), store.Tenant{Namespace: "ns", IdentityConfig: "ic"}, &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{ResourceVersion: "7"},
		Spec: v1.ScimUserSpec{
			IdentityConfigRef: v1.IdentityConfigReference{Name: "ic"},
			UserName:          email,
			ExternalID:        "00u00000000000000001",
			Active:            new(true),
			DisplayName:       "User One",
			Name:              &v1.ScimName{GivenName: "User", FamilyName: "One", Formatted: "User One"},
			Emails:            []v1.ScimMultiValue{{Value: email, Type: "work", Primary: new(true)}},
			Enterprise:        &v1.ScimEnterpriseUser{EmployeeNumber: "1001", Department: "Engineering"},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range []struct{ name, path string }{
		{"id", "/Users/" + u.Name},
		{"userName eq", "/Users?filter=" + url.QueryEscape(`userName eq "`+email+`"`)},
		{"externalId eq", "/Users?filter=" + url.QueryEscape(`externalId eq "00u00000000000000001"`)},
		{"emails value eq", "/Users?filter=" + url.QueryEscape(`emails[type eq "work"].value eq "`+email+`"`)},
	} {
		b.Run(l.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if w := serve(s, http.MethodGet, l.path, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), u.Name) {
					b.Fatalf("GET %s: %d %s", l.path, w.Code, w.Body)
				}
			}
		})
	}
}

// TestWithJSONMatchesMarshal: bodies encoded into pooled buffers are the
// bytes json.Marshal gives (no trailing newline, HTML characters escaped),
// and a buffer reused for a shorter value keeps nothing of the longer one.
func TestWithJSONMatchesMarshal(t *testing.T) {
	for _, v := range []any{
		map[string]any{"displayName": "<Admins> & \u2028co", "members": []any{map[string]any{"value": "1"}}},
		scim.ListResponse{TotalResults: 1, StartIndex: 1, Resources: []map[string]any{{"id": "a"}}},
		"x",
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		if err := withJSON(v, func(data []byte) error { got = bytes.Clone(data); return nil }); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("withJSON gave %q, json.Marshal %q", got, want)
		}
		w := httptest.NewRecorder()
		writeJSON(w, http.StatusOK, v)
		if !bytes.Equal(w.Body.Bytes(), want) || w.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Fatalf("writeJSON wrote %q (Content-Length %s), want %q", w.Body.Bytes(), w.Header().Get("Content-Length"), want)
		}
	}
	if err := withJSON(make(chan int), func([]byte) error { t.Fatal("use called after an encoding error"); return nil }); err == nil {
		t.Fatal("a value JSON cannot encode gave no error")
	}
	w := httptest.NewRecorder()
	writeJSON(w, http.StatusOK, make(chan int))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("an unencodable body: status %d, want 500", w.Code)
	}
}
