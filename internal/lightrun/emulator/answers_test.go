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
	"strings"
	"testing"
)

const missingGroup = "/api/v1/groups/5b7a4f0e-0000-4000-8000-000000000000"

// mustCreate creates an object through the API and returns its id.
func mustCreate(t *testing.T, e *Emulator, path, body string) string {
	t.Helper()
	w := call(t, e, testKey, http.MethodPost, path, body)
	if w.Code != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, w.Code, w.Body)
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	return created.ID
}

// provocation sets up an emulator and sends the call that gets one of the
// UndeclaredAnswers.
type provocation struct {
	operation string
	status    int
	// send provokes the answer and returns the request's method, path and body.
	send func(t *testing.T, e *Emulator) (method, path, body string)
	// alternative checks the body of the alternative answer, when it says more
	// than its status.
	alternative func(t *testing.T, e *Emulator, body string)
}

func provocations() map[string]provocation {
	user := `{"email":"a@example.com","firstName":"A","lastName":"B"}`
	return map[string]provocation{
		"a duplicate user": {"createUser", http.StatusConflict, func(t *testing.T, e *Emulator) (string, string, string) {
			mustCreate(t, e, "/api/v1/users", user)
			return http.MethodPost, "/api/v1/users", `{"email":"A@example.com","firstName":"A","lastName":"B"}`
		}, nil},
		"a duplicate group": {"createGroup", http.StatusConflict, func(t *testing.T, e *Emulator) (string, string, string) {
			mustCreate(t, e, "/api/v1/groups", `{"name":"g"}`)
			return http.MethodPost, "/api/v1/groups", `{"name":"G"}`
		}, nil},
		"a group renamed to a taken name": {"updateGroup", http.StatusConflict, func(t *testing.T, e *Emulator) (string, string, string) {
			mustCreate(t, e, "/api/v1/groups", `{"name":"g"}`)
			id := mustCreate(t, e, "/api/v1/groups", `{"name":"h"}`)
			return http.MethodPut, "/api/v1/groups/" + id, `{"name":"g"}`
		}, nil},
		"deleting the default group": {"deleteGroup", http.StatusForbidden, func(t *testing.T, e *Emulator) (string, string, string) {
			return http.MethodDelete, "/api/v1/groups/" + e.DefaultGroupID(), ""
		}, func(t *testing.T, e *Emulator, _ string) {
			if call(t, e, testKey, http.MethodGet, "/api/v1/groups/"+e.DefaultGroupID(), "").Code != http.StatusOK {
				t.Error("the default group was deleted")
			}
		}},
		"adding members to a missing group": {"addMembers", http.StatusNotFound, func(t *testing.T, e *Emulator) (string, string, string) {
			mustCreate(t, e, "/api/v1/users", user)
			return http.MethodPost, missingGroup + "/members", `[{"email":"a@example.com"},{"email":"b@example.com","groupAdmin":true}]`
		}, func(t *testing.T, _ *Emulator, body string) {
			var res bulkResult[memberDTO]
			if err := json.Unmarshal([]byte(body), &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Successes) != 0 || len(res.Failures) != 2 || res.Failures[0].Status != http.StatusNotFound ||
				res.Failures[1].Payload.Email != "b@example.com" || !res.Failures[1].Payload.GroupAdmin {
				t.Errorf("want every member failed with 404, echoed: %s", body)
			}
		}},
		"removing members from a missing group": {"removeMembers", http.StatusNotFound, func(t *testing.T, e *Emulator) (string, string, string) {
			return http.MethodDelete, missingGroup + "/members", `["a@example.com","b@example.com"]`
		}, func(t *testing.T, _ *Emulator, body string) {
			var res bulkResult[string]
			if err := json.Unmarshal([]byte(body), &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Successes) != 0 || len(res.Failures) != 2 || res.Failures[0].Status != http.StatusNotFound || res.Failures[1].Payload != "b@example.com" {
				t.Errorf("want every email failed with 404: %s", body)
			}
		}},
		"updating a member of a missing group": {"updateMember", http.StatusNotFound, func(t *testing.T, e *Emulator) (string, string, string) {
			mustCreate(t, e, "/api/v1/users", user)
			return http.MethodPut, missingGroup + "/members/a@example.com", `{"groupAdmin":true,"elevatedRoles":["PRIVILEGED"]}`
		}, func(t *testing.T, _ *Emulator, body string) {
			want := `{"email":"a@example.com","groupAdmin":true,"elevatedRoles":["PRIVILEGED"],"effectiveRoles":["PRIVILEGED"]}`
			if body != want {
				t.Errorf("body %s, want the requested member echoed: %s", body, want)
			}
		}},
		"updating a non-member": {"updateMember", http.StatusNotFound, func(t *testing.T, e *Emulator) (string, string, string) {
			mustCreate(t, e, "/api/v1/users", user)
			id := mustCreate(t, e, "/api/v1/groups", `{"name":"g","roles":["STANDARD"]}`)
			return http.MethodPut, "/api/v1/groups/" + id + "/members/A@example.com", `{"groupAdmin":true}`
		}, func(t *testing.T, e *Emulator, body string) {
			want := `{"email":"a@example.com","groupAdmin":true,"elevatedRoles":[],"effectiveRoles":["STANDARD"]}`
			if body != want {
				t.Errorf("body %s, want the requested member echoed: %s", body, want)
			}
			st, err := e.State()
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range st.Groups {
				if g.Name == "g" && len(g.Members) != 0 {
					t.Errorf("nothing may change, but the group has members %v", g.Members)
				}
			}
		}},
		"a duplicate agent pool": {"createAgentPool", http.StatusConflict, func(t *testing.T, e *Emulator) (string, string, string) {
			return http.MethodPost, "/api/v1/agent-pools", `{"name":"DEFAULT"}`
		}, nil},
		"an agent pool renamed to a taken name": {"updateAgentPool", http.StatusConflict, func(t *testing.T, e *Emulator) (string, string, string) {
			id := mustCreate(t, e, "/api/v1/agent-pools", `{"name":"blue"}`)
			return http.MethodPut, "/api/v1/agent-pools/" + id, `{"name":"default"}`
		}, nil},
	}
}

