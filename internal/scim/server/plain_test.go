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
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// viaJSON is what plainValue must give: v encoded and decoded into an any.
func viaJSON(t testing.TB, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkPlain holds plainValue to the JSON round trip for v; it reports
// whether plainValue took v itself.
func checkPlain(t testing.TB, v any) bool {
	t.Helper()
	got, ok := plainValue(reflect.ValueOf(v))
	if !ok {
		return false
	}
	if want := viaJSON(t, v); !reflect.DeepEqual(got, want) {
		t.Fatalf("plainValue(%T) = %#v, the JSON round trip gives %#v", v, got, want)
	}
	return true
}

// fullUserSpec sets every field of a ScimUserSpec.
func fullUserSpec() v1.ScimUserSpec {
	return v1.ScimUserSpec{
		IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"},
		UserName:          "bjensen@example.com", ExternalID: "00u1", DisplayName: "Babs <Jensen> & co",
		Name:     &v1.ScimName{Formatted: "Ms. Barbara J Jensen, III", FamilyName: "Jensen", GivenName: "Barbara", MiddleName: "Jane", HonorificPrefix: "Ms.", HonorificSuffix: "III"},
		NickName: "Babs", ProfileURL: "https://login.example.com/bjensen", Title: "Tour Guide", UserType: "Employee",
		PreferredLanguage: "en-US", Locale: "en-US", Timezone: "America/Los_Angeles", Active: new(false),
		Emails:           []v1.ScimMultiValue{{Value: "bjensen@example.com", Type: "work", Primary: new(true)}, {Value: "babs@jensen.org", Type: "home", Display: "home"}},
		PhoneNumbers:     []v1.ScimMultiValue{{Value: "tel:+1-201-555-0123", Type: "work"}},
		Addresses:        []v1.ScimAddress{{StreetAddress: "100 Universal City Plaza", Locality: "Hollywood", Region: "CA", PostalCode: "91608", Country: "US", Type: "work", Primary: new(true)}, {}},
		IMs:              []v1.ScimMultiValue{{Value: "someaimhandle", Type: "aim"}},
		Photos:           []v1.ScimMultiValue{{Value: "https://photos.example.com/profilephoto/72930000000Ccne/F", Type: "photo"}},
		Entitlements:     []v1.ScimMultiValue{{Value: "lightrun-user"}},
		Roles:            []v1.ScimMultiValue{{Value: "developer", Primary: new(false)}},
		X509Certificates: []v1.ScimMultiValue{{Value: "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}},
		Groups:           []string{"g1", "g2"},
		Enterprise: &v1.ScimEnterpriseUser{EmployeeNumber: "701984", CostCenter: "4130", Organization: "Universal Studios", Division: "Theme Park", Department: "Tour Operations",
			Manager: &v1.ScimManager{Value: "26118915-6090-4610-87e4-49d8ca9f808d", Ref: "../Users/26118915", DisplayName: "John Smith"}},
	}
}

// The specs the endpoint renders take the direct path, and it gives what
// the JSON round trip gives: with every field set, with none, and with
// empty-but-present values.
func TestPlainValueOfSpecs(t *testing.T) {
	for _, spec := range []any{
		fullUserSpec(),
		v1.ScimUserSpec{},
		v1.ScimUserSpec{Name: &v1.ScimName{}, Emails: []v1.ScimMultiValue{}, Enterprise: &v1.ScimEnterpriseUser{Manager: &v1.ScimManager{}}, Active: new(true)},
		v1.ScimGroupSpec{IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"}, DisplayName: "Admins", ExternalID: "x", Groups: []string{"parent"}},
		v1.ScimGroupSpec{},
	} {
		if !checkPlain(t, spec) {
			t.Errorf("%T took the JSON path: a field type plainValue does not cover was added to it", spec)
		}
	}
}

// Kinds the spec types do not use today, which plainValue takes as the
// round trip does: numbers become float64s, a nil list null, an empty one [].
func TestPlainValueOfOtherKinds(t *testing.T) {
	type kinds struct {
		N        int64    `json:"n"`
		U        uint16   `json:"u,omitempty"`
		B        bool     `json:"b,omitempty"`
		F        bool     `json:"f"`
		Nil      []string `json:"nil"`
		Empty    []string `json:"empty"`
		P        *int32   `json:"p"`
		Untagged string
		Skipped  string `json:"-"`
		hidden   string
	}
	for _, v := range []kinds{
		{N: 1<<53 + 1, U: 7, B: true, Empty: []string{}, P: new(int32(-3)), Untagged: "x", Skipped: "y", hidden: "z"},
		{},
	} {
		if !checkPlain(t, v) {
			t.Errorf("plainValue declined %#v", v)
		}
	}
}

// What plainValue leaves to encoding/json.
func TestPlainValueDeclines(t *testing.T) {
	type withMap struct {
		M map[string]string `json:"m"`
	}
	type withStringOption struct {
		N int `json:"n,string"`
	}
	type embedded struct{ A string }
	type withEmbedded struct {
		embedded
		B string
	}
	type oddName struct {
		A string `json:"a.b"`
	}
	for _, v := range []any{
		oddName{A: "x"},
		withMap{M: map[string]string{"a": "b"}},
		withStringOption{N: 1},
		withEmbedded{embedded{A: "a"}, "b"},
		metav1.Now(),                // a marshaller of its own
		struct{ F float64 }{F: 0.1}, // floats
		struct{ B []byte }{B: []byte("x")},
		v1.ScimUserSpec{DisplayName: "not UTF-8: \xff"},
	} {
		if _, ok := plainValue(reflect.ValueOf(v)); ok {
			t.Errorf("plainValue took %#v", v)
		}
	}
	// Two fields of one name (made at run time: go vet refuses the tags).
	repeated := reflect.New(reflect.StructOf([]reflect.StructField{
		{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"a"`},
		{Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"a"`},
	})).Elem()
	if _, ok := plainValue(repeated); ok {
		t.Error("plainValue took a struct with a repeated field name")
	}
	// resourceFromSpec still renders such a value, through the JSON path.
	res, err := resourceFromSpec(v1.ScimUserSpec{DisplayName: "not UTF-8: \xff"})
	if err != nil || res["displayName"] != "not UTF-8: \uFFFD" {
		t.Fatalf("resourceFromSpec = %v, %v", res, err)
	}
}

// FuzzPlainValue holds plainValue to the JSON round trip for specs of any
// shape: the fuzzer's bytes decoded into a ScimUserSpec or ScimGroupSpec,
// with a raw string (not necessarily UTF-8) put in a few fields.
func FuzzPlainValue(f *testing.F) {
	full, err := json.Marshal(fullUserSpec())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full, "raw")
	f.Add([]byte(`{"userName":"a","emails":[{"value":"a@example.com","primary":false},{}],"active":true,"name":{}}`), "\xff\xfe")
	f.Add([]byte(`{"displayName":"G","groups":[],"externalId":""}`), "")
	f.Fuzz(func(t *testing.T, data []byte, raw string) {
		var user v1.ScimUserSpec
		if json.Unmarshal(data, &user) == nil {
			checkPlain(t, user)
			user.DisplayName, user.Title = raw, raw
			if user.Name != nil {
				user.Name.GivenName = raw
			}
			if len(user.Emails) > 0 {
				user.Emails[0].Value = raw
			}
			checkPlain(t, user)
		}
		var group v1.ScimGroupSpec
		if json.Unmarshal(data, &group) == nil {
			checkPlain(t, group)
			group.DisplayName = raw
			checkPlain(t, group)
		}
	})
}
