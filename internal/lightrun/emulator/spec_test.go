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

package emulator

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// TestPatchedSpecIsValidOpenAPI: the published document fails strict OpenAPI
// 3.1 validation for exactly the two known defects; the patched one passes.
func TestPatchedSpecIsValidOpenAPI(t *testing.T) {
	validate := func(raw []byte) (bool, string) {
		doc, err := libopenapi.NewDocument(raw)
		if err != nil {
			t.Fatal(err)
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		ok, verrs := v.ValidateDocument()
		var msgs []string
		for _, e := range verrs {
			msgs = append(msgs, e.Message+" "+e.Reason)
			for _, se := range e.SchemaValidationErrors {
				msgs = append(msgs, se.Reason+" "+se.FieldPath)
			}
		}
		return ok, strings.Join(msgs, "\n")
	}
	if ok, msgs := validate(specJSON); ok {
		t.Error("the published document validates; the in-memory patches may no longer be needed")
	} else if !strings.Contains(msgs, "API Token") {
		t.Errorf("the published document fails for other reasons than the known defects:\n%s", msgs)
	}
	patched, err := patchSpec(specJSON)
	if err != nil {
		t.Fatal(err)
	}
	if ok, msgs := validate(patched); !ok {
		t.Fatalf("the patched document is not valid OpenAPI:\n%s", msgs)
	}
}

// TestPatchSpecNoticesFixedDefects: when Lightrun fixes a defect, patchSpec
// says so instead of silently patching nothing.
func TestPatchSpecNoticesFixedDefects(t *testing.T) {
	patched, err := patchSpec(specJSON)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := patchSpec(patched); err == nil {
		t.Fatal("patching an already patched document succeeded")
	}
}

func TestPatchSpecKeepsTheIdentityOperations(t *testing.T) {
	spec, err := sharedSpec()
	if err != nil {
		t.Fatal(err)
	}
	for path, methods := range map[string][]string{
		"/api/v1/users":                            {"GET", "POST"},
		"/api/v1/users/{email}":                    {"DELETE", "GET", "PUT"},
		"/api/v1/users/{email}/enable":             {"PUT"},
		"/api/v1/users/{email}/disable":            {"PUT"},
		"/api/v1/groups":                           {"GET", "POST"},
		"/api/v1/groups/{id}":                      {"DELETE", "GET", "PUT"},
		"/api/v1/groups/{id}/members":              {"DELETE", "POST"},
		"/api/v1/groups/{id}/members/{email}":      {"PUT"},
		"/api/v1/agent-pools":                      {"GET", "POST"},
		"/api/v1/agent-pools/{id}":                 {"DELETE", "GET", "PUT"},
		"/api/v1/configuration/idm/authentication": {"GET", "POST"},
		"/api/v1/configuration/idm/provisioning":   {"GET", "POST"},
	} {
		got := strings.Join(spec.operations[path], ",")
		if got != strings.Join(methods, ",") {
			t.Errorf("%s: the spec declares %q, want %q", path, got, strings.Join(methods, ","))
		}
	}
}

func TestDropRefAnnotations(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"properties": {
		"a": {"$ref": "#/x", "description": "d", "example": "e"},
		"description": {"type": "string", "description": "kept: no $ref here"}
	}}`), &doc); err != nil {
		t.Fatal(err)
	}
	dropRefAnnotations(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"properties":{"a":{"$ref":"#/x"},"description":{"description":"kept: no $ref here","type":"string"}}}`
	if string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
}

// TestDescribeOperations: the index the emulator checks answers against reads
// ids, permission levels and declared responses from the document.
func TestDescribeOperations(t *testing.T) {
	spec, err := sharedSpec()
	if err != nil {
		t.Fatal(err)
	}
	for route, want := range map[string]struct{ id, level, statuses string }{
		"POST /api/v1/users":                            {"createUser", LevelCompany, "201, 400, 401, 403"},
		"DELETE /api/v1/users/{email}":                  {"deleteUser", LevelCompany, "204, 400, 401, 404"},
		"PUT /api/v1/groups/{id}/members/{email}":       {"updateMember", LevelCompany, "200"},
		"POST /api/v1/groups/{id}/members":              {"addMembers", LevelCompany, "200, 207"},
		"GET /api/v1/agent-pools":                       {"listAgentPools", LevelDev, "200"},
		"DELETE /api/v1/agent-pools/{id}":               {"deleteAgentPool", LevelDev, "204, 400, 401, 403, 404, 409"},
		"POST /api/v1/configuration/idm/authentication": {"setAuthConfig", LevelCompany, "200, 400"},
		"GET /api/v1/sbom":                              {"", LevelSecurity, ""},
	} {
		op := spec.byRoute[route]
		if op == nil {
			t.Errorf("%s: not in the index", route)
			continue
		}
		if want.id != "" && op.id != want.id {
			t.Errorf("%s: operationId %q, want %q", route, op.id, want.id)
		}
		if op.level != want.level {
			t.Errorf("%s: level %q, want %q", route, op.level, want.level)
		}
		if want.statuses != "" && op.statuses() != want.statuses {
			t.Errorf("%s: statuses %q, want %q", route, op.statuses(), want.statuses)
		}
	}

	create := spec.byRoute["POST /api/v1/users"]
	if d, ok := create.response(400); !ok || !d.content || !create.successSchemas[d.schema] {
		t.Errorf("createUser 400 = %+v: want it declared with the success schema (springdoc's default)", d)
	}
	if _, ok := create.response(409); ok {
		t.Error("createUser declares no 409")
	}
	if d, ok := spec.byRoute["POST /api/v1/configuration/idm/authentication"].response(200); !ok || d.content {
		t.Errorf("setAuthConfig 200 = %+v, %v: want it declared without content", d, ok)
	}
}
