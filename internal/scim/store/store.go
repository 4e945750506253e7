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

// Package store is the storage boundary of the SCIM endpoint: the handlers in
// internal/scim/server speak to it in terms of the API's custom resources, and
// internal/scim/kubestore implements it on the Kubernetes API server.
package store

import (
	"context"
	"errors"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// Errors every implementation returns (wrapped with context), so the SCIM
// handlers can answer with the right status and scimType.
var (
	// ErrNotFound: no such user or group in this tenant (RFC 7644 §3.12: 404).
	ErrNotFound = errors.New("not found")
	// ErrUniqueness: userName or displayName is taken in this tenant (409 uniqueness).
	ErrUniqueness = errors.New("uniqueness violated")
	// ErrPrecondition: the object changed since the version the caller
	// read (412 with If-Match; otherwise the handler retries).
	ErrPrecondition = errors.New("version mismatch")
	// ErrUnavailable: the Kubernetes API server cannot be reached (503 with Retry-After).
	ErrUnavailable = errors.New("storage unavailable")
	// ErrInvalid: the API server rejected the object's content (400 invalidValue).
	ErrInvalid = errors.New("invalid object")
)

// Tenant is one IdentityConfig's SCIM space: its users and groups are
// invisible to every other tenant.
type Tenant struct {
	Namespace      string
	IdentityConfig string
}

// Index names a lookup the store answers without scanning.
type Index string

// The lookups IdPs send, answered from field indexes.
const (
	// IndexNone lists every object of the tenant.
	IndexNone Index = ""
	// IndexUserName: userName, case-insensitive.
	IndexUserName Index = "userName"
	// IndexExternalID: externalId, exact.
	IndexExternalID Index = "externalId"
	// IndexEmail: any emails[].value, case-insensitive.
	IndexEmail Index = "email"
	// IndexGroup: users that list a group id in spec.groups.
	IndexGroup Index = "group"
	// IndexParent: groups that list a group id in spec.groups (the group
	// members of a group).
	IndexParent Index = "parent"
	// IndexDisplayName: group displayName, case-insensitive.
	IndexDisplayName Index = "displayName"
	// IndexID: the SCIM id (v1alpha1.ScimUser.SCIMID; a group's object name).
	IndexID Index = "id"
)

// Selector narrows a list to the objects whose Index has Value.
type Selector struct {
	Index Index
	Value string
}

// Users stores ScimUsers.
type Users interface {
	// CreateUser stores a new user under a new SCIM id, claiming its userName.
	CreateUser(ctx context.Context, t Tenant, u *v1.ScimUser) (*v1.ScimUser, error)
	// GetUser returns a user by SCIM id; read-your-writes across replicas.
	GetUser(ctx context.Context, t Tenant, id string) (*v1.ScimUser, error)
	// UpdateUser writes u, whose ResourceVersion is the precondition.
	UpdateUser(ctx context.Context, t Tenant, u *v1.ScimUser) (*v1.ScimUser, error)
	// DeleteUser deletes a user; a non-empty resourceVersion is a precondition.
	DeleteUser(ctx context.Context, t Tenant, id, resourceVersion string) error
	// ListUsers returns the tenant's users matching sel, in no particular order.
	// The objects are shared with the cache and must not be modified.
	ListUsers(ctx context.Context, t Tenant, sel Selector) ([]*v1.ScimUser, error)
	// UserPage pages through the tenant's users in list order.
	UserPage(ctx context.Context, t Tenant, req PageRequest) (Page[*v1.ScimUser], error)
}

// Groups stores ScimGroups and their member-side membership.
type Groups interface {
	CreateGroup(ctx context.Context, t Tenant, g *v1.ScimGroup) (*v1.ScimGroup, error)
	GetGroup(ctx context.Context, t Tenant, id string) (*v1.ScimGroup, error)
	UpdateGroup(ctx context.Context, t Tenant, g *v1.ScimGroup) (*v1.ScimGroup, error)
	DeleteGroup(ctx context.Context, t Tenant, id, resourceVersion string) error
	// ListGroups returns the tenant's groups matching sel; shared, read-only.
	ListGroups(ctx context.Context, t Tenant, sel Selector) ([]*v1.ScimGroup, error)
	// GroupPage pages through the tenant's groups in list order.
	GroupPage(ctx context.Context, t Tenant, req PageRequest) (Page[*v1.ScimGroup], error)
	// CheckMembers says, without writing, whether ChangeMembers would
	// accept change: every id to add is an existing user or group of the
	// tenant, of the type change.Types gives it if any, and no group would
	// become its own member, directly or through other groups. A refusal
	// wraps ErrInvalid with a detail for the client.
	CheckMembers(ctx context.Context, t Tenant, groupID string, change MemberChange) error
	// ChangeMembers adds and removes group membership on the member side
	// (ScimUser or ScimGroup spec.groups), after CheckMembers.
	ChangeMembers(ctx context.Context, t Tenant, groupID string, change MemberChange) error
}

// Member types, as SCIM Group members[].type names them (RFC 7643 §4.2).
const (
	MemberUser  = "User"
	MemberGroup = "Group"
)

// MemberChange is the combined effect of a request on one group's members.
type MemberChange struct {
	// Replace, when true, makes the members exactly Add.
	Replace bool
	Add     []string
	Remove  []string
	// Types are the types (MemberUser, MemberGroup) the client gave ids of
	// Add; an id without one is whichever it is.
	Types map[string]string
}

// LastModified returns a resource's SCIM meta.lastModified: the time the
// store sets on every change after the create (the object's lastModified),
// else the annotation earlier versions set, else its creation time.
func LastModified(set *metav1.MicroTime, annotations map[string]string, created time.Time) time.Time {
	if set != nil {
		return set.Time
	}
	if s, ok := annotations[AnnotationLastModified]; ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
	}
	return created
}

