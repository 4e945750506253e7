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

package kubestore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// CreateGroup implements store.Groups.
func (s *Store) CreateGroup(ctx context.Context, t store.Tenant, g *v1.ScimGroup) (*v1.ScimGroup, error) {
	return create(ctx, s, groups, t, g)
}

// GetGroup implements store.Groups.
func (s *Store) GetGroup(ctx context.Context, t store.Tenant, id string) (*v1.ScimGroup, error) {
	return get(ctx, s, groups, t, id)
}

// UpdateGroup implements store.Groups.
func (s *Store) UpdateGroup(ctx context.Context, t store.Tenant, g *v1.ScimGroup) (*v1.ScimGroup, error) {
	return update(ctx, s, groups, t, g)
}

// GroupPage implements store.Groups.
func (s *Store) GroupPage(_ context.Context, t store.Tenant, req store.PageRequest) (store.Page[*v1.ScimGroup], error) {
	return s.groupOrder.page(tenantKey(t.Namespace, t.IdentityConfig), req), nil
}

// ListGroups implements store.Groups.
func (s *Store) ListGroups(ctx context.Context, t store.Tenant, sel store.Selector) ([]*v1.ScimGroup, error) {
	return list(ctx, s, groups, t, sel)
}

// DeleteGroup implements store.Groups: the group goes first, so it
// disappears at once, then its members (users and groups) are released.
// Should releasing fail half-way, the remaining references name a group that
// no longer exists; readers ignore such ids and the next change of those
// members drops them.
func (s *Store) DeleteGroup(ctx context.Context, t store.Tenant, id, resourceVersion string) error {
	if _, err := remove(ctx, s, groups, t, id, resourceVersion); err != nil {
		return err
	}
	users, groupIDs, err := s.currentMembers(ctx, t, id)
	if err != nil {
		return err
	}
	return s.setMembership(ctx, t, id, nil, nil, users, groupIDs)
}

// currentMembers returns the ids of a group's user members and group members,
// from the two member indexes.
func (s *Store) currentMembers(ctx context.Context, t store.Tenant, groupID string) (users, groupIDs []string, err error) {
	us, err := s.ListUsers(ctx, t, store.Selector{Index: store.IndexGroup, Value: groupID})
	if err != nil {
		return nil, nil, err
	}
	gs, err := s.ListGroups(ctx, t, store.Selector{Index: store.IndexParent, Value: groupID})
	if err != nil {
		return nil, nil, err
	}
	users = make([]string, len(us))
	for i, u := range us {
		users[i] = u.SCIMID()
	}
	groupIDs = make([]string, len(gs))
	for i, g := range gs {
		groupIDs[i] = g.Name
	}
	return users, groupIDs, nil
}

// CheckMembers implements store.Groups.
func (s *Store) CheckMembers(ctx context.Context, t store.Tenant, groupID string, change store.MemberChange) error {
	_, _, err := s.resolveMembers(ctx, t, groupID, change)
	return err
}

