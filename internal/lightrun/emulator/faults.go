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
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Faults make the emulator misbehave the way a real service does under load or
// during an incident. They apply to API calls only (not /_emulator/), before
// authentication, like a gateway in front of Lightrun would. Counters
// (FailNext, ThrottleNext) go down as they fire.
type Faults struct {
	// Latency is added to every API call.
	Latency Duration `json:"latency,omitempty"`
	// Outages are windows during which every API call is answered 503.
	Outages []Window `json:"outages,omitempty"`
	// FailNext answers the next N API calls with ErrorStatus.
	FailNext int `json:"failNext,omitempty"`
	// ErrorRate is the share (0..1) of API calls answered with ErrorStatus.
	ErrorRate float64 `json:"errorRate,omitempty"`
	// ErrorStatus is the 5xx status of FailNext and ErrorRate; 0 means 503.
	ErrorStatus int `json:"errorStatus,omitempty"`
	// ThrottleNext answers the next N API calls with 429.
	ThrottleNext int `json:"throttleNext,omitempty"`
	// ThrottleRate is the share (0..1) of API calls answered with 429.
	ThrottleRate float64 `json:"throttleRate,omitempty"`
	// RetryAfter is sent with injected 429s, rounded up to whole seconds
	// (RFC 9110 §10.2.3 delay-seconds); zero sends "Retry-After: 0".
	RetryAfter Duration `json:"retryAfter,omitempty"`
	// OmitRetryAfter sends injected 429s without a Retry-After header.
	OmitRetryAfter bool `json:"omitRetryAfter,omitempty"`
}

// Window is a period of time, [Start, End).
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether t falls in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

func (f Faults) validate() error {
	if f.Latency < 0 || f.RetryAfter < 0 {
		return fmt.Errorf("faults: durations must not be negative")
	}
	if f.FailNext < 0 || f.ThrottleNext < 0 {
		return fmt.Errorf("faults: counters must not be negative")
	}
	if f.ErrorRate < 0 || f.ErrorRate > 1 || f.ThrottleRate < 0 || f.ThrottleRate > 1 {
		return fmt.Errorf("faults: rates must be between 0 and 1")
	}
	if f.ErrorStatus != 0 && (f.ErrorStatus < 500 || f.ErrorStatus > 599) {
		return fmt.Errorf("faults: errorStatus %d is not a 5xx status", f.ErrorStatus)
	}
	for _, w := range f.Outages {
		if !w.End.After(w.Start) {
			return fmt.Errorf("faults: outage window ends (%s) before it starts (%s)", w.End, w.Start)
		}
	}
	return nil
}

// Duration is a time.Duration written in JSON as a Go duration string ("250ms").
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"250ms\": %w", err)
	}
	parsed, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(parsed)
	return nil
}

// injected is a fault that answers a call in place of the emulator.
type injected struct {
	kind   string // "outage", "error", "throttle", "ratelimit"
	status int
	header http.Header
	body   errorBody
}

// faultInjector holds the current faults and draws the random ones.
type faultInjector struct {
	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand
}

func newFaultInjector(f Faults, seed uint64) *faultInjector {
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &faultInjector{faults: f, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (fi *faultInjector) get() Faults {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := fi.faults
	f.Outages = append([]Window(nil), f.Outages...)
	return f
}

func (fi *faultInjector) set(f Faults) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.faults = f
}

func (fi *faultInjector) addOutage(w Window) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.faults.Outages = append(fi.faults.Outages, w)
}

// decide returns the latency to add and the fault to inject, if any, for a call
// arriving at now.
func (fi *faultInjector) decide(now time.Time) (time.Duration, *injected) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := &fi.faults
	latency := time.Duration(f.Latency)

	// Forget windows that are over, so a long-running emulator does not scan
	// an ever-growing list.
	kept := f.Outages[:0]
	inOutage := false
	for _, w := range f.Outages {
		if now.Before(w.End) {
			kept = append(kept, w)
			inOutage = inOutage || w.Contains(now)
		}
	}
	f.Outages = kept

	errorStatus := f.ErrorStatus
	if errorStatus == 0 {
		errorStatus = http.StatusServiceUnavailable
	}
	switch {
	case inOutage:
		return latency, &injected{kind: "outage", status: http.StatusServiceUnavailable,
			body: errorBody{Message: "Service Unavailable"}}
	case f.FailNext > 0:
		f.FailNext--
		return latency, fi.serverError(errorStatus)
	case f.ThrottleNext > 0:
		f.ThrottleNext--
		return latency, fi.throttle()
	case f.ErrorRate > 0 && fi.rng.Float64() < f.ErrorRate:
		return latency, fi.serverError(errorStatus)
	case f.ThrottleRate > 0 && fi.rng.Float64() < f.ThrottleRate:
		return latency, fi.throttle()
	}
	return latency, nil
}

func (fi *faultInjector) serverError(status int) *injected {
	return &injected{kind: "error", status: status, body: errorBody{Message: http.StatusText(status)}}
}

// throttle must be called with fi.mu held.
func (fi *faultInjector) throttle() *injected {
	h := http.Header{}
	if !fi.faults.OmitRetryAfter {
		h.Set("Retry-After", retryAfterSeconds(time.Duration(fi.faults.RetryAfter)))
	}
	return &injected{kind: "throttle", status: http.StatusTooManyRequests, header: h,
		body: errorBody{Message: "Too Many Requests"}}
}

// retryAfterSeconds renders d as RFC 9110 delay-seconds, rounded up so a client
// never comes back before the limiter has room.
func retryAfterSeconds(d time.Duration) string {
	secs := max(int64((d+time.Second-1)/time.Second), 0)
	return strconv.FormatInt(secs, 10)
}
