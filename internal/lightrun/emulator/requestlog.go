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
	"sync"
	"time"
)

// Request is one API call as the emulator saw it. Tests read the log to count
// attempts, check timing, and look for spec violations.
type Request struct {
	Time      time.Time `json:"time"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Query     string    `json:"query,omitempty"`
	Status    int       `json:"status"`
	Duration  Duration  `json:"duration"`
	UserAgent string    `json:"userAgent,omitempty"`
	// APIKeyLevel is the permission level of the accepted API key, DEV or
	// COMPANY; empty when the key was not accepted.
	APIKeyLevel string `json:"apiKeyLevel,omitempty"`
	// Fault names the injected fault that answered the call: "outage", "error",
	// "throttle" or "ratelimit".
	Fault string `json:"fault,omitempty"`
	// Rejected is why the request broke the OpenAPI document (answered 400).
	Rejected string `json:"rejected,omitempty"`
	// Violation is why the emulator's own response broke the OpenAPI document
	// (answered 500 instead). It is always an emulator bug.
	Violation string `json:"violation,omitempty"`
	// Undeclared marks an answer whose status the operation does not declare,
	// given on purpose in AnswersDefault mode (see UndeclaredAnswers).
	Undeclared bool `json:"undeclared,omitempty"`
	// Replaced is, for an answer of AnswersAlternative mode, the undeclared
	// status AnswersDefault mode would have answered.
	Replaced int `json:"replaced,omitempty"`
}

// requestLog keeps the newest requests in a ring.
type requestLog struct {
	mu    sync.Mutex
	ring  []Request
	next  int
	full  bool
	total uint64
}

func newRequestLog(size int) *requestLog {
	return &requestLog{ring: make([]Request, size)}
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.next] = r
	l.next = (l.next + 1) % len(l.ring)
	l.full = l.full || l.next == 0
	l.total++
}

// all returns the kept requests, oldest first.
func (l *requestLog) all() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.full {
		return append([]Request(nil), l.ring[:l.next]...)
	}
	out := make([]Request, 0, len(l.ring))
	out = append(out, l.ring[l.next:]...)
	return append(out, l.ring[:l.next]...)
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.ring)
	l.next, l.full = 0, false
}
