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

package userindex

import (
	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/shrink"
)

// The users of each tenant and the members of each group. These replace
// the client-go field indexes "scim.identityConfig" and "scim.group" on
// ScimUsers: controller-runtime registered each twice (per namespace and
// for all namespaces) and client-go kept a set of "namespace/name" strings
// per value, about six set entries and their strings a user with two
// groups. Here a user costs one entry in its tenant's map (keyed by its own
// name string) and one pointer per group it lists.

// userSet is the users of one tenant, by name: an update finds through it
// the state the index holds, whose groups it then leaves.
type userSet struct {
	byName map[string]*v1.ScimUser
	peak   shrink.Peak
}

// groupKey is one group id of one tenant (the tenant interned, the group id
// the string of the first user that listed it).
type groupKey struct {
	tenant, group string
}

// memberSet is the users that list one group: the states userSet holds,
// so a set entry is one pointer.
type memberSet struct {
	users map[*v1.ScimUser]struct{}
	peak  shrink.Peak
}

// join adds u to its tenant's users and to the members of each group it
// lists, replacing any state of u the tenant held. Called with mu held for
// writing.
func (x *Index) join(u *v1.ScimUser) {
	tenant := x.tenant(u.Namespace, u.Spec.IdentityConfigRef.Name)
	s := x.users[tenant]
	if s == nil {
		s = &userSet{byName: map[string]*v1.ScimUser{}}
		x.users[tenant] = s
	}
	if held := s.byName[u.Name]; held != nil {
		x.leaveGroups(tenant, held)
	}
	s.byName[u.Name] = u
	s.peak.Grew(len(s.byName))
	for _, g := range u.Spec.Groups {
		if g == "" {
			continue
		}
		k := groupKey{tenant: tenant, group: g}
		m := x.members[k]
		if m == nil {
			m = &memberSet{users: map[*v1.ScimUser]struct{}{}}
			x.members[k] = m
			x.groupsPeak.Grew(len(x.members))
		}
		m.users[u] = struct{}{}
		m.peak.Grew(len(m.users))
	}
}

// leave removes the state of u the index holds (found by u's tenant and
// name, whatever object u is) from its tenant's users and from the members
// of its groups. Called with mu held for writing.
func (x *Index) leave(u *v1.ScimUser) {
	tenant := x.tenant(u.Namespace, u.Spec.IdentityConfigRef.Name)
	s := x.users[tenant]
	if s == nil {
		return
	}
	held := s.byName[u.Name]
	if held == nil {
		return
	}
	delete(s.byName, u.Name)
	if len(s.byName) == 0 {
		delete(x.users, tenant)
	} else {
		s.byName = shrink.Map(s.byName, &s.peak)
	}
	x.leaveGroups(tenant, held)
}

// leaveGroups removes held, a state the index holds, from the members of
// its groups. Called with mu held for writing.
func (x *Index) leaveGroups(tenant string, held *v1.ScimUser) {
	for _, g := range held.Spec.Groups {
		k := groupKey{tenant: tenant, group: g}
		m := x.members[k]
		if m == nil {
			continue
		}
		delete(m.users, held)
		if len(m.users) == 0 {
			delete(x.members, k)
			x.members = shrink.Map(x.members, &x.groupsPeak)
		} else {
			m.users = shrink.Map(m.users, &m.peak)
		}
	}
}

// groupMembers lists the members of group in tenant. Called with mu held.
func (x *Index) groupMembers(tenant, group string) []*v1.ScimUser {
	m := x.members[groupKey{tenant: tenant, group: group}]
	if m == nil {
		return nil
	}
	out := make([]*v1.ScimUser, 0, len(m.users))
	for u := range m.users {
		out = append(out, u)
	}
	return out
}

// Tenant returns every user of IdentityConfig identityConfig in namespace,
// in no particular order, users being deleted included. They are the
// informer's own objects, not copies, as a client.List with
// client.UnsafeDisableDeepCopy returned them: callers only read them.
func (x *Index) Tenant(namespace, identityConfig string) []*v1.ScimUser {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.users[tenantName(namespace, identityConfig)]
	if s == nil {
		return nil
	}
	out := make([]*v1.ScimUser, 0, len(s.byName))
	for _, u := range s.byName {
		out = append(out, u)
	}
	return out
}

// holdsMember is Holds for the tenant's users and the groups' members: the
// tenant holds u at rv or later and every group u lists has that state as a
// member, or, with rv empty, the tenant holds no live state of u. Called
// with mu held for writing.
func (x *Index) holdsMember(u *v1.ScimUser, rv string, atLeast func(got, want string) bool) bool {
	tenant := x.tenant(u.Namespace, u.Spec.IdentityConfigRef.Name)
	var held *v1.ScimUser
	if s := x.users[tenant]; s != nil {
		held = s.byName[u.Name]
	}
	if rv == "" {
		return held == nil || held.DeletionTimestamp != nil
	}
	if held == nil || !atLeast(held.ResourceVersion, rv) {
		return false
	}
	for _, g := range u.Spec.Groups {
		if g == "" {
			continue
		}
		m := x.members[groupKey{tenant: tenant, group: g}]
		if m == nil {
			return false
		}
		if _, ok := m.users[held]; !ok {
			return false
		}
	}
	return true
}
