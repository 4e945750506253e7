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
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testKey = "conformance-test-key"

// newTestEmulator builds an emulator that is served in-process, without a
// listener. When the test ends, no request or response may have broken the
// spec: a test that provokes violations asserts them and resets the counts.
func newTestEmulator(t *testing.T, opts Options) *Emulator {
	t.Helper()
	if opts.APIKeys == nil {
		opts.APIKeys = []string{testKey}
	}
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ExpectClean(t, e) })
	return e
}

// call sends one request to e with key as the bearer API key ("" for none).
func call(t *testing.T, e *Emulator, key, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	return w
}

// plant replaces every operation of e by op on the one route method path: a
// handler that answers what a test wants, through the same validation.
func plant(e *Emulator, method, path string, op operation) {
	e.api = http.NewServeMux()
	e.handle(method, path, op)
	e.api.HandleFunc("/", e.unrouted)
}

func TestEveryKindOfResponseViolationIsDetected(t *testing.T) {
	const groupPath = "/api/v1/groups/5b7a4f0e-0000-4000-8000-000000000000"
	user := userDTO{ID: "5b7a4f0e-0000-4000-8000-000000000001", Email: "a@example.com", FirstName: "A", LastName: "B", Roles: []string{roleDeveloper}}
	for name, tc := range map[string]struct {
		method, route, path, body string
		answer                    response
		reason                    string
	}{
		"a 204 with a body": {
			http.MethodDelete, "/api/v1/users/{email}", "/api/v1/users/a@example.com", "",
			response{status: http.StatusNoContent, body: errorBody{Message: "gone"}}, "204",
		},
		"a body on a success the spec declares without content": {
			http.MethodPost, "/api/v1/configuration/idm/authentication", "/api/v1/configuration/idm/authentication", `{"loginMethod":"PASSWORD"}`,
			reply(http.StatusOK, map[string]bool{"ok": true}), "without content",
		},
		"a status the operation does not declare": {
			http.MethodPut, "/api/v1/groups/{id}/members/{email}", groupPath + "/members/a@example.com", `{}`,
			failf(http.StatusConflict, "planted"), "does not declare 409",
		},
		"a success status the operation does not declare": {
			http.MethodPost, "/api/v1/users", "/api/v1/users", `{"email":"a@example.com","firstName":"A","lastName":"B"}`,
			reply(http.StatusOK, user), "does not declare 200",
		},
		"an error body without a message": {
			http.MethodGet, "/api/v1/users/{email}", "/api/v1/users/a@example.com", "",
			reply(http.StatusNotFound, map[string]string{"error": "planted"}), "message",
		},
		"an error body whose message is not a string": {
			http.MethodGet, "/api/v1/users/{email}", "/api/v1/users/a@example.com", "",
			reply(http.StatusNotFound, map[string]int{"message": 42}), "message",
		},
		"an error without a body": {
			http.MethodDelete, "/api/v1/users/{email}", "/api/v1/users/a@example.com", "",
			response{status: http.StatusNotFound}, "no body",
		},
		"an error with the success schema's body (springdoc's declared 4xx schema)": {
			http.MethodPost, "/api/v1/users", "/api/v1/users", `{"email":"a@example.com","firstName":"A","lastName":"B"}`,
			reply(http.StatusBadRequest, user), "message",
		},
		"a success body that breaks its schema": {
			http.MethodGet, "/api/v1/users/{email}", "/api/v1/users/a@example.com", "",
			reply(http.StatusOK, map[string]string{"id": "not-a-uuid"}), "uuid",
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newTestEmulator(t, Options{})
			plant(e, tc.method, tc.route, func(*http.Request, []byte) response { return tc.answer })
			w := call(t, e, testKey, tc.method, tc.path, tc.body)
			if w.Code != http.StatusInternalServerError {
				t.Errorf("status %d, want 500 in place of the violating answer; body %s", w.Code, w.Body)
			}
			c := e.Conformance()
			if c.InvalidResponses != 1 || c.InvalidRequests != 0 || len(c.Undeclared) != 0 {
				t.Errorf("conformance = %+v, want exactly one invalid response", c)
			}
			if len(c.Recent) != 1 || !strings.Contains(c.Recent[0], tc.reason) {
				t.Errorf("recent = %q, want one message mentioning %q", c.Recent, tc.reason)
			}
			if v := e.Violations(); len(v) != 1 || !strings.Contains(v[0].Violation, tc.reason) {
				t.Errorf("request log violations = %+v", v)
			}
			if err := e.CheckClean(); err == nil || !strings.Contains(err.Error(), "1 invalid response") {
				t.Errorf("CheckClean() = %v, want it to report the invalid response", err)
			}
			e.ResetConformance()
		})
	}
}

