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
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	validationerrors "github.com/pb33f/libopenapi-validator/errors"
)

// operation answers one API operation. body is the request body, already
// checked against the spec.
type operation func(r *http.Request, body []byte) response

// routes registers the identity operations, each behind request and response
// validation, and an index of every path of the spec for 404/405/501.
func (e *Emulator) routes() {
	e.api = http.NewServeMux()
	handle := e.handle
	handle(http.MethodGet, "/api/v1/users", e.listUsers)
	handle(http.MethodPost, "/api/v1/users", e.createUser)
	handle(http.MethodGet, "/api/v1/users/{email}", e.getUser)
	handle(http.MethodPut, "/api/v1/users/{email}", e.updateUser)
	handle(http.MethodDelete, "/api/v1/users/{email}", e.deleteUser)
	handle(http.MethodPut, "/api/v1/users/{email}/enable", e.enableUser)
	handle(http.MethodPut, "/api/v1/users/{email}/disable", e.disableUser)

	handle(http.MethodGet, "/api/v1/groups", e.listGroups)
	handle(http.MethodPost, "/api/v1/groups", e.createGroup)
	handle(http.MethodGet, "/api/v1/groups/{id}", e.getGroup)
	handle(http.MethodPut, "/api/v1/groups/{id}", e.updateGroup)
	handle(http.MethodDelete, "/api/v1/groups/{id}", e.deleteGroup)
	handle(http.MethodPost, "/api/v1/groups/{id}/members", e.addMembers)
	handle(http.MethodDelete, "/api/v1/groups/{id}/members", e.removeMembers)
	handle(http.MethodPut, "/api/v1/groups/{id}/members/{email}", e.updateMember)

	handle(http.MethodGet, "/api/v1/agent-pools", e.listAgentPools)
	handle(http.MethodPost, "/api/v1/agent-pools", e.createAgentPool)
	handle(http.MethodGet, "/api/v1/agent-pools/{id}", e.getAgentPool)
	handle(http.MethodPut, "/api/v1/agent-pools/{id}", e.updateAgentPool)
	handle(http.MethodDelete, "/api/v1/agent-pools/{id}", e.deleteAgentPool)

	handle(http.MethodGet, "/api/v1/configuration/idm/authentication", e.getAuthentication)
	handle(http.MethodPost, "/api/v1/configuration/idm/authentication", e.setAuthentication)
	handle(http.MethodGet, "/api/v1/configuration/idm/provisioning", e.getProvisioning)
	handle(http.MethodPost, "/api/v1/configuration/idm/provisioning", e.setProvisioning)

	e.api.HandleFunc("/", e.unrouted)

	// The spec's path templates use the same {name} syntax as ServeMux
	// patterns, so a method-less mux over all of them tells which template a
	// request path belongs to.
	e.paths = http.NewServeMux()
	for path := range e.spec.operations {
		e.paths.Handle(path, http.NotFoundHandler())
	}
}

// handle registers op for the operation method path of the spec, behind
// request and response validation. The operation must be in the spec.
func (e *Emulator) handle(method, path string, op operation) {
	spec := e.spec.byRoute[method+" "+path]
	if spec == nil {
		panic(fmt.Sprintf("emulator: %s %s is not an operation of the Lightrun OpenAPI document", method, path))
	}
	e.api.Handle(method+" "+path, e.validated(spec, op))
}

// unrouted answers a call the emulator has no operation for: 404 when the spec
// has no such path, 405 when it has the path but not the method, and 501 when
// the spec has the operation but it is outside the emulated identity subset.
func (e *Emulator) unrouted(w http.ResponseWriter, r *http.Request) {
	_, pattern := e.paths.Handler(r)
	methods, known := e.spec.operations[pattern]
	switch {
	case !known:
		e.write(w, r, failf(http.StatusNotFound, "No endpoint %s %s.", r.Method, r.URL.Path), false)
	case !slices.Contains(methods, r.Method):
		resp := failf(http.StatusMethodNotAllowed, "Request method '%s' is not supported", r.Method)
		resp.header = http.Header{"Allow": {strings.Join(methods, ", ")}}
		e.write(w, r, resp, false)
	default:
		e.write(w, r, failf(http.StatusNotImplemented,
			"%s %s is in Lightrun's API but outside the identity subset this emulator implements", r.Method, pattern), false)
	}
}