// AnnotationLastModified recorded, in earlier versions, when the SCIM
// endpoint last changed an object (now the objects' lastModified field). It
// is still read, and a change removes it.
const AnnotationLastModified = "identity.lightrun.com/last-modified"

// TenantConfig is what the SCIM endpoint needs to know of an IdentityConfig
// to serve it.
type TenantConfig struct {
	Tenant Tenant
	// Enabled mirrors spec.scim.enabled.
	Enabled bool
	// TokenDigests are the SHA-256 digests of the bearer tokens accepted now:
	// the current one and, during a rotation, the previous one. The tokens
	// themselves never leave the Secret reader.
	TokenDigests [][32]byte
	// Refusal, when set, is why the endpoint refuses to serve this
	// IdentityConfig (for example a second IdP for one Lightrun company).
	Refusal string
	// RateLimit and RateBurst mirror spec.scim.rateLimit: the sustained
	// requests per second and the burst each of the IdentityConfig's bearer
	// tokens is allowed. Zero means the endpoint's defaults.
	RateLimit float64
	RateBurst int
}

// Tenants resolves the IdentityConfig a request names.
type Tenants interface {
	// Tenant returns the configuration of namespace/name, or ErrNotFound.
	Tenant(ctx context.Context, namespace, name string) (*TenantConfig, error)
}

// Key is a resource's place in list order: its creation time (Unix seconds,
// the API server's precision), then its SCIM id. A key never changes, so
// paging forward by key while an IdP creates and deletes never repeats or
// skips a resource that stays; a new one sorts after those of earlier
// seconds.
type Key struct {
	Created int64
	ID      string
}

// Compare orders keys: -1, 0 or +1.
func (k Key) Compare(o Key) int {
	switch {
	case k.Created < o.Created:
		return -1
	case k.Created > o.Created:
		return 1
	}
	return strings.Compare(k.ID, o.ID)
}

// PageRequest asks for Count resources in list order, starting at Offset
// (0-based) or, when After is set, just after that key (a cursor).
type PageRequest struct {
	Offset int
	After  *Key
	Count  int
}

// Page is one page of a tenant's resources in list order. The objects are
// shared with the cache and must not be modified.
type Page[T any] struct {
	Items []T
	// Offset is the 0-based position of Items[0] among Total.
	Offset int
	Total  int
	// Last is the key of the last item; More says whether any follow it.
	Last Key
	More bool
}
