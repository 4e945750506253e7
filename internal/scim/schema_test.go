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
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// schemaJSON marshals s and returns its attributes by name ("name",
// "name.givenName").
func schemaJSON(t *testing.T, s Schema) (map[string]any, map[string]map[string]any) {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeJSON(t, data)
	attrs := map[string]map[string]any{}
	for _, a := range doc["attributes"].([]any) {
		am := a.(map[string]any)
		attrs[am["name"].(string)] = am
		if subs, ok := am["subAttributes"].([]any); ok {
			for _, s := range subs {
				sm := s.(map[string]any)
				attrs[am["name"].(string)+"."+sm["name"].(string)] = sm
			}
		}
	}
	return doc, attrs
}

func TestSchemaRepresentation(t *testing.T) {
	_, user := schemaJSON(t, UserSchema)
	_, ent := schemaJSON(t, EnterpriseUserSchema)
	_, group := schemaJSON(t, GroupSchema)
	tests := []struct {
		name  string
		attrs map[string]map[string]any
		attr  string
		want  map[string]any // JSON fields and values; nil value: field absent
	}{
		{"RFC 7643 §4.1.1 userName required, caseExact false, unique", user, "userName",
			map[string]any{"type": "string", "multiValued": false, "required": true, "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "server"}},
		{"RFC 7643 §4.1.1 password writeOnly, returned never", user, "password",
			map[string]any{"type": "string", "mutability": "writeOnly", "returned": "never", "caseExact": false}},
		{"RFC 7643 §8.7.1 active boolean has no caseExact nor uniqueness", user, "active",
			map[string]any{"type": "boolean", "caseExact": nil, "uniqueness": nil, "mutability": "readWrite", "returned": "default"}},
		{"RFC 7643 §4.1.2 emails multi-valued complex", user, "emails",
			map[string]any{"type": "complex", "multiValued": true, "caseExact": nil, "uniqueness": "none"}},
		{"RFC 7643 §8.7.1 emails.type canonical values", user, "emails.type",
			map[string]any{"canonicalValues": []any{"work", "home", "other"}, "caseExact": false}},
		{"RFC 7643 §8.7.1 roles.type canonicalValues empty array", user, "roles.type",
			map[string]any{"canonicalValues": []any{}}},
		{"RFC 7643 §8.7.1 profileUrl reference external", user, "profileUrl",
			map[string]any{"type": "reference", "referenceTypes": []any{"external"}}},
		{"RFC 7643 §4.1.2 groups readOnly", user, "groups",
			map[string]any{"mutability": "readOnly", "multiValued": true}},
		{"RFC 7643 §8.7.1 groups.$ref references User and Group", user, "groups.$ref",
			map[string]any{"type": "reference", "referenceTypes": []any{"User", "Group"}, "mutability": "readOnly"}},
		{"RFC 7643 §8.7.1 x509Certificates.value binary", user, "x509Certificates.value",
			map[string]any{"type": "binary", "caseExact": false}},
		{"RFC 7643 §4.1.1 name sub-attributes", user, "name.honorificSuffix",
			map[string]any{"type": "string", "multiValued": false}},
		{"RFC 7643 §4.3 manager complex", ent, "manager",
			map[string]any{"type": "complex", "multiValued": false, "mutability": "readWrite"}},
		{"RFC 7643 §4.3 manager.$ref references User", ent, "manager.$ref",
			map[string]any{"type": "reference", "referenceTypes": []any{"User"}}},
		{"RFC 7643 §4.3 manager.displayName readOnly", ent, "manager.displayName",
			map[string]any{"mutability": "readOnly"}},
		{"RFC 7643 §4.3 department", ent, "department",
			map[string]any{"type": "string", "caseExact": false}},
		{"RFC 7643 §4.2 displayName required, unique per IdentityConfig", group, "displayName",
			map[string]any{"required": true, "uniqueness": "server", "caseExact": false}},
		{"RFC 7643 §4.2 members sub-attributes immutable", group, "members.value",
			map[string]any{"mutability": "immutable", "type": "string"}},
		{"RFC 7643 §8.7.1 members.type canonical values", group, "members.type",
			map[string]any{"canonicalValues": []any{"User", "Group"}, "mutability": "immutable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := tt.attrs[tt.attr]
			if !ok {
				t.Fatalf("attribute %s missing", tt.attr)
			}
			for k, want := range tt.want {
				got, present := a[k]
				if want == nil {
					if present {
						t.Errorf("%s.%s present (%v), want absent", tt.attr, k, got)
					}
					continue
				}
				if !sameJSON(t, got, want) {
					t.Errorf("%s.%s = %v, want %v", tt.attr, k, got, want)
				}
			}
			for _, k := range []string{"name", "type", "multiValued", "description", "required", "mutability", "returned"} {
				if _, present := a[k]; !present {
					t.Errorf("%s lacks %q (RFC 7643 §7)", tt.attr, k)
				}
			}
		})
	}
}

func TestSchemaAttributeNames(t *testing.T) {
	// RFC 7643 §4.1, §4.2, §4.3: every attribute, in the RFC's order.
	tests := []struct {
		name   string
		schema Schema
		want   []string
	}{
		{"RFC 7643 §4.1 User", UserSchema, []string{"userName", "name", "displayName", "nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles", "x509Certificates"}},
		{"RFC 7643 §4.3 EnterpriseUser", EnterpriseUserSchema, []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"}},
		{"RFC 7643 §4.2 Group", GroupSchema, []string{"displayName", "members"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range tt.schema.Attributes {
				got = append(got, a.Name)
			}
			if !sameJSON(t, got, tt.want) {
				t.Fatalf("attributes %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSchemaDocument(t *testing.T) {
	s := UserSchema
	s.Location = "https://example.com/v2/Schemas/" + UserSchemaURN
	doc, _ := schemaJSON(t, s)
	want := map[string]any{
		"schemas":     []any{SchemaSchemaURN},
		"id":          UserSchemaURN,
		"name":        "User",
		"description": "User Account",
		"meta":        map[string]any{"resourceType": "Schema", "location": "https://example.com/v2/Schemas/" + UserSchemaURN},
	}
	for k, v := range want {
		if !sameJSON(t, doc[k], v) {
			t.Errorf("%s = %v, want %v", k, doc[k], v)
		}
	}
	// Setting Location on a copy leaves the shared definition alone.
	if UserSchema.Location != "" {
		t.Fatal("UserSchema.Location changed")
	}
}

func TestResourceTypeRepresentation(t *testing.T) {
	tests := []struct {
		name string
		rt   ResourceType
		want string
	}{
		{"RFC 7643 §8.6 User with optional enterprise extension", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],"id":"User","name":"User","endpoint":"/Users","description":"User Account","schema":"urn:ietf:params:scim:schemas:core:2.0:User","schemaExtensions":[{"schema":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","required":false}],"meta":{"resourceType":"ResourceType"}}`},
		{"RFC 7643 §8.6 Group without extensions", GroupResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],"id":"Group","name":"Group","endpoint":"/Groups","description":"Group","schema":"urn:ietf:params:scim:schemas:core:2.0:Group","meta":{"resourceType":"ResourceType"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.rt)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if rt := LookupResourceType("/Users"); rt == nil || rt.ID != "User" {
		t.Fatalf("LookupResourceType(/Users) = %v", rt)
	}
	if rt := LookupResourceType("groups"); rt != nil {
		t.Fatalf("LookupResourceType(groups) = %v, want nil (neither id, name nor endpoint)", rt)
	}
	if rt := LookupResourceType("group"); rt == nil || rt.ID != "Group" {
		t.Fatalf("LookupResourceType(group) = %v", rt)
	}
}

// TestSchemasGolden pins the /Schemas and /ResourceTypes documents. Run with
// -update after an intended change and review the diff.
func TestSchemasGolden(t *testing.T) {
	got, err := json.MarshalIndent(map[string]any{
		"schemas":       []Schema{UserSchema, EnterpriseUserSchema, GroupSchema},
		"resourceTypes": []ResourceType{UserResourceType, GroupResourceType},
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "schemas_golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("/Schemas document changed; run go test -run TestSchemasGolden -update and review testdata/schemas_golden.json")
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name      string
		rt        ResourceType
		path      string
		wantPath  string // canonical path
		container string
		typ       AttributeType
		multi     bool
	}{
		{"RFC 7643 §4.1.1 userName", UserResourceType, "userName", "userName", "", TypeString, false},
		{"RFC 7643 §2.1 names are case-insensitive", UserResourceType, "USERNAME", "userName", "", TypeString, false},
		{"RFC 7644 §3.10 sub-attribute", UserResourceType, "name.givenName", "name.givenName", "", TypeString, false},
		{"RFC 7644 §3.10 sub-attribute any case", UserResourceType, "Name.GIVENNAME", "name.givenName", "", TypeString, false},
		{"RFC 7643 §4.1.2 multi-valued complex", UserResourceType, "emails", "emails", "", TypeComplex, true},
		{"RFC 7643 §4.1.2 sub-attribute of multi-valued", UserResourceType, "emails.value", "emails.value", "", TypeString, false},
		{"RFC 7644 §3.10 core URN prefix", UserResourceType, "urn:ietf:params:scim:schemas:core:2.0:User:userName", "userName", "", TypeString, false},
		{"RFC 7644 §3.10 core URN prefix with sub-attribute", UserResourceType, "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName", "name.familyName", "", TypeString, false},
		{"RFC 7643 §4.3 extension attribute", UserResourceType, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", EnterpriseUserSchemaURN + ":department", EnterpriseUserSchemaURN, TypeString, false},
		{"RFC 7643 §4.3 extension sub-attribute", UserResourceType, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", EnterpriseUserSchemaURN + ":manager.value", EnterpriseUserSchemaURN, TypeString, false},
		{"RFC 7643 §2.1 extension URN any case", UserResourceType, "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Manager", EnterpriseUserSchemaURN + ":manager", EnterpriseUserSchemaURN, TypeComplex, false},
		{"RFC 7643 §3.1 id", UserResourceType, "id", "id", "", TypeString, false},
		{"RFC 7643 §3.1 externalId", GroupResourceType, "externalId", "externalId", "", TypeString, false},
		{"RFC 7643 §3.1 meta.lastModified", UserResourceType, "meta.lastModified", "meta.lastModified", "", TypeDateTime, false},
		{"RFC 7643 §3 schemas", UserResourceType, "schemas", "schemas", "", TypeReference, true},
		{"RFC 7643 §4.2 members.value", GroupResourceType, "members.value", "members.value", "", TypeString, false},
		{"RFC 7643 §4.2 members.$ref", GroupResourceType, "members.$ref", "members.$ref", "", TypeReference, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.rt.Resolve(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if r.Path() != tt.wantPath || r.Container != tt.container || r.Definition().Type != tt.typ || r.Definition().MultiValued != tt.multi {
				t.Fatalf("got path %q container %q type %s multi %v", r.Path(), r.Container, r.Definition().Type, r.Definition().MultiValued)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name    string
		rt      ResourceType
		path    string
		unknown bool
	}{
		{"RFC 7643 §4.1 unknown attribute", UserResourceType, "nickname2", true},
		{"RFC 7644 §3.10 extension attribute needs its URN", UserResourceType, "department", true},
		{"RFC 7643 §4.2 Group has no userName", GroupResourceType, "userName", true},
		{"RFC 7643 §6 Group has no enterprise extension", GroupResourceType, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", true},
		{"RFC 7643 §2.3.8 simple attribute has no sub-attributes", UserResourceType, "userName.value", true},
		{"RFC 7643 §4.1.1 unknown sub-attribute", UserResourceType, "name.nickName", true},
		{"RFC 7644 §3.10 unknown schema URN", UserResourceType, "urn:example:custom:2.0:User:tag", true},
		{"RFC 7644 §3.10 malformed path", UserResourceType, "emails[type eq \"work\"]", false},
		{"RFC 7644 §3.10 empty path", UserResourceType, "", false},
		{"RFC 7644 §3.10 three levels", UserResourceType, "name.givenName.x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.rt.Resolve(tt.path)
			if err == nil {
				t.Fatal("want an error")
			}
			if got := errors.Is(err, ErrUnknownAttribute); got != tt.unknown {
				t.Fatalf("errors.Is(ErrUnknownAttribute) = %v, want %v (%v)", got, tt.unknown, err)
			}
		})
	}
}

func TestResolvedValues(t *testing.T) {
	user := fixture(t, "rfc7643_user_full.json")
	// Keys differing in case from the schema still resolve (RFC 7643 §2.1);
	// Entra's own documentation sends "Manager".
	user[EnterpriseUserSchemaURN].(map[string]any)["Manager"] = user[EnterpriseUserSchemaURN].(map[string]any)["manager"]
	delete(user[EnterpriseUserSchemaURN].(map[string]any), "manager")
	tests := []struct {
		name string
		path string
		want []any
	}{
		{"RFC 7643 §4.1.1 simple", "userName", []any{"bjensen@example.com"}},
		{"RFC 7643 §4.1.2 sub-attribute of every value", "emails.type", []any{"work", "home"}},
		{"RFC 7643 §4.3 extension sub-attribute, key case differs", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", []any{"26118915-6090-4610-87e4-49d8ca9f808d"}},
		{"RFC 7643 §2.5 unassigned", "nickName", []any{"Babs"}},
		{"RFC 7643 §2.5 absent", "title", []any{"Tour Guide"}},
		{"RFC 7643 §2.5 absent attribute has no values", "entitlements.value", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := UserResourceType.Resolve(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Values(user); !sameJSON(t, got, tt.want) {
				t.Fatalf("Values = %v, want %v", got, tt.want)
			}
		})
	}
}
