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
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
)

// specJSON is Lightrun's published OpenAPI document ("Lightrun API" v1), kept
// byte for byte as Lightrun publishes it: this embedded copy is the one
// source the client and the emulator follow (docs/lightrun-api.md).
//
//go:embed lightrun-openapi.json
var specJSON []byte

// specSecuritySchemeName is what the published document calls its only security
// scheme. OpenAPI 3.1 §4.8.7.1 restricts component names to ^[a-zA-Z0-9.\-_]+$, so
// the space makes the document invalid; patchSpec renames it.
const (
	specSecuritySchemeName    = "API Token"
	patchedSecuritySchemeName = "APIToken"
)

// apiSpec is the loaded document: its validator and the operations it declares.
type apiSpec struct {
	validator validator.Validator
	// operations maps each path template ("/api/v1/users/{email}") to the
	// methods the document declares for it.
	operations map[string][]string
	// byRoute describes each operation by "METHOD /path/{template}".
	byRoute map[string]*specOperation
}

// Permission levels of Lightrun API keys, as operation descriptions name them
// ("**Required API permission level:** `COMPANY`").
const (
	LevelDev      = "DEV"
	LevelCompany  = "COMPANY"
	LevelSecurity = "SECURITY"
)

// specOperation is what the document says about one operation.
type specOperation struct {
	id     string // operationId, e.g. "createUser"
	method string
	path   string
	// level is the "Required API permission level" of the description; empty
	// when the description names none.
	level string
	// responses are the declared responses by status code ("404", "4XX",
	// "default").
	responses map[string]declaredResponse
	// successSchemas are the schemas of the declared 1xx-3xx responses.
	successSchemas map[string]bool
}

// declaredResponse is one entry of an operation's "responses".
type declaredResponse struct {
	// content is whether the response declares a body.
	content bool
	// schema identifies the schema of its application/json body: the $ref, or
	// the schema's JSON when it is inline; empty without one.
	schema string
}

// response returns the declared response for status: an exact code, else a
// range ("4XX"), else "default".
func (o *specOperation) response(status int) (declaredResponse, bool) {
	for _, key := range []string{strconv.Itoa(status), strconv.Itoa(status/100) + "XX", "default"} {
		if d, ok := o.responses[key]; ok {
			return d, true
		}
	}
	return declaredResponse{}, false
}

// statuses lists the declared status codes, sorted, for messages.
func (o *specOperation) statuses() string {
	keys := slices.Sorted(maps.Keys(o.responses))
	return strings.Join(keys, ", ")
}

var (
	specOnce   sync.Once
	loadedSpec *apiSpec
	specErr    error
)

// sharedSpec returns the loaded spec. It is built once per process: building
// the validator compiles every schema of a 200 KiB document, and the validator
// is immutable and safe for concurrent use afterwards.
func sharedSpec() (*apiSpec, error) {
	specOnce.Do(func() {
		loadedSpec, specErr = loadSpec(specJSON)
	})
	return loadedSpec, specErr
}

func loadSpec(raw []byte) (*apiSpec, error) {
	patched, err := patchSpec(raw)
	if err != nil {
		return nil, err
	}
	v, err := newSpecValidator(patched)
	if err != nil {
		return nil, err
	}
	ops, err := specOperations(patched)
	if err != nil {
		return nil, err
	}
	byRoute, err := describeOperations(patched)
	if err != nil {
		return nil, err
	}
	return &apiSpec{validator: v, operations: ops, byRoute: byRoute}, nil
}

// httpMethods are the operation keys of an OpenAPI path item (§4.8.9.1).
var httpMethods = map[string]string{
	"get": http.MethodGet, "put": http.MethodPut, "post": http.MethodPost, "delete": http.MethodDelete,
	"options": http.MethodOptions, "head": http.MethodHead, "patch": http.MethodPatch, "trace": http.MethodTrace,
}

func specOperations(doc []byte) (map[string][]string, error) {
	var parsed struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		return nil, fmt.Errorf("reading the operations of the Lightrun OpenAPI document: %w", err)
	}
	ops := make(map[string][]string, len(parsed.Paths))
	for path, item := range parsed.Paths {
		for key := range item {
			if method, ok := httpMethods[key]; ok {
				ops[path] = append(ops[path], method)
			}
		}
		slices.Sort(ops[path])
	}
	return ops, nil
}

// permissionLevel finds the level in an operation description.
var permissionLevel = regexp.MustCompile("Required API permission level:\\*\\* `([A-Z_]+)`")

// describeOperations reads, for every operation, its id, permission level and
// declared responses.
func describeOperations(doc []byte) (map[string]*specOperation, error) {
	type mediaType struct {
		Schema json.RawMessage `json:"schema"`
	}
	type responseObject struct {
		Content map[string]mediaType `json:"content"`
	}
	type operationObject struct {
		OperationID string                    `json:"operationId"`
		Description string                    `json:"description"`
		Responses   map[string]responseObject `json:"responses"`
	}
	var parsed struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		return nil, fmt.Errorf("reading the operations of the Lightrun OpenAPI document: %w", err)
	}
	out := map[string]*specOperation{}
	for path, item := range parsed.Paths {
		for key, raw := range item {
			method, ok := httpMethods[key]
			if !ok {
				continue
			}
			var op operationObject
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, fmt.Errorf("reading %s %s of the Lightrun OpenAPI document: %w", method, path, err)
			}
			so := &specOperation{
				id: op.OperationID, method: method, path: path,
				responses: map[string]declaredResponse{}, successSchemas: map[string]bool{},
			}
			if m := permissionLevel.FindStringSubmatch(op.Description); m != nil {
				so.level = m[1]
			}
			for code, r := range op.Responses {
				d := declaredResponse{content: len(r.Content) > 0}
				if mt, ok := r.Content["application/json"]; ok && len(mt.Schema) > 0 {
					d.schema = schemaIdentity(mt.Schema)
				}
				so.responses[code] = d
				if len(code) == 3 && code[0] >= '1' && code[0] <= '3' && d.schema != "" {
					so.successSchemas[d.schema] = true
				}
			}
			out[method+" "+path] = so
		}
	}
	return out, nil
}

