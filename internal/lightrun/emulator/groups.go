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
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// groupDTO is UserGroupPublicDTO.
type groupDTO struct {
	ID               string      `json:"id"`
	Name             string      `json:"name"`
	Default          bool        `json:"default"`
	AgentPoolIDs     []string    `json:"agentPoolIds"`
	Roles            []string    `json:"roles"`
	MemberCount      int32       `json:"memberCount"`
	Members          []memberDTO `json:"members,omitempty"`
	CreatedBy        string      `json:"createdBy,omitempty"`
	CreatedDate      string      `json:"createdDate,omitempty"`
	LastModifiedBy   string      `json:"lastModifiedBy,omitempty"`
	LastModifiedDate string      `json:"lastModifiedDate,omitempty"`
}

// memberDTO is UserGroupMemberPublicDTO.
type memberDTO struct {
	Email          string   `json:"email,omitempty"`
	GroupAdmin     bool     `json:"groupAdmin"`
	ElevatedRoles  []string `json:"elevatedRoles"`
	EffectiveRoles []string `json:"effectiveRoles,omitempty"`
}

// groupBody is CreateUserGroupPublicDTO and UpdateUserGroupPublicDTO (same shape).
type groupBody struct {
	Name         string   `json:"name"`
	AgentPoolIDs []string `json:"agentPoolIds"`
	Roles        []string `json:"roles"`
}

// updateMemberBody is UpdateUserGroupMemberPublicDTO.
type updateMemberBody struct {
	ElevatedRoles []string `json:"elevatedRoles"`
	GroupAdmin    bool     `json:"groupAdmin"`
}

// bulkFailure is BulkOperationFailedItemPublicDto<T>.
type bulkFailure[T any] struct {
	Message string `json:"message"`
	Payload T      `json:"payload"`
	Status  int    `json:"status"`
}

// bulkResult is BulkOperationResponsePublicDto<T>.
type bulkResult[T any] struct {
	Failures  []bulkFailure[T] `json:"failures"`
	Successes []T              `json:"successes"`
}

// groupSortable: the spec lists no sortable fields for groups ("Supports
// multiple criteria"); these are the group's own scalar properties.
var groupSortable = map[string]comparator[*Group]{
	sortByName:         func(a, b *Group) int { return compareFold(a.Name, b.Name) },
	sortByCreatedBy:    func(a, b *Group) int { return compareFold(a.CreatedBy, b.CreatedBy) },
	"createdDate":      func(a, b *Group) int { return compareTime(a.CreatedDate, b.CreatedDate) },
	"lastModifiedBy":   func(a, b *Group) int { return compareFold(a.LastModifiedBy, b.LastModifiedBy) },
	"lastModifiedDate": func(a, b *Group) int { return compareTime(a.LastModifiedDate, b.LastModifiedDate) },
	"memberCount":      func(a, b *Group) int { return cmp.Compare(len(a.Members), len(b.Members)) },
}

func memberOf(g *Group, m *Member) memberDTO {
	return memberDTO{Email: m.Email, GroupAdmin: m.GroupAdmin, ElevatedRoles: append([]string{}, m.ElevatedRoles...),
		EffectiveRoles: effectiveRoles(g, m)}
}

func groupOf(g *Group, withMembers bool) groupDTO {
	dto := groupDTO{
		ID: g.ID, Name: g.Name, Default: g.Default,
		AgentPoolIDs: append([]string{}, g.AgentPoolIDs...), Roles: append([]string{}, g.Roles...),
		MemberCount: int32(len(g.Members)),
		CreatedBy:   g.CreatedBy, CreatedDate: timestamp(g.CreatedDate),
		LastModifiedBy: g.LastModifiedBy, LastModifiedDate: timestamp(g.LastModifiedDate),
	}
	if withMembers {
		members := make([]*Member, 0, len(g.Members))
		for _, m := range g.Members {
			members = append(members, m)
		}
		slices.SortFunc(members, func(a, b *Member) int { return cmp.Compare(a.Seq, b.Seq) })
		for _, m := range members {
			dto.Members = append(dto.Members, memberOf(g, m))
		}
	}
	return dto
}

// findGroup resolves the {id} of a group path. Group ids are UUIDs
// (UserGroupPublicDTO.id is format: uuid); anything else is refused with 400,
// as Spring does when a path variable does not convert.
func (e *Emulator) findGroup(r *http.Request) (*Group, *response) {
	id := r.PathValue("id")
	if _, err := uuid.Parse(id); err != nil {
		resp := refuse("Invalid group id %q", id)
		return nil, &resp
	}
	g := e.st.groupsByID[id]
	if g == nil {
		resp := failf(http.StatusNotFound, "Group %s not found", id)
		return nil, &resp
	}
	return g, nil
}

