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
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// stateVersion is the layout version of State; a state file with another
// version is refused rather than misread.
const stateVersion = 1

// State is everything the emulated company holds. It is what the state file
// and GET /_emulator/state contain, and what State() returns (a deep copy).
type State struct {
	Version   int    `json:"version"`
	CompanyID string `json:"companyId"`
	// RBAC is the company's role-based access control switch: with it off,
	// users may only have the DEVELOPER and SYSTEM_ADMIN roles.
	RBAC bool `json:"rbac"`
	// Sequence is the last creation sequence number handed out; lists without
	// a sort parameter come back in creation order.
	Sequence       uint64         `json:"sequence"`
	Users          []*User        `json:"users"`
	Groups         []*Group       `json:"groups"`
	AgentPools     []*AgentPool   `json:"agentPools"`
	Authentication Authentication `json:"authentication"`
	Provisioning   Provisioning   `json:"provisioning"`
}

// User is a stored user. Email is kept lower-case: Lightrun keys users by email
// and treats emails case-insensitively (an assumption, see docs/lightrun-api.md).
type User struct {
	ID                 string    `json:"id"`
	Email              string    `json:"email"`
	FirstName          string    `json:"firstName"`
	LastName           string    `json:"lastName"`
	Roles              []string  `json:"roles"`
	Enabled            bool      `json:"enabled"`
	UserManagementType string    `json:"userManagementType"`
	CreatedBy          string    `json:"createdBy"`
	CreatedDate        time.Time `json:"createdDate"`
	LastModifiedBy     string    `json:"lastModifiedBy"`
	LastModifiedDate   time.Time `json:"lastModifiedDate"`
	LastLoginDate      time.Time `json:"lastLoginDate,omitzero"`
	Seq                uint64    `json:"seq"`
}

// Group is a stored user group. Members are keyed by lower-case email.
type Group struct {
	ID               string             `json:"id"`
	Name             string             `json:"name"`
	Default          bool               `json:"default"`
	AgentPoolIDs     []string           `json:"agentPoolIds"`
	Roles            []string           `json:"roles"`
	Members          map[string]*Member `json:"members"`
	CreatedBy        string             `json:"createdBy"`
	CreatedDate      time.Time          `json:"createdDate"`
	LastModifiedBy   string             `json:"lastModifiedBy"`
	LastModifiedDate time.Time          `json:"lastModifiedDate"`
	Seq              uint64             `json:"seq"`
}

// Member is a stored group membership.
type Member struct {
	Email         string   `json:"email"`
	GroupAdmin    bool     `json:"groupAdmin"`
	ElevatedRoles []string `json:"elevatedRoles"`
	Seq           uint64   `json:"seq"`
}

// AgentPool is a stored agent pool.
type AgentPool struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	Default         bool      `json:"default"`
	AgentsEnabled   bool      `json:"agentsEnabled"`
	LiveAgentsCount int64     `json:"liveAgentsCount"`
	CreatedBy       string    `json:"createdBy"`
	CreatedDate     time.Time `json:"createdDate"`
	Seq             uint64    `json:"seq"`
}

// Authentication is the company's login configuration.
type Authentication struct {
	LoginMethod string `json:"loginMethod"`
	// SSOProtocol is the configured SSO protocol; empty until one is set.
	SSOProtocol string `json:"ssoProtocol,omitempty"`
}

// Provisioning is the company's provisioning configuration.
type Provisioning struct {
	JITProvisionEnabled            bool     `json:"jitProvisionEnabled"`
	SelfRegistrationEnabled        bool     `json:"selfRegistrationEnabled"`
	SelfRegistrationAllowedDomains []string `json:"selfRegistrationAllowedDomains"`
	SCIM                           SCIM     `json:"scim"`
}

// SCIM is the switchboard of Lightrun's built-in SCIM endpoint.
type SCIM struct {
	Enabled                    bool `json:"enabled"`
	CreateExistingUsersEnabled bool `json:"createExistingUsersEnabled"`
	SyncGroupsEnabled          bool `json:"syncGroupsEnabled"`
	SyncRolesEnabled           bool `json:"syncRolesEnabled"`
}

// The user roles allowed with RBAC off ("When RBAC is off, only DEVELOPER and
// SYSTEM_ADMIN are allowed", CreateUserPublicDTO.roles; the validator checks the
// enum itself), and the group roles in the spec's enum order.
const roleDeveloper = "DEVELOPER"