// schemaIdentity names a schema: its $ref, else its compact JSON.
func schemaIdentity(raw json.RawMessage) string {
	var ref struct {
		Ref string `json:"$ref"`
	}
	if json.Unmarshal(raw, &ref) == nil && ref.Ref != "" {
		return ref.Ref
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}

// newSpecValidator builds the validator for the (patched) document.
func newSpecValidator(patched []byte) (validator.Validator, error) {
	doc, err := libopenapi.NewDocument(patched)
	if err != nil {
		return nil, fmt.Errorf("parsing the Lightrun OpenAPI document: %w", err)
	}
	v, errs := validator.NewValidator(doc,
		// format: email, uuid and date-time are part of the identity schemas
		// (CreateUserPublicDTO.email, UserGroupPublicDTO.id, createdDate...); a client
		// or emulator that sends "not-an-email" must be caught here.
		config.WithFormatAssertions(),
		// Strict mode reports properties, query parameters and headers the spec
		// does not declare. Lightrun (Spring/Jackson) silently ignores an unknown
		// property, so a misspelt field would be dropped without an error by the
		// real service: the emulator refuses it instead.
		config.WithStrictMode(),
		// A body on an operation that declares none (PUT .../enable) is a client bug.
		config.WithRejectUndeclaredRequestBody(),
	)
	if len(errs) > 0 {
		return nil, fmt.Errorf("building the OpenAPI validator: %v", errs)
	}
	return v, nil
}

// patchSpec repairs, in memory, the two defects of the published document that
// make it invalid OpenAPI 3.1. Both are outside the identity subset; the file on
// disk is never changed.
func patchSpec(raw []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decoding the Lightrun OpenAPI document: %w", err)
	}

	// Defect 1: the security scheme "API Token" has a space in its name
	// (OpenAPI 3.1 §4.8.7.1). Rename it and every requirement that names it.
	components, _ := doc["components"].(map[string]any)
	schemes, _ := components["securitySchemes"].(map[string]any)
	scheme, ok := schemes[specSecuritySchemeName]
	if !ok {
		return nil, fmt.Errorf("patching the Lightrun OpenAPI document: security scheme %q not found", specSecuritySchemeName)
	}
	delete(schemes, specSecuritySchemeName)
	schemes[patchedSecuritySchemeName] = scheme
	renameRequirements := func(reqs any) {
		list, _ := reqs.([]any)
		for _, r := range list {
			req, _ := r.(map[string]any)
			if scopes, ok := req[specSecuritySchemeName]; ok {
				delete(req, specSecuritySchemeName)
				req[patchedSecuritySchemeName] = scopes
			}
		}
	}
	renameRequirements(doc["security"])
	paths, _ := doc["paths"].(map[string]any)
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, op := range ops {
			if operation, ok := op.(map[string]any); ok {
				renameRequirements(operation["security"])
			}
		}
	}

	// Defect 2: the query parameter "signature" of POST
	// /api/v1/configuration/feature/toggle has neither "schema" nor "content",
	// which OpenAPI 3.1 §4.8.12.4 requires (exactly one of them). The parameter
	// carries a signature string, so it gets a string schema.
	patchedSignature := false
	if toggle, ok := paths["/api/v1/configuration/feature/toggle"].(map[string]any); ok {
		if post, ok := toggle["post"].(map[string]any); ok {
			params, _ := post["parameters"].([]any)
			for _, p := range params {
				param, _ := p.(map[string]any)
				if param["name"] == "signature" && param["schema"] == nil && param["content"] == nil {
					param["schema"] = map[string]any{"type": "string"}
					patchedSignature = true
				}
			}
		}
	}
	if !patchedSignature {
		return nil, fmt.Errorf("patching the Lightrun OpenAPI document: parameter %q of POST /api/v1/configuration/feature/toggle not found without a schema", "signature")
	}

	// Not a defect of the document but a workaround for the validator: OpenAPI 3.1
	// allows keywords beside a $ref, and the document puts "description" (and
	// "example") next to several (IdmAuthenticationConfigurationWriteDTO.
	// ssoProtocolOptions, IdmProvisioningConfiguration*DTO.scim, ...).
	// libopenapi-validator's strict mode then does not resolve the $ref and
	// reports every property of the referenced object as undeclared. Both
	// keywords are annotations (JSON Schema 2020-12 §9), so dropping them beside a
	// $ref changes what validates not at all.
	dropRefAnnotations(doc)

	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding the patched Lightrun OpenAPI document: %w", err)
	}
	return out, nil
}

// dropRefAnnotations removes the annotation keywords "description" and
// "example" from every schema object that also has a $ref.
func dropRefAnnotations(node any) {
	switch n := node.(type) {
	case map[string]any:
		if _, ok := n["$ref"].(string); ok {
			delete(n, "description")
			delete(n, "example")
		}
		for _, v := range n {
			dropRefAnnotations(v)
		}
	case []any:
		for _, v := range n {
			dropRefAnnotations(v)
		}
	}
}