// checkGroup applies the rules of a create or update: a non-blank name unique
// among groups (case-insensitively, an assumption) and agent pools that exist.
func (e *Emulator) checkGroup(req *groupBody, self *Group) *response {
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		resp := failf(http.StatusBadRequest, "Group name must not be blank")
		return &resp
	}
	if other := e.st.groupNamed(req.Name); other != nil && other != self {
		resp := e.orBadRequest(failf(http.StatusConflict, "A group named %s already exists", other.Name))
		return &resp
	}
	for _, id := range req.AgentPoolIDs {
		if e.st.poolsByID[id] == nil {
			resp := failf(http.StatusBadRequest, "Agent pool %s not found", id)
			return &resp
		}
	}
	req.AgentPoolIDs = uniqueInOrder(req.AgentPoolIDs)
	req.Roles = uniqueInOrder(req.Roles)
	return nil
}

func (e *Emulator) listGroups(r *http.Request, _ []byte) response {
	q := r.URL.Query()
	p, err := parsePaging(q, e.opts.MaxPageSize)
	if err != nil {
		return refuse("%v", err)
	}
	specs, err := parseSort(q["sort"], groupSortable)
	if err != nil {
		return refuse("%v", err)
	}
	// "Filter by access to agent pool IDs. Matches any of the agent pool IDs.
	// Format: Comma-separated list of IDs."
	var poolFilter []string
	for id := range strings.SplitSeq(q.Get("agentPoolIds"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			poolFilter = append(poolFilter, id)
		}
	}
	withMembers := queryBool(r, "includeMembers")

	e.mu.Lock()
	defer e.mu.Unlock()
	var groups []*Group
	for _, g := range e.st.Groups {
		if len(poolFilter) > 0 && !slices.ContainsFunc(poolFilter, func(id string) bool { return slices.Contains(g.AgentPoolIDs, id) }) {
			continue
		}
		groups = append(groups, g)
	}
	sortItems(groups, specs, groupSortable, func(g *Group) uint64 { return g.Seq })
	return reply(http.StatusOK, pageOf(groups, p, func(g *Group) groupDTO { return groupOf(g, withMembers) }))
}

func (e *Emulator) createGroup(_ *http.Request, body []byte) response {
	var req groupBody
	if err := decode(body, &req); err != nil {
		return refuse("%v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if bad := e.checkGroup(&req, nil); bad != nil {
		return *bad
	}
	now := time.Now().UTC()
	g := &Group{
		ID: uuid.NewString(), Name: req.Name, AgentPoolIDs: req.AgentPoolIDs, Roles: req.Roles,
		Members: map[string]*Member{}, CreatedBy: e.opts.ActorEmail, CreatedDate: now,
		LastModifiedBy: e.opts.ActorEmail, LastModifiedDate: now, Seq: e.st.next(),
	}
	e.st.addGroup(g)
	e.markDirty()
	return reply(http.StatusCreated, groupOf(g, false))
}

func (e *Emulator) getGroup(r *http.Request, _ []byte) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, bad := e.findGroup(r)
	if bad != nil {
		return *bad
	}
	return reply(http.StatusOK, groupOf(g, queryBool(r, "includeMembers")))
}

