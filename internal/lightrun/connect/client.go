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

package connect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// listPageSize is the page size of list calls: Spring Data's cap, the fewest
// calls for a company of any size.
const listPageSize = 2000

// clientBackend implements Lightrun over the typed client, counting every
// call in the lightrun_identity_lightrun_requests_total metric.
type clientBackend struct {
	c *lightrun.Client
	// maxUsers bounds EachUser (MaxListedUsers).
	maxUsers int

	mu          sync.Mutex
	defaultPool *AgentPool // the default pool never changes; found once
}

var _ Lightrun = (*clientBackend)(nil)

func newClientBackend(c *lightrun.Client) *clientBackend {
	return &clientBackend{c: c, maxUsers: MaxListedUsers}
}

func (b *clientBackend) Settings(ctx context.Context) (s Settings, err error) {
	defer func(start time.Time) { observe("getSettings", start, err) }(time.Now())
	auth, err := b.c.GetAuthenticationConfig(ctx)
	if err != nil {
		return Settings{}, err
	}
	prov, err := b.c.GetProvisioningConfig(ctx)
	if err != nil {
		return Settings{}, err
	}
	return Settings{
		LoginMethod:         string(auth.CurrentLoginMethod),
		SSO:                 auth.SSOEnabled(),
		BuiltInSCIM:         prov.BuiltInSCIMEnabled(),
		CreateExistingUsers: prov.SCIM != nil && prov.SCIM.CreateExistingUsersEnabled,
		CompanyID:           lightrun.CompanyID(auth, prov),
	}, nil
}

func userFrom(u *lightrun.User) *User {
	out := &User{ID: u.ID, Email: strings.ToLower(u.Email), FirstName: u.FirstName, LastName: u.LastName, Enabled: u.Enabled,
		ManagementType: string(u.UserManagementType), CreatedAt: u.CreatedDate.Time}
	for _, r := range u.Roles {
		out.Roles = append(out.Roles, v1.LightrunUserRole(r))
	}
	return out
}

func rolesTo(roles []v1.LightrunUserRole) []lightrun.Role {
	out := make([]lightrun.Role, 0, len(roles))
	for _, r := range roles {
		out = append(out, lightrun.Role(r))
	}
	return out
}

func (b *clientBackend) User(ctx context.Context, email string) (_ *User, err error) {
	defer func(start time.Time) { observe("getUser", start, err) }(time.Now())
	u, err := b.c.GetUser(ctx, email)
	if err != nil {
		return nil, err
	}
	return userFrom(u), nil
}

// MaxListedUsers bounds a listing of users: 50 times Lightrun's largest
// company the operator is built for (100,000 users), far above any real
// listing, and small enough that a server that keeps saying hasMore is cut
// off within minutes.
const MaxListedUsers = 5_000_000

// ErrListingCutOff is the error of a listing cut off at MaxListedUsers.
var ErrListingCutOff = errors.New("the listing is cut off")

func (b *clientBackend) EachUser(ctx context.Context, fn func(*User) error) (err error) {
	defer func(start time.Time) { observe("listUsers", start, err) }(time.Now())
	n := 0
	for u, err := range b.c.AllUsers(ctx, lightrun.ListUsersOptions{
		// Group memberships and agent pool permissions (with RBAC; absent
		// without it), for the resync.
		IncludeAccessAndPermissions: true,
		PageOptions:                 lightrun.PageOptions{Size: listPageSize},
	}) {
		if err != nil {
			return err
		}
		if n++; n > b.maxUsers {
			return fmt.Errorf("listing users: more than %d (a Lightrun that keeps saying hasMore?): %w", b.maxUsers, ErrListingCutOff)
		}
		if err := fn(userFrom(&u)); err != nil {
			return err
		}
	}
	return nil
}

func (b *clientBackend) CreateUser(ctx context.Context, u User) (_ *User, err error) {
	defer func(start time.Time) { observe("createUser", start, err) }(time.Now())
	created, err := b.c.CreateUser(ctx, lightrun.CreateUserRequest{
		Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Roles: rolesTo(u.Roles),
	})
	if err != nil {
		return nil, err
	}
	return userFrom(created), nil
}

