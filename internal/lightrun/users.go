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

package lightrun

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// Role is a company-wide user role (UserPublicDTO.roles).
type Role string

// The user roles the spec enumerates. With RBAC off, Lightrun accepts only
// RoleDeveloper and RoleSystemAdmin (CreateUserPublicDTO.roles).
const (
	RoleSystemAdmin       Role = "SYSTEM_ADMIN"
	RoleCompanyViewer     Role = "COMPANY_VIEWER"
	RoleGroupAdmin        Role = "GROUP_ADMIN"
	RoleSecurity          Role = "SECURITY"
	RoleAppSec            Role = "APP_SEC"
	RoleIncidentResponder Role = "INCIDENT_RESPONDER"
	RoleDeveloper         Role = "DEVELOPER"
)

// UserManagementType says who manages a user (UserPublicDTO.userManagementType).
type UserManagementType string

// The management types the spec enumerates.
const (
	UserManagementSystem  UserManagementType = "SYSTEM"
	UserManagementSCIM    UserManagementType = "SCIM"
	UserManagementSAMLJIT UserManagementType = "SAML_JIT"
	UserManagementLDAP    UserManagementType = "LDAP"
)

// User is a Lightrun user (UserPublicDTO). Lightrun keys users by email.
type User struct {
	ID        string `json:"id,omitempty"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Roles     []Role `json:"roles,omitempty"`
	Enabled   bool   `json:"enabled"`
	// RegisterMethod is USER_PASS, SSO_GOOGLE, SCIM or LDAP.
	RegisterMethod        string             `json:"registerMethod,omitempty"`
	UserManagementType    UserManagementType `json:"userManagementType,omitempty"`
	ActivationLink        string             `json:"activationLink,omitempty"`
	InitialActionInserted bool               `json:"initialActionInserted,omitempty"`
	CreatedBy             string             `json:"createdBy,omitempty"`
	CreatedDate           Timestamp          `json:"createdDate,omitzero"`
	LastModifiedBy        string             `json:"lastModifiedBy,omitempty"`
	LastModifiedDate      Timestamp          `json:"lastModifiedDate,omitzero"`
	LastLoginDate         Timestamp          `json:"lastLoginDate,omitzero"`
	// GroupMemberships and AgentPoolPermissions are filled only by
	// GetUserWithAccess / ListUsersOptions.IncludeAccessAndPermissions, and only
	// when RBAC is on.
	GroupMemberships     []GroupMembership     `json:"groupMemberships,omitempty"`
	AgentPoolPermissions []AgentPoolPermission `json:"agentPoolPermissions,omitempty"`
}

// HasRole reports whether u has role r.
func (u *User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// GroupMembership is one group a user belongs to (UserGroupMembershipPublicDTO).
type GroupMembership struct {
	Email      string `json:"email"`
	GroupID    string `json:"groupId"`
	GroupAdmin bool   `json:"groupAdmin"`
}

// AgentPoolPermission is what a user may do on one agent pool
// (PermissionsOnAgentPoolPublicDTO): STANDARD and/or IGNORE_QUOTA.
type AgentPoolPermission struct {
	AgentPoolID string   `json:"agentPoolId"`
	Permissions []string `json:"permissions,omitempty"`
}

// CreateUserRequest is the body of POST /api/v1/users (CreateUserPublicDTO).
type CreateUserRequest struct {
	// Email is required, 5 to 254 characters, and unique in the company.
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	// Roles is optional; Lightrun gives a user without roles DEVELOPER.
	Roles []Role `json:"roles,omitempty"`
}

// UpdateUserRequest is the body of PUT /api/v1/users/{email}
// (UpdateUserPublicDTO). All three fields are required by the spec and the
// update replaces them, so Roles is always sent (an empty list when nil).
type UpdateUserRequest struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Roles     []Role `json:"roles"`
}

// ListUsersOptions are the query parameters of GET /api/v1/users.
// Sortable properties: name, email, userManagementType, createdBy,
// lastModifiedBy, lastModifiedDate, lastLoginDate.
type ListUsersOptions struct {
	// Search matches name or email.
	Search string
	// Role keeps users that have this role.
	Role Role
	// IncludeAccessAndPermissions fills GroupMemberships and
	// AgentPoolPermissions (needs RBAC).
	IncludeAccessAndPermissions bool
	PageOptions
}

func (o ListUsersOptions) query() url.Values {
	q := url.Values{}
	if o.Search != "" {
		q.Set("search", o.Search)
	}
	if o.Role != "" {
		q.Set("role", string(o.Role))
	}
	if o.IncludeAccessAndPermissions {
		q.Set("includeAccessAndPermissions", strconv.FormatBool(true))
	}
	o.apply(q)
	return q
}

// ListUsers returns one page of users.
func (c *Client) ListUsers(ctx context.Context, opts ListUsersOptions) (*Page[User], error) {
	cl := newCall(http.MethodGet, "/api/v1/users")
	cl.query = opts.query()
	page := &Page[User]{}
	cl.out = page
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return page, nil
}

// AllUsers iterates over the users matching opts on every page from opts.Page on.
func (c *Client) AllUsers(ctx context.Context, opts ListUsersOptions) iter.Seq2[User, error] {
	return paginate(ctx, opts.PageOptions, func(ctx context.Context, p PageOptions) (*Page[User], error) {
		o := opts
		o.PageOptions = p
		return c.ListUsers(ctx, o)
	})
}

// GetUser returns the user with this email.
func (c *Client) GetUser(ctx context.Context, email string) (*User, error) {
	return c.getUser(ctx, email, false)
}

// GetUserWithAccess returns the user with this email together with its group
// memberships and agent pool permissions (includeAccessAndPermissions=true,
// which needs RBAC).
func (c *Client) GetUserWithAccess(ctx context.Context, email string) (*User, error) {
	return c.getUser(ctx, email, true)
}

func (c *Client) getUser(ctx context.Context, email string, access bool) (*User, error) {
	cl := newCall(http.MethodGet, "/api/v1/users/%s", email)
	if email == "" {
		return nil, invalidArgument(cl.method, cl.path, "email is required")
	}
	if access {
		cl.query = url.Values{"includeAccessAndPermissions": {"true"}}
	}
	u := &User{}
	cl.out = u
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUser creates a user. A user with the same email gives a Conflict error.
func (c *Client) CreateUser(ctx context.Context, req CreateUserRequest) (*User, error) {
	cl := newCall(http.MethodPost, "/api/v1/users")
	cl.body = req
	u := &User{}
	cl.out = u
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateUser replaces the names and roles of the user with this email.
func (c *Client) UpdateUser(ctx context.Context, email string, req UpdateUserRequest) (*User, error) {
	cl := newCall(http.MethodPut, "/api/v1/users/%s", email)
	if email == "" {
		return nil, invalidArgument(cl.method, cl.path, "email is required")
	}
	if req.Roles == nil {
		// "roles" is required (UpdateUserPublicDTO); null is not an array.
		req.Roles = []Role{}
	}
	cl.body = req
	u := &User{}
	cl.out = u
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteUser deletes the user with this email.
func (c *Client) DeleteUser(ctx context.Context, email string) error {
	return c.userAction(ctx, http.MethodDelete, "/api/v1/users/%s", email)
}

// EnableUser enables the user with this email. Enabling an enabled user succeeds.
func (c *Client) EnableUser(ctx context.Context, email string) error {
	return c.userAction(ctx, http.MethodPut, "/api/v1/users/%s/enable", email)
}

// DisableUser disables the user with this email. Disabling a disabled user succeeds.
func (c *Client) DisableUser(ctx context.Context, email string) error {
	return c.userAction(ctx, http.MethodPut, "/api/v1/users/%s/disable", email)
}

func (c *Client) userAction(ctx context.Context, method, format, email string) error {
	cl := newCall(method, format, email)
	if email == "" {
		return invalidArgument(cl.method, cl.path, "email is required")
	}
	return c.do(ctx, cl)
}
