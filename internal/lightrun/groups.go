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
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// GroupRole is a role a user group grants on its agent pools
// (UserGroupPublicDTO.roles, UserGroupMemberPublicDTO.elevatedRoles).
type GroupRole string

// The group roles the spec enumerates.
const (
	GroupRoleStandard   GroupRole = "STANDARD"
	GroupRolePrivileged GroupRole = "PRIVILEGED"
)

// Group is a Lightrun user group (UserGroupPublicDTO). Linking a group to agent
// pools (AgentPoolIDs) gives its members access to those pools with its Roles.
type Group struct {
	ID           string      `json:"id,omitempty"`
	Name         string      `json:"name"`
	Default      bool        `json:"default,omitempty"`
	AgentPoolIDs []string    `json:"agentPoolIds,omitempty"`
	Roles        []GroupRole `json:"roles,omitempty"`
	MemberCount  int32       `json:"memberCount,omitempty"`
	// Members is filled only by GetGroupWithMembers and
	// ListGroupsOptions.IncludeMembers.
	Members          []Member  `json:"members,omitempty"`
	CreatedBy        string    `json:"createdBy,omitempty"`
	CreatedDate      Timestamp `json:"createdDate,omitzero"`
	LastModifiedBy   string    `json:"lastModifiedBy,omitempty"`
	LastModifiedDate Timestamp `json:"lastModifiedDate,omitzero"`
}

// Member is a user's membership in a group (UserGroupMemberPublicDTO).
type Member struct {
	Email      string `json:"email"`
	GroupAdmin bool   `json:"groupAdmin,omitempty"`
	// ElevatedRoles are granted to this member on top of the group's roles.
	ElevatedRoles []GroupRole `json:"elevatedRoles,omitempty"`
	// EffectiveRoles is computed by Lightrun (group roles plus elevated roles);
	// it is read, never sent.
	EffectiveRoles []GroupRole `json:"effectiveRoles,omitempty"`
}

// memberWrite is a Member as sent in POST /api/v1/groups/{id}/members: the
// read-only effectiveRoles stays out.
type memberWrite struct {
	Email         string      `json:"email"`
	GroupAdmin    bool        `json:"groupAdmin"`
	ElevatedRoles []GroupRole `json:"elevatedRoles,omitempty"`
}

// CreateGroupRequest is the body of POST /api/v1/groups (CreateUserGroupPublicDTO).
type CreateGroupRequest struct {
	Name         string      `json:"name"`
	AgentPoolIDs []string    `json:"agentPoolIds,omitempty"`
	Roles        []GroupRole `json:"roles,omitempty"`
}

// UpdateGroupRequest is the body of PUT /api/v1/groups/{id}
// (UpdateUserGroupPublicDTO). PUT replaces the group, so the lists are always
// sent (empty when nil) and never left to the server's reading of "absent".
type UpdateGroupRequest struct {
	Name         string      `json:"name"`
	AgentPoolIDs []string    `json:"agentPoolIds"`
	Roles        []GroupRole `json:"roles"`
}

// UpdateMemberRequest is the body of PUT /api/v1/groups/{id}/members/{email}
// (UpdateUserGroupMemberPublicDTO). Both fields are always sent.
type UpdateMemberRequest struct {
	ElevatedRoles []GroupRole `json:"elevatedRoles"`
	GroupAdmin    bool        `json:"groupAdmin"`
}

// ListGroupsOptions are the query parameters of GET /api/v1/groups. The spec
// lists no sortable properties for groups; name and createdDate are the safe
// choices.
type ListGroupsOptions struct {
	// AgentPoolIDs keeps groups linked to any of these pools.
	AgentPoolIDs []string
	// IncludeMembers fills Group.Members.
	IncludeMembers bool
	PageOptions
}

func (o ListGroupsOptions) query() url.Values {
	q := url.Values{}
	if len(o.AgentPoolIDs) > 0 {
		// "Format: Comma-separated list of IDs." (listGroups, agentPoolIds)
		q.Set("agentPoolIds", strings.Join(o.AgentPoolIDs, ","))
	}
	if o.IncludeMembers {
		q.Set("includeMembers", strconv.FormatBool(true))
	}
	o.apply(q)
	return q
}