func (b *clientBackend) UpdateUser(ctx context.Context, u User) (_ *User, err error) {
	defer func(start time.Time) { observe("updateUser", start, err) }(time.Now())
	updated, err := b.c.UpdateUser(ctx, u.Email, lightrun.UpdateUserRequest{
		FirstName: u.FirstName, LastName: u.LastName, Roles: rolesTo(u.Roles),
	})
	if err != nil {
		return nil, err
	}
	return userFrom(updated), nil
}

func (b *clientBackend) SetUserEnabled(ctx context.Context, email string, enabled bool) (err error) {
	if enabled {
		defer func(start time.Time) { observe("enableUser", start, err) }(time.Now())
		return b.c.EnableUser(ctx, email)
	}
	defer func(start time.Time) { observe("disableUser", start, err) }(time.Now())
	return b.c.DisableUser(ctx, email)
}

func (b *clientBackend) DeleteUser(ctx context.Context, email string) (err error) {
	defer func(start time.Time) { observe("deleteUser", start, err) }(time.Now())
	return b.c.DeleteUser(ctx, email)
}

func poolFrom(p *lightrun.AgentPool) *AgentPool {
	return &AgentPool{ID: p.ID, Name: p.Name, Description: p.Description}
}

func (b *clientBackend) AgentPool(ctx context.Context, id string) (_ *AgentPool, err error) {
	defer func(start time.Time) { observe("getAgentPool", start, err) }(time.Now())
	p, err := b.c.GetAgentPool(ctx, id)
	if err != nil {
		return nil, err
	}
	return poolFrom(p), nil
}

func (b *clientBackend) AgentPoolByName(ctx context.Context, name string) (_ *AgentPool, err error) {
	defer func(start time.Time) { observe("findAgentPool", start, err) }(time.Now())
	p, err := b.c.FindAgentPool(ctx, name)
	if err != nil {
		return nil, err
	}
	return poolFrom(p), nil
}

// DefaultAgentPool finds the pool of Lightrun's default group: the API has no
// "default" flag on pools, but every user is in the default group, which is
// linked to the default pool.
func (b *clientBackend) DefaultAgentPool(ctx context.Context) (_ *AgentPool, err error) {
	b.mu.Lock()
	cached := b.defaultPool
	b.mu.Unlock()
	if cached != nil {
		p := *cached
		return &p, nil
	}
	defer func(start time.Time) { observe("findDefaultAgentPool", start, err) }(time.Now())
	var poolID string
	for g, err := range b.c.AllGroups(ctx, lightrun.ListGroupsOptions{PageOptions: lightrun.PageOptions{Size: listPageSize}}) {
		if err != nil {
			return nil, err
		}
		if g.Default && len(g.AgentPoolIDs) > 0 {
			poolID = g.AgentPoolIDs[0]
			break
		}
	}
	if poolID == "" {
		return nil, &lightrun.Error{Kind: lightrun.KindNotFound, Method: http.MethodGet, Path: "/api/v1/groups",
			Message: "no default group linked to an agent pool"}
	}
	p, err := b.c.GetAgentPool(ctx, poolID)
	if err != nil {
		return nil, err
	}
	pool := poolFrom(p)
	b.mu.Lock()
	b.defaultPool = pool
	b.mu.Unlock()
	out := *pool
	return &out, nil
}

func (b *clientBackend) CreateAgentPool(ctx context.Context, p AgentPool) (_ *AgentPool, err error) {
	defer func(start time.Time) { observe("createAgentPool", start, err) }(time.Now())
	created, err := b.c.CreateAgentPool(ctx, lightrun.AgentPoolRequest{Name: p.Name, Description: p.Description})
	if err != nil {
		return nil, err
	}
	return poolFrom(created), nil
}

func (b *clientBackend) UpdateAgentPool(ctx context.Context, p AgentPool) (_ *AgentPool, err error) {
	defer func(start time.Time) { observe("updateAgentPool", start, err) }(time.Now())
	updated, err := b.c.UpdateAgentPool(ctx, p.ID, lightrun.AgentPoolRequest{Name: p.Name, Description: p.Description})
	if err != nil {
		return nil, err
	}
	return poolFrom(updated), nil
}

func (b *clientBackend) DeleteAgentPool(ctx context.Context, id string) (err error) {
	defer func(start time.Time) { observe("deleteAgentPool", start, err) }(time.Now())
	return b.c.DeleteAgentPool(ctx, id)
}

