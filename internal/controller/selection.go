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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/userindex"
)

// This file decides pool membership: which AgentPools select which
// ScimUsers, and so which Lightrun agent pools and roles each user gets
// (docs/rules.md, "default pool and roles"). Every reconciler and every watch
// mapper asks the one selection type below, in either direction.

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

// defaultRoles are an IdentityConfig's roles for users no AgentPool selects:
// DEVELOPER unless the IdentityConfig says otherwise.
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

// refusedReasons are Synced reasons under which a ScimUser is not a Lightrun
// user the operator manages, whatever its status still records: only a
// change of the user, the IdentityConfig or Lightrun lifts them.
var refusedReasons = []string{v1.ReasonNoEmail, v1.ReasonExistingUnmanagedUser, v1.ReasonManagedByAnotherIdP, v1.ReasonEmailInUse}

// failedReason reports whether a Synced reason counts the user as failed:
// refused, or rejected by Lightrun.
func failedReason(reason string) bool {
	return slices.Contains(refusedReasons, reason) || reason == v1.ReasonLightrunRejected
}

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

// selection answers, for one IdentityConfig and from the cache, which
// AgentPools select which ScimUsers. A pool selects a user explicitly by
// userName or through one of the user's SCIM groups (both compared without
// regard to case); the pool that declares the IdentityConfig's default pool
// also takes every user no pool selects explicitly.
type selection struct {
	c  client.Reader
	ic *v1.IdentityConfig
	// pools are the IdentityConfig's live AgentPools, by name; byUserName
	// and byGroup index them by folded userName and group display name.
	pools      []v1.AgentPool
	byUserName map[string][]*v1.AgentPool
	byGroup    map[string][]*v1.AgentPool
}

// newSelection reads the live AgentPools of ic.
func newSelection(ctx context.Context, c client.Reader, ic *v1.IdentityConfig) (*selection, error) {
	var list v1.AgentPoolList
	if err := c.List(ctx, &list, client.InNamespace(ic.Namespace), index.AgentPoolIdentityConfig.Is(ic.Name)); err != nil {
		return nil, fmt.Errorf("listing AgentPools of %s: %w", ic.Name, err)
	}
	s := &selection{c: c, ic: ic, byUserName: map[string][]*v1.AgentPool{}, byGroup: map[string][]*v1.AgentPool{}}
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			s.pools = append(s.pools, p)
		}
	}
	slices.SortFunc(s.pools, func(a, b v1.AgentPool) int { return strings.Compare(a.Name, b.Name) })
	for i := range s.pools {
		p := &s.pools[i]
		for _, n := range p.Spec.Members.UserNames {
			s.byUserName[fold.String(n)] = appendPool(s.byUserName[fold.String(n)], p)
		}
		for _, g := range p.Spec.Members.Groups {
			s.byGroup[fold.String(g)] = appendPool(s.byGroup[fold.String(g)], p)
		}
	}
	return s, nil
}

// selectionOf is the selection of the IdentityConfig an object names, for
// the watch mappers: when the IdentityConfig is gone, pools still select
// their users explicitly, and there is no default pool.
func selectionOf(ctx context.Context, c client.Reader, namespace, identityConfig string) (*selection, error) {
	ic := &v1.IdentityConfig{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: identityConfig}, ic); err != nil {
		if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("reading IdentityConfig %s: %w", identityConfig, err)
		}
		ic = &v1.IdentityConfig{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: identityConfig}}
	}
	return newSelection(ctx, c, ic)
}

func appendPool(pools []*v1.AgentPool, p *v1.AgentPool) []*v1.AgentPool {
	if slices.Contains(pools, p) {
		return pools
	}
	return append(pools, p)
}

// defaultPool is the AgentPool that declares the IdentityConfig's default
// pool, or nil.
func (s *selection) defaultPool() *v1.AgentPool {
	for i := range s.pools {
		if isDefaultPool(&s.pools[i], s.ic) {
			return &s.pools[i]
		}
	}
	return nil
}