// BulkResult is the outcome of a bulk member call
// (BulkOperationResponsePublicDto...). Lightrun applies the items one by one: a
// call can succeed for some members and fail for others, and the call itself
// still succeeds (200 or 207 Multi-Status).
type BulkResult struct {
	Successes []Member
	Failures  []BulkFailure
}

// BulkFailure is one member the bulk call could not apply.
type BulkFailure struct {
	Member Member
	// Status is the HTTP status Lightrun gives this item, e.g. 404 for an
	// unknown user or 409 for a user already in the group.
	Status  int
	Message string
}

// Err returns the failure as an *Error, so IsNotFound, IsConflict... work on it.
func (f BulkFailure) Err() error {
	return &Error{Kind: kindForStatus(f.Status), StatusCode: f.Status, Message: f.Member.Email + ": " + f.Message}
}

// Err joins the errors of all failures, or returns nil when every item succeeded.
func (r *BulkResult) Err() error {
	errs := make([]error, 0, len(r.Failures))
	for _, f := range r.Failures {
		errs = append(errs, f.Err())
	}
	return errors.Join(errs...)
}

// bulkMembersResponse is BulkOperationResponsePublicDtoUserGroupMemberPublicDTO.
type bulkMembersResponse struct {
	Successes []Member `json:"successes"`
	Failures  []struct {
		Payload Member `json:"payload"`
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"failures"`
}

// bulkEmailsResponse is BulkOperationResponsePublicDtoString.
type bulkEmailsResponse struct {
	Successes []string `json:"successes"`
	Failures  []struct {
		Payload string `json:"payload"`
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"failures"`
}

// ListGroups returns one page of user groups.
func (c *Client) ListGroups(ctx context.Context, opts ListGroupsOptions) (*Page[Group], error) {
	cl := newCall(http.MethodGet, "/api/v1/groups")
	cl.query = opts.query()
	page := &Page[Group]{}
	cl.out = page
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return page, nil
}

// AllGroups iterates over the groups matching opts on every page from opts.Page on.
func (c *Client) AllGroups(ctx context.Context, opts ListGroupsOptions) iter.Seq2[Group, error] {
	return paginate(ctx, opts.PageOptions, func(ctx context.Context, p PageOptions) (*Page[Group], error) {
		o := opts
		o.PageOptions = p
		return c.ListGroups(ctx, o)
	})
}

// FindGroup returns the group with this name. The API has no name filter for
// groups, so it walks the list; an exact match wins over a case-insensitive one.
// No match gives a NotFound error.
func (c *Client) FindGroup(ctx context.Context, name string) (*Group, error) {
	var folded *Group
	for g, err := range c.AllGroups(ctx, ListGroupsOptions{PageOptions: PageOptions{Size: 100}}) {
		if err != nil {
			return nil, err
		}
		if g.Name == name {
			return &g, nil
		}
		if folded == nil && strings.EqualFold(g.Name, name) {
			folded = &g
		}
	}
	if folded != nil {
		return folded, nil
	}
	return nil, &Error{Kind: KindNotFound, Method: http.MethodGet, Path: "/api/v1/groups",
		Message: fmt.Sprintf("no group named %q", name)}
}

// GetGroup returns the group with this id, without its members.
func (c *Client) GetGroup(ctx context.Context, id string) (*Group, error) {
	return c.getGroup(ctx, id, false)
}

// GetGroupWithMembers returns the group with this id and its members.
func (c *Client) GetGroupWithMembers(ctx context.Context, id string) (*Group, error) {
	return c.getGroup(ctx, id, true)
}

func (c *Client) getGroup(ctx context.Context, id string, members bool) (*Group, error) {
	cl := newCall(http.MethodGet, "/api/v1/groups/%s", id)
	if id == "" {
		return nil, invalidArgument(cl.method, cl.path, "group id is required")
	}
	if members {
		cl.query = url.Values{"includeMembers": {"true"}}
	}
	g := &Group{}
	cl.out = g
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return g, nil
}

// CreateGroup creates a user group.
func (c *Client) CreateGroup(ctx context.Context, req CreateGroupRequest) (*Group, error) {
	cl := newCall(http.MethodPost, "/api/v1/groups")
	cl.body = req
	g := &Group{}
	cl.out = g
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return g, nil
}

// UpdateGroup replaces the name, agent pools and roles of the group with this id.
func (c *Client) UpdateGroup(ctx context.Context, id string, req UpdateGroupRequest) (*Group, error) {
	cl := newCall(http.MethodPut, "/api/v1/groups/%s", id)
	if id == "" {
		return nil, invalidArgument(cl.method, cl.path, "group id is required")
	}
	if req.AgentPoolIDs == nil {
		req.AgentPoolIDs = []string{}
	}
	if req.Roles == nil {
		req.Roles = []GroupRole{}
	}
	cl.body = req
	g := &Group{}
	cl.out = g
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return g, nil
}

// DeleteGroup deletes the group with this id.
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	cl := newCall(http.MethodDelete, "/api/v1/groups/%s", id)
	if id == "" {
		return invalidArgument(cl.method, cl.path, "group id is required")
	}
	return c.do(ctx, cl)
}