var (
	rolesWithoutRBAC = []string{roleDeveloper, "SYSTEM_ADMIN"}
	groupRoles       = []string{"STANDARD", "PRIVILEGED"}
)

// store is State plus its indexes. Every method expects the Emulator's mutex held.
type store struct {
	State
	usersByEmail map[string]*User
	groupsByID   map[string]*Group
	poolsByID    map[string]*AgentPool
}

// newCompany returns the state of a company that has just been set up: the
// default agent pool and the default group linked to it, and no users.
func newCompany(opts Options, now time.Time) *State {
	s := &State{
		Version:   stateVersion,
		CompanyID: opts.CompanyID,
		RBAC:      opts.RBAC,
		Authentication: Authentication{
			LoginMethod: opts.LoginMethod,
			SSOProtocol: opts.SSOProtocol,
		},
		Provisioning: Provisioning{
			SelfRegistrationAllowedDomains: []string{},
			SCIM:                           SCIM{Enabled: opts.BuiltInSCIM, CreateExistingUsersEnabled: true},
		},
	}
	if s.CompanyID == "" {
		s.CompanyID = uuid.NewString()
	}
	if s.Authentication.LoginMethod == "" {
		s.Authentication.LoginMethod = LoginMethodPassword
	}
	if s.Authentication.LoginMethod == LoginMethodSSO && s.Authentication.SSOProtocol == "" {
		s.Authentication.SSOProtocol = SSOProtocolSAML
	}
	s.Sequence++
	pool := &AgentPool{
		ID: uuid.NewString(), Name: DefaultAgentPoolName, Description: "Default agent pool",
		Default: true, AgentsEnabled: true, CreatedBy: opts.ActorEmail, CreatedDate: now, Seq: s.Sequence,
	}
	s.Sequence++
	group := &Group{
		ID: uuid.NewString(), Name: DefaultGroupName, Default: true,
		AgentPoolIDs: []string{pool.ID}, Roles: []string{"STANDARD"}, Members: map[string]*Member{},
		CreatedBy: opts.ActorEmail, CreatedDate: now, LastModifiedBy: opts.ActorEmail, LastModifiedDate: now,
		Seq: s.Sequence,
	}
	s.AgentPools = []*AgentPool{pool}
	s.Groups = []*Group{group}
	s.Users = []*User{}
	return s
}

// newStore indexes s and checks the invariants a state file must keep, so a
// hand-edited or damaged file is refused with an error instead of failing later.
func newStore(s *State) (*store, error) {
	if s.Version != stateVersion {
		return nil, fmt.Errorf("state version %d is not supported (want %d)", s.Version, stateVersion)
	}
	st := &store{
		State:        *s,
		usersByEmail: make(map[string]*User, len(s.Users)),
		groupsByID:   make(map[string]*Group, len(s.Groups)),
		poolsByID:    make(map[string]*AgentPool, len(s.AgentPools)),
	}
	for _, u := range s.Users {
		if u == nil {
			return nil, fmt.Errorf("state has an empty user entry")
		}
		u.Email = strings.ToLower(u.Email)
		if _, dup := st.usersByEmail[u.Email]; dup {
			return nil, fmt.Errorf("state has two users with email %q", u.Email)
		}
		if u.Roles == nil {
			u.Roles = []string{}
		}
		st.usersByEmail[u.Email] = u
	}
	var defaultPools, defaultGroups int
	for _, p := range s.AgentPools {
		if p == nil {
			return nil, fmt.Errorf("state has an empty agent pool entry")
		}
		if _, dup := st.poolsByID[p.ID]; dup {
			return nil, fmt.Errorf("state has two agent pools with id %q", p.ID)
		}
		if p.Default {
			defaultPools++
		}
		st.poolsByID[p.ID] = p
	}
	for _, g := range s.Groups {
		if g == nil {
			return nil, fmt.Errorf("state has an empty group entry")
		}
		if _, dup := st.groupsByID[g.ID]; dup {
			return nil, fmt.Errorf("state has two groups with id %q", g.ID)
		}
		if g.Default {
			defaultGroups++
		}
		for _, id := range g.AgentPoolIDs {
			if st.poolsByID[id] == nil {
				return nil, fmt.Errorf("group %q is linked to agent pool %q, which does not exist", g.Name, id)
			}
		}
		if g.Roles == nil {
			g.Roles = []string{}
		}
		members := make(map[string]*Member, len(g.Members))
		for email, m := range g.Members {
			if m == nil {
				return nil, fmt.Errorf("group %q has an empty member entry", g.Name)
			}
			email = strings.ToLower(email)
			if st.usersByEmail[email] == nil {
				return nil, fmt.Errorf("group %q has member %q, who is not a user", g.Name, email)
			}
			m.Email = email
			if m.ElevatedRoles == nil {
				m.ElevatedRoles = []string{}
			}
			members[email] = m
		}
		g.Members = members
		st.groupsByID[g.ID] = g
	}
	if defaultPools != 1 || defaultGroups != 1 {
		return nil, fmt.Errorf("state must have exactly one default agent pool and one default group (has %d and %d)", defaultPools, defaultGroups)
	}
	// Every user is in the default group; repair a state file written by hand.
	def := st.defaultGroup()
	for _, u := range s.Users {
		if def.Members[u.Email] == nil {
			st.Sequence++
			def.Members[u.Email] = &Member{Email: u.Email, ElevatedRoles: []string{}, Seq: st.Sequence}
		}
	}
	return st, nil
}

