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
	"reflect"
	"strings"
	"testing"
)

func TestParsePatch(t *testing.T) {
	valid := []struct {
		name string
		body string
		want []PatchOperation
	}{
		{"RFC 7644 §3.5.2.1 add with path",
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"nickName","value":"Babs"}]}`,
			[]PatchOperation{{Op: "add", Path: "nickName", Value: "Babs"}}},
		{"RFC 7644 §3.5.2.2 remove with value filter",
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"2819c223\"]"}]}`,
			[]PatchOperation{{Op: "remove", Path: `members[value eq "2819c223"]`}}},
		{"RFC 7644 §3.5.2.3 replace without path",
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
			[]PatchOperation{{Op: "replace", Value: map[string]any{"active": false}}}},
		{"RFC 7643 §2.5 replace with null",
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":null}]}`,
			[]PatchOperation{{Op: "replace", Path: "title"}}},
		{"Entra capitalised op",
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
			[]PatchOperation{{Op: "replace", Path: "active", Value: "False"}}},
		{"RFC 7643 §2.1 message attribute names in any case",
			`{"Schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"operations":[{"OP":"remove","Path":"title"}]}`,
			[]PatchOperation{{Op: "remove", Path: "title"}}},
		{"RFC 7644 §3.5.2 numbers keep their precision",
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"x","value":12345678901234567890}]}`,
			[]PatchOperation{{Op: "add", Path: "x", Value: json.Number("12345678901234567890")}}},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			req, err := ParsePatch([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(req.Operations, tt.want) {
				t.Fatalf("got %#v, want %#v", req.Operations, tt.want)
			}
		})
	}
	invalid := []struct {
		name     string
		body     string
		scimType string
	}{
		{"RFC 7644 §3.5.2 not JSON", `{`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2 trailing data", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"title"}]} {}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2 missing PatchOp schema", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[{"op":"remove","path":"title"}]}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2 no schemas", `{"Operations":[{"op":"remove","path":"title"}]}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2 empty Operations", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2 Operations missing", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2 Operations not an array", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":{}}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2 unknown op", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"move","path":"title"}]}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2 missing op", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"path":"title"}]}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2 op not a string", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":1,"path":"title"}]}`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2.2 remove without path", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}`, ScimTypeNoTarget},
		{"RFC 7644 §3.5.2.1 add without value", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title"}]}`, ScimTypeInvalidValue},
		{"RFC 7644 §3.5.2.1 add with null value", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title","value":null}]}`, ScimTypeInvalidValue},
		{"RFC 7644 §3.5.2.3 replace without value", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title"}]}`, ScimTypeInvalidValue},
		{"RFC 7644 §3.5.2.3 path-less replace with a non-object", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":"x"}]}`, ScimTypeInvalidValue},
		{"RFC 7644 §3.5.2 malformed path", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq"}]}`, ScimTypeInvalidPath},
		{"RFC 7644 §3.5.2 path with bad filter", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type xx \"work\"]"}]}`, ScimTypeInvalidPath},
		{"RFC 7644 §3.5.2 path with junk after filter", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq \"work\"]x"}]}`, ScimTypeInvalidPath},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePatch([]byte(tt.body))
			wantError(t, err, tt.scimType)
		})
	}
	_, err := ParsePatch([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"title"},{"op":"remove"}]}`))
	if err == nil || !strings.Contains(err.(*Error).Detail, "Operations[1]") {
		t.Fatalf("the error must name the failing operation, got %v", err)
	}
}

// patchUser applies ops to the RFC 7643 §8.2 user.
func applyJSON(t *testing.T, rt ResourceType, res map[string]any, ops string) (map[string]any, error) {
	t.Helper()
	var list []PatchOperation
	for _, raw := range jsv(t, ops).([]any) {
		m := raw.(map[string]any)
		op := PatchOperation{Op: m["op"].(string), Value: m["value"]}
		if p, ok := m["path"].(string); ok {
			op.Path = p
		}
		list = append(list, op)
	}
	return ApplyPatch(rt, res, list)
}

func TestApplyPatch(t *testing.T) {
	tests := []struct {
		name  string
		rt    ResourceType
		res   string
		ops   string
		check func(t *testing.T, out map[string]any)
	}{
		{"RFC 7644 §3.5.2.1 add a single-valued attribute", UserResourceType,
			`{"userName":"b"}`, `[{"op":"add","path":"nickName","value":"Babs"}]`,
			func(t *testing.T, out map[string]any) { eqJSON(t, out["nickName"], "Babs") }},
		{"RFC 7644 §3.5.2.1 add replaces a single-valued attribute", UserResourceType,
			`{"userName":"b","nickName":"x"}`, `[{"op":"add","path":"nickName","value":"Babs"}]`,
			func(t *testing.T, out map[string]any) { eqJSON(t, out["nickName"], "Babs") }},
		{"RFC 7644 §3.5.2.1 add appends to a multi-valued attribute", UserResourceType,
			`{"emails":[{"value":"a@x","type":"work"}]}`, `[{"op":"add","path":"emails","value":[{"value":"b@x","type":"home"}]}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["emails"], jsv(t, `[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}]`))
			}},
		{"RFC 7644 §3.5.2.1 add of a value already there changes nothing but merges", UserResourceType,
			`{"emails":[{"value":"a@x","type":"work"}]}`, `[{"op":"add","path":"emails","value":[{"value":"A@X","type":"work","display":"A"}]}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["emails"], jsv(t, `[{"value":"A@X","type":"work","display":"A"}]`))
			}},
		{"RFC 7644 §3.5.2.1 add to a complex attribute merges sub-attributes", UserResourceType,
			`{"name":{"givenName":"B","familyName":"J"}}`, `[{"op":"add","path":"name","value":{"middleName":"Jane"}}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["name"], jsv(t, `{"givenName":"B","familyName":"J","middleName":"Jane"}`))
			}},
		{"RFC 7644 §3.5.2.1 add without path", UserResourceType,
			`{"userName":"b","emails":[{"value":"a@x"}]}`, `[{"op":"add","value":{"nickName":"Babs","emails":[{"value":"b@x"}]}}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["nickName"], "Babs")
				eqJSON(t, out["emails"], jsv(t, `[{"value":"a@x"},{"value":"b@x"}]`))
			}},
		{"RFC 7644 §3.5.2.1 add to a group's members", GroupResourceType,
			`{"displayName":"g","members":[{"value":"u1"}]}`, `[{"op":"add","path":"members","value":[{"value":"u2","display":"U2"},{"value":"u1"}]}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["members"], jsv(t, `[{"value":"u1"},{"value":"u2","display":"U2"}]`))
			}},
		{"RFC 7644 §3.5.2.1 add to an extension attribute creates the extension", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b"}`, `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Ops"}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out[EnterpriseUserSchemaURN], map[string]any{"department": "Ops"})
				eqJSON(t, out["schemas"], []any{UserSchemaURN, EnterpriseUserSchemaURN})
			}},
		{"RFC 7644 §3.5.2.1 add with a value filter and sub-attribute", UserResourceType,
			`{"emails":[{"value":"a@x","type":"work"}]}`, `[{"op":"add","path":"emails[type eq \"work\"].display","value":"Work"}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["emails"], jsv(t, `[{"value":"a@x","type":"work","display":"Work"}]`))
			}},
		{"RFC 7644 §3.5.2.3 replace a single-valued attribute", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"userName","value":"c"}]`,
			func(t *testing.T, out map[string]any) { eqJSON(t, out["userName"], "c") }},
		{"RFC 7644 §3.5.2.3 replace of an absent attribute adds it", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"title","value":"Boss"}]`,
			func(t *testing.T, out map[string]any) { eqJSON(t, out["title"], "Boss") }},
		{"RFC 7644 §3.5.2.3 replace of a multi-valued attribute replaces all values", UserResourceType,
			`{"emails":[{"value":"a@x"},{"value":"b@x"}]}`, `[{"op":"replace","path":"emails","value":[{"value":"c@x","type":"work"}]}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["emails"], jsv(t, `[{"value":"c@x","type":"work"}]`))
			}},
		{"RFC 7644 §3.5.2.3 replace of a complex attribute leaves other sub-attributes", UserResourceType,
			`{"name":{"givenName":"B","familyName":"J"}}`, `[{"op":"replace","path":"name","value":{"familyName":"K"}}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["name"], jsv(t, `{"givenName":"B","familyName":"K"}`))
			}},
		{"RFC 7644 §3.5.2.3 replace a sub-attribute", UserResourceType,
			`{"name":{"givenName":"B"}}`, `[{"op":"replace","path":"name.familyName","value":"J"}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["name"], jsv(t, `{"givenName":"B","familyName":"J"}`))
			}},
		{"RFC 7644 §3.5.2.3 replace with value filter replaces matching values", UserResourceType,
			`{"addresses":[{"type":"work","streetAddress":"1 A St"},{"type":"home","streetAddress":"2 B St"}]}`,
			`[{"op":"replace","path":"addresses[type eq \"work\"]","value":{"type":"work","streetAddress":"911 Universal City Plaza","locality":"Hollywood"}}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["addresses"], jsv(t, `[{"type":"work","streetAddress":"911 Universal City Plaza","locality":"Hollywood"},{"type":"home","streetAddress":"2 B St"}]`))
			}},
		{"RFC 7644 §3.5.2.3 replace with value filter and sub-attribute", UserResourceType,
			`{"addresses":[{"type":"work","streetAddress":"1 A St"},{"type":"home","streetAddress":"2 B St"}]}`,
			`[{"op":"replace","path":"addresses[type eq \"work\"].streetAddress","value":"1010 Broadway Ave"}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["addresses"], jsv(t, `[{"type":"work","streetAddress":"1010 Broadway Ave"},{"type":"home","streetAddress":"2 B St"}]`))
			}},
		{"RFC 7644 §3.5.2.3 replace with value filter matching several values", UserResourceType,
			`{"phoneNumbers":[{"type":"work","value":"1"},{"type":"work","value":"2"},{"type":"home","value":"3"}]}`,
			`[{"op":"replace","path":"phoneNumbers[type eq \"work\"].display","value":"office"}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["phoneNumbers"], jsv(t, `[{"type":"work","value":"1","display":"office"},{"type":"work","value":"2","display":"office"},{"type":"home","value":"3"}]`))
			}},
		{"RFC 7644 §3.5.2.3 replace without path", UserResourceType,
			`{"userName":"b","active":true,"name":{"givenName":"B"}}`, `[{"op":"replace","value":{"active":false,"name":{"familyName":"J"}}}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["active"], false)
				eqJSON(t, out["name"], jsv(t, `{"givenName":"B","familyName":"J"}`))
			}},
		{"RFC 7643 §2.5 replace with null unassigns", UserResourceType,
			`{"userName":"b","title":"x"}`, `[{"op":"replace","path":"title","value":null}]`,
			func(t *testing.T, out map[string]any) { absent(t, out, "title") }},
		{"RFC 7644 §3.5.2.2 remove a single-valued attribute", UserResourceType,
			`{"userName":"b","title":"x"}`, `[{"op":"remove","path":"title"}]`,
			func(t *testing.T, out map[string]any) { absent(t, out, "title") }},
		{"RFC 7644 §3.5.2.2 remove an absent attribute succeeds", UserResourceType,
			`{"userName":"b"}`, `[{"op":"remove","path":"title"}]`,
			func(t *testing.T, out map[string]any) { absent(t, out, "title"); eqJSON(t, out["userName"], "b") }},
		{"RFC 7644 §3.5.2.2 remove all values of a multi-valued attribute", UserResourceType,
			`{"emails":[{"value":"a@x"},{"value":"b@x"}]}`, `[{"op":"remove","path":"emails"}]`,
			func(t *testing.T, out map[string]any) { absent(t, out, "emails") }},
		{"RFC 7644 §3.5.2.2 remove with filter removes only matching values", GroupResourceType,
			`{"displayName":"g","members":[{"value":"2819c223"},{"value":"902c246b"}]}`, `[{"op":"remove","path":"members[value eq \"2819c223\"]"}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["members"], jsv(t, `[{"value":"902c246b"}]`))
			}},
		{"RFC 7644 §3.5.2.2 remove with or-filter of several values", GroupResourceType,
			`{"displayName":"g","members":[{"value":"a"},{"value":"b"},{"value":"c"},{"value":"d"}]}`, `[{"op":"remove","path":"members[value eq \"a\" or value eq \"c\" or value eq \"d\"]"}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["members"], jsv(t, `[{"value":"b"}]`))
			}},
		{"RFC 7644 §3.5.2.2 removing the last value unassigns the attribute", GroupResourceType,
			`{"displayName":"g","members":[{"value":"a"}]}`, `[{"op":"remove","path":"members[value eq \"a\"]"}]`,
			func(t *testing.T, out map[string]any) { absent(t, out, "members") }},
		{"RFC 7644 §3.5.2.2 remove a sub-attribute of filtered values", UserResourceType,
			`{"emails":[{"value":"a@x","type":"work","display":"A"},{"value":"b@x","type":"home","display":"B"}]}`, `[{"op":"remove","path":"emails[type eq \"work\"].display"}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["emails"], jsv(t, `[{"value":"a@x","type":"work"},{"value":"b@x","type":"home","display":"B"}]`))
			}},
		{"RFC 7644 §3.5.2.2 remove an extension attribute drops the empty extension", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x"}}`,
			`[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]`,
			func(t *testing.T, out map[string]any) {
				absent(t, out, EnterpriseUserSchemaURN)
				eqJSON(t, out["schemas"], []any{UserSchemaURN})
			}},
		{"RFC 7644 §3.5.2.2 remove a sub-attribute of the extension", UserResourceType,
			`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m","$ref":"../Users/m"}}}`,
			`[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.$ref"}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out[EnterpriseUserSchemaURN], jsv(t, `{"manager":{"value":"m"}}`))
			}},
		{"RFC 7644 §3.5.2 primary true on one value clears the others", UserResourceType,
			`{"emails":[{"value":"a@x","primary":true},{"value":"b@x"}]}`, `[{"op":"add","path":"emails","value":[{"value":"c@x","primary":true}]}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["emails"], jsv(t, `[{"value":"a@x","primary":false},{"value":"b@x"},{"value":"c@x","primary":true}]`))
			}},
		{"RFC 7644 §3.5.2 primary through a value filter", UserResourceType,
			`{"emails":[{"value":"a@x","type":"work","primary":true},{"value":"b@x","type":"home"}]}`, `[{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["emails"], jsv(t, `[{"value":"a@x","type":"work","primary":false},{"value":"b@x","type":"home","primary":true}]`))
			}},
		{"RFC 7643 §2.1 keys stored in another case are rewritten in schema case", UserResourceType,
			`{"UserName":"b","NAME":{"GivenName":"B"}}`, `[{"op":"replace","path":"name.givenName","value":"C"},{"op":"replace","path":"userName","value":"c"}]`,
			func(t *testing.T, out map[string]any) {
				absent(t, out, "UserName")
				absent(t, out, "NAME")
				eqJSON(t, out["userName"], "c")
				eqJSON(t, out["name"], jsv(t, `{"givenName":"C"}`))
			}},
		{"RFC 7643 §4.2 rename a group", GroupResourceType,
			`{"id":"g1","displayName":"old","members":[{"value":"u1"}]}`, `[{"op":"replace","path":"displayName","value":"new"}]`,
			func(t *testing.T, out map[string]any) {
				eqJSON(t, out["displayName"], "new")
				eqJSON(t, out["members"], jsv(t, `[{"value":"u1"}]`))
			}},
		{"RFC 7643 §3.1 externalId", GroupResourceType,
			`{"displayName":"g"}`, `[{"op":"add","path":"externalId","value":"e1"}]`,
			func(t *testing.T, out map[string]any) { eqJSON(t, out["externalId"], "e1") }},
		{"RFC 7644 §3.5.2 operations apply in order", UserResourceType,
			`{"userName":"b"}`, `[{"op":"add","path":"title","value":"one"},{"op":"remove","path":"title"},{"op":"add","path":"title","value":"two"}]`,
			func(t *testing.T, out map[string]any) { eqJSON(t, out["title"], "two") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := js(t, tt.res)
			before := mustJSON(t, res)
			out, err := applyJSON(t, tt.rt, res, tt.ops)
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

func eqJSON(t *testing.T, got, want any) {
	t.Helper()
	if !sameJSON(t, got, want) {
		t.Fatalf("got %s, want %s", mustJSON(t, got), mustJSON(t, want))
	}
}

func absent(t *testing.T, m map[string]any, key string) {
	t.Helper()
	if v, ok := m[key]; ok {
		t.Fatalf("%s present: %v", key, v)
	}
}

func TestApplyPatchErrors(t *testing.T) {
	tests := []struct {
		name     string
		rt       ResourceType
		res      string
		ops      string
		scimType string
	}{
		{"RFC 7644 §3.5.2.3 replace with a filter matching nothing", UserResourceType,
			`{"emails":[{"value":"a@x","type":"home"}]}`, `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@x"}]`, ScimTypeNoTarget},
		{"RFC 7644 §3.5.2.3 replace with a filter on an absent attribute", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"emails[type eq \"work\"]","value":{"value":"x"}}]`, ScimTypeNoTarget},
		{"RFC 7644 §3.12 remove with a filter matching nothing", GroupResourceType,
			`{"displayName":"g","members":[{"value":"a"}]}`, `[{"op":"remove","path":"members[value eq \"zzz\"]"}]`, ScimTypeNoTarget},
		{"RFC 7644 §3.5.2.2 remove without path", UserResourceType,
			`{"userName":"b"}`, `[{"op":"remove"}]`, ScimTypeNoTarget},
		{"RFC 7644 §3.5.2 unknown attribute", UserResourceType,
			`{"userName":"b"}`, `[{"op":"add","path":"favouriteColour","value":"x"}]`, ScimTypeInvalidPath},
		{"RFC 7644 §3.5.2 unknown extension", UserResourceType,
			`{"userName":"b"}`, `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag","value":"x"}]`, ScimTypeInvalidPath},
		{"RFC 7644 §3.5.2 unknown attribute in a path-less value", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","value":{"favouriteColour":"x"}}]`, ScimTypeInvalidPath},
		{"RFC 7644 §3.5.2 value filter on a single-valued attribute", UserResourceType,
			`{"name":{"givenName":"b"}}`, `[{"op":"replace","path":"name[givenName eq \"b\"].familyName","value":"x"}]`, ScimTypeInvalidPath},
		{"RFC 7644 §3.5.2 unknown sub-attribute in a value filter", UserResourceType,
			`{"emails":[{"value":"a"}]}`, `[{"op":"remove","path":"emails[colour eq \"red\"]"}]`, ScimTypeInvalidPath},
		{"RFC 7644 §3.5.2 unknown sub-attribute after a value filter", UserResourceType,
			`{"emails":[{"value":"a"}]}`, `[{"op":"replace","path":"emails[value eq \"a\"].colour","value":"x"}]`, ScimTypeInvalidPath},
		{"RFC 7643 §3.1 id is readOnly", UserResourceType,
			`{"id":"1","userName":"b"}`, `[{"op":"replace","path":"id","value":"2"}]`, ScimTypeMutability},
		{"RFC 7643 §3.1 meta is readOnly", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"meta.lastModified","value":"2011-05-13T04:42:34Z"}]`, ScimTypeMutability},
		{"RFC 7643 §3.1 meta in a path-less value", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","value":{"meta":{"version":"x"}}}]`, ScimTypeMutability},
		{"RFC 7643 §4.1.2 groups is readOnly", UserResourceType,
			`{"userName":"b"}`, `[{"op":"add","path":"groups","value":[{"value":"g1"}]}]`, ScimTypeMutability},
		{"RFC 7643 §4.3 manager.displayName is readOnly", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m","displayName":"Boss"}}]`, ScimTypeMutability},
		{"RFC 7643 §4.2 member sub-attributes are immutable", GroupResourceType,
			`{"displayName":"g","members":[{"value":"u1","display":"A"}]}`, `[{"op":"replace","path":"members[value eq \"u1\"].display","value":"B"}]`, ScimTypeMutability},
		{"RFC 7643 §4.2 member value is immutable", GroupResourceType,
			`{"displayName":"g","members":[{"value":"u1"}]}`, `[{"op":"replace","path":"members[value eq \"u1\"]","value":{"value":"u2"}}]`, ScimTypeMutability},
		{"RFC 7644 §3.5.2.2 removing a required attribute", UserResourceType,
			`{"userName":"b"}`, `[{"op":"remove","path":"userName"}]`, ScimTypeMutability},
		{"RFC 7644 §3.5.2.2 replacing a required attribute with null", GroupResourceType,
			`{"displayName":"g"}`, `[{"op":"replace","path":"displayName","value":null}]`, ScimTypeMutability},
		{"RFC 7643 §4.1.1 userName cannot become empty", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"userName","value":""}]`, ScimTypeInvalidValue},
		{"RFC 7643 §3 schemas is derived", UserResourceType,
			`{"userName":"b"}`, `[{"op":"add","path":"schemas","value":["urn:x"]}]`, ScimTypeMutability},
		{"RFC 7643 §2.3.1 string given a number", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"title","value":5}]`, ScimTypeInvalidValue},
		{"RFC 7643 §2.3.2 boolean given a word", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"active","value":"yes"}]`, ScimTypeInvalidValue},
		{"RFC 7643 §2.3.2 boolean given a number", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"active","value":1}]`, ScimTypeInvalidValue},
		{"RFC 7643 §2.3.6 binary not base64", UserResourceType,
			`{"userName":"b"}`, `[{"op":"add","path":"x509Certificates","value":[{"value":"%%%"}]}]`, ScimTypeInvalidValue},
		{"RFC 7643 §2.3.8 complex given a number", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"name","value":5}]`, ScimTypeInvalidValue},
		{"RFC 7643 §2.3.8 unknown sub-attribute in a value", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"name","value":{"nick":"x"}}]`, ScimTypeInvalidValue},
		{"RFC 7643 §2.4 multi-valued given an object", UserResourceType,
			`{"userName":"b"}`, `[{"op":"add","path":"emails","value":{"value":"a@x"}}]`, ScimTypeInvalidValue},
		{"RFC 7643 §2.4 two primary values", UserResourceType,
			`{"userName":"b"}`, `[{"op":"replace","path":"emails","value":[{"value":"a","primary":true},{"value":"b","primary":true}]}]`, ScimTypeInvalidValue},
		{"RFC 7644 §3.5.2.1 path-less add needs an object", UserResourceType,
			`{"userName":"b"}`, `[{"op":"add","value":"x"}]`, ScimTypeInvalidValue},
		{"RFC 7644 §3.5.2 unknown op", UserResourceType,
			`{"userName":"b"}`, `[{"op":"copy","path":"title","value":"x"}]`, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2.1 add with a value filter that is not an equality chain", UserResourceType,
			`{"userName":"b"}`, `[{"op":"add","path":"emails[type co \"wo\"].value","value":"a@x"}]`, ScimTypeNoTarget},
		{"RFC 7643 §4.3 extension holding a non-object", UserResourceType,
			`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}`, `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"d"}]`, ScimTypeInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := js(t, tt.res)
			before := mustJSON(t, res)
			out, err := applyJSON(t, tt.rt, res, tt.ops)
			wantError(t, err, tt.scimType)
			if out != nil {
				t.Fatal("a failed PATCH must return no resource")
			}
			if mustJSON(t, res) != before {
				t.Fatal("a failed PATCH modified its input")
			}
		})
	}
}

