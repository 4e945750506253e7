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
	"fmt"
	"net/http"
	"time"
)

// errorBody is the body of every error the emulator answers. Lightrun's API
// introduction documents {"message": "401 Unauthorized"}; the OpenAPI document
// describes most 4xx bodies with the success schema, which a real error body
// does not match (see docs/lightrun-api.md), so error bodies are checked
// against this shape instead.
type errorBody struct {
	Message string `json:"message"`
}

// response is what an operation answers, before encoding.
type response struct {
	status int
	// body is encoded as JSON; nil means no body.
	body   any
	header http.Header
	// kind tells who gives the answer, which decides how it is checked
	// against the spec (see "What a valid answer is" in pipeline.go).
	kind answerKind
	// undeclared marks an answer whose status the operation may not declare,
	// given on purpose: one of UndeclaredAnswers. It is counted in
	// Conformance.Undeclared instead of being a violation.
	undeclared bool
	// replaces is, for an answer of AnswersAlternative mode, the undeclared
	// status of AnswersDefault mode it stands for.
	replaces int
}

// answerKind tells who gives an answer.
type answerKind int

const (
	// answerOperation is the operation's own answer, checked against what the
	// operation declares.
	answerOperation answerKind = iota
	// answerProtocol is an answer of the request pipeline in front of the
	// operations: authentication (401), the permission level (403/401), the
	// rate limit (429), injected faults (5xx, 429), routing (404, 405, 501), a
	// body too large (413) and the 500 that replaces a violating answer. It may
	// answer any operation and must carry Lightrun's error body.
	answerProtocol
	// answerRefusal is the 400 of a request that breaks the spec: a protocol
	// answer counted in Conformance.InvalidRequests.
	answerRefusal
)

func reply(status int, body any) response { return response{status: status, body: body} }

func noContent() response { return response{status: http.StatusNoContent} }

func failf(status int, format string, args ...any) response {
	return response{status: status, body: errorBody{Message: fmt.Sprintf(format, args...)}}
}

// protocolf is an error answer of the request pipeline (answerProtocol).
func protocolf(status int, format string, args ...any) response {
	r := failf(status, format, args...)
	r.kind = answerProtocol
	return r
}

// refuse is the 400 of a request that breaks the spec (answerRefusal): the
// validator's refusals, and requests a handler cannot bind (a group id that
// is not a UUID, a sort property the description does not list).
func refuse(format string, args ...any) response {
	r := failf(http.StatusBadRequest, format, args...)
	r.kind = answerRefusal
	return r
}

// undeclared marks resp as one of the UndeclaredAnswers.
func undeclared(resp response) response {
	resp.undeclared = true
	return resp
}

// unauthorized is Lightrun's documented 401 answer.
func unauthorized() response {
	r := protocolf(http.StatusUnauthorized, "401 Unauthorized")
	// RFC 6750 §3: a 401 to a bearer-token request carries a challenge.
	r.header = http.Header{"Www-Authenticate": {`Bearer realm="lightrun"`}}
	return r
}

// timestamp renders t like a Java Instant with millisecond precision, which
// satisfies the spec's format: date-time (RFC 3339).
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