// clone deep-copies s through its JSON form, the form it is persisted in.
func (s *State) clone() (*State, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("copying the state: %w", err)
	}
	out := &State{}
	if err := json.Unmarshal(data, out); err != nil {
		return nil, fmt.Errorf("copying the state: %w", err)
	}
	return out, nil
}

func (st *store) next() uint64 {
	st.Sequence++
	return st.Sequence
}

func (st *store) defaultGroup() *Group {
	for _, g := range st.Groups {
		if g.Default {
			return g
		}
	}
	return nil
}

func (st *store) defaultPool() *AgentPool {
	for _, p := range st.AgentPools {
		if p.Default {
			return p
		}
	}
	return nil
}

func (st *store) user(email string) *User { return st.usersByEmail[strings.ToLower(email)] }

// groupsOf returns the groups u is a member of, in creation order.
func (st *store) groupsOf(email string) []*Group {
	var out []*Group
	for _, g := range st.Groups {
		if g.Members[email] != nil {
			out = append(out, g)
		}
	}
	return out
}

func (st *store) addUser(u *User) {
	st.Users = append(st.Users, u)
	st.usersByEmail[u.Email] = u
	// Lightrun: every user is a member of the default group.
	st.defaultGroup().Members[u.Email] = &Member{Email: u.Email, ElevatedRoles: []string{}, Seq: st.next()}
}

func (st *store) deleteUser(u *User) {
	st.Users = slices.DeleteFunc(st.Users, func(x *User) bool { return x == u })
	delete(st.usersByEmail, u.Email)
	for _, g := range st.Groups {
		delete(g.Members, u.Email)
	}
}

func (st *store) addGroup(g *Group) {
	st.Groups = append(st.Groups, g)
	st.groupsByID[g.ID] = g
}

func (st *store) deleteGroup(g *Group) {
	st.Groups = slices.DeleteFunc(st.Groups, func(x *Group) bool { return x == g })
	delete(st.groupsByID, g.ID)
}

func (st *store) addPool(p *AgentPool) {
	st.AgentPools = append(st.AgentPools, p)
	st.poolsByID[p.ID] = p
}

// deletePool removes p and unlinks it from every group that referenced it (an
// assumption: the spec does not say what happens to such groups).
func (st *store) deletePool(p *AgentPool) {
	st.AgentPools = slices.DeleteFunc(st.AgentPools, func(x *AgentPool) bool { return x == p })
	delete(st.poolsByID, p.ID)
	for _, g := range st.Groups {
		g.AgentPoolIDs = slices.DeleteFunc(g.AgentPoolIDs, func(id string) bool { return id == p.ID })
	}
}

// groupNamed returns the group whose name equals name case-insensitively.
func (st *store) groupNamed(name string) *Group {
	for _, g := range st.Groups {
		if strings.EqualFold(g.Name, name) {
			return g
		}
	}
	return nil
}

// poolNamed returns the pool whose name equals name case-insensitively.
func (st *store) poolNamed(name string) *AgentPool {
	for _, p := range st.AgentPools {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// effectiveRoles is what a member may do on the group's pools: the group's
// roles plus the member's elevated roles (an assumption: the spec only names
// the field "Effective roles"), in the spec's enum order.
func effectiveRoles(g *Group, m *Member) []string {
	out := []string{}
	for _, r := range groupRoles {
		if slices.Contains(g.Roles, r) || slices.Contains(m.ElevatedRoles, r) {
			out = append(out, r)
		}
	}
	return out
}

// uniqueInOrder returns values without duplicates, keeping the order of first
// appearance, and never nil.
func uniqueInOrder(values []string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
