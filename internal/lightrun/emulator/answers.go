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
	"strings"
)

// Answers selects what the emulator answers where the operator relies on a
// status the operation does not declare (UndeclaredAnswers).
type Answers int

const (
	// AnswersDefault gives the undeclared statuses the operator relies on (409
	// for a duplicate name, 403 for the default group, 404 on member
	// operations), each counted in Conformance.Undeclared.
	AnswersDefault Answers = iota
	// AnswersAlternative gives, in their place, a plausible answer the
	// operation declares, which the real Lightrun may give as well: 400
	// instead of 409 or 403, a 200 or 207 with a failure per member instead of
	// 404. Each is validated like any declared answer; none is counted as
	// undeclared.
	AnswersAlternative
)

var answersNames = map[Answers]string{AnswersDefault: "default", AnswersAlternative: "alternative"}

// String returns "default" or "alternative".
func (a Answers) String() string {
	if name, ok := answersNames[a]; ok {
		return name
	}
	return fmt.Sprintf("Answers(%d)", int(a))
}

// ParseAnswers reads "default" (or "") and "alternative", in any case.
func ParseAnswers(s string) (Answers, error) {
	if s == "" {
		return AnswersDefault, nil
	}
	for a, name := range answersNames {
		if strings.EqualFold(s, name) {
			return a, nil
		}
	}
	return AnswersDefault, fmt.Errorf("answers %q is not default or alternative", s)
}

// MarshalText implements encoding.TextMarshaler.
func (a Answers) MarshalText() ([]byte, error) {
	if _, ok := answersNames[a]; !ok {
		return nil, fmt.Errorf("unknown answers mode %d", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Answers) UnmarshalText(text []byte) error {
	parsed, err := ParseAnswers(string(text))
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}

func (a Answers) validate() error {
	if _, ok := answersNames[a]; !ok {
		return fmt.Errorf("unknown answers mode %d", int(a))
	}
	return nil
}

// UndeclaredAnswer is an answer whose status the operation does not declare,
// which the emulator gives on purpose in AnswersDefault mode because the
// operator relies on it, with its declared alternative of AnswersAlternative
// mode.
type UndeclaredAnswer struct {
	// Operation is the operationId.
	Operation string `json:"operation"`
	// When says which call gets the answer.
	When string `json:"when"`
	// Status is what AnswersDefault mode answers; the operation does not
	// declare it.
	Status int `json:"status"`
	// Alternative is the status AnswersAlternative mode answers; the operation
	// declares it.
	Alternative int `json:"alternative"`
	// Answer describes the alternative answer.
	Answer string `json:"answer"`
}

// The alternative answers that several operations share.
const (
	badRequestNothingCreated = "400 with the error body; nothing is created"
	badRequestNothingChanges = "400 with the error body; nothing changes"
)

// undeclaredAnswers is the list behind UndeclaredAnswers. Found by reading
// every handler for the statuses it answers, against the statuses the
// operation declares; answers_test.go checks both columns against the spec
// and provokes every row in both modes.
var undeclaredAnswers = []UndeclaredAnswer{
	{"createUser", "a user with the email exists (in any case)", http.StatusConflict, http.StatusBadRequest,
		badRequestNothingCreated},
	{"createGroup", "a group with the name exists (in any case)", http.StatusConflict, http.StatusBadRequest,
		badRequestNothingCreated},
	{"updateGroup", "another group has the new name (in any case)", http.StatusConflict, http.StatusBadRequest,
		badRequestNothingChanges},
	{"deleteGroup", "the group is the default group", http.StatusForbidden, http.StatusBadRequest,
		"400 with the error body; nothing is deleted"},
	{"addMembers", "the group does not exist", http.StatusNotFound, http.StatusMultiStatus,
		"207 with every member in failures with status 404, echoed as sent (200 with no failures when no member is sent)"},
	{"removeMembers", "the group does not exist", http.StatusNotFound, http.StatusOK,
		"200 with every email in failures with status 404"},
	{"updateMember", "the group does not exist, or the user is not a member of it", http.StatusNotFound, http.StatusOK,
		"200 echoing the requested member (email, groupAdmin, elevatedRoles, effectiveRoles); nothing changes"},
	{"createAgentPool", "a pool with the name exists (in any case)", http.StatusConflict, http.StatusBadRequest,
		badRequestNothingCreated},
	{"updateAgentPool", "another pool has the new name (in any case)", http.StatusConflict, http.StatusBadRequest,
		badRequestNothingChanges},
}

// UndeclaredAnswers lists the answers whose status the operation does not
// declare that the emulator gives in AnswersDefault mode, each with what
// AnswersAlternative mode answers instead.
func UndeclaredAnswers() []UndeclaredAnswer {
	return append([]UndeclaredAnswer(nil), undeclaredAnswers...)
}

// SetAnswers switches between the default and the alternative answers.
func (e *Emulator) SetAnswers(a Answers) {
	_ = e.ApplySettings(SettingsPatch{Answers: &a})
}

// alternative reports whether the emulator gives the alternative answers.
func (e *Emulator) alternative() bool { return Answers(e.answers.Load()) == AnswersAlternative }

// orBadRequest answers def, marked as one of UndeclaredAnswers, or in
// AnswersAlternative mode the same error with the declared status 400.
func (e *Emulator) orBadRequest(def response) response {
	return e.either(def, func() response { return failf(http.StatusBadRequest, "%s", messageOf(def)) })
}

// either answers def, marked as one of UndeclaredAnswers, or in
// AnswersAlternative mode alt(), the declared answer that stands for it.
func (e *Emulator) either(def response, alt func() response) response {
	if !e.alternative() {
		return undeclared(def)
	}
	resp := alt()
	resp.replaces = def.status
	return resp
}