// resolveMembers sorts the ids to add into users and groups, refusing an id
// that is neither, a type that does not match, and a group member that
// would close a cycle. groupID may not exist yet (a group being created has
// no members, so no cycle can go through it).
func (s *Store) resolveMembers(ctx context.Context, t store.Tenant, groupID string, change store.MemberChange) (users, groupIDs []string, err error) {
	var missing, wrongType []string
	for _, id := range dedupe(change.Add) {
		want := change.Types[id]
		_, err := s.GetUser(ctx, t, id)
		switch {
		case err == nil:
			if want != "" && want != store.MemberUser {
				wrongType = append(wrongType, fmt.Sprintf("%s is a %s, not a %s", id, store.MemberUser, want))
				continue
			}
			users = append(users, id)
			continue
		case !errors.Is(err, store.ErrNotFound):
			return nil, nil, err
		}
		_, err = s.GetGroup(ctx, t, id)
		switch {
		case err == nil:
			if want != "" && want != store.MemberGroup {
				wrongType = append(wrongType, fmt.Sprintf("%s is a %s, not a %s", id, store.MemberGroup, want))
				continue
			}
			groupIDs = append(groupIDs, id)
		case errors.Is(err, store.ErrNotFound):
			missing = append(missing, id)
		default:
			return nil, nil, err
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("no such user or group in %s/%s: %s: %w", t.Namespace, t.IdentityConfig, strings.Join(missing, ", "), store.ErrInvalid)
	}
	if len(wrongType) > 0 {
		return nil, nil, fmt.Errorf("member type mismatch: %s: %w", strings.Join(wrongType, "; "), store.ErrInvalid)
	}
	if len(groupIDs) > 0 {
		if err := s.checkCycle(ctx, t, groupID, groupIDs); err != nil {
			return nil, nil, err
		}
	}
	return users, groupIDs, nil
}

// checkCycle refuses to make any of candidates a member of groupID when
// candidate is groupID itself or one of its ancestors (a group groupID is a
// member of, through any depth): the new link would close a loop. It walks
// up from groupID once, breadth first, with a visited set, so a cycle that
// two concurrent requests raced into still ends the walk. The walk reads the
// cache; see docs/scim.md (Groups and membership) for the race it leaves.
func (s *Store) checkCycle(ctx context.Context, t store.Tenant, groupID string, candidates []string) error {
	names := map[string]string{}
	via := map[string]string{groupID: ""} // ancestor -> the group below it on the path from groupID
	queue := []string{groupID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		g, err := s.GetGroup(ctx, t, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // a dangling reference, or groupID being created
		}
		if err != nil {
			return err
		}
		names[id] = g.Spec.DisplayName
		for _, parent := range g.Spec.Groups {
			if _, seen := via[parent]; !seen {
				via[parent] = id
				queue = append(queue, parent)
			}
		}
	}
	for _, c := range candidates {
		if _, ancestor := via[c]; !ancestor {
			continue
		}
		// The path c ∋ ... ∋ groupID, closed by the new link groupID ∋ c.
		path := []string{}
		for id := c; id != ""; id = via[id] {
			path = append(path, describeGroup(id, names))
		}
		path = append(path, describeGroup(c, names))
		return fmt.Errorf("adding group %s as a member of %s would make a cycle (each group contains the next): %s: %w",
			describeGroup(c, names), describeGroup(groupID, names), strings.Join(path, " > "), store.ErrInvalid)
	}
	return nil
}

func describeGroup(id string, names map[string]string) string {
	if n := names[id]; n != "" {
		return fmt.Sprintf("%q (%s)", n, id)
	}
	return id
}

// ChangeMembers implements store.Groups. Every member to add is checked
// first (CheckMembers), so a request naming a member that does not exist or
// that would close a cycle changes nothing. The members are then updated in
// parallel, each with optimistic concurrency; a failure part-way leaves the
// group between the old and the new membership, and the IdP's retry of the
// same request converges it (adds and removes are idempotent).
func (s *Store) ChangeMembers(ctx context.Context, t store.Tenant, groupID string, change store.MemberChange) error {
	if _, err := s.GetGroup(ctx, t, groupID); err != nil {
		return err
	}
	addUsers, addGroups, err := s.resolveMembers(ctx, t, groupID, change)
	if err != nil {
		return err
	}
	// An id to remove is tried as both kinds: setMember skips the kind it
	// is not, without a write.
	removeUsers := dedupe(change.Remove)
	removeGroups := removeUsers
	if change.Replace {
		currentUsers, currentGroups, err := s.currentMembers(ctx, t, groupID)
		if err != nil {
			return err
		}
		removeUsers = notIn(currentUsers, addUsers)
		removeGroups = notIn(currentGroups, addGroups)
	}
	return s.setMembership(ctx, t, groupID, addUsers, addGroups, removeUsers, removeGroups)
}

// notIn returns the ids of list that keep does not hold.
func notIn(list, keep []string) []string {
	kept := make(map[string]bool, len(keep))
	for _, id := range keep {
		kept[id] = true
	}
	out := make([]string, 0, len(list))
	for _, id := range list {
		if !kept[id] {
			out = append(out, id)
		}
	}
	return out
}

// setMembership adds groupID to the spec.groups of the users and groups to
// add and removes it from those to remove, MemberWorkers members at a time.
func (s *Store) setMembership(ctx context.Context, t store.Tenant, groupID string, addUsers, addGroups, removeUsers, removeGroups []string) error {
	type job struct {
		id     string
		group  bool
		member bool
	}
	jobs := make(chan job)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range min(s.opts.MemberWorkers, len(addUsers)+len(addGroups)+len(removeUsers)+len(removeGroups)) {
		wg.Go(func() {
			for j := range jobs {
				var err error
				if j.group {
					err = setMember(ctx, s, groups, groupsOfGroup, t, j.id, groupID, j.member)
				} else {
					err = setMember(ctx, s, users, groupsOfUser, t, j.id, groupID, j.member)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	removeSet := make(map[string]bool, len(removeUsers)+len(removeGroups))
	for _, id := range slices.Concat(removeUsers, removeGroups) {
		removeSet[id] = true
	}
	var all []job
	for _, id := range addUsers {
		all = append(all, job{id: id, member: true})
	}
	for _, id := range addGroups {
		all = append(all, job{id: id, group: true, member: true})
	}
	for _, id := range removeUsers {
		all = append(all, job{id: id})
	}
	for _, id := range removeGroups {
		all = append(all, job{id: id, group: true})
	}
feed:
	for _, j := range all {
		if j.member && removeSet[j.id] {
			continue // RFC 7644 §3.5.2: operations apply in order; a later remove wins
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func groupsOfUser(u *v1.ScimUser) *[]string { return &u.Spec.Groups }

func groupsOfGroup(g *v1.ScimGroup) *[]string { return &g.Spec.Groups }

// setMember makes one user or group a member of groupID or not, retrying on
// write conflicts with a fresh read. A member that no longer exists (or is
// of the other kind) has left every group already.
func setMember[T client.Object](ctx context.Context, s *Store, k kindOf[T], groupsOf func(T) *[]string, t store.Tenant, memberID, groupID string, member bool) error {
	if !isOurs(memberID) {
		return nil // no such member: it is in no group
	}
	var lastErr error
	for attempt := range 5 {
		obj := k.newObj()
		reader := client.Reader(s.cached)
		if attempt > 0 {
			reader = s.live
		}
		err := reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: k.nameOf(memberID)}, obj)
		if err == nil && k.id(obj) != memberID {
			// The name's object now is another one than the id's.
			err = apierrors.NewNotFound(v1.GroupVersion.WithResource(strings.ToLower(k.kind)+"s").GroupResource(), memberID)
		}
		if err != nil {
			if apierrors.IsNotFound(err) {
				if member && attempt == 0 {
					continue // maybe just created on another replica; read the API server
				}
				return nil
			}
			return classify(err, "reading "+k.kind+" "+memberID)
		}
		if k.tenant(obj).Name != t.IdentityConfig {
			return nil
		}
		list := groupsOf(obj)
		if slices.Contains(*list, groupID) == member {
			return nil
		}
		patch := client.MergeFromWithOptions(obj.DeepCopyObject().(T), client.MergeFromWithOptimisticLock{})
		if member {
			*list = append(*list, groupID)
		} else {
			*list = slices.DeleteFunc(*list, func(g string) bool { return g == groupID })
		}
		s.stampModified(obj)
		err = s.cached.Patch(ctx, obj, patch)
		if err == nil {
			s.waitForCache(ctx, obj, obj.GetResourceVersion())
			return nil
		}
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			return classify(err, "changing groups of "+k.kind+" "+memberID)
		}
		lastErr = err
	}
	return classify(lastErr, "changing groups of "+k.kind+" "+memberID)
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
