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
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// userDTO is UserPublicDTO.
type userDTO struct {
	ID                   string            `json:"id"`
	Email                string            `json:"email"`
	FirstName            string            `json:"firstName"`
	LastName             string            `json:"lastName"`
	Roles                []string          `json:"roles"`
	Enabled              bool              `json:"enabled"`
	UserManagementType   string            `json:"userManagementType,omitempty"`
	ActivationLink       string            `json:"activationLink,omitempty"`
	CreatedBy            string            `json:"createdBy,omitempty"`
	CreatedDate          string            `json:"createdDate,omitempty"`
	LastModifiedBy       string            `json:"lastModifiedBy,omitempty"`
	LastModifiedDate     string            `json:"lastModifiedDate,omitempty"`
	LastLoginDate        string            `json:"lastLoginDate,omitempty"`
	GroupMemberships     []membershipDTO   `json:"groupMemberships,omitempty"`
	AgentPoolPermissions []poolPermissions `json:"agentPoolPermissions,omitempty"`
}

// membershipDTO is UserGroupMembershipPublicDTO.
type membershipDTO struct {
	Email      string `json:"email"`
	GroupAdmin bool   `json:"groupAdmin"`
	GroupID    string `json:"groupId"`
}

// poolPermissions is PermissionsOnAgentPoolPublicDTO.
type poolPermissions struct {
	AgentPoolID string   `json:"agentPoolId"`
	Permissions []string `json:"permissions"`
}

// createUserBody is CreateUserPublicDTO; updateUserBody is UpdateUserPublicDTO.
type createUserBody struct {
	Email     string   `json:"email"`
	FirstName string   `json:"firstName"`
	LastName  string   `json:"lastName"`
	Roles     []string `json:"roles"`
}

type updateUserBody struct {
	FirstName string   `json:"firstName"`
	LastName  string   `json:"lastName"`
	Roles     []string `json:"roles"`
}

// userSortable are the properties listUsers sorts by: "Sortable fields: name,
// email, userManagementType, createdBy, lastModifiedBy, lastModifiedDate, and
// lastLoginDate." "name" orders by first name, then last name.
var userSortable = map[string]comparator[*User]{
	sortByName: func(a, b *User) int {
		return cmp.Or(compareFold(a.FirstName, b.FirstName), compareFold(a.LastName, b.LastName))
	},
	"email":              func(a, b *User) int { return strings.Compare(a.Email, b.Email) },
	"userManagementType": func(a, b *User) int { return strings.Compare(a.UserManagementType, b.UserManagementType) },
	sortByCreatedBy:      func(a, b *User) int { return compareFold(a.CreatedBy, b.CreatedBy) },
	"lastModifiedBy":     func(a, b *User) int { return compareFold(a.LastModifiedBy, b.LastModifiedBy) },
	"lastModifiedDate":   func(a, b *User) int { return compareTime(a.LastModifiedDate, b.LastModifiedDate) },
	"lastLoginDate":      func(a, b *User) int { return compareTime(a.LastLoginDate, b.LastLoginDate) },
}

func (e *Emulator) userDTO(st *store, u *User, access bool) userDTO {
	dto := userDTO{
		ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Roles: append([]string{}, u.Roles...), Enabled: u.Enabled, UserManagementType: u.UserManagementType,
		CreatedBy: u.CreatedBy, CreatedDate: timestamp(u.CreatedDate),
		LastModifiedBy: u.LastModifiedBy, LastModifiedDate: timestamp(u.LastModifiedDate),
		LastLoginDate: timestamp(u.LastLoginDate),
	}
	// includeAccessAndPermissions: "Fetch group memberships and agent pool
	// permissions. Requires RBAC." Without RBAC the fields stay absent.
	if !access || !st.RBAC {
		return dto
	}
	perms := map[string][]string{}
	var poolOrder []string
	for _, g := range st.groupsOf(u.Email) {
		m := g.Members[u.Email]
		dto.GroupMemberships = append(dto.GroupMemberships, membershipDTO{Email: u.Email, GroupAdmin: m.GroupAdmin, GroupID: g.ID})
		privileged := slices.Contains(effectiveRoles(g, m), "PRIVILEGED")
		for _, poolID := range g.AgentPoolIDs {
			if _, seen := perms[poolID]; !seen {
				poolOrder = append(poolOrder, poolID)
			}
			// Membership of a group linked to a pool grants STANDARD use of it;
			// PRIVILEGED in that group also lifts the action quota (an
			// assumption: the spec only enumerates STANDARD and IGNORE_QUOTA).
			perms[poolID] = uniqueInOrder(append(perms[poolID], "STANDARD"))
			if privileged {
				perms[poolID] = uniqueInOrder(append(perms[poolID], "IGNORE_QUOTA"))
			}
		}
	}
	for _, id := range poolOrder {
		dto.AgentPoolPermissions = append(dto.AgentPoolPermissions, poolPermissions{AgentPoolID: id, Permissions: perms[id]})
	}
	return dto
}