// groupsOfUser returns the live ScimGroups of the same IdentityConfig u is a
// member of: its direct groups and, through nested groups (ScimGroup
// spec.groups), every group those are members of, to any depth.
func (s *selection) groupsOfUser(ctx context.Context, u *v1.ScimUser) ([]*v1.ScimGroup, error) {
	return s.ancestors(ctx, u.Namespace, u.Spec.IdentityConfigRef.Name, u.Spec.Groups)
}

// ancestors returns the live ScimGroups named by ids and every group they
// are members of, through any depth, each once. The walk keeps a visited
// set: the SCIM endpoint refuses cycles, but two concurrent requests can
// still race into one, and a cycle must not hang a reconcile.
func (s *selection) ancestors(ctx context.Context, namespace, identityConfig string, ids []string) ([]*v1.ScimGroup, error) {
	var out []*v1.ScimGroup
	seen := map[string]bool{}
	queue := slices.Clone(ids)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		g := &v1.ScimGroup{}
		err := s.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: id}, g)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading ScimGroup %s: %w", id, err)
		}
		if g.DeletionTimestamp == nil && g.Spec.IdentityConfigRef.Name == identityConfig {
			out = append(out, g)
			queue = append(queue, g.Spec.Groups...)
		}
	}
	return out, nil
}

// descendants returns groups and every live group nested in them (the
// groups whose spec.groups names one of them), through any depth, each
// once; the walk is cycle-safe like ancestors.
func (s *selection) descendants(ctx context.Context, groups []v1.ScimGroup) ([]v1.ScimGroup, error) {
	seen := map[string]bool{}
	var out []v1.ScimGroup
	queue := slices.Clone(groups)
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		if seen[g.Name] {
			continue
		}
		seen[g.Name] = true
		out = append(out, g)
		var l v1.ScimGroupList
		if err := s.c.List(ctx, &l, client.InNamespace(s.ic.Namespace), index.ScimGroupParent.Is(s.ic.Name, g.Name)); err != nil {
			return nil, fmt.Errorf("listing the groups nested in ScimGroup %s: %w", g.Name, err)
		}
		for _, child := range l.Items {
			if child.DeletionTimestamp == nil && !seen[child.Name] {
				queue = append(queue, child)
			}
		}
	}
	return out, nil
}