// TestValidTrafficCountsZero drives answers of every kind the emulator gives
// on its own (successes, declared errors, business-rule refusals, 401, 429,
// 503, routing answers) and expects none of them counted.
func TestValidTrafficCountsZero(t *testing.T) {
	e := newTestEmulator(t, Options{})
	expect := func(status int, method, path, body string) string {
		t.Helper()
		w := call(t, e, testKey, method, path, body)
		if w.Code != status {
			t.Fatalf("%s %s: status %d, want %d; body %s", method, path, w.Code, status, w.Body)
		}
		return w.Body.String()
	}
	expect(http.StatusOK, http.MethodGet, "/api/v1/users", "")
	expect(http.StatusCreated, http.MethodPost, "/api/v1/users", `{"email":"a@example.com","firstName":"A","lastName":"B"}`)
	expect(http.StatusCreated, http.MethodPost, "/api/v1/users", `{"email":"b@example.com","firstName":"A","lastName":"B"}`)
	expect(http.StatusNotFound, http.MethodGet, "/api/v1/users/nobody@example.com", "")
	expect(http.StatusBadRequest, http.MethodPost, "/api/v1/users", `{"email":"c@example.com","firstName":"A","lastName":"B","roles":["GROUP_ADMIN"]}`)
	expect(http.StatusNotFound, http.MethodPut, "/api/v1/users/nobody@example.com/enable", "")
	expect(http.StatusNoContent, http.MethodPut, "/api/v1/users/a@example.com/disable", "")
	expect(http.StatusNoContent, http.MethodDelete, "/api/v1/users/b@example.com", "")
	expect(http.StatusBadRequest, http.MethodPost, "/api/v1/configuration/idm/authentication", `{"loginMethod":"SSO"}`)
	expect(http.StatusOK, http.MethodPost, "/api/v1/configuration/idm/authentication", `{"loginMethod":"SSO","ssoProtocolOptions":{"protocol":"OIDC"}}`)
	expect(http.StatusOK, http.MethodGet, "/api/v1/configuration/idm/provisioning", "")
	expect(http.StatusForbidden, http.MethodDelete, "/api/v1/agent-pools/"+e.DefaultAgentPoolID(), "")
	expect(http.StatusNotFound, http.MethodGet, "/api/v1/agent-pools/nope", "")
	var group groupDTO
	if err := json.Unmarshal([]byte(expect(http.StatusCreated, http.MethodPost, "/api/v1/groups", `{"name":"g"}`)), &group); err != nil {
		t.Fatal(err)
	}
	members := "/api/v1/groups/" + group.ID + "/members"
	expect(http.StatusMultiStatus, http.MethodPost, members, `[{"email":"a@example.com"},{"email":"ghost@example.com"}]`)
	expect(http.StatusOK, http.MethodDelete, members, `["a@example.com","ghost@example.com"]`)
	expect(http.StatusNotFound, http.MethodGet, "/api/v1/groups/5b7a4f0e-0000-4000-8000-000000000000", "")
	expect(http.StatusNotFound, http.MethodGet, "/api/v1/unicorns", "")
	expect(http.StatusMethodNotAllowed, http.MethodPatch, "/api/v1/users", "")
	expect(http.StatusNotImplemented, http.MethodGet, "/api/v1/agents", "")
	if w := call(t, e, "", http.MethodGet, "/api/v1/users", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("without a key: %d", w.Code)
	}
	if err := e.SetFaults(Faults{ThrottleNext: 1, FailNext: 1}); err != nil {
		t.Fatal(err)
	}
	expect(http.StatusServiceUnavailable, http.MethodGet, "/api/v1/users", "")
	expect(http.StatusTooManyRequests, http.MethodGet, "/api/v1/users", "")

	c := e.Conformance()
	if c.InvalidRequests != 0 || c.InvalidResponses != 0 || len(c.Undeclared) != 0 || len(c.Recent) != 0 {
		t.Errorf("conformance = %+v, want all zero", c)
	}
	if err := e.CheckClean(); err != nil {
		t.Errorf("CheckClean() = %v", err)
	}
}