func TestUndeclaredAnswersInBothModes(t *testing.T) {
	covered := map[string]bool{}
	for name, p := range provocations() {
		t.Run(name, func(t *testing.T) {
			row := findUndeclaredAnswer(t, p.operation, p.status)
			covered[fmt.Sprintf("%s %d", row.Operation, row.Status)] = true

			e := newTestEmulator(t, Options{})
			method, path, body := p.send(t, e)
			w := call(t, e, testKey, method, path, body)
			if w.Code != p.status {
				t.Fatalf("default mode: %d %s, want %d", w.Code, w.Body, p.status)
			}
			key := fmt.Sprintf("%s %d", p.operation, p.status)
			if c := e.Conformance(); c.Undeclared[key] != 1 || len(c.Undeclared) != 1 {
				t.Errorf("default mode: undeclared = %v, want %s once", c.Undeclared, key)
			}
			if last := e.Requests()[len(e.Requests())-1]; !last.Undeclared || last.Replaced != 0 {
				t.Errorf("default mode: request log %+v", last)
			}

			e = newTestEmulator(t, Options{Answers: AnswersAlternative})
			method, path, body = p.send(t, e)
			w = call(t, e, testKey, method, path, body)
			if w.Code != row.Alternative {
				t.Fatalf("alternative mode: %d %s, want %d", w.Code, w.Body, row.Alternative)
			}
			if c := e.Conformance(); len(c.Undeclared) != 0 {
				t.Errorf("alternative mode: undeclared = %v, want none", c.Undeclared)
			}
			if last := e.Requests()[len(e.Requests())-1]; last.Undeclared || last.Replaced != p.status {
				t.Errorf("alternative mode: request log %+v, want it to name the replaced %d", last, p.status)
			}
			if p.alternative != nil {
				p.alternative(t, e, w.Body.String())
			}
			// newTestEmulator's cleanup checks that neither answer broke the spec.
		})
	}
	for _, row := range UndeclaredAnswers() {
		if key := fmt.Sprintf("%s %d", row.Operation, row.Status); !covered[key] {
			t.Errorf("no test provokes %s (%s)", key, row.When)
		}
	}
}