// validated wraps op: the request must satisfy the spec (else 400), and op's
// answer is checked against the spec before it is sent.
func (e *Emulator) validated(spec *specOperation, op operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != spec.method {
			// ServeMux lets HEAD through to GET patterns; the spec has no HEAD.
			e.unrouted(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBodyBytes))
		if err != nil {
			if tooLarge, ok := errors.AsType[*http.MaxBytesError](err); ok {
				e.write(w, r, failf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", tooLarge.Limit), false)
				return
			}
			e.write(w, r, failf(http.StatusBadRequest, "reading the request body: %v", err), false)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if ok, errs := e.spec.validator.ValidateHttpRequest(r); !ok {
			msg := summarize(errs)
			record(r).Rejected = msg
			e.log.Info("Request violates the Lightrun OpenAPI spec", "method", r.Method, "path", r.URL.Path, "violation", msg)
			e.write(w, r, failf(http.StatusBadRequest, "Request does not match the Lightrun API: %s", msg), false)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.write(w, r, op(r, body), true)
	})
}

// write encodes resp and sends it. With check set, a success answer is first
// validated against the spec; one that breaks it is an emulator bug and is
// replaced by a 500 that names the violation, logged, and recorded.
//
// Only success answers are checked: the spec describes most error answers with
// the success schema (a 401 of GET /api/v1/users/{email} would need email,
// firstName and lastName), which contradicts Lightrun's documented error body
// {"message": ...}; every error the emulator sends has that shape (errorBody).
func (e *Emulator) write(w http.ResponseWriter, r *http.Request, resp response, check bool) {
	var body []byte
	header := http.Header{}
	maps.Copy(header, resp.header)
	if resp.body != nil {
		var err error
		if body, err = json.Marshal(resp.body); err != nil {
			e.log.Error(err, "Encoding the response", "method", r.Method, "path", r.URL.Path)
			resp = failf(http.StatusInternalServerError, "emulator: encoding the response: %v", err)
			body, _ = json.Marshal(resp.body)
		}
		header.Set("Content-Type", "application/json")
	}
	if check && resp.status < 400 {
		answer := &http.Response{
			StatusCode:    resp.status,
			Header:        header,
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
			Request:       r,
		}
		if ok, errs := e.spec.validator.ValidateHttpResponse(r, answer); !ok {
			msg := summarize(errs)
			record(r).Violation = msg
			e.log.Error(nil, "Emulator response violates the Lightrun OpenAPI spec", "method", r.Method,
				"path", r.URL.Path, "status", resp.status, "violation", msg)
			resp = failf(http.StatusInternalServerError, "emulator: the %d response violates the Lightrun OpenAPI spec: %s", resp.status, msg)
			body, _ = json.Marshal(resp.body)
			header = http.Header{"Content-Type": {"application/json"}}
		}
	}
	maps.Copy(w.Header(), header)
	if body != nil {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(resp.status)
	if body != nil && r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// authorized checks "Authorization: Bearer <key>" (RFC 6750 §2.1; the scheme
// name is case-insensitive, RFC 9110 §11.1) against the API keys, comparing
// digests in constant time so the time taken does not reveal a key.
func (e *Emulator) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for _, k := range e.keys {
		match |= subtle.ConstantTimeCompare(sum[:], k[:])
	}
	return match == 1
}

// summarize turns validation errors into one line for an error body or a log.
func summarize(errs []*validationerrors.ValidationError) string {
	var parts []string
	for _, ve := range errs {
		if ve == nil {
			continue
		}
		msg := ve.Message
		var reasons []string
		for _, se := range ve.SchemaValidationErrors {
			if se == nil {
				continue
			}
			reason := se.Reason
			if se.FieldPath != "" {
				reason += " (at " + se.FieldPath + ")"
			}
			reasons = append(reasons, reason)
		}
		if len(reasons) > 0 {
			msg += ": " + strings.Join(reasons, "; ")
		} else if ve.Reason != "" && ve.Reason != ve.Message {
			msg += ": " + ve.Reason
		}
		parts = append(parts, msg)
	}
	if len(parts) == 0 {
		return "the request does not match the spec"
	}
	return strings.Join(parts, " | ")
}

// decode reads a request body into v. The validator has checked the body
// already; an error here means the body and the struct disagree.
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding the request body: %w", err)
	}
	return nil
}