// AddGroupMembers adds users (by email) to a group. The error is nil when
// Lightrun processed the call, even if some members failed: those are in
// BulkResult.Failures (Lightrun answers 207 Multi-Status then). A missing group
// is an error of its own (NotFound).
func (c *Client) AddGroupMembers(ctx context.Context, groupID string, members []Member) (*BulkResult, error) {
	cl := newCall(http.MethodPost, "/api/v1/groups/%s/members", groupID)
	if groupID == "" {
		return nil, invalidArgument(cl.method, cl.path, "group id is required")
	}
	if len(members) == 0 {
		return &BulkResult{}, nil
	}
	body := make([]memberWrite, len(members))
	for i, m := range members {
		body[i] = memberWrite{Email: m.Email, GroupAdmin: m.GroupAdmin, ElevatedRoles: m.ElevatedRoles}
	}
	cl.body = body
	resp := &bulkMembersResponse{}
	cl.out = resp
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	result := &BulkResult{Successes: resp.Successes}
	for _, f := range resp.Failures {
		result.Failures = append(result.Failures, BulkFailure{Member: f.Payload, Status: f.Status, Message: f.Message})
	}
	return result, nil
}

// RemoveGroupMembers removes users (by email) from a group, with per-member
// results like AddGroupMembers. Duplicate emails are sent once: the spec
// declares the list uniqueItems.
func (c *Client) RemoveGroupMembers(ctx context.Context, groupID string, emails []string) (*BulkResult, error) {
	cl := newCall(http.MethodDelete, "/api/v1/groups/%s/members", groupID)
	if groupID == "" {
		return nil, invalidArgument(cl.method, cl.path, "group id is required")
	}
	unique := make([]string, 0, len(emails))
	seen := make(map[string]bool, len(emails))
	for _, e := range emails {
		if !seen[e] {
			seen[e] = true
			unique = append(unique, e)
		}
	}
	if len(unique) == 0 {
		return &BulkResult{}, nil
	}
	cl.body = unique
	resp := &bulkEmailsResponse{}
	cl.out = resp
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	result := &BulkResult{}
	for _, e := range resp.Successes {
		result.Successes = append(result.Successes, Member{Email: e})
	}
	for _, f := range resp.Failures {
		result.Failures = append(result.Failures, BulkFailure{Member: Member{Email: f.Payload}, Status: f.Status, Message: f.Message})
	}
	return result, nil
}

// UpdateGroupMember sets a member's elevated roles and group-admin flag.
func (c *Client) UpdateGroupMember(ctx context.Context, groupID, email string, req UpdateMemberRequest) (*Member, error) {
	cl := newCall(http.MethodPut, "/api/v1/groups/%s/members/%s", groupID, email)
	if groupID == "" || email == "" {
		return nil, invalidArgument(cl.method, cl.path, "group id and email are required")
	}
	if req.ElevatedRoles == nil {
		req.ElevatedRoles = []GroupRole{}
	}
	cl.body = req
	m := &Member{}
	cl.out = m
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return m, nil
}
