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
	"time"

	"github.com/go-logr/logr"
)

// Login methods (IdmAuthenticationConfigurationReadDTO.currentLoginMethod).
const (
	LoginMethodPassword = "PASSWORD"
	LoginMethodGoogle   = "GOOGLE"
	LoginMethodSSO      = "SSO"
)

// SSO protocols (IdmSsoReadDTO.protocol).
const (
	SSOProtocolSAML = "SAML"
	SSOProtocolOIDC = "OIDC"
)

// Names of the objects every Lightrun company starts with. The spec has no
// "default" flag on agent pools, so the default pool is recognised by its name
// and by being the pool of the default group (UserGroupPublicDTO.default).
const (
	DefaultAgentPoolName = "default"
	DefaultGroupName     = "default"
)

// Defaults for Options fields left zero.
const (
	DefaultListenAddr      = "127.0.0.1:0"
	DefaultMaxPageSize     = 2000
	DefaultRequestLogSize  = 10000
	DefaultPersistInterval = time.Second
	DefaultActorEmail      = "api-key@lightrun-emulator.invalid"
	maxRequestBodyBytes    = 16 << 20
)

// Options configure an Emulator. APIKeys is the only required field; the zero
// value of every other field is Lightrun's own default for a new company
// (password login, RBAC off, built-in SCIM off).
type Options struct {
	// ListenAddr is where Start listens; empty means 127.0.0.1 on a free port.
	ListenAddr string
	// CompanyID is the emulated company's id; empty means a random UUID. It
	// appears in the SCIM endpoint and SSO redirect URLs Lightrun reports.
	CompanyID string
	// APIKeys are the accepted bearer API keys of permission level COMPANY,
	// which may call every operation. At least one key, of either level, is
	// required.
	APIKeys []string
	// DevAPIKeys are the accepted bearer API keys of permission level DEV,
	// which may call only the operations whose description requires DEV (the
	// agent pools); the COMPANY operations (users, groups, IdM configuration)
	// refuse them.
	DevAPIKeys []string

	// LoginMethod, SSOProtocol, RBAC and BuiltInSCIM seed a new company. A state
	// loaded from StateFile keeps its own values.
	LoginMethod string
	// SSOProtocol defaults to SAML when LoginMethod is SSO.
	SSOProtocol string
	RBAC        bool
	BuiltInSCIM bool

	// RateLimit is the emulator's own limit in requests per second across all API
	// calls, answered with 429 and Retry-After when exceeded; 0 means unlimited.
	RateLimit float64
	// RateBurst is the token-bucket size; 0 means max(1, RateLimit).
	RateBurst int

	// Faults are injected from the start; see Faults.
	Faults Faults
	// FaultSeed seeds the random draws of ErrorRate and ThrottleRate; 0 means
	// a time-based seed.
	FaultSeed uint64

	// StateFile, when set, is loaded at start if it exists, and written
	// (atomically: temporary file, then rename) every PersistInterval while the
	// state changes, and on Close.
	StateFile       string
	PersistInterval time.Duration

	// Answers selects, where the operator relies on a status the operation
	// does not declare (UndeclaredAnswers), between that status
	// (AnswersDefault, the zero value) and a declared alternative
	// (AnswersAlternative). Settings can switch it later.
	Answers Answers

	// MaxPageSize caps the `size` of list calls, as Spring Data does (its
	// default cap is 2000); the applied size is reported as `limit`.
	MaxPageSize int
	// RequestLogSize is how many requests the request log keeps (newest).
	RequestLogSize int
	// ActorEmail is recorded as createdBy / lastModifiedBy: the user behind the
	// API key. The spec formats these fields as email.
	ActorEmail string

	// Logger receives a line per request at V(1) and every spec violation at
	// error level. API keys are never logged.
	Logger logr.Logger
}
