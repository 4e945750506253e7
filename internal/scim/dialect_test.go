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
	"strings"
	"testing"
)

// patchFixture parses testdata/name as a PATCH body.
func patchFixture(t *testing.T, name string) []PatchOperation {
	t.Helper()
	req, err := ParsePatch(readFixture(t, name))
	if err != nil {
		t.Fatalf("ParsePatch(%s): %v", name, err)
	}
	return req.Operations
}

func entraUser(t *testing.T) map[string]any {
	t.Helper()
	u := fixture(t, "entra_create_user.json")
	u["id"] = "6764549bef60420686bc"
	return u
}

func oktaGroup(t *testing.T) map[string]any {
	t.Helper()
	g := fixture(t, "okta_create_group.json")
	g["id"] = "abf4dd94-a4c0-4f67-89c9-76b03340cb9b"
	g["members"] = []any{
		map[string]any{"value": "89bb1940-b905-4575-9e7f-6f887cfb368e"},
		map[string]any{"value": "b1c794f24f4c49f4b5d503a4cb2686ea"},
	}
	return g
}

// TestDialect replays, for each dialect rule of dialect.go, the request of
// the IdP that needs it.
func TestDialect(t *testing.T) {
	tests := []struct {
		name    string
		rt      ResourceType
		res     func(t *testing.T) map[string]any
		fixture string
		check   func(t *testing.T, out map[string]any)
	}{
		{"Entra capitalised op Replace (aadOptscim062020 disable user)", UserResourceType, entraUser, "entra_patch_disable_user.json",
			func(t *testing.T, out map[string]any) { eqJSON(t, out["active"], false) }},
		{"Entra string boolean \"False\" for active", UserResourceType, entraUser, "entra_patch_disable_user_string_boolean.json",
			func(t *testing.T, out map[string]any) {
				if out["active"] != false {
					t.Fatalf("active = %#v, want the boolean false", out["active"])
				}
			}},
		{"Entra capitalised op Add", UserResourceType, entraUser, "entra_patch_add_nickname.json",
			func(t *testing.T, out map[string]any) { eqJSON(t, out["nickName"], "Babs") }},
		{"Entra path-less replace with dotted and URN-qualified keys (aadOptscim062020)", UserResourceType, entraUser, "entra_patch_replace_multiple_flag.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["displayName"], "Bjfe")
				eqJSON(t, out["name"], map[string]any{"formatted": "givenName familyName", "givenName": "Kkom", "familyName": "Unua"})
				eqJSON(t, out[EnterpriseUserSchemaURN], map[string]any{"employeeNumber": "Aklq"})
				eqJSON(t, out["emails"], jsv(t, `[{"primary":true,"type":"work","value":"TestMhvaes@test.microsoft.com"}]`))
				eqJSON(t, out["schemas"], []any{UserSchemaURN, EnterpriseUserSchemaURN})
				for k := range out {
					if k != EnterpriseUserSchemaURN && strings.ContainsAny(k, ".:") {
						t.Fatalf("dotted key %q stored as an attribute", k)
					}
				}
			}},
		{"Entra replace of several attributes by path (without the flag)", UserResourceType, entraUser, "entra_patch_replace_multiple_noflag.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["displayName"], "Pvlo")
				eqJSON(t, out["externalId"], "Eqpj")
				eqJSON(t, out["name"].(map[string]any)["givenName"], "Gtfd")
				eqJSON(t, out["name"].(map[string]any)["familyName"], "Pkqf")
				eqJSON(t, out[EnterpriseUserSchemaURN], map[string]any{"employeeNumber": "Eqpj"})
				eqJSON(t, out["emails"].([]any)[0].(map[string]any)["value"], "TestBcwqnm@test.microsoft.com")
			}},
		{"Entra path-less replace of dotted name sub-attributes (Microsoft Q&A 1435791)", UserResourceType, entraUser, "entra_patch_pathless_name_dotted.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["name"], map[string]any{"formatted": "test test2", "givenName": "givenName", "familyName": "test"})
			}},
		{"Entra multi-valued update through emails[type eq work].value", UserResourceType, entraUser, "entra_patch_user_multivalued.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["emails"], jsv(t, `[{"primary":true,"type":"work","value":"updatedEmail@microsoft.com"}]`))
				eqJSON(t, out["name"].(map[string]any)["familyName"], "updatedFamilyName")
			}},
		{"Entra single-valued update", UserResourceType, entraUser, "entra_patch_user_username.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["userName"], "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com")
			}},
		{"Entra bare-string manager by path", UserResourceType, entraUser, "entra_patch_add_manager_string.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out[EnterpriseUserSchemaURN], map[string]any{"manager": map[string]any{"value": "8a3f2b1c-6d7e-4f90-a1b2-c3d4e5f60718"}})
			}},
		{"Entra manager without its URN, as a list of one reference", UserResourceType, entraUser, "entra_patch_add_manager_listed.json",
			func(t *testing.T, out map[string]any) {
				ext, _ := out[EnterpriseUserSchemaURN].(map[string]any)
				manager, _ := ext["manager"].(map[string]any)
				eqJSON(t, manager["value"], "00aa00aa-bb11-cc22-dd33-44ee44ee44ee")
			}},
		{"Entra bare-string manager as a URN-qualified key", UserResourceType, entraUser, "entra_patch_pathless_manager_urn_key.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out[EnterpriseUserSchemaURN], map[string]any{"department": "Engineering", "manager": map[string]any{"value": "8a3f2b1c-6d7e-4f90-a1b2-c3d4e5f60718"}})
			}},
		{"Entra Remove on members with a value array removes only those members", GroupResourceType,
			func(t *testing.T) map[string]any {
				return js(t, `{"id":"a99962b9f99d4c4fac67","displayName":"g","members":[{"value":"f648f8d5ea4e4cd38e9c"},{"value":"keep-me"}]}`)
			}, "entra_patch_group_remove_members.json",
			func(t *testing.T, out map[string]any) { eqJSON(t, out["members"], jsv(t, `[{"value":"keep-me"}]`)) }},
		{"Entra Remove members value array (without the flag) never empties the group", GroupResourceType,
			func(t *testing.T) map[string]any {
				return js(t, `{"id":"g","displayName":"g","members":[{"value":"u1090"},{"value":"u1091"},{"value":"u1092"}]}`)
			}, "entra_patch_group_remove_member_noflag.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["members"], jsv(t, `[{"value":"u1090"},{"value":"u1092"}]`))
			}},
		{"Entra Add members with $ref null", GroupResourceType,
			func(t *testing.T) map[string]any { return js(t, `{"id":"g","displayName":"g"}`) }, "entra_patch_group_add_members.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["members"], jsv(t, `[{"value":"f648f8d5ea4e4cd38e9c"}]`))
			}},
		{"Entra group rename with capitalised Replace", GroupResourceType,
			func(t *testing.T) map[string]any { return js(t, `{"id":"fa2ce26709934589afc5","displayName":"old"}`) }, "entra_patch_group_displayname.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["displayName"], "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName")
			}},
		{"Okta path-less replace deactivates a user", UserResourceType,
			func(t *testing.T) map[string]any { return fixture(t, "okta_create_user.json") }, "okta_patch_deactivate_user.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["active"], false)
				absent(t, out, "password")
			}},
		{"Okta password sync is accepted and dropped", UserResourceType,
			func(t *testing.T) map[string]any { return fixture(t, "okta_create_user.json") }, "okta_patch_password.json",
			func(t *testing.T, out map[string]any) {
				if strings.Contains(mustJSON(t, out), "1mz050nq") {
					t.Fatal("password kept")
				}
			}},
		{"Okta group rename repeats the group's id", GroupResourceType, oktaGroup, "okta_patch_group_rename.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["displayName"], "Test SCIMv2")
				eqJSON(t, out["id"], "abf4dd94-a4c0-4f67-89c9-76b03340cb9b")
			}},
		{"Okta membership update: remove by filter, add by value", GroupResourceType, oktaGroup, "okta_patch_group_members.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["members"], jsv(t, `[{"value":"b1c794f24f4c49f4b5d503a4cb2686ea"},{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"}]`))
			}},
		{"Okta full push replaces members", GroupResourceType, oktaGroup, "okta_patch_group_replace_members.json",
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["members"], jsv(t, `[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"},{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e","display":"test.user@okta.local"}]`))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.res(t)
			before := mustJSON(t, res)
			out, err := ApplyPatch(tt.rt, res, patchFixture(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if mustJSON(t, res) != before {
				t.Fatal("ApplyPatch modified its input")
			}
			tt.check(t, out)
		})
	}
}

func TestDialectOktaRenameWithAnotherID(t *testing.T) {
	// RFC 7643 §3.1: id is readOnly. Only Okta's harmless repetition of
	// the same id is tolerated.
	_, err := applyJSON(t, GroupResourceType, oktaGroup(t), `[{"op":"replace","value":{"id":"someone-else","displayName":"x"}}]`)
	wantError(t, err, ScimTypeMutability)
}

func TestDialectStringBooleans(t *testing.T) {
	tests := []struct {
		name string
		ops  string
		path func(out map[string]any) any
		want any
	}{
		{"Entra \"True\" for active", `[{"op":"Replace","path":"active","value":"True"}]`,
			func(out map[string]any) any { return out["active"] }, true},
		{"Entra \"false\" in lower case", `[{"op":"Replace","path":"active","value":"false"}]`,
			func(out map[string]any) any { return out["active"] }, false},
		{"Entra string boolean in a path-less value", `[{"op":"Replace","value":{"active":"False"}}]`,
			func(out map[string]any) any { return out["active"] }, false},
		{"Entra string boolean for a sub-attribute behind a filter", `[{"op":"Replace","path":"emails[type eq \"work\"].primary","value":"True"}]`,
			func(out map[string]any) any { return out["emails"].([]any)[0].(map[string]any)["primary"] }, true},
		{"Entra string boolean inside added values", `[{"op":"Add","path":"emails","value":[{"value":"h@x","type":"home","primary":"True"}]}]`,
			func(out map[string]any) any { return out["emails"].([]any)[1].(map[string]any)["primary"] }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := js(t, `{"userName":"b","active":true,"emails":[{"value":"w@x","type":"work","primary":false}]}`)
			ops := jsv(t, tt.ops)
			before := mustJSON(t, ops)
			out, err := applyJSON(t, UserResourceType, res, tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.path(out); got != tt.want {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
			if mustJSON(t, ops) != before {
				t.Fatal("operations modified")
			}
		})
	}
	// A string that is not a boolean stays an error.
	_, err := applyJSON(t, UserResourceType, js(t, `{"userName":"b"}`), `[{"op":"Replace","path":"active","value":"Nope"}]`)
	wantError(t, err, ScimTypeInvalidValue)
	// A string boolean for a string attribute stays a string.
	out, err := applyJSON(t, UserResourceType, js(t, `{"userName":"b"}`), `[{"op":"Replace","path":"title","value":"True"}]`)
	if err != nil || out["title"] != "True" {
		t.Fatalf("title = %#v, %v", out["title"], err)
	}
}

// TestDialectAddThroughFilter: Entra maps mail to emails[type eq "work"].value
// and sends "Add" on it when the user has no work email yet.
func TestDialectAddThroughFilter(t *testing.T) {
	tests := []struct {
		name string
		res  string
		ops  string
		want string
	}{
		{"Entra Add creates the work email", `{"userName":"b","emails":[{"value":"h@x","type":"home"}]}`,
			`[{"op":"Add","path":"emails[type eq \"work\"].value","value":"w@x"}]`,
			`[{"value":"h@x","type":"home"},{"type":"work","value":"w@x"}]`},
		{"Entra Add on an absent attribute", `{"userName":"b"}`,
			`[{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"555"}]`,
			`[{"type":"mobile","value":"555"}]`},
		{"Entra Add updates the existing work email", `{"userName":"b","emails":[{"value":"old@x","type":"work"}]}`,
			`[{"op":"Add","path":"emails[type eq \"work\"].value","value":"w@x"}]`,
			`[{"value":"w@x","type":"work"}]`},
		{"RFC 7644 §3.5.2.1 add a whole value through a filter", `{"userName":"b"}`,
			`[{"op":"add","path":"addresses[type eq \"work\"]","value":{"streetAddress":"1 A St"}}]`,
			`[{"type":"work","streetAddress":"1 A St"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyJSON(t, UserResourceType, js(t, tt.res), tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			var got any
			for _, k := range []string{"emails", "phoneNumbers", "addresses"} {
				if v, ok := out[k]; ok && (k != "emails" || strings.Contains(tt.ops, "emails")) {
					got = v
				}
			}
			eqJSON(t, got, jsv(t, tt.want))
		})
	}
}