// poolsOf returns the AgentPools that select u explicitly, in name order.
func (s *selection) poolsOf(ctx context.Context, u *v1.ScimUser) ([]*v1.AgentPool, error) {
	groups, err := s.groupsOfUser(ctx, u)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(s.byUserName[fold.String(u.Spec.UserName)])
	for _, g := range groups {
		for _, p := range s.poolsOfGroup(g) {
			out = appendPool(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *v1.AgentPool) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// poolsOfGroup returns the AgentPools that select ScimGroup g by name.
func (s *selection) poolsOfGroup(g *v1.ScimGroup) []*v1.AgentPool {
	return s.byGroup[fold.String(g.Spec.DisplayName)]
}

// poolsThrough returns the AgentPools whose members g's users may be
// through g: the pools that select g by name or any group g is nested in,
// to any depth.
func (s *selection) poolsThrough(ctx context.Context, g *v1.ScimGroup) ([]*v1.AgentPool, error) {
	out := slices.Clone(s.poolsOfGroup(g))
	above, err := s.ancestors(ctx, g.Namespace, g.Spec.IdentityConfigRef.Name, g.Spec.Groups)
	if err != nil {
		return nil, err
	}
	for _, a := range above {
		for _, p := range s.poolsOfGroup(a) {
			out = appendPool(out, p)
		}
	}
	return out, nil
}

// poolsAffectedBy returns the AgentPools whose members u may change: the
// pools that select it explicitly, and the default pool.
func (s *selection) poolsAffectedBy(ctx context.Context, u *v1.ScimUser) ([]*v1.AgentPool, error) {
	out, err := s.poolsOf(ctx, u)
	if err != nil {
		return nil, err
	}
	if p := s.defaultPool(); p != nil {
		out = appendPool(out, p)
	}
	return out, nil
}

// effective returns u's effective Lightrun pools and roles: the pools that
// select it and the union of their roles; when none selects it, the default
// pool (defaultPoolName) with the roles of the AgentPool that declares it,
// like any other pool, or the IdentityConfig's default roles when no
// AgentPool declares it.
func (s *selection) effective(ctx context.Context, u *v1.ScimUser, defaultPoolName string) ([]string, []v1.LightrunUserRole, error) {
	pools, err := s.poolsOf(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	if len(pools) == 0 {
		if p := s.defaultPool(); p != nil {
			return []string{defaultPoolName}, normalRoles(poolRoles(p, s.ic)), nil
		}
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

// groupsOf returns the ScimGroups pool p selects by name.
func (s *selection) groupsOf(ctx context.Context, p *v1.AgentPool) ([]v1.ScimGroup, error) {
	var out []v1.ScimGroup
	for _, display := range p.Spec.Members.Groups {
		var l v1.ScimGroupList
		if err := s.c.List(ctx, &l, client.InNamespace(s.ic.Namespace), index.ScimGroupDisplayName.Is(s.ic.Name, display)); err != nil {
			return nil, fmt.Errorf("listing ScimGroups named %s: %w", display, err)
		}
		for _, g := range l.Items {
			if g.DeletionTimestamp == nil {
				out = append(out, g)
			}
		}
	}
	return out, nil
}

// usersOf returns the ScimUsers whose pools or roles p decides: every user
// of the IdentityConfig when p is its default pool, else the users p selects
// explicitly, by userName or as members of a group p selects or of any group
// nested in one (a user may appear twice). They are the cache's own objects,
// not copies (every user, for the default pool): callers only read them.
func (s *selection) usersOf(ctx context.Context, p *v1.AgentPool) ([]*v1.ScimUser, error) {
	if isDefaultPool(p, s.ic) {
		return usersOfTenant(ctx, s.c, s.ic.Namespace, s.ic.Name)
	}
	var out []*v1.ScimUser
	for _, name := range p.Spec.Members.UserNames {
		users, err := lookupUsers(ctx, s.c, s.ic.Namespace, s.ic.Name, userindex.UserName, name)
		if err != nil {
			return nil, fmt.Errorf("finding the ScimUser %s: %w", name, err)
		}
		out = append(out, users...)
	}
	selected, err := s.groupsOf(ctx, p)
	if err != nil {
		return nil, err
	}
	groups, err := s.descendants(ctx, selected)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		users, err := lookupUsers(ctx, s.c, s.ic.Namespace, s.ic.Name, userindex.Group, g.Name)
		if err != nil {
			return nil, fmt.Errorf("finding the members of ScimGroup %s: %w", g.Name, err)
		}
		out = append(out, users...)
	}
	return out, nil
}

// members returns the emails that belong to pool p's linked group: the users
// p selects and the operator manages in Lightrun, plus, when p is the
// default pool, every such user no AgentPool selects explicitly.
func (s *selection) members(ctx context.Context, p *v1.AgentPool) (map[string]bool, error) {
	users, err := s.usersOf(ctx, p)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, u := range users {
		e := memberEmail(u)
		if e == "" {
			continue
		}
		if isDefaultPool(p, s.ic) {
			pools, err := s.poolsOf(ctx, u)
			if err != nil {
				return nil, err
			}
			if len(pools) > 0 && !slices.ContainsFunc(pools, func(q *v1.AgentPool) bool { return q.Name == p.Name }) {
				continue // selected by other pools only
			}
		}
		out[e] = true
	}
	return out, nil
}
