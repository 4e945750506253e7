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

// Package connect is the reconcilers' connection to Lightrun. It holds, in
// one place, everything between an IdentityConfig and the Lightrun company it
// feeds: the Lightrun interface the reconcilers see (in their own terms, with
// the typed errors of internal/lightrun), its adapter over the HTTP client,
// one client per Lightrun URL and API key shared by every IdentityConfig that
// uses them, the gate that makes a Retry-After hold every caller of a client,
// the reading of the Secrets an IdentityConfig names, and the health of each
// connection (is Lightrun answering; reports from reconcilers that it did
// not). The Lightrun API emulator (internal/lightrun/emulator) is the
// in-memory Lightrun the tests connect to.
//
// The reconcilers use two things: Connections.For, which gives the Lightrun
// of an IdentityConfig, and the health calls (ReportUnreachable, Check).
package connect

import (
	"context"
	"time"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// Lightrun is what the controllers need from one Lightrun company, in their
// own terms. Errors are the typed errors of internal/lightrun, so callers
// classify them with lightrun.IsNotFound, IsConflict, IsRateLimited... and
// never parse strings. Emails are Lightrun's user keys and are compared
// case-insensitively; the controllers send them lower-cased.
type Lightrun interface {
	// Settings reads the company's login method and whether Lightrun's own
	// SCIM provisioning is on (docs/rules.md: one identity provider per
	// company; SSO first).
	Settings(ctx context.Context) (Settings, error)

	// User returns the user with this email (NotFound when there is none).
	User(ctx context.Context, email string) (*User, error)
	// EachUser calls fn with every user of the company, page by page, and
	// stops at fn's first error. It refuses to go on past MaxListedUsers, so
	// a listing that never ends cannot hold a reconciler forever.
	EachUser(ctx context.Context, fn func(*User) error) error
	// CreateUser creates an enabled user; Conflict when the email is taken.
	CreateUser(ctx context.Context, u User) (*User, error)
	// UpdateUser replaces the names and roles of the user with u.Email.
	UpdateUser(ctx context.Context, u User) (*User, error)
	// SetUserEnabled enables or disables the user with this email.
	SetUserEnabled(ctx context.Context, email string, enabled bool) error
	// DeleteUser deletes the user with this email.
	DeleteUser(ctx context.Context, email string) error

	// AgentPool returns the pool with this id.
	AgentPool(ctx context.Context, id string) (*AgentPool, error)
	// AgentPoolByName returns the pool with this name (NotFound when none).
	AgentPoolByName(ctx context.Context, name string) (*AgentPool, error)
	// DefaultAgentPool returns the pool every Lightrun user belongs to.
	DefaultAgentPool(ctx context.Context) (*AgentPool, error)
	// CreateAgentPool creates a pool; Conflict when the name is taken.
	CreateAgentPool(ctx context.Context, p AgentPool) (*AgentPool, error)
	// UpdateAgentPool replaces the name and description of the pool p.ID.
	UpdateAgentPool(ctx context.Context, p AgentPool) (*AgentPool, error)
	// DeleteAgentPool deletes a pool (Forbidden for the default pool,
	// Conflict while agents are connected).
	DeleteAgentPool(ctx context.Context, id string) error

	// Group returns the user group with this id, with its members.
	Group(ctx context.Context, id string) (*Group, error)
	// GroupByName returns the group with this name, with its members.
	GroupByName(ctx context.Context, name string) (*Group, error)
	// CreateGroup creates a group; Conflict when the name is taken.
	CreateGroup(ctx context.Context, g Group) (*Group, error)
	// UpdateGroup replaces the name, agent pools and access of group g.ID.
	UpdateGroup(ctx context.Context, g Group) (*Group, error)
	// DeleteGroup deletes a group.
	DeleteGroup(ctx context.Context, id string) error
	// AddMembers adds users to a group. Lightrun applies the emails one by
	// one: the error is for the call, the failures for single emails.
	AddMembers(ctx context.Context, groupID string, emails []string) ([]MemberFailure, error)
	// ResetMember makes a member of a group an ordinary one: no group admin,
	// no elevated roles beyond the group's own.
	ResetMember(ctx context.Context, groupID, email string) error
	// RemoveMembers removes users from a group, with per-email failures.
	RemoveMembers(ctx context.Context, groupID string, emails []string) ([]MemberFailure, error)
}

// Settings is what the IdentityConfig controller checks before provisioning.
type Settings struct {
	// LoginMethod is Lightrun's current login method: SSO, PASSWORD or GOOGLE.
	LoginMethod string
	// SSO is true when LoginMethod is SSO.
	SSO bool
	// BuiltInSCIM is true when Lightrun's own SCIM provisioning is on, i.e.
	// another identity provider may be feeding the company.
	BuiltInSCIM bool
	// CreateExistingUsers is the built-in SCIM's own "create existing
	// users" toggle.
	CreateExistingUsers bool
	// CompanyID is the company behind the API key, as Lightrun's URLs name
	// it (lightrun.CompanyID); "" when Lightrun reports none.
	CompanyID string
}

// User is a Lightrun user as the controllers see it.
type User struct {
	ID        string
	Email     string
	FirstName string
	LastName  string
	Roles     []v1.LightrunUserRole
	Enabled   bool
	// ManagementType is Lightrun's userManagementType: SYSTEM, SCIM
	// (Lightrun's built-in SCIM), SAML_JIT or LDAP; "" when not reported.
	ManagementType string
	// CreatedAt is when Lightrun created the user; zero when not reported.
	CreatedAt time.Time
}

// AgentPool is a Lightrun agent pool.
type AgentPool struct {
	ID          string
	Name        string
	Description string
}

// Group is a Lightrun user group.
type Group struct {
	ID           string
	Name         string
	Default      bool
	AgentPoolIDs []string
	Access       []v1.AccessLevel
	// Members are lower-cased emails; filled by Group and GroupByName.
	Members []string
	// Privileged are the Members that are group admins or hold elevated
	// roles beyond the group's own.
	Privileged []string
}

// MemberFailure is one email a bulk member call could not apply.
type MemberFailure struct {
	Email string
	// Err is a typed Lightrun error: IsNotFound for an unknown user or a
	// non-member, IsConflict for a user already in the group.
	Err error
}
