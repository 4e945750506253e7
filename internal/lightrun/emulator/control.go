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
	"errors"
	"fmt"
	"time"
)

// Settings are the switches of the emulated company and server that tests and
// developers flip: GET and PATCH /_emulator/settings, Settings and
// ApplySettings.
type Settings struct {
	LoginMethod string  `json:"loginMethod"`
	SSOProtocol string  `json:"ssoProtocol,omitempty"`
	RBAC        bool    `json:"rbac"`
	BuiltInSCIM bool    `json:"builtInScim"`
	RateLimit   float64 `json:"rateLimit"`
	RateBurst   int     `json:"rateBurst"`
	// Answers is "default" or "alternative" (Options.Answers).
	Answers Answers `json:"answers"`
}

// SettingsPatch changes the settings whose fields are set.
type SettingsPatch struct {
	LoginMethod *string  `json:"loginMethod,omitempty"`
	SSOProtocol *string  `json:"ssoProtocol,omitempty"`
	RBAC        *bool    `json:"rbac,omitempty"`
	BuiltInSCIM *bool    `json:"builtInScim,omitempty"`
	RateLimit   *float64 `json:"rateLimit,omitempty"`
	RateBurst   *int     `json:"rateBurst,omitempty"`
	Answers     *Answers `json:"answers,omitempty"`
}

// CompanyID returns the emulated company's id.
func (e *Emulator) CompanyID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.CompanyID
}

// DefaultAgentPoolID returns the id of the default agent pool.
func (e *Emulator) DefaultAgentPoolID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.defaultPool().ID
}

// DefaultGroupID returns the id of the default group.
func (e *Emulator) DefaultGroupID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.defaultGroup().ID
}

// Settings returns the current settings.
func (e *Emulator) Settings() Settings {
	e.mu.Lock()
	s := Settings{
		LoginMethod: e.st.Authentication.LoginMethod,
		SSOProtocol: e.st.Authentication.SSOProtocol,
		RBAC:        e.st.RBAC,
		BuiltInSCIM: e.st.Provisioning.SCIM.Enabled,
		Answers:     Answers(e.answers.Load()),
	}
	e.mu.Unlock()
	e.limitMu.Lock()
	defer e.limitMu.Unlock()
	if e.limiter != nil {
		s.RateLimit, s.RateBurst = float64(e.limiter.Limit()), e.limiter.Burst()
	}
	return s
}

// ApplySettings changes the settings set in p, all or none. Unlike the API, it
// lets built-in SCIM be switched on without SSO, so tests can build any state.
func (e *Emulator) ApplySettings(p SettingsPatch) error {
	if p.LoginMethod != nil && !validLoginMethod(*p.LoginMethod) {
		return fmt.Errorf("emulator: login method %q is not PASSWORD, GOOGLE or SSO", *p.LoginMethod)
	}
	if p.SSOProtocol != nil && *p.SSOProtocol != SSOProtocolSAML && *p.SSOProtocol != SSOProtocolOIDC {
		return fmt.Errorf("emulator: SSO protocol %q is not SAML or OIDC", *p.SSOProtocol)
	}
	if p.RateLimit != nil && *p.RateLimit < 0 {
		return fmt.Errorf("emulator: rate limit %v must not be negative", *p.RateLimit)
	}
	if p.Answers != nil {
		if err := p.Answers.validate(); err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
	}
	e.mu.Lock()
	a := &e.st.Authentication
	if p.SSOProtocol != nil {
		a.SSOProtocol = *p.SSOProtocol
	}
	if p.LoginMethod != nil {
		a.LoginMethod = *p.LoginMethod
		if a.LoginMethod == LoginMethodSSO && a.SSOProtocol == "" {
			a.SSOProtocol = SSOProtocolSAML
		}
	}
	if p.RBAC != nil {
		e.st.RBAC = *p.RBAC
	}
	if p.BuiltInSCIM != nil {
		e.st.Provisioning.SCIM.Enabled = *p.BuiltInSCIM
	}
	if p.Answers != nil {
		e.answers.Store(int32(*p.Answers))
	}
	e.markDirty()
	e.mu.Unlock()
	if p.RateLimit != nil || p.RateBurst != nil {
		current := e.Settings()
		limit, burst := current.RateLimit, current.RateBurst
		if p.RateLimit != nil {
			limit = *p.RateLimit
		}
		if p.RateBurst != nil {
			burst = *p.RateBurst
		}
		e.setRateLimit(limit, burst)
	}
	return nil
}

