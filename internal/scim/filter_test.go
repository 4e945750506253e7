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
	"strings"
	"testing"
)

func TestParseFilterSyntax(t *testing.T) {
	valid := []struct{ name, filter string }{
		{"RFC 7644 §3.4.2.2 eq", `userName eq "bjensen"`},
		{"RFC 7644 §3.4.2.2 sub-attribute co", `name.familyName co "O'Malley"`},
		{"RFC 7644 §3.4.2.2 sw", `userName sw "J"`},
		{"RFC 7644 §3.4.2.2 URN-prefixed", `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`},
		{"RFC 7644 §3.4.2.2 pr", `title pr`},
		{"RFC 7644 §3.4.2.2 gt dateTime", `meta.lastModified gt "2011-05-13T04:42:34Z"`},
		{"RFC 7644 §3.4.2.2 and", `title pr and userType eq "Employee"`},
		{"RFC 7644 §3.4.2.2 or", `title pr or userType eq "Intern"`},
		{"RFC 7644 §3.4.2.2 grouping", `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`},
		{"RFC 7644 §3.4.2.2 not", `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`},
		{"RFC 7644 §3.4.2.2 value path", `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`},
		{"RFC 7644 §3.4.2.2 value paths joined by or", `emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`},
		{"RFC 7644 §3.4.2.2 operators are case-insensitive", `userName EQ "a" AND title Pr`},
		{"RFC 7644 §3.4.2.2 compValue true/false/null/number", `active eq true or active eq false or title eq null or x eq 1.5e3`},
		{"RFC 7644 §3.4.2.2 valFilter with three terms", `members[value eq "a" or value eq "b" or value eq "c"]`},
		{"RFC 7644 §3.4.2.2 valFilter with grouping", `emails[type eq "work" and (value co "a" or value co "b")]`},
		{"RFC 7644 §3.4.2.2 valFilter with not", `emails[not (type eq "work")]`},
		{"RFC 7159 §7 escaped quote in literal", `displayName eq "a\"b"`},
		{"RFC 7159 §7 lowercase unicode escape", `displayName eq "caf\u00e9"`},
		{"RFC 7159 §7 brackets inside a literal", `displayName eq "a[b]c" and emails[value eq "]["]`},
		{"Entra emails[type eq work].value eq", `emails[type eq "work"].value eq "x@example.com"`},
		{"Entra form inside and/or", `userName eq "a" or emails[type eq "work"].value eq "x" and active eq true`},
		{"Entra form inside not", `not(emails[type eq "work"].value eq "x")`},
		{"Entra form with pr", `emails[type eq "work"].value pr`},
		{"Entra form in grouping", `(emails[type eq "work"].value sw "x")`},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter(%s): %v", tt.filter, err)
			}
			if f.String() != tt.filter || f.IsZero() {
				t.Fatalf("String() = %q", f.String())
			}
		})
	}
	invalid := []struct{ name, filter string }{
		{"RFC 7644 §3.4.2.2 empty", ``},
		{"RFC 7644 §3.4.2.2 blank", `   `},
		{"RFC 7644 §3.4.2.2 missing value", `userName eq`},
		{"RFC 7644 §3.4.2.2 unknown operator", `userName xx "a"`},
		{"RFC 7644 §3.4.2.2 dangling and", `userName eq "a" and`},
		{"RFC 7644 §3.4.2.2 unbalanced parenthesis", `(userName eq "a"`},
		{"RFC 7644 §3.4.2.2 unterminated literal", `userName eq "a`},
		{"RFC 7159 §7 invalid escape", `userName eq "a\x"`},
		{"RFC 7159 §7 raw control character", "userName eq \"a\tb\""},
		{"RFC 7644 §3.4.2.2 unclosed bracket", `emails[type eq "work"`},
		{"RFC 7644 §3.4.2.2 stray bracket", `emails] eq "a"`},
		{"RFC 7644 §3.4.2.2 bracket without attribute", `[type eq "work"]`},
		{"RFC 7643 §2.3.8 nested value paths", `emails[type eq "a" and x[y eq "b"]]`},
		{"RFC 7644 §3.4.2.2 value path followed by sub-attribute alone", `emails[type eq "work"].value`},
		{"RFC 7644 §3.4.2.2 value path sub-attribute with bad operator", `emails[type eq "work"].value xx "a"`},
		{"RFC 7644 §3.4.2.2 value path sub-attribute without value", `emails[type eq "work"].value eq`},
		{"RFC 7644 §3.4.2.2 URN inside brackets", `emails[urn:ietf:params:scim:schemas:core:2.0:User:emails.type eq "work"]`},
		{"RFC 7644 §3.4.2.2 sub-attribute inside brackets", `emails[type.x eq "work"]`},
		{"RFC 7644 §3.4.2.2 value filter on a sub-attribute", `name.givenName[value eq "x"]`},
		{"placeholder name cannot be smuggled in", `scimvaluepathplaceholder0 pr`},
		{"too deep", strings.Repeat("(", 40) + `title pr` + strings.Repeat(")", 40)},
		{"too long", `userName eq "` + strings.Repeat("a", MaxFilterLength) + `"`},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFilter(tt.filter)
			wantError(t, err, ScimTypeInvalidFilter)
		})
	}
}

