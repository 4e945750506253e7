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
	"mime"
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
		e.write(w, r, nil, protocolf(http.StatusNotFound, "No endpoint %s %s.", r.Method, r.URL.Path))
	case !slices.Contains(methods, r.Method):
		resp := protocolf(http.StatusMethodNotAllowed, "Request method '%s' is not supported", r.Method)
		resp.header = http.Header{"Allow": {strings.Join(methods, ", ")}}
		e.write(w, r, nil, resp)
	default:
		e.write(w, r, nil, protocolf(http.StatusNotImplemented,
			"%s %s is in Lightrun's API but outside the identity subset this emulator implements", r.Method, pattern))
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
		if level := levelOf(r); !level.permits(spec) {
			e.write(w, r, spec, denied(spec, level))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBodyBytes))
		if err != nil {
			if tooLarge, ok := errors.AsType[*http.MaxBytesError](err); ok {
				e.write(w, r, spec, protocolf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", tooLarge.Limit))
				return
			}
			e.write(w, r, spec, protocolf(http.StatusBadRequest, "reading the request body: %v", err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if ok, errs := e.spec.validator.ValidateHttpRequest(r); !ok {
			msg := summarize(errs)
			record(r).Rejected = msg
			e.write(w, r, spec, refuse("Request does not match the Lightrun API: %s", msg))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.write(w, r, spec, op(r, body))
	})
}

// write checks resp against the spec, counts it in Conformance, and sends it.
// op is the operation the call reached; nil when it reached none. An answer
// that breaks the spec is an emulator bug: it is logged, recorded as the
// request's Violation, counted, and replaced by a 500 naming the violation.
func (e *Emulator) write(w http.ResponseWriter, r *http.Request, op *specOperation, resp response) {
	rec := record(r)
	target := r.Method + " " + r.URL.RequestURI()
	if resp.kind == answerRefusal {
		if rec.Rejected == "" {
			rec.Rejected = messageOf(resp)
		}
		e.conf.invalidRequest(target + ": " + rec.Rejected)
		e.log.Info("Request violates the Lightrun OpenAPI spec", "method", r.Method, "path", r.URL.Path, "violation", rec.Rejected)
	}
	header, body := e.encode(r, resp)
	if problem := e.conform(r, op, resp, header, body); problem != "" {
		rec.Violation = problem
		e.conf.invalidResponse(fmt.Sprintf("the %d answer to %s: %s", resp.status, target, problem))
		e.log.Error(nil, "Emulator response violates the Lightrun OpenAPI spec", "method", r.Method,
			"path", r.URL.Path, "status", resp.status, "violation", problem)
		resp = protocolf(http.StatusInternalServerError, "emulator: the %d response violates the Lightrun OpenAPI spec: %s", resp.status, problem)
		header, body = e.encode(r, resp)
	} else if resp.undeclared && resp.kind == answerOperation && op != nil {
		if _, declared := op.response(resp.status); !declared {
			rec.Undeclared = true
			e.conf.undeclaredAnswer(op.id + " " + strconv.Itoa(resp.status))
		}
	} else {
		rec.Replaced = resp.replaces
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

// encode renders resp's headers and body; a body is JSON.
func (e *Emulator) encode(r *http.Request, resp response) (http.Header, []byte) {
	header := http.Header{}
	maps.Copy(header, resp.header)
	if resp.body == nil {
		return header, nil
	}
	body, err := json.Marshal(resp.body)
	if err != nil {
		// Every body is a plain struct, map or slice; this is a bug.
		e.log.Error(err, "Encoding the response", "method", r.Method, "path", r.URL.Path)
		body = []byte(`{"message":"emulator: encoding the response failed"}`)
	}
	header.Set("Content-Type", "application/json")
	return header, body
}

// What a valid answer is
//
// The OpenAPI document is exact about successes and loose about errors: it is
// generated by springdoc, which gives every 4xx an operation declares the
// operation's success schema (a 404 of getUser "is" a UserPublicDTO, which
// requires email, firstName and lastName), and declares 4xx of operations
// without a response body with no content at all, while Lightrun's API
// introduction documents the error body {"message": "401 Unauthorized"}.
// So the emulator holds every answer to these rules:
//
//  1. The operation's own answers (answerOperation):
//     a. The status is declared by the operation (exactly, as a range such as
//     4XX, or by "default"). An undeclared status is a violation, unless it
//     is one of UndeclaredAnswers (marked undeclared): those are counted in
//     Conformance.Undeclared in AnswersDefault mode, and replaced by a
//     declared status in AnswersAlternative mode.
//     b. A 204 has no body (RFC 9110 §15.3.5), and neither has a success the
//     operation declares without content (200 of setAuthConfig).
//     c. A success declared with content is validated by libopenapi-validator:
//     content type, schema, formats (email, uuid, date-time), no undeclared
//     property.
//     d. An error (4xx, 5xx) carries Lightrun's error body: Content-Type
//     application/json and a JSON object whose only member is "message", a
//     non-empty string. This holds whether the status is declared with the
//     success schema (springdoc's default, which no real error body matches),
//     declared without content, or undeclared. Only an error the document
//     declares with a schema of its own (none of the operation's success
//     schemas) is validated against that schema instead; the identity
//     operations declare none.
//  2. Answers of the request pipeline (answerProtocol, answerRefusal: 401,
//     permission denials, 400 for a request that breaks the spec, 413, 429,
//     5xx faults, 404/405/501 routing, the 500 replacing a violation) may
//     answer any operation, declared or not: Lightrun's gateway and framework
//     give them before an operation runs, and the document describes
//     operations. They are errors and carry Lightrun's error body (1d).
func (e *Emulator) conform(r *http.Request, op *specOperation, resp response, header http.Header, body []byte) string {
	if resp.kind != answerOperation || op == nil {
		if resp.status < 400 {
			return fmt.Sprintf("the request pipeline answered %d, which is not an error", resp.status)
		}
		return checkErrorBody(header, body)
	}
	declared, ok := op.response(resp.status)
	if !ok && !resp.undeclared {
		return fmt.Sprintf("%s does not declare %d (it declares %s)", op.id, resp.status, op.statuses())
	}
	if resp.status >= 400 {
		if ok && declared.schema != "" && !op.successSchemas[declared.schema] {
			return e.validateResponse(r, resp.status, header, body)
		}
		return checkErrorBody(header, body)
	}
	if resp.status == http.StatusNoContent && len(body) > 0 {
		return "a 204 has no content (RFC 9110 §15.3.5), but the answer has a body"
	}
	if !declared.content {
		if len(body) > 0 {
			return fmt.Sprintf("%s declares its %d without content, but the answer has a body", op.id, resp.status)
		}
		return ""
	}
	return e.validateResponse(r, resp.status, header, body)
}

// validateResponse checks an answer with libopenapi-validator.
func (e *Emulator) validateResponse(r *http.Request, status int, header http.Header, body []byte) string {
	answer := &http.Response{
		StatusCode:    status,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
	if ok, errs := e.spec.validator.ValidateHttpResponse(r, answer); !ok {
		return summarize(errs)
	}
	return ""
}

// checkErrorBody checks Lightrun's error body, {"message": "..."} (rule 1d of
// "What a valid answer is").
func checkErrorBody(header http.Header, body []byte) string {
	const want = `Lightrun's error body is {"message": "..."}`
	if len(body) == 0 {
		return "the error answer has no body; " + want
	}
	if mediaType, _, err := mime.ParseMediaType(header.Get("Content-Type")); err != nil || mediaType != "application/json" {
		return fmt.Sprintf("the error answer's Content-Type is %q, not application/json", header.Get("Content-Type"))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		return "the error body is not a JSON object; " + want
	}
	raw, ok := members["message"]
	if !ok || len(members) != 1 {
		return fmt.Sprintf("the error body has the members %s; %s", strings.Join(slices.Sorted(maps.Keys(members)), ", "), want)
	}
	var msg string
	if err := json.Unmarshal(raw, &msg); err != nil || strings.TrimSpace(msg) == "" {
		return fmt.Sprintf("the error body's message is %s, not a non-empty string", raw)
	}
	return ""
}

// messageOf is the message of an error answer.
func messageOf(resp response) string {
	if b, ok := resp.body.(errorBody); ok {
		return b.Message
	}
	return http.StatusText(resp.status)
}

// apiKey is an accepted API key: its digest and its permission level.
type apiKey struct {
	digest [sha256.Size]byte
	level  keyLevel
}

// keyLevel is the permission level of an API key. Its order is the order of
// privilege: a COMPANY key may call the DEV operations too.
type keyLevel int

const (
	levelNone keyLevel = iota
	levelDev
	levelCompany
)

func (l keyLevel) String() string {
	switch l {
	case levelDev:
		return LevelDev
	case levelCompany:
		return LevelCompany
	}
	return ""
}

// keyLevel checks "Authorization: Bearer <key>" (RFC 6750 §2.1; the scheme
// name is case-insensitive, RFC 9110 §11.1) against the API keys and returns
// the matching key's level, levelNone when none matches. It compares digests
// and selects the level in constant time, so the time taken reveals neither
// a key nor which one matched.
func (e *Emulator) keyLevel(r *http.Request) keyLevel {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return levelNone
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	level := int(levelNone)
	for _, k := range e.keys {
		level = subtle.ConstantTimeSelect(subtle.ConstantTimeCompare(sum[:], k.digest[:]), int(k.level), level)
	}
	return keyLevel(level)
}

// levelOf is the level of the API key that serveAPI accepted for r.
func levelOf(r *http.Request) keyLevel {
	switch record(r).APIKeyLevel {
	case LevelCompany:
		return levelCompany
	case LevelDev:
		return levelDev
	}
	return levelNone
}

// permits reports whether a key of level l may call op. An operation that
// requires DEV, or names no level, admits every key; any other level (COMPANY;
// SECURITY, outside the emulated subset) needs a COMPANY key.
func (l keyLevel) permits(op *specOperation) bool {
	switch op.level {
	case "", LevelDev:
		return l >= levelDev
	default:
		return l >= levelCompany
	}
}

// denied is the answer to a key whose level op does not admit: 403 where the
// operation declares it, else 401 where it declares that (the only denial it
// documents), else 403 (RFC 9110 §15.5.4: authenticated, not allowed). Either
// is an answer of the request pipeline, given before the request is read, with
// Lightrun's error body and an RFC 6750 §3.1 insufficient_scope challenge.
func denied(op *specOperation, l keyLevel) response {
	status := http.StatusForbidden
	if _, declares403 := op.response(http.StatusForbidden); !declares403 {
		if _, declares401 := op.response(http.StatusUnauthorized); declares401 {
			status = http.StatusUnauthorized
		}
	}
	resp := protocolf(status, "The API key's permission level %s does not allow %s, which requires %s", l, op.id, op.level)
	resp.header = http.Header{"Www-Authenticate": {`Bearer realm="lightrun", error="insufficient_scope"`}}
	return resp
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
