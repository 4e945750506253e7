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
}

func reply(status int, body any) response { return response{status: status, body: body} }

func noContent() response { return response{status: http.StatusNoContent} }

func failf(status int, format string, args ...any) response {
	return response{status: status, body: errorBody{Message: fmt.Sprintf(format, args...)}}
}

// unauthorized is Lightrun's documented 401 answer.
func unauthorized() response {
	r := failf(http.StatusUnauthorized, "401 Unauthorized")
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