func TestInvalidRequestsAreCountedApart(t *testing.T) {
	e := newTestEmulator(t, Options{})
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/users", `{"email":"not-an-email","firstName":"A","lastName":"B"}`},
		// Refused by the emulator's reading of the spec, not by the validator:
		// the sortable fields are listed in the description.
		{http.MethodGet, "/api/v1/users?sort=password", ""},
		// Group ids are UUIDs (UserGroupPublicDTO.id), on an operation that
		// declares no 400.
		{http.MethodPost, "/api/v1/groups/not-a-uuid/members", `[{"email":"a@example.com"}]`},
	} {
		if w := call(t, e, testKey, tc.method, tc.path, tc.body); w.Code != http.StatusBadRequest {
			t.Fatalf("%s %s: status %d, want 400", tc.method, tc.path, w.Code)
		}
	}
	c := e.Conformance()
	if c.InvalidRequests != 3 || c.InvalidResponses != 0 {
		t.Errorf("conformance = %+v, want 3 invalid requests and no invalid response", c)
	}
	if len(c.Recent) != 3 || !strings.Contains(c.Recent[0], "not valid email") || !strings.Contains(c.Recent[1], "password") {
		t.Errorf("recent = %q", c.Recent)
	}
	for _, r := range e.Requests() {
		if r.Rejected == "" {
			t.Errorf("%s %s: refused without a reason in the request log", r.Method, r.Path)
		}
	}
	err := e.CheckClean()
	if err == nil || !strings.Contains(err.Error(), "3 invalid requests") {
		t.Errorf("CheckClean() = %v", err)
	}
	e.ResetConformance()
	if err := e.CheckClean(); err != nil {
		t.Errorf("after ResetConformance, CheckClean() = %v", err)
	}
}

// TestUndeclaredAnswersAreCountedNotViolations: in the default mode a status
// the operation does not declare, given on purpose (409 for a duplicate), is
// counted by operation and status, and is not a violation.
func TestUndeclaredAnswersAreCountedNotViolations(t *testing.T) {
	e := newTestEmulator(t, Options{})
	body := `{"email":"a@example.com","firstName":"A","lastName":"B"}`
	call(t, e, testKey, http.MethodPost, "/api/v1/users", body)
	for range 2 {
		if w := call(t, e, testKey, http.MethodPost, "/api/v1/users", body); w.Code != http.StatusConflict {
			t.Fatalf("duplicate: status %d, want 409", w.Code)
		}
	}
	c := e.Conformance()
	if c.InvalidResponses != 0 || c.InvalidRequests != 0 {
		t.Errorf("conformance = %+v, want no violation", c)
	}
	if len(c.Undeclared) != 1 || c.Undeclared["createUser 409"] != 2 {
		t.Errorf("undeclared = %v, want createUser 409 twice", c.Undeclared)
	}
	if err := e.CheckClean(); err != nil {
		t.Errorf("CheckClean() = %v: undeclared answers are not violations", err)
	}
	log := e.Requests()
	if !log[len(log)-1].Undeclared || log[0].Undeclared {
		t.Errorf("request log: %+v", log)
	}
}

func TestRecentKeepsTheNewestMessages(t *testing.T) {
	e := newTestEmulator(t, Options{})
	for i := range recentViolations + 5 {
		call(t, e, testKey, http.MethodGet, "/api/v1/users?size=0&page="+strings.Repeat("1", i+1), "")
	}
	c := e.Conformance()
	if c.InvalidRequests != recentViolations+5 || len(c.Recent) != recentViolations {
		t.Fatalf("%d invalid requests, %d recent messages", c.InvalidRequests, len(c.Recent))
	}
	if !strings.Contains(c.Recent[len(c.Recent)-1], strings.Repeat("1", recentViolations+5)) {
		t.Errorf("the newest message is not last: %q", c.Recent[len(c.Recent)-1])
	}
	e.ResetConformance()
}

// recordingTB is a TB that keeps what ExpectClean reports.
type recordingTB struct{ errors []string }

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestExpectCleanFailsOnViolationsOnly(t *testing.T) {
	e := newTestEmulator(t, Options{})
	var clean recordingTB
	body := `{"email":"a@example.com","firstName":"A","lastName":"B"}`
	call(t, e, testKey, http.MethodPost, "/api/v1/users", body)
	call(t, e, testKey, http.MethodPost, "/api/v1/users", body) // 409: undeclared, not a violation
	ExpectClean(&clean, e)
	if len(clean.errors) != 0 {
		t.Errorf("ExpectClean reported %q on clean traffic", clean.errors)
	}

	call(t, e, testKey, http.MethodGet, "/api/v1/users?page=-1", "")
	var dirty recordingTB
	ExpectClean(&dirty, e)
	if len(dirty.errors) != 1 || !strings.Contains(dirty.errors[0], "1 invalid request") ||
		!strings.Contains(dirty.errors[0], "GET /api/v1/users?page=-1") {
		t.Errorf("ExpectClean reported %q, want the invalid request with its target", dirty.errors)
	}
	e.ResetConformance()
}