func TestFilterMatchUser(t *testing.T) {
	user := fixture(t, "rfc7643_user_full.json")
	tests := []struct {
		name   string
		filter string
		want   bool
	}{
		{"RFC 7644 §3.4.2.2 eq", `userName eq "bjensen@example.com"`, true},
		{"RFC 7643 §4.1.1 userName caseExact false", `userName eq "BJensen@Example.COM"`, true},
		{"RFC 7643 §2.1 attribute names case-insensitive", `USERNAME eq "bjensen@example.com"`, true},
		{"RFC 7644 §3.4.2.2 co on sub-attribute, no match", `name.familyName co "O'Malley"`, false},
		{"RFC 7644 §3.4.2.2 co on sub-attribute", `name.familyName co "ENS"`, true},
		{"RFC 7644 §3.4.2.2 sw", `userName sw "J"`, false},
		{"RFC 7644 §3.4.2.2 sw match", `userName sw "bJ"`, true},
		{"RFC 7644 §3.4.2.2 ew", `name.givenName ew "ARA"`, true},
		{"RFC 7644 §3.4.2.2 URN-prefixed core attribute", `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "BJ"`, true},
		{"RFC 7644 §3.4.2.2 pr", `title pr`, true},
		{"RFC 7644 §3.4.2.2 pr on absent attribute", `entitlements pr`, false},
		{"RFC 7644 §3.4.2.2 pr on complex attribute", `name pr`, true},
		{"RFC 7644 §3.4.2.2 dateTime gt is chronological (equal)", `meta.lastModified gt "2011-05-13T04:42:34Z"`, false},
		{"RFC 7644 §3.4.2.2 dateTime ge", `meta.lastModified ge "2011-05-13T04:42:34Z"`, true},
		{"RFC 7644 §3.4.2.2 dateTime lt", `meta.lastModified lt "2011-05-13T04:42:35Z"`, true},
		{"RFC 7644 §3.4.2.2 dateTime le earlier", `meta.lastModified le "2011-05-13T04:42:33.999Z"`, false},
		{"RFC 7644 §3.4.2.2 dateTime eq across zones", `meta.lastModified eq "2011-05-13T06:42:34+02:00"`, true},
		{"RFC 7644 §3.4.2.2 dateTime gt with fraction", `meta.created gt "2010-01-23T04:56:21.5Z"`, true},
		{"RFC 7644 §3.4.2.2 and", `title pr and userType eq "Employee"`, true},
		{"RFC 7644 §3.4.2.2 or", `title pr or userType eq "Intern"`, true},
		{"RFC 7644 §3.4.2.2 schemas eq", `schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, true},
		{"RFC 7644 §3.4.2.2 emails co means emails.value", `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`, true},
		{"RFC 7644 §3.4.2.2 not", `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`, false},
		{"RFC 7644 §3.4.2.2 not alone", `not (emails co "example.org")`, true},
		{"RFC 7644 §3.4.2.2 grouping", `userType eq "Employee" and (emails.type eq "work")`, true},
		{"RFC 7644 §3.4.2.2 value path", `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`, true},
		{"RFC 7644 §3.4.2.2 value paths or", `emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`, true},
		{"RFC 7644 §3.4.2.2 value path binds sub-attributes to one value", `emails[type eq "home" and value co "@example.com"]`, false},
		{"RFC 7644 §3.4.2.2 without value path values may differ", `emails.type eq "home" and emails.value co "@example.com"`, true},
		{"RFC 7644 §3.4.2.2 multi-valued matches when any value matches", `emails.value eq "babs@jensen.org"`, true},
		{"RFC 7644 §3.4.2.2 valFilter not", `emails[not (type eq "work")]`, true},
		{"RFC 7644 §3.4.2.2 valFilter of three terms", `emails[type eq "other" or type eq "pager" or type eq "home"]`, true},
		{"RFC 7644 §3.4.2.2 valFilter with grouping", `emails[type eq "work" and (value ew ".org" or value sw "bjensen")]`, true},
		{"Entra emails[type eq work].value eq", `emails[type eq "work"].value eq "BJENSEN@example.com"`, true},
		{"Entra form binds to the filtered value", `emails[type eq "home"].value eq "bjensen@example.com"`, false},
		{"Entra form under not", `not(emails[type eq "work"].value eq "x")`, true},
		{"Entra form under or/and", `userName eq "nobody" or emails[type eq "work"].value eq "bjensen@example.com" and active eq true`, true},
		{"Entra form with pr", `emails[type eq "work"].value pr`, true},
		{"RFC 7643 §3.1 id is caseExact", `id eq "2819C223-7F76-453A-919D-413861904646"`, false},
		{"RFC 7643 §3.1 id", `id eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{"RFC 7643 §3.1 externalId caseExact", `externalId eq "701984"`, true},
		{"RFC 7644 §3.4.2.2 boolean eq", `active eq true`, true},
		{"RFC 7644 §3.4.2.2 boolean eq false", `active eq false`, false},
		{"RFC 7644 §3.4.2.2 boolean ne", `active ne false`, true},
		{"RFC 7643 §4.3 extension sub-attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{"RFC 7643 §4.3 extension attribute caseExact false", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour OPERATIONS"`, true},
		{"RFC 7644 §3.4.2.2 complex attribute compares its value", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{"RFC 7644 §3.4.2.2 string gt is lexicographic", `userName gt "a"`, true},
		{"RFC 7644 §3.4.2.2 string lt is lexicographic", `userName lt "B"`, false},
		{"RFC 7644 §3.4.2.2 eq null on absent attribute", `entitlements eq null`, true},
		{"RFC 7644 §3.4.2.2 eq null on present attribute", `title eq null`, false},
		{"RFC 7644 §3.4.2.2 ne null", `nickName ne null`, true},
		{"RFC 7644 §3.4.2.2 ne on absent attribute", `entitlements.value ne "x"`, true},
		{"RFC 7643 §2.3.6 binary eq", `x509Certificates.value eq "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"`, true},
		{"RFC 7643 §4.1.2 groups readOnly but filterable", `groups.display eq "employees"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Validate(UserResourceType); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := f.Match(UserResourceType, user); got != tt.want {
				t.Fatalf("Match(%s) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}

func TestFilterMatchEdgeValues(t *testing.T) {
	tests := []struct {
		name   string
		rt     ResourceType
		res    string
		filter string
		want   bool
	}{
		{"RFC 7644 §3.4.2.2 pr: empty string is not present", UserResourceType, `{"title": ""}`, `title pr`, false},
		{"RFC 7643 §2.5 pr: null is not present", UserResourceType, `{"title": null}`, `title pr`, false},
		{"RFC 7643 §2.5 pr: empty array is not present", UserResourceType, `{"emails": []}`, `emails pr`, false},
		{"RFC 7644 §3.4.2.2 pr: complex node with only empty values", UserResourceType, `{"name": {"givenName": ""}}`, `name pr`, false},
		{"RFC 7644 §3.4.2.2 pr: sub-attribute of any value", UserResourceType, `{"emails": [{"type": "work"}, {"value": "a@b"}]}`, `emails.value pr`, true},
		{"RFC 7644 §3.4.2.2 ne on absent single attribute", UserResourceType, `{"userName": "a"}`, `userType ne "Intern"`, true},
		{"RFC 7644 §3.4.2.2 ne on multi-valued: any value differs", UserResourceType, `{"emails": [{"value": "a"}, {"value": "b"}]}`, `emails.value ne "a"`, true},
		{"RFC 7643 §2.1 stored keys in another case", UserResourceType, `{"UserName": "bjensen", "Emails": [{"Value": "x@y", "Type": "work"}]}`, `userName eq "bjensen" and emails[type eq "work"].value eq "x@y"`, true},
		{"RFC 7159 §7 escaped quote matches unescaped value", GroupResourceType, `{"displayName": "a\"b"}`, `displayName eq "a\"b"`, true},
		{"RFC 7159 §7 escaped quote does not match the escape", GroupResourceType, `{"displayName": "a\\\"b"}`, `displayName eq "a\"b"`, false},
		{"RFC 7159 §7 lowercase unicode escape", GroupResourceType, `{"displayName": "café"}`, `displayName eq "caf\u00e9"`, true},
		{"RFC 7159 §7 uppercase unicode escape", GroupResourceType, `{"displayName": "CAFÉ"}`, `displayName eq "caf\u00E9"`, true},
		{"RFC 7159 §7 escaped backslash", GroupResourceType, `{"displayName": "a\\b"}`, `displayName eq "a\\b"`, true},
		{"RFC 7643 §4.2 members value path", GroupResourceType, `{"members": [{"value": "m1"}, {"value": "m2"}]}`, `members[value eq "m2"]`, true},
		{"RFC 7643 §4.2 members eq means members.value", GroupResourceType, `{"members": [{"value": "m1"}]}`, `members eq "m1"`, true},
		{"RFC 7643 §4.2 no members", GroupResourceType, `{"displayName": "g"}`, `members[value eq "m1"]`, false},
		{"RFC 7643 §4.2 displayName caseExact false", GroupResourceType, `{"displayName": "Tour Guides"}`, `displayName eq "tour guides"`, true},
		{"Entra string boolean stored as-is still filters", UserResourceType, `{"active": "False"}`, `active eq false`, true},
		{"RFC 7644 §3.4.2.2 wrong stored type never matches", UserResourceType, `{"active": 1}`, `active eq true`, false},
		{"RFC 7644 §3.4.2.2 unparsable stored dateTime", UserResourceType, `{"meta": {"lastModified": "yesterday"}}`, `meta.lastModified lt "2030-01-01T00:00:00Z"`, false},
		{"RFC 7644 §3.4.2.2 dateTime co compares text", UserResourceType, `{"meta": {"created": "2010-01-23T04:56:22Z"}}`, `meta.created sw "2010-01"`, true},
		{"RFC 7643 §4.3 extension absent", UserResourceType, `{"userName": "a"}`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr`, false},
		{"RFC 7643 §4.3 extension not an object", UserResourceType, `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x"}`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(tt.rt, js(t, tt.res)); got != tt.want {
				t.Fatalf("Match(%s) on %s = %v, want %v", tt.filter, tt.res, got, tt.want)
			}
		})
	}
}

func TestFilterZeroValue(t *testing.T) {
	var f Filter
	if !f.IsZero() || !f.Match(UserResourceType, map[string]any{}) || f.Validate(UserResourceType) != nil || f.Equalities(UserResourceType) != nil || f.String() != "" {
		t.Fatal("the zero Filter must match everything and constrain nothing")
	}
}

func TestFilterValidate(t *testing.T) {
	tests := []struct {
		name   string
		rt     ResourceType
		filter string
	}{
		{"RFC 7644 §3.4.2.2 boolean compared with a string", UserResourceType, `active eq "True"`},
		{"RFC 7644 §3.4.2.2 gt on boolean", UserResourceType, `active gt false`},
		{"RFC 7644 §3.4.2.2 co on boolean", UserResourceType, `active co true`},
		{"RFC 7644 §3.4.2.2 gt on binary", UserResourceType, `x509Certificates.value gt "AA=="`},
		{"RFC 7644 §3.4.2.2 dateTime compared with a non-date", UserResourceType, `meta.lastModified gt "yesterday"`},
		{"RFC 7644 §3.4.2.2 dateTime compared with a number", UserResourceType, `meta.lastModified gt 5`},
		{"RFC 7644 §3.4.2.2 string compared with a number", UserResourceType, `userName eq 5`},
		{"RFC 7644 §3.4.2.2 string compared with a boolean", UserResourceType, `userName eq true`},
		{"RFC 7644 §3.4.2.2 co with null", UserResourceType, `userName co null`},
		{"RFC 7644 §3.4.2.2 gt with null", UserResourceType, `userName gt null`},
		{"RFC 7643 §4.1.1 password is never returned nor filterable", UserResourceType, `password eq "secret"`},
		{"RFC 7644 §3.4.2.2 unknown attribute", UserResourceType, `nickname2 eq "x"`},
		{"RFC 7644 §3.10 extension attribute without URN", UserResourceType, `department eq "x"`},
		{"RFC 7644 §3.4.2.2 complex attribute without value sub-attribute", UserResourceType, `name eq "x"`},
		{"RFC 7644 §3.4.2.2 unknown sub-attribute in value path", UserResourceType, `emails[typo eq "work"]`},
		{"RFC 7644 §3.4.2.2 value path on a simple attribute", UserResourceType, `userName[value eq "x"]`},
		{"RFC 7644 §3.4.2.2 Group has no userName", GroupResourceType, `userName eq "x"`},
		{"RFC 7644 §3.4.2.2 unknown schema URN", UserResourceType, `urn:example:2.0:User:tag eq "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			wantError(t, f.Validate(tt.rt), ScimTypeInvalidFilter)
			// A filter that does not validate matches nothing.
			if f.Match(tt.rt, fixture(t, "rfc7643_user_full.json")) {
				t.Fatal("an invalid filter matched")
			}
		})
	}
}

func TestFilterEqualities(t *testing.T) {
	tests := []struct {
		name   string
		rt     ResourceType
		filter string
		want   []Equality
	}{
		{"Okta userName eq", UserResourceType, `userName eq "test.user@okta.local"`,
			[]Equality{{"userName", "test.user@okta.local", false}}},
		{"RFC 7643 §2.1 attribute in any case, value as given", UserResourceType, `USERNAME eq "Test.User@Okta.Local"`,
			[]Equality{{"userName", "Test.User@Okta.Local", false}}},
		{"Entra externalId eq", UserResourceType, `externalId eq "0a21f0f2"`,
			[]Equality{{"externalId", "0a21f0f2", true}}},
		{"RFC 7643 §3.1 id", GroupResourceType, `id eq "g1"`,
			[]Equality{{"id", "g1", true}}},
		{"Entra emails[type eq work].value eq", UserResourceType, `emails[type eq "work"].value eq "a@b.c"`,
			[]Equality{{"emails.type", "work", false}, {"emails.value", "a@b.c", false}}},
		{"RFC 7644 §3.4.2.2 emails.value eq", UserResourceType, `emails.value eq "a@b.c"`,
			[]Equality{{"emails.value", "a@b.c", false}}},
		{"RFC 7644 §3.4.2.2 emails eq means emails.value", UserResourceType, `emails eq "a@b.c"`,
			[]Equality{{"emails.value", "a@b.c", false}}},
		{"Entra group by displayName", GroupResourceType, `displayName eq "Sales"`,
			[]Equality{{"displayName", "Sales", false}}},
		{"Entra group by member", GroupResourceType, `id eq "g1" and members[value eq "u1"]`,
			[]Equality{{"id", "g1", true}, {"members.value", "u1", true}}},
		{"RFC 7644 §3.4.2.2 members.value eq", GroupResourceType, `members.value eq "u1"`,
			[]Equality{{"members.value", "u1", true}}},
		{"RFC 7644 §3.4.2.2 and chain through grouping", UserResourceType, `(userName eq "a" and active eq true) and externalId eq "e"`,
			[]Equality{{"userName", "a", false}, {"externalId", "e", true}}},
		{"RFC 7644 §3.4.2.2 extension attribute", UserResourceType, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"`,
			[]Equality{{EnterpriseUserSchemaURN + ":employeeNumber", "42", false}}},
		{"RFC 7644 §3.4.2.2 or gives no constraint", UserResourceType, `userName eq "a" or userName eq "b"`, nil},
		{"RFC 7644 §3.4.2.2 not gives no constraint", UserResourceType, `not (userName eq "a")`, nil},
		{"RFC 7644 §3.4.2.2 or inside value path gives no constraint", GroupResourceType, `members[value eq "a" or value eq "b"]`, nil},
		{"RFC 7644 §3.4.2.2 co gives no constraint", UserResourceType, `userName co "a"`, nil},
		{"RFC 7644 §3.4.2.2 boolean gives no string constraint", UserResourceType, `active eq true`, nil},
		{"RFC 7644 §3.4.2.2 eq null gives no constraint", UserResourceType, `userName eq null`, nil},
		{"invalid filter gives no constraint", UserResourceType, `nope eq "a"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustParseFilter(tt.filter)
			got := f.Equalities(tt.rt)
			if !sameJSON(t, got, tt.want) {
				t.Fatalf("Equalities(%s) = %+v, want %+v", tt.filter, got, tt.want)
			}
		})
	}
	f := MustParseFilter(`emails[type eq "work"].value eq "a@b.c" and userName eq "u"`)
	if got := f.EqualityFor(UserResourceType, "emails.value"); len(got) != 1 || got[0] != "a@b.c" {
		t.Fatalf("EqualityFor(emails.value) = %v", got)
	}
}

// TestEqualitiesAreSound checks the promise storage relies on: a resource
// that matches the filter satisfies every equality Equalities reports.
func TestEqualitiesAreSound(t *testing.T) {
	user := fixture(t, "rfc7643_user_full.json")
	filters := []string{
		`userName eq "BJENSEN@example.com" and emails[type eq "work"].value eq "bjensen@EXAMPLE.com"`,
		`externalId eq "701984" and (title pr or nickName pr)`,
		`emails[type eq "home" and value eq "babs@jensen.org"] and id eq "2819c223-7f76-453a-919d-413861904646"`,
	}
	for _, s := range filters {
		f := MustParseFilter(s)
		if !f.Match(UserResourceType, user) {
			t.Fatalf("%s should match the fixture", s)
		}
		for _, eq := range f.Equalities(UserResourceType) {
			sub := MustParseFilter(eq.Path + " eq " + mustJSON(t, eq.Value))
			if !sub.Match(UserResourceType, user) {
				t.Errorf("%s matches but its equality %s = %q does not", s, eq.Path, eq.Value)
			}
		}
	}
}

func TestIdPFilters(t *testing.T) {
	var cases []struct {
		Source       string `json:"source"`
		ResourceType string `json:"resourceType"`
		Filter       string `json:"filter"`
	}
	if err := json.Unmarshal(readFixture(t, "idp_filters.json"), &cases); err != nil {
		t.Fatal(err)
	}
	entraUser := fixture(t, "entra_create_user.json")
	for _, c := range cases {
		t.Run(c.Source, func(t *testing.T) {
			rt := LookupResourceType(c.ResourceType)
			f, err := ParseFilter(c.Filter)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Validate(*rt); err != nil {
				t.Fatal(err)
			}
			if len(f.Equalities(*rt)) == 0 {
				t.Fatalf("%s gives the storage no index constraint", c.Filter)
			}
		})
	}
	// The Entra mail lookup finds the user Entra created.
	f := MustParseFilter(cases[4].Filter)
	if !f.Match(UserResourceType, entraUser) {
		t.Fatalf("%s does not match the Entra user", cases[4].Filter)
	}
}

func TestFilterIsSafeForConcurrentUse(t *testing.T) {
	f := MustParseFilter(`userName eq "a" and emails[type eq "work"]`)
	done := make(chan bool)
	for range 8 {
		go func() {
			for range 100 {
				f.Match(UserResourceType, map[string]any{"userName": "a", "emails": []any{map[string]any{"type": "work"}}})
				f.Match(GroupResourceType, map[string]any{})
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
	if !f.Match(UserResourceType, map[string]any{"userName": "A", "emails": []any{map[string]any{"type": "WORK"}}}) {
		t.Fatal("filter no longer matches")
	}
}