// TestApplyPatchIsAtomic checks RFC 7644 §3.5.2: "If a single operation
// encounters an error condition, the original SCIM resource MUST be
// restored": operations before the failing one leave no trace.
func TestApplyPatchIsAtomic(t *testing.T) {
	res := js(t, `{"userName":"b","emails":[{"value":"a@x","type":"work"}],"name":{"givenName":"B"}}`)
	before := mustJSON(t, res)
	out, err := applyJSON(t, UserResourceType, res, `[
		{"op":"replace","path":"userName","value":"changed"},
		{"op":"add","path":"emails","value":[{"value":"new@x"}]},
		{"op":"replace","path":"name.givenName","value":"C"},
		{"op":"remove","path":"emails[type eq \"home\"]"}
	]`)
	wantError(t, err, ScimTypeNoTarget)
	if out != nil || mustJSON(t, res) != before {
		t.Fatalf("partial PATCH leaked: out=%v res=%s", out, mustJSON(t, res))
	}
	if !strings.Contains(err.(*Error).Detail, "Operations[3]") {
		t.Fatalf("error must name the failing operation: %v", err)
	}
}

func TestApplyPatchDoesNotAliasOperations(t *testing.T) {
	value := []any{map[string]any{"value": "a@x", "type": "work"}}
	ops := []PatchOperation{{Op: "add", Path: "emails", Value: value}}
	out, err := ApplyPatch(UserResourceType, map[string]any{"userName": "b"}, ops)
	if err != nil {
		t.Fatal(err)
	}
	out["emails"].([]any)[0].(map[string]any)["value"] = "mutated"
	if value[0].(map[string]any)["value"] != "a@x" {
		t.Fatal("the result shares maps with the operation's value")
	}
	res := map[string]any{"userName": "b", "name": map[string]any{"givenName": "B"}}
	out, err = ApplyPatch(UserResourceType, res, []PatchOperation{{Op: "replace", Path: "title", Value: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	out["name"].(map[string]any)["givenName"] = "mutated"
	if res["name"].(map[string]any)["givenName"] != "B" {
		t.Fatal("the result shares maps with the input resource")
	}
}

func TestApplyPatchDropsPassword(t *testing.T) {
	tests := []struct {
		name string
		res  string
		ops  string
	}{
		{"RFC 7643 §4.1.1 password by path", `{"userName":"b"}`, `[{"op":"replace","path":"password","value":"s3cret"}]`},
		{"RFC 7643 §4.1.1 password in a path-less value", `{"userName":"b"}`, `[{"op":"replace","value":{"password":"s3cret","title":"t"}}]`},
		{"RFC 7643 §4.1.1 stored password is not kept", `{"userName":"b","Password":"old"}`, `[{"op":"replace","path":"title","value":"t"}]`},
		{"RFC 7643 §4.1.1 remove password", `{"userName":"b"}`, `[{"op":"remove","path":"password"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyJSON(t, UserResourceType, js(t, tt.res), tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			if s := mustJSON(t, out); strings.Contains(strings.ToLower(s), "password") || strings.Contains(s, "s3cret") {
				t.Fatalf("password kept: %s", s)
			}
		})
	}
	_, err := applyJSON(t, UserResourceType, js(t, `{"userName":"b"}`), `[{"op":"replace","path":"password","value":42}]`)
	wantError(t, err, ScimTypeInvalidValue)
	if strings.Contains(err.Error(), "42") {
		t.Fatal("error details must not echo password values")
	}
}

func TestParsePatchPathForms(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		attr   string
		filter bool
		sub    string
	}{
		{"RFC 7644 §3.5.2 attrPath", "userName", "userName", false, ""},
		{"RFC 7644 §3.5.2 attrPath with sub-attribute", "name.givenName", "name.givenName", false, ""},
		{"RFC 7644 §3.5.2 URN attrPath", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", false, ""},
		{"RFC 7644 §3.5.2 valuePath", `members[value eq "2819c223"]`, "members", true, ""},
		{"RFC 7644 §3.5.2 valuePath subAttr", `addresses[type eq "work"].streetAddress`, "addresses", true, "streetAddress"},
		{"RFC 7644 §3.5.2 valuePath with three or-terms", `members[value eq "a" or value eq "b" or value eq "c"]`, "members", true, ""},
		{"RFC 7159 §7 valuePath with escaped quote", `emails[value eq "a\"]b"]`, "emails", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parsePatchPath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if p.attr.String() != tt.attr || (p.filter != nil) != tt.filter || p.sub != tt.sub {
				t.Fatalf("got attr %q filter %v sub %q", p.attr.String(), p.filter != nil, p.sub)
			}
		})
	}
}

// A PATCH path may name a whole extension (RFC 7644 §3.5.2: "path" is an
// attrPath, and RFC 7644 §3.10 lets a schema URN stand for the extension's
// attributes): add and replace take an object of its attributes and act as
// on a complex attribute (sub-attributes given replace, others stay,
// §3.5.2.3); remove without a value removes the whole extension (§3.5.2.2).
func TestApplyPatchWholeExtension(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	res := `{"schemas":["` + UserSchemaURN + `","` + ent + `"],"userName":"b","` + ent + `":{"department":"Tour","costCenter":"4130","manager":{"value":"m1"}}}`
	for _, tc := range []struct {
		name, ops, want string
	}{
		{"add merges the attributes given",
			`[{"op":"add","path":"` + ent + `","value":{"division":"Ops","department":"Sales"}}]`,
			`{"department":"Sales","costCenter":"4130","manager":{"value":"m1"},"division":"Ops"}`},
		{"replace merges the attributes given, as for a complex attribute",
			`[{"op":"replace","path":"` + ent + `","value":{"costCenter":"1","manager":{"value":"m2"}}}]`,
			`{"department":"Tour","costCenter":"1","manager":{"value":"m2"}}`},
		{"the URN matches without regard to case",
			`[{"op":"Replace","path":"URN:IETF:params:scim:schemas:extension:enterprise:2.0:user","value":{"costCenter":"2"}}]`,
			`{"department":"Tour","costCenter":"2","manager":{"value":"m1"}}`},
		{"remove without a value removes the whole extension",
			`[{"op":"remove","path":"` + ent + `"}]`, ``},
		{"replace with null unassigns the extension (RFC 7643 §2.5)",
			`[{"op":"replace","path":"` + ent + `","value":null}]`, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := applyJSON(t, UserResourceType, js(t, res), tc.ops)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if _, ok := out[ent]; ok {
					t.Fatalf("extension still there: %v", out[ent])
				}
				eqJSON(t, out["schemas"], []any{UserSchemaURN})
				return
			}
			eqJSON(t, out[ent], jsv(t, tc.want))
		})
	}

	// Added to a user without the extension.
	out, err := applyJSON(t, UserResourceType, js(t, `{"userName":"b"}`), `[{"op":"add","path":"`+ent+`","value":{"employeeNumber":"7"}}]`)
	if err != nil {
		t.Fatal(err)
	}
	eqJSON(t, out[ent], jsv(t, `{"employeeNumber":"7"}`))
	eqJSON(t, out["schemas"], []any{UserSchemaURN, ent})

	for _, ops := range []string{
		`[{"op":"add","path":"` + ent + `","value":"Tour"}]`,
		`[{"op":"replace","path":"` + ent + `","value":[{"department":"x"}]}]`,
	} {
		if _, err := applyJSON(t, UserResourceType, js(t, res), ops); AsError(err).ScimType != ScimTypeInvalidValue {
			t.Errorf("%s: got %v, want invalidValue", ops, err)
		}
	}
}