// checkRoles applies Lightrun's role rules to a create or update: no roles
// means DEVELOPER (an assumption: the spec makes roles optional on create), and
// "When RBAC is off, only DEVELOPER and SYSTEM_ADMIN are allowed".
func checkRoles(st *store, roles []string) ([]string, *response) {
	roles = uniqueInOrder(roles)
	if len(roles) == 0 {
		return []string{roleDeveloper}, nil
	}
	if !st.RBAC {
		for _, r := range roles {
			if !slices.Contains(rolesWithoutRBAC, r) {
				resp := failf(http.StatusBadRequest, "Role %s is not allowed when RBAC is disabled; allowed roles: %s",
					r, strings.Join(rolesWithoutRBAC, ", "))
				return nil, &resp
			}
		}
	}
	return roles, nil
}

func queryBool(r *http.Request, name string) bool {
	v, err := strconv.ParseBool(r.URL.Query().Get(name))
	return err == nil && v
}

func (e *Emulator) listUsers(r *http.Request, _ []byte) response {
	q := r.URL.Query()
	p, err := parsePaging(q, e.opts.MaxPageSize)
	if err != nil {
		return refuse("%v", err)
	}
	specs, err := parseSort(q["sort"], userSortable)
	if err != nil {
		return refuse("%v", err)
	}
	access := queryBool(r, "includeAccessAndPermissions")
	role := q.Get("role")
	// "Search by name or email": a case-insensitive substring of the email, the
	// first name, the last name or "first last".
	search := strings.ToLower(q.Get("search"))

	e.mu.Lock()
	defer e.mu.Unlock()
	var users []*User
	for _, u := range e.st.Users {
		if role != "" && !slices.Contains(u.Roles, role) {
			continue
		}
		if search != "" && !strings.Contains(u.Email, search) &&
			!strings.Contains(strings.ToLower(u.FirstName+" "+u.LastName), search) {
			continue
		}
		users = append(users, u)
	}
	sortItems(users, specs, userSortable, func(u *User) uint64 { return u.Seq })
	return reply(http.StatusOK, pageOf(users, p, func(u *User) userDTO { return e.userDTO(e.st, u, access) }))
}

func (e *Emulator) createUser(r *http.Request, body []byte) response {
	var req createUserBody
	if err := decode(body, &req); err != nil {
		return refuse("%v", err)
	}
	email := strings.ToLower(req.Email)

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.user(email) != nil {
		return e.orBadRequest(failf(http.StatusConflict, "User with email %s already exists", email))
	}
	roles, bad := checkRoles(e.st, req.Roles)
	if bad != nil {
		return *bad
	}
	now := time.Now().UTC()
	u := &User{
		ID: uuid.NewString(), Email: email, FirstName: req.FirstName, LastName: req.LastName,
		Roles: roles, Enabled: true, UserManagementType: "SYSTEM",
		CreatedBy: e.opts.ActorEmail, CreatedDate: now, LastModifiedBy: e.opts.ActorEmail, LastModifiedDate: now,
		Seq: e.st.next(),
	}
	e.st.addUser(u)
	e.markDirty()
	dto := e.userDTO(e.st, u, false)
	if e.st.Authentication.LoginMethod == LoginMethodPassword {
		// "Activation link. Only available if an SMTP server is not set." The
		// emulator has no SMTP server; with SSO there is nothing to activate.
		dto.ActivationLink = "http://" + r.Host + "/activate?token=" + uuid.NewString()
	}
	return reply(http.StatusCreated, dto)
}

func (e *Emulator) getUser(r *http.Request, _ []byte) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	u := e.st.user(r.PathValue("email"))
	if u == nil {
		return failf(http.StatusNotFound, "User %s not found", r.PathValue("email"))
	}
	return reply(http.StatusOK, e.userDTO(e.st, u, queryBool(r, "includeAccessAndPermissions")))
}

func (e *Emulator) updateUser(r *http.Request, body []byte) response {
	var req updateUserBody
	if err := decode(body, &req); err != nil {
		return refuse("%v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	u := e.st.user(r.PathValue("email"))
	if u == nil {
		return failf(http.StatusNotFound, "User %s not found", r.PathValue("email"))
	}
	roles, bad := checkRoles(e.st, req.Roles)
	if bad != nil {
		return *bad
	}
	u.FirstName, u.LastName, u.Roles = req.FirstName, req.LastName, roles
	u.LastModifiedBy, u.LastModifiedDate = e.opts.ActorEmail, time.Now().UTC()
	e.markDirty()
	return reply(http.StatusOK, e.userDTO(e.st, u, false))
}

func (e *Emulator) deleteUser(r *http.Request, _ []byte) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	u := e.st.user(r.PathValue("email"))
	if u == nil {
		return failf(http.StatusNotFound, "User %s not found", r.PathValue("email"))
	}
	e.st.deleteUser(u)
	e.markDirty()
	return noContent()
}

func (e *Emulator) enableUser(r *http.Request, _ []byte) response  { return e.setEnabled(r, true) }
func (e *Emulator) disableUser(r *http.Request, _ []byte) response { return e.setEnabled(r, false) }

func (e *Emulator) setEnabled(r *http.Request, enabled bool) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	u := e.st.user(r.PathValue("email"))
	if u == nil {
		return failf(http.StatusNotFound, "User %s not found", r.PathValue("email"))
	}
	if u.Enabled != enabled {
		u.Enabled = enabled
		u.LastModifiedBy, u.LastModifiedDate = e.opts.ActorEmail, time.Now().UTC()
		e.markDirty()
	}
	return noContent()
}