func (e *Emulator) updateGroup(r *http.Request, body []byte) response {
	var req groupBody
	if err := decode(body, &req); err != nil {
		return refuse("%v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	g, bad := e.findGroup(r)
	if bad != nil {
		return *bad
	}
	if bad := e.checkGroup(&req, g); bad != nil {
		return *bad
	}
	// PUT replaces the group: absent lists mean empty lists.
	g.Name, g.AgentPoolIDs, g.Roles = req.Name, req.AgentPoolIDs, req.Roles
	g.LastModifiedBy, g.LastModifiedDate = e.opts.ActorEmail, time.Now().UTC()
	e.markDirty()
	return reply(http.StatusOK, groupOf(g, false))
}

func (e *Emulator) deleteGroup(r *http.Request, _ []byte) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, bad := e.findGroup(r)
	if bad != nil {
		return *bad
	}
	if g.Default {
		// Every user belongs to the default group, so it cannot go (an
		// assumption mirroring the default agent pool's documented 403).
		return e.orBadRequest(failf(http.StatusForbidden, "The default group can not be deleted"))
	}
	e.st.deleteGroup(g)
	e.markDirty()
	return noContent()
}

// addMembers applies each member on its own: "A number of members failed to be
// added" is answered 207 with the failures, each with its own status.
func (e *Emulator) addMembers(r *http.Request, body []byte) response {
	var req []memberDTO
	if err := decode(body, &req); err != nil {
		return refuse("%v", err)
	}
	result := bulkResult[memberDTO]{Failures: []bulkFailure[memberDTO]{}, Successes: []memberDTO{}}
	fail := func(item memberDTO, status int, msg string) {
		// The payload echoes the item as sent; effectiveRoles is Lightrun's to compute.
		item.EffectiveRoles = nil
		if item.ElevatedRoles == nil {
			item.ElevatedRoles = []string{}
		}
		result.Failures = append(result.Failures, bulkFailure[memberDTO]{Message: msg, Payload: item, Status: status})
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	g, bad := e.findGroup(r)
	if bad != nil {
		if bad.kind == answerRefusal {
			return *bad
		}
		// addMembers declares only 200 and 207: the alternative fails every member.
		return e.either(*bad, func() response {
			for _, item := range req {
				fail(item, http.StatusNotFound, messageOf(*bad))
			}
			return bulkAnswer(result)
		})
	}
	for _, item := range req {
		email := strings.ToLower(item.Email)
		switch {
		case email == "":
			fail(item, http.StatusBadRequest, "Email is required")
		case e.st.user(email) == nil:
			fail(item, http.StatusNotFound, "User "+email+" not found")
		case g.Members[email] != nil:
			fail(item, http.StatusConflict, "User "+email+" is already a member of the group")
		default:
			m := &Member{Email: email, GroupAdmin: item.GroupAdmin, ElevatedRoles: uniqueInOrder(item.ElevatedRoles), Seq: e.st.next()}
			g.Members[email] = m
			result.Successes = append(result.Successes, memberOf(g, m))
		}
	}
	if len(result.Successes) > 0 {
		g.LastModifiedBy, g.LastModifiedDate = e.opts.ActorEmail, time.Now().UTC()
		e.markDirty()
	}
	return bulkAnswer(result)
}

// bulkAnswer is 207 when a member failed, else 200.
func bulkAnswer(result bulkResult[memberDTO]) response {
	if len(result.Failures) > 0 {
		return reply(http.StatusMultiStatus, result)
	}
	return reply(http.StatusOK, result)
}

// removeMembers removes each email on its own. The spec declares only 200 for
// this operation, so per-member failures come back in a 200 body.
func (e *Emulator) removeMembers(r *http.Request, body []byte) response {
	var emails []string
	if err := decode(body, &emails); err != nil {
		return refuse("%v", err)
	}
	result := bulkResult[string]{Failures: []bulkFailure[string]{}, Successes: []string{}}
	e.mu.Lock()
	defer e.mu.Unlock()
	g, bad := e.findGroup(r)
	if bad != nil {
		if bad.kind == answerRefusal {
			return *bad
		}
		// removeMembers declares only 200: the alternative fails every email.
		return e.either(*bad, func() response {
			for _, raw := range emails {
				result.Failures = append(result.Failures, bulkFailure[string]{Message: messageOf(*bad), Payload: raw, Status: http.StatusNotFound})
			}
			return reply(http.StatusOK, result)
		})
	}
	for _, raw := range emails {
		email := strings.ToLower(raw)
		switch {
		case g.Default:
			// Lightrun: every user is a member of the default group.
			result.Failures = append(result.Failures, bulkFailure[string]{Message: "Users cannot be removed from the default group", Payload: raw, Status: http.StatusForbidden})
		case g.Members[email] == nil:
			result.Failures = append(result.Failures, bulkFailure[string]{Message: "User " + email + " is not a member of the group", Payload: raw, Status: http.StatusNotFound})
		default:
			delete(g.Members, email)
			result.Successes = append(result.Successes, raw)
		}
	}
	if len(result.Successes) > 0 {
		g.LastModifiedBy, g.LastModifiedDate = e.opts.ActorEmail, time.Now().UTC()
		e.markDirty()
	}
	return reply(http.StatusOK, result)
}

// updateMember replaces a member's elevated roles and group-admin flag (PUT:
// an absent field resets it).
func (e *Emulator) updateMember(r *http.Request, body []byte) response {
	var req updateMemberBody
	if err := decode(body, &req); err != nil {
		return refuse("%v", err)
	}
	email := strings.ToLower(r.PathValue("email"))
	// updateMember declares only 200: the alternative to its 404s echoes the
	// member as requested and changes nothing.
	echo := func(g *Group) func() response {
		return func() response {
			if g == nil {
				g = &Group{}
			}
			return reply(http.StatusOK, memberOf(g, &Member{Email: email, GroupAdmin: req.GroupAdmin, ElevatedRoles: uniqueInOrder(req.ElevatedRoles)}))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	g, bad := e.findGroup(r)
	if bad != nil {
		if bad.kind == answerRefusal {
			return *bad
		}
		return e.either(*bad, echo(nil))
	}
	m := g.Members[email]
	if m == nil {
		return e.either(failf(http.StatusNotFound, "User %s is not a member of the group", email), echo(g))
	}
	m.ElevatedRoles, m.GroupAdmin = uniqueInOrder(req.ElevatedRoles), req.GroupAdmin
	g.LastModifiedBy, g.LastModifiedDate = e.opts.ActorEmail, time.Now().UTC()
	e.markDirty()
	return reply(http.StatusOK, memberOf(g, m))
}
