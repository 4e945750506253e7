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
	"maps"
	"strings"
	"sync"
)

// recentViolations is how many violation messages Conformance keeps.
const recentViolations = 20

// Conformance is how the emulator's API traffic measured against Lightrun's
// OpenAPI document since the emulator started (or since ResetConformance).
// Unlike the request log it is never trimmed, so a long test run cannot lose a
// violation. Read it with (*Emulator).Conformance, or GET /_emulator/conformance.
type Conformance struct {
	// InvalidRequests counts the requests the emulator refused with 400 because
	// they break the document: the validator's refusals, and the emulator's
	// own readings of it (a sort property the description does not list, a
	// group id that is not a UUID). Each one is a client bug.
	InvalidRequests int `json:"invalidRequests"`
	// InvalidResponses counts the answers that broke the document (see
	// "What a valid answer is" in pipeline.go). Each was replaced by a 500
	// naming the violation; each is an emulator bug.
	InvalidResponses int `json:"invalidResponses"`
	// Undeclared counts, by "<operationId> <status>" (e.g. "createUser 409"),
	// the answers whose status the operation does not declare that the
	// emulator gives on purpose in AnswersDefault mode, the ones listed in
	// UndeclaredAnswers. They are not violations: a suite reads them to know
	// which undeclared answers its code relies on.
	Undeclared map[string]int `json:"undeclared"`
	// Recent are the newest violation messages, requests and responses
	// alike, oldest first; at most 20.
	Recent []string `json:"recent"`
}

// Err is nil when no request and no response broke the document, else an
// error that counts them and quotes the recent messages. Undeclared answers
// are not violations.
func (c Conformance) Err() error {
	if c.InvalidRequests == 0 && c.InvalidResponses == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the Lightrun emulator saw %s and %s that break the OpenAPI document",
		plural(c.InvalidRequests, "invalid request"), plural(c.InvalidResponses, "invalid response"))
	if c.InvalidResponses > 0 {
		b.WriteString(" (invalid responses are emulator bugs)")
	}
	if c.InvalidRequests > 0 {
		b.WriteString(" (invalid requests are client bugs, or must be reset with ResetConformance by a test that sends them on purpose)")
	}
	b.WriteString(":")
	for _, m := range c.Recent {
		b.WriteString("\n  - " + m)
	}
	return fmt.Errorf("%s", b.String())
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// TB is the part of testing.TB that ExpectClean uses. *testing.T,
// *testing.B, *testing.F and Ginkgo's GinkgoT() all have it.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// ExpectClean fails t when a request or a response seen by e broke Lightrun's
// OpenAPI document; call it when a test or suite ends:
//
//	emu, _ := emulator.Start(opts)
//	t.Cleanup(func() { emulator.ExpectClean(t, emu); emu.Close() })
//
// In Ginkgo, Expect(emu.CheckClean()).To(Succeed()) does the same. A test that
// sends invalid requests on purpose asserts Conformance().InvalidRequests and
// then calls ResetConformance. Undeclared answers do not fail it: assert
// Conformance().Undeclared to pin which ones a suite relies on.
func ExpectClean(t TB, e *Emulator) {
	t.Helper()
	if err := e.CheckClean(); err != nil {
		t.Errorf("%v", err)
	}
}

// CheckClean returns e.Conformance().Err(): nil when no request and no
// response broke the document.
func (e *Emulator) CheckClean() error { return e.Conformance().Err() }

// Conformance returns the counts of invalid requests, invalid responses and
// undeclared answers, with the recent violation messages.
func (e *Emulator) Conformance() Conformance { return e.conf.get() }

// ResetConformance sets the counts of Conformance back to zero.
func (e *Emulator) ResetConformance() { e.conf.reset() }

// conformanceLog is the emulator's tally behind Conformance.
type conformanceLog struct {
	mu               sync.Mutex
	invalidRequests  int
	invalidResponses int
	undeclared       map[string]int
	recent           []string
}

func (c *conformanceLog) get() Conformance {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Conformance{
		InvalidRequests:  c.invalidRequests,
		InvalidResponses: c.invalidResponses,
		Undeclared:       map[string]int{},
		Recent:           append([]string{}, c.recent...),
	}
	maps.Copy(out.Undeclared, c.undeclared)
	return out
}

func (c *conformanceLog) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidRequests, c.invalidResponses, c.undeclared, c.recent = 0, 0, nil, nil
}

func (c *conformanceLog) invalidRequest(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidRequests++
	c.remember("invalid request: " + msg)
}

func (c *conformanceLog) invalidResponse(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidResponses++
	c.remember("invalid response: " + msg)
}

func (c *conformanceLog) undeclaredAnswer(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.undeclared == nil {
		c.undeclared = map[string]int{}
	}
	c.undeclared[key]++
}

// remember keeps msg among the recent messages. Callers hold c.mu.
func (c *conformanceLog) remember(msg string) {
	if len(c.recent) == recentViolations {
		c.recent = append(c.recent[:0], c.recent[1:]...)
	}
	c.recent = append(c.recent, msg)
}
