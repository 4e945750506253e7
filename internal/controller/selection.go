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

package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"
)

// roleOrder is the order of Lightrun roles in the API's enum; role lists are
// kept in it so that comparing two lists is comparing two sets.
var roleOrder = []v1.LightrunUserRole{
	v1.RoleSystemAdmin, v1.RoleCompanyViewer, v1.RoleGroupAdmin, v1.RoleSecurity,
	v1.RoleAppSec, v1.RoleIncidentResponder, v1.RoleDeveloper,
}

// normalRoles returns roles without duplicates, in roleOrder (unknown roles last).
func normalRoles(roles []v1.LightrunUserRole) []v1.LightrunUserRole {
	out := make([]v1.LightrunUserRole, 0, len(roles))
	for _, r := range roleOrder {
		if slices.Contains(roles, r) {
			out = append(out, r)
		}
	}
	for _, r := range roles {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// defaultRoles are an IdentityConfig's roles for users no AgentPool selects
// (Lightrun rule 4: DEVELOPER unless the IdentityConfig says otherwise).
func defaultRoles(ic *v1.IdentityConfig) []v1.LightrunUserRole {
	if len(ic.Spec.DefaultRoles) == 0 {
		return []v1.LightrunUserRole{v1.RoleDeveloper}
	}
	return normalRoles(ic.Spec.DefaultRoles)
}

// poolRoles are the roles an AgentPool's members inherit; none declared
// means the IdentityConfig's default roles.
func poolRoles(p *v1.AgentPool, ic *v1.IdentityConfig) []v1.LightrunUserRole {
	if len(p.Spec.Roles) == 0 {
		return defaultRoles(ic)
	}
	return p.Spec.Roles
}

// isDefaultPool reports whether p declares the IdentityConfig's default pool
// (spec.defaultAgentPool): its group also takes every user no other
// AgentPool selects.
func isDefaultPool(p *v1.AgentPool, ic *v1.IdentityConfig) bool {
	return ic != nil && ic.Spec.DefaultAgentPool != "" && fold.Equal(p.Spec.PoolName, ic.Spec.DefaultAgentPool)
}

// selection answers which AgentPools select which users, for one
// IdentityConfig, from the cache.
type selection struct {
	c  client.Reader
	ic *v1.IdentityConfig
	// pools are the IdentityConfig's live AgentPools, by name.
	pools []v1.AgentPool
}

func newSelection(ctx context.Context, c client.Reader, ic *v1.IdentityConfig) (*selection, error) {
	var list v1.AgentPoolList
	if err := c.List(ctx, &list, client.InNamespace(ic.Namespace), index.AgentPoolIdentityConfig.Is(ic.Name)); err != nil {
		return nil, fmt.Errorf("listing AgentPools of %s: %w", ic.Name, err)
	}
	s := &selection{c: c, ic: ic}
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			s.pools = append(s.pools, p)
		}
	}
	slices.SortFunc(s.pools, func(a, b v1.AgentPool) int { return strings.Compare(a.Name, b.Name) })
	return s, nil
}

// groupNames returns the folded display names of the ScimGroups u is a member of.
func groupNames(ctx context.Context, c client.Reader, u *v1.ScimUser) (map[string]bool, error) {
	names := make(map[string]bool, len(u.Spec.Groups))
	for _, id := range u.Spec.Groups {
		g := &v1.ScimGroup{}
		err := c.Get(ctx, client.ObjectKey{Namespace: u.Namespace, Name: id}, g)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading ScimGroup %s: %w", id, err)
		}
		if g.DeletionTimestamp == nil && g.Spec.IdentityConfigRef.Name == u.Spec.IdentityConfigRef.Name {
			names[fold.String(g.Spec.DisplayName)] = true
		}
	}
	return names, nil
}

// selects reports whether pool p selects u explicitly: by userName or
// through one of u's SCIM groups (both compared case-insensitively).
func selects(p *v1.AgentPool, u *v1.ScimUser, groups map[string]bool) bool {
	for _, n := range p.Spec.Members.UserNames {
		if fold.Equal(n, u.Spec.UserName) {
			return true
		}
	}
	for _, g := range p.Spec.Members.Groups {
		if groups[fold.String(g)] {
			return true
		}
	}
	return false
}