func findUndeclaredAnswer(t *testing.T, operation string, status int) UndeclaredAnswer {
	t.Helper()
	for _, row := range UndeclaredAnswers() {
		if row.Operation == operation && row.Status == status {
			return row
		}
	}
	t.Fatalf("%s %d is not among UndeclaredAnswers()", operation, status)
	return UndeclaredAnswer{}
}

// TestUndeclaredAnswersAgainstTheSpec: every listed status is one the
// operation does not declare, and every alternative one it does.
func TestUndeclaredAnswersAgainstTheSpec(t *testing.T) {
	spec, err := sharedSpec()
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]*specOperation{}
	for _, op := range spec.byRoute {
		ops[op.id] = op
	}
	rows := UndeclaredAnswers()
	if len(rows) == 0 {
		t.Fatal("no undeclared answers listed")
	}
	for _, row := range rows {
		op := ops[row.Operation]
		if op == nil {
			t.Errorf("%s: no such operation", row.Operation)
			continue
		}
		if _, ok := op.response(row.Status); ok {
			t.Errorf("%s declares %d: it is not an undeclared answer", row.Operation, row.Status)
		}
		if _, ok := op.response(row.Alternative); !ok {
			t.Errorf("%s does not declare the alternative %d (it declares %s)", row.Operation, row.Alternative, op.statuses())
		}
		if row.When == "" || row.Answer == "" {
			t.Errorf("%+v: say when it is given and what the alternative is", row)
		}
	}
}

func TestAnswersModeIsASetting(t *testing.T) {
	e := newTestEmulator(t, Options{})
	if e.Settings().Answers != AnswersDefault {
		t.Fatalf("settings %+v", e.Settings())
	}
	body := `{"name":"g"}`
	mustCreate(t, e, "/api/v1/groups", body)
	alt := AnswersAlternative
	if err := e.ApplySettings(SettingsPatch{Answers: &alt}); err != nil {
		t.Fatal(err)
	}
	if w := call(t, e, testKey, http.MethodPost, "/api/v1/groups", body); w.Code != http.StatusBadRequest {
		t.Errorf("after switching to alternative answers: %d", w.Code)
	}
	e.SetAnswers(AnswersDefault)
	if w := call(t, e, testKey, http.MethodPost, "/api/v1/groups", body); w.Code != http.StatusConflict {
		t.Errorf("after switching back: %d", w.Code)
	}

	data, err := json.Marshal(Settings{Answers: AnswersAlternative})
	if err != nil || !strings.Contains(string(data), `"answers":"alternative"`) {
		t.Errorf("settings JSON %s (%v)", data, err)
	}
	var p SettingsPatch
	if err := json.Unmarshal([]byte(`{"answers":"sideways"}`), &p); err == nil {
		t.Error("an unknown answers mode was accepted")
	}
	if _, err := New(Options{APIKeys: []string{"k"}, Answers: Answers(7)}); err == nil {
		t.Error("New accepted an unknown answers mode")
	}
	for in, want := range map[string]Answers{"default": AnswersDefault, "": AnswersDefault, "Alternative": AnswersAlternative} {
		if got, err := ParseAnswers(in); err != nil || got != want {
			t.Errorf("ParseAnswers(%q) = %v, %v", in, got, err)
		}
	}
}