// SetLoginMethod sets the company's login method (PASSWORD, GOOGLE or SSO;
// SSO uses SAML unless a protocol is configured).
func (e *Emulator) SetLoginMethod(method string) error {
	return e.ApplySettings(SettingsPatch{LoginMethod: &method})
}

// SetRBAC turns the company's RBAC on or off.
func (e *Emulator) SetRBAC(on bool) {
	_ = e.ApplySettings(SettingsPatch{RBAC: &on})
}

// SetBuiltInSCIM turns Lightrun's own SCIM provisioning on or off.
func (e *Emulator) SetBuiltInSCIM(on bool) {
	_ = e.ApplySettings(SettingsPatch{BuiltInSCIM: &on})
}

// SetRateLimit sets the emulator's own rate limit (requests per second, 0 for
// none) and burst.
func (e *Emulator) SetRateLimit(perSecond float64, burst int) {
	e.setRateLimit(perSecond, burst)
}

// SetLiveAgents sets how many agents are connected to a pool; a pool with live
// agents cannot be deleted (409).
func (e *Emulator) SetLiveAgents(poolID string, count int64) error {
	if count < 0 {
		return errors.New("emulator: live agent count must not be negative")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.st.poolsByID[poolID]
	if p == nil {
		return fmt.Errorf("emulator: agent pool %s not found", poolID)
	}
	p.LiveAgentsCount = count
	e.markDirty()
	return nil
}

// SetFaults replaces the injected faults.
func (e *Emulator) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	e.faults.set(f)
	return nil
}

// Faults returns the injected faults, with the counters as they are now.
func (e *Emulator) Faults() Faults { return e.faults.get() }

// ClearFaults stops injecting faults.
func (e *Emulator) ClearFaults() { e.faults.set(Faults{}) }

// StartOutage answers every API call with 503 for d from now.
func (e *Emulator) StartOutage(d time.Duration) {
	now := time.Now()
	e.faults.addOutage(Window{Start: now, End: now.Add(d)})
}

// State returns a deep copy of the emulated company.
func (e *Emulator) State() (State, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.st.clone()
	if err != nil {
		return State{}, fmt.Errorf("emulator: %w", err)
	}
	return *s, nil
}

// ReplaceState replaces the emulated company with s (a copy of it), after
// checking its invariants.
func (e *Emulator) ReplaceState(s State) error {
	copied, err := s.clone()
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	st, err := newStore(copied)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st = st
	e.markDirty()
	return nil
}

// Reset replaces the emulated company with a new one as Options describe it,
// keeping the company id.
func (e *Emulator) Reset() error {
	opts := e.opts
	e.mu.Lock()
	defer e.mu.Unlock()
	opts.CompanyID = e.st.CompanyID
	st, err := newStore(newCompany(opts, time.Now().UTC()))
	if err != nil {
		return fmt.Errorf("emulator: resetting: %w", err)
	}
	e.st = st
	e.markDirty()
	return nil
}

// Requests returns the request log, oldest first (at most
// Options.RequestLogSize entries).
func (e *Emulator) Requests() []Request { return e.records.all() }

// ResetRequests empties the request log.
func (e *Emulator) ResetRequests() { e.records.reset() }

// Violations returns the logged requests whose response broke the OpenAPI
// spec. Tests should expect it to be empty: each entry is an emulator bug. It
// reads the request log, which keeps only the newest Options.RequestLogSize
// calls and which ResetRequests empties; Conformance counts every violation,
// of requests too, and CheckClean / ExpectClean check them.
func (e *Emulator) Violations() []Request {
	var out []Request
	for _, r := range e.records.all() {
		if r.Violation != "" {
			out = append(out, r)
		}
	}
	return out
}