// poolsOf returns the AgentPools that select u explicitly.
func (s *selection) poolsOf(ctx context.Context, u *v1.ScimUser) ([]*v1.AgentPool, error) {
	groups, err := groupNames(ctx, s.c, u)
	if err != nil {
		return nil, err
	}
	var out []*v1.AgentPool
	for i := range s.pools {
		if selects(&s.pools[i], u, groups) {
			out = append(out, &s.pools[i])
		}
	}
	return out, nil
}

// effective returns u's effective Lightrun pools and roles (Lightrun rule 4):
// the pools that select it and the union of their roles; when none selects
// it, the default pool (defaultPoolName) and the IdentityConfig's default roles.
func (s *selection) effective(ctx context.Context, u *v1.ScimUser, defaultPoolName string) ([]string, []v1.LightrunUserRole, error) {
	pools, err := s.poolsOf(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	if len(pools) == 0 {
		return []string{defaultPoolName}, defaultRoles(s.ic), nil
	}
	var names []string
	var roles []v1.LightrunUserRole
	for _, p := range pools {
		names = append(names, p.Spec.PoolName)
		roles = append(roles, poolRoles(p, s.ic)...)
	}
	slices.Sort(names)
	return slices.Compact(names), normalRoles(roles), nil
}

// refusedReasons are Synced reasons under which a ScimUser is not a Lightrun
// user the operator manages, whatever its status still records.
var refusedReasons = []string{v1.ReasonNoEmail, v1.ReasonExistingUnmanagedUser, v1.ReasonEmailInUse}

// memberEmail returns the email a ScimUser is a group member under, or ""
// when it is not one: the user must be in Lightrun under the operator's
// management (a Lightrun user id recorded), not being deleted, and not
// refused. A user that is only waiting (an outage, a 429) keeps its
// memberships, so an outage never empties a group.
func memberEmail(u *v1.ScimUser) string {
	if u.DeletionTimestamp != nil || u.Status.LightrunUserID == "" || u.Status.Email == "" {
		return ""
	}
	if c := meta.FindStatusCondition(u.Status.Conditions, v1.ConditionSynced); c != nil && slices.Contains(refusedReasons, c.Reason) {
		return ""
	}
	return u.Status.Email
}

// members returns the emails that belong to pool p's linked group: the users
// p selects, plus, when p declares the IdentityConfig's default pool, every
// user no AgentPool selects.
func (s *selection) members(ctx context.Context, p *v1.AgentPool) (map[string]bool, error) {
	out := map[string]bool{}
	add := func(u *v1.ScimUser) {
		if e := memberEmail(u); e != "" {
			out[e] = true
		}
	}
	ns, ic := p.Namespace, p.Spec.IdentityConfigRef.Name
	if isDefaultPool(p, s.ic) {
		var all v1.ScimUserList
		if err := s.c.List(ctx, &all, client.InNamespace(ns), index.ScimTenant.Is(ic)); err != nil {
			return nil, fmt.Errorf("listing ScimUsers: %w", err)
		}
		for i := range all.Items {
			u := &all.Items[i]
			pools, err := s.poolsOf(ctx, u)
			if err != nil {
				return nil, err
			}
			if len(pools) == 0 || slices.ContainsFunc(pools, func(q *v1.AgentPool) bool { return q.Name == p.Name }) {
				add(u)
			}
		}
		return out, nil
	}
	for _, name := range p.Spec.Members.UserNames {
		var l v1.ScimUserList
		if err := s.c.List(ctx, &l, client.InNamespace(ns), index.ScimUserName.Is(ic, name)); err != nil {
			return nil, fmt.Errorf("listing ScimUsers named %s: %w", name, err)
		}
		for i := range l.Items {
			add(&l.Items[i])
		}
	}
	for _, display := range p.Spec.Members.Groups {
		var groups v1.ScimGroupList
		if err := s.c.List(ctx, &groups, client.InNamespace(ns), index.ScimGroupDisplayName.Is(ic, display)); err != nil {
			return nil, fmt.Errorf("listing ScimGroups named %s: %w", display, err)
		}
		for _, g := range groups.Items {
			if g.DeletionTimestamp != nil {
				continue
			}
			var l v1.ScimUserList
			if err := s.c.List(ctx, &l, client.InNamespace(ns), index.ScimUserGroup.Is(ic, g.Name)); err != nil {
				return nil, fmt.Errorf("listing members of ScimGroup %s: %w", g.Name, err)
			}
			for i := range l.Items {
				add(&l.Items[i])
			}
		}
	}
	return out, nil
}