func groupFrom(g *lightrun.Group) *Group {
	out := &Group{ID: g.ID, Name: g.Name, Default: g.Default, AgentPoolIDs: append([]string(nil), g.AgentPoolIDs...)}
	for _, r := range g.Roles {
		out.Access = append(out.Access, v1.AccessLevel(r))
	}
	for _, m := range g.Members {
		email := strings.ToLower(m.Email)
		out.Members = append(out.Members, email)
		if m.GroupAdmin || len(m.ElevatedRoles) > 0 {
			out.Privileged = append(out.Privileged, email)
		}
	}
	return out
}

func accessTo(levels []v1.AccessLevel) []lightrun.GroupRole {
	out := make([]lightrun.GroupRole, 0, len(levels))
	for _, l := range levels {
		out = append(out, lightrun.GroupRole(l))
	}
	return out
}

func (b *clientBackend) Group(ctx context.Context, id string) (_ *Group, err error) {
	defer func(start time.Time) { observe("getGroup", start, err) }(time.Now())
	g, err := b.c.GetGroupWithMembers(ctx, id)
	if err != nil {
		return nil, err
	}
	return groupFrom(g), nil
}

func (b *clientBackend) GroupByName(ctx context.Context, name string) (_ *Group, err error) {
	found, err := func() (_ *lightrun.Group, err error) {
		defer func(start time.Time) { observe("findGroup", start, err) }(time.Now())
		return b.c.FindGroup(ctx, name)
	}()
	if err != nil {
		return nil, err
	}
	return b.Group(ctx, found.ID)
}

func (b *clientBackend) CreateGroup(ctx context.Context, g Group) (_ *Group, err error) {
	defer func(start time.Time) { observe("createGroup", start, err) }(time.Now())
	created, err := b.c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: g.Name, AgentPoolIDs: g.AgentPoolIDs, Roles: accessTo(g.Access)})
	if err != nil {
		return nil, err
	}
	return groupFrom(created), nil
}

func (b *clientBackend) UpdateGroup(ctx context.Context, g Group) (_ *Group, err error) {
	defer func(start time.Time) { observe("updateGroup", start, err) }(time.Now())
	updated, err := b.c.UpdateGroup(ctx, g.ID, lightrun.UpdateGroupRequest{Name: g.Name, AgentPoolIDs: g.AgentPoolIDs, Roles: accessTo(g.Access)})
	if err != nil {
		return nil, err
	}
	return groupFrom(updated), nil
}

func (b *clientBackend) DeleteGroup(ctx context.Context, id string) (err error) {
	defer func(start time.Time) { observe("deleteGroup", start, err) }(time.Now())
	return b.c.DeleteGroup(ctx, id)
}

func memberFailures(r *lightrun.BulkResult) []MemberFailure {
	out := make([]MemberFailure, 0, len(r.Failures))
	for _, f := range r.Failures {
		out = append(out, MemberFailure{Email: strings.ToLower(f.Member.Email), Err: f.Err()})
	}
	return out
}

func (b *clientBackend) AddMembers(ctx context.Context, groupID string, emails []string) (_ []MemberFailure, err error) {
	defer func(start time.Time) { observe("addGroupMembers", start, err) }(time.Now())
	members := make([]lightrun.Member, 0, len(emails))
	for _, e := range emails {
		members = append(members, lightrun.Member{Email: e})
	}
	res, err := b.c.AddGroupMembers(ctx, groupID, members)
	if err != nil {
		return nil, err
	}
	return memberFailures(res), nil
}

func (b *clientBackend) ResetMember(ctx context.Context, groupID, email string) (err error) {
	defer func(start time.Time) { observe("resetGroupMember", start, err) }(time.Now())
	_, err = b.c.UpdateGroupMember(ctx, groupID, email, lightrun.UpdateMemberRequest{})
	return err
}

func (b *clientBackend) RemoveMembers(ctx context.Context, groupID string, emails []string) (_ []MemberFailure, err error) {
	defer func(start time.Time) { observe("removeGroupMembers", start, err) }(time.Now())
	res, err := b.c.RemoveGroupMembers(ctx, groupID, emails)
	if err != nil {
		return nil, err
	}
	return memberFailures(res), nil
}
