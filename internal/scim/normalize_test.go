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

import "testing"

const adscimGroup = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

// A schema URN the service provider does not know is harmless while the body
// carries none of its attributes (Entra ID's Create Group lists one); when it
// does carry them, the request asks for something that would be lost.
func TestCheckSchemasTolerantReader(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		rt         ResourceType
		ok         bool
	}{
		{"Entra Create Group (Microsoft's SCIM tutorial)", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "` + adscimGroup + `"], "displayName": "g"}`, GroupResourceType, true},
		{"Entra Create Group from testdata", string(readFixture(t, "entra_create_group.json")), GroupResourceType, true},
		{"unknown URN with an object of attributes", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "` + adscimGroup + `"], "displayName": "g", "` + adscimGroup + `": {"x": 1}}`, GroupResourceType, false},
		{"unknown URN with an attribute key in another case", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:acme:2.0:User"], "userName": "u", "URN:EXAMPLE:ACME:2.0:USER:costCenter": "1"}`, UserResourceType, false},
		{"unknown URN with a null object", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:acme:2.0:User"], "userName": "u", "urn:example:acme:2.0:User": null}`, UserResourceType, false},
		{"a longer URN sharing the prefix is another schema", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:acme"], "userName": "u", "urn:example:acmeCorp": "1"}`, UserResourceType, true},
		{"enterprise extension listed without attributes", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "userName": "u"}`, UserResourceType, true},
		{"core schema still required", `{"schemas": ["` + adscimGroup + `"], "displayName": "g"}`, GroupResourceType, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSchemas(tc.rt, js(t, tc.body))
			if tc.ok && err != nil {
				t.Fatalf("CheckSchemas: %v", err)
			}
			if !tc.ok {
				if err == nil {
					t.Fatal("CheckSchemas accepted the body")
				}
				if e := AsError(err); e.Status != 400 || e.ScimType != "invalidValue" {
					t.Fatalf("want 400 invalidValue, got %v", err)
				}
			}
		})
	}
}
