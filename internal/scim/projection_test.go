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
	"maps"
	"slices"
	"testing"
)

func keysOf(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

func TestProjection(t *testing.T) {
	user := fixture(t, "rfc7643_user_full.json")
	user["password"] = "t1meMa$heen"
	tests := []struct {
		name     string
		attrs    []string
		excluded []string
		check    func(t *testing.T, out map[string]any)
	}{
		{"RFC 7643 §7 default: everything but returned never", nil, nil, func(t *testing.T, out map[string]any) {
			absent(t, out, "password")
			for _, k := range []string{"id", "schemas", "userName", "name", "emails", "meta", "groups", EnterpriseUserSchemaURN} {
				if _, ok := out[k]; !ok {
					t.Errorf("%s missing", k)
				}
			}
		}},
		{"RFC 7644 §3.9 attributes: minimum set plus the named attribute", []string{"userName"}, nil, func(t *testing.T, out map[string]any) {
			eqJSON(t, keysOf(out), []string{"id", "schemas", "userName"})
			// RFC 7643 §3: schemas lists only what is present.
			eqJSON(t, out["schemas"], []any{UserSchemaURN})
		}},
		{"RFC 7643 §2.1 attribute names in any case", []string{"USERNAME"}, nil, func(t *testing.T, out map[string]any) {
			eqJSON(t, keysOf(out), []string{"id", "schemas", "userName"})
		}},
		{"RFC 7644 §3.9 a sub-attribute alone", []string{"name.givenName"}, nil, func(t *testing.T, out map[string]any) {
			eqJSON(t, out["name"], map[string]any{"givenName": "Barbara"})
		}},
		{"RFC 7644 §3.9 a multi-valued attribute with its sub-attributes", []string{"emails"}, nil, func(t *testing.T, out map[string]any) {
			eqJSON(t, out["emails"], user["emails"])
		}},
		{"RFC 7644 §3.9 a sub-attribute of a multi-valued attribute", []string{"emails.value"}, nil, func(t *testing.T, out map[string]any) {
			eqJSON(t, out["emails"], jsv(t, `[{"value":"bjensen@example.com"},{"value":"babs@jensen.org"}]`))
		}},
		{"RFC 7644 §3.10 the extension URN selects the extension", []string{EnterpriseUserSchemaURN}, nil, func(t *testing.T, out map[string]any) {
			eqJSON(t, out[EnterpriseUserSchemaURN], user[EnterpriseUserSchemaURN])
			eqJSON(t, out["schemas"], user["schemas"])
		}},
		{"RFC 7644 §3.10 an extension sub-attribute", []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"}, nil, func(t *testing.T, out map[string]any) {
			eqJSON(t, out[EnterpriseUserSchemaURN], map[string]any{"manager": map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d"}})
		}},
		{"RFC 7643 §3.1 meta is returned by default, so it can be asked for", []string{"meta.version"}, nil, func(t *testing.T, out map[string]any) {
			eqJSON(t, out["meta"], map[string]any{"version": `W/"3694e05e9dff591"`})
		}},
		{"RFC 7643 §7 never: password even when asked for", []string{"password", "userName"}, nil, func(t *testing.T, out map[string]any) {
			absent(t, out, "password")
		}},
		{"RFC 7644 §3.4.2.5 unknown attribute names select nothing", []string{"favouriteColour"}, nil, func(t *testing.T, out map[string]any) {
			eqJSON(t, keysOf(out), []string{"id", "schemas"})
		}},
		{"RFC 7644 §3.4.2.5 excludedAttributes removes from the default set", nil, []string{"emails", "name.givenName"}, func(t *testing.T, out map[string]any) {
			absent(t, out, "emails")
			eqJSON(t, out["name"].(map[string]any)["givenName"], nil)
			eqJSON(t, out["name"].(map[string]any)["familyName"], "Jensen")
			eqJSON(t, out["userName"], "bjensen@example.com")
		}},
		{"RFC 7644 §3.4.2.5 excludedAttributes has no effect on returned always", nil, []string{"id", "schemas"}, func(t *testing.T, out map[string]any) {
			eqJSON(t, out["id"], user["id"])
			eqJSON(t, out["schemas"], user["schemas"])
		}},
		{"RFC 7644 §3.4.2.5 excluding the extension prunes schemas", nil, []string{EnterpriseUserSchemaURN}, func(t *testing.T, out map[string]any) {
			absent(t, out, EnterpriseUserSchemaURN)
			eqJSON(t, out["schemas"], []any{UserSchemaURN})
		}},
		{"RFC 7644 §3.4.2.5 attributes and excludedAttributes together", []string{"name", "emails"}, []string{"name.givenName"}, func(t *testing.T, out map[string]any) {
			eqJSON(t, keysOf(out), []string{"emails", "id", "name", "schemas"})
			absent(t, out["name"].(map[string]any), "givenName")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := mustJSON(t, user)
			out, err := Project(UserResourceType, user, tt.attrs, tt.excluded)
			if err != nil {
				t.Fatal(err)
			}
			if mustJSON(t, user) != before {
				t.Fatal("Project modified its input")
			}
			tt.check(t, out)
			set, err := NewAttributeSet(UserResourceType, tt.attrs, tt.excluded)
			if err != nil {
				t.Fatal(err)
			}
			checkApplyInPlace(t, set, user)
		})
	}
	if _, err := Project(UserResourceType, user, []string{"emails[type eq \"work\"]"}, nil); err == nil {
		t.Fatal("a malformed attribute name must be an error")
	} else {
		wantError(t, err, ScimTypeInvalidValue)
	}
}

func TestProjectionUnknownKeys(t *testing.T) {
	res := js(t, `{"id":"1","userName":"u","x-custom":"kept","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"d","x-ext":"kept"}}`)
	out, err := Project(UserResourceType, res, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	eqJSON(t, out, res)
	out, err = Project(UserResourceType, res, []string{"userName"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	eqJSON(t, out, map[string]any{"id": "1", "userName": "u"})
	for _, attrs := range [][]string{nil, {"userName"}, {EnterpriseUserSchemaURN}, {EnterpriseUserSchemaURN + ":department"}} {
		set, err := NewAttributeSet(UserResourceType, attrs, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkApplyInPlace(t, set, res)
	}
	// The result shares nothing with the input.
	out, _ = Project(UserResourceType, res, nil, nil)
	out[EnterpriseUserSchemaURN].(map[string]any)["department"] = "changed"
	if res[EnterpriseUserSchemaURN].(map[string]any)["department"] != "d" {
		t.Fatal("the projection shares maps with its input")
	}
}

func TestAttributeSetIncludes(t *testing.T) {
	tests := []struct {
		name     string
		rt       ResourceType
		attrs    []string
		excluded []string
		path     string
		want     bool
	}{
		{"RFC 7643 §7 Group members returned by default", GroupResourceType, nil, nil, "members", true},
		{"Entra excludedAttributes=members: members not loaded", GroupResourceType, nil, []string{"members"}, "members", false},
		{"RFC 7644 §3.9 attributes without members", GroupResourceType, []string{"displayName"}, nil, "members", false},
		{"RFC 7644 §3.9 attributes naming a member sub-attribute", GroupResourceType, []string{"members.value"}, nil, "members", true},
		{"RFC 7644 §3.9 attributes naming one member sub-attribute", GroupResourceType, []string{"members.value"}, nil, "members.display", false},
		{"RFC 7643 §2.1 excluded name in another case", GroupResourceType, nil, []string{"MEMBERS"}, "members", false},
		{"RFC 7643 §3.1 id always", GroupResourceType, []string{"displayName"}, []string{"id"}, "id", true},
		{"RFC 7643 §7 password never", UserResourceType, []string{"password"}, nil, "password", false},
		{"RFC 7643 §4.1.2 User groups by default", UserResourceType, nil, nil, "groups", true},
		{"RFC 7643 §4.1.2 User groups excluded", UserResourceType, nil, []string{"groups"}, "groups", false},
		{"RFC 7644 §3.10 extension URN when one of its attributes is asked for", UserResourceType, []string{EnterpriseUserSchemaURN + ":department"}, nil, EnterpriseUserSchemaURN, true},
		{"RFC 7644 §3.10 extension URN when excluded", UserResourceType, nil, []string{EnterpriseUserSchemaURN}, EnterpriseUserSchemaURN, false},
		{"RFC 7644 §3.10 extension attribute under an excluded extension", UserResourceType, nil, []string{EnterpriseUserSchemaURN}, EnterpriseUserSchemaURN + ":manager", false},
		{"unknown path", UserResourceType, nil, nil, "nope", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewAttributeSet(tt.rt, tt.attrs, tt.excluded)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Includes(tt.path); got != tt.want {
				t.Fatalf("Includes(%s) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestSplitAttributeList(t *testing.T) {
	got := SplitAttributeList(" userName, name.givenName ,,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department ")
	want := []string{"userName", "name.givenName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q", got)
	}
}

// checkApplyInPlace holds ApplyInPlace to Apply: on a copy of res, which
// it may change, it must give what Apply gives, as JSON.
func checkApplyInPlace(t testing.TB, s AttributeSet, res map[string]any) {
	t.Helper()
	want := mustJSON(t, s.Apply(res))
	owned := deepCopy(res).(map[string]any)
	if got := mustJSON(t, s.ApplyInPlace(owned)); got != want {
		t.Fatalf("ApplyInPlace gave\n%s\nApply gave\n%s", got, want)
	}
}

func TestApplyInPlaceShapes(t *testing.T) {
	// Values Apply reshapes: a multi-valued attribute held as one value or
	// as null, a sub-attribute the schema does not define, a password.
	res := js(t, `{"id":"1","schemas":["`+UserSchemaURN+`","`+EnterpriseUserSchemaURN+`"],"userName":"u","password":"p",`+
		`"emails":{"value":"a@example.com","type":"work","x-sub":"kept"},"phoneNumbers":null,"ims":[],`+
		`"name":{"givenName":"A","x-sub":1},"`+EnterpriseUserSchemaURN+`":{"manager":{"value":"2","x-sub":true}}}`)
	for _, sets := range []struct{ attrs, excluded []string }{
		{nil, nil},
		{[]string{"emails.value"}, nil},
		{[]string{"emails", "phoneNumbers", "ims"}, nil},
		{nil, []string{"emails.type", "name.givenName"}},
		{[]string{EnterpriseUserSchemaURN + ":manager.value"}, nil},
		{nil, []string{EnterpriseUserSchemaURN + ":manager"}},
	} {
		set, err := NewAttributeSet(UserResourceType, sets.attrs, sets.excluded)
		if err != nil {
			t.Fatal(err)
		}
		checkApplyInPlace(t, set, res)
	}
	// A Group's schema has no password: it goes as an unknown key, always.
	group := js(t, `{"id":"g","schemas":["`+GroupSchemaURN+`"],"displayName":"G","password":"p","x-custom":1,`+
		`"members":[{"value":"1","display":"one","type":"User","x-sub":1}]}`)
	for _, excluded := range [][]string{nil, {"members.display"}} {
		set, err := NewAttributeSet(GroupResourceType, nil, excluded)
		if err != nil {
			t.Fatal(err)
		}
		checkApplyInPlace(t, set, group)
		if _, has := set.ApplyInPlace(deepCopy(group).(map[string]any))["password"]; has {
			t.Fatal("ApplyInPlace returned a password")
		}
	}
}
