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
// disappears at once, then its members are released. Should releasing fail
// half-way, the remaining references name a group that no longer exists;
// readers ignore such ids and the next change of those users drops them.
func (s *Store) DeleteGroup(ctx context.Context, t store.Tenant, id, resourceVersion string) error {
	if _, err := remove(ctx, s, groups, t, id, resourceVersion); err != nil {
		return err
	}
	members, err := s.ListUsers(ctx, t, store.Selector{Index: store.IndexGroup, Value: id})
	if err != nil {
		return err
	}
	ids := make([]string, len(members))
	for i, u := range members {
		ids[i] = u.SCIMID()
	}
	return s.setMembership(ctx, t, id, nil, ids)
}

// ChangeMembers implements store.Groups. Every user to add is checked first,
// so a request naming a user that does not exist changes nothing. The users
// are then updated in parallel, each with optimistic concurrency; a failure
// part-way leaves the group between the old and the new membership, and the
// IdP's retry of the same request converges it (adds and removes are idempotent).
func (s *Store) ChangeMembers(ctx context.Context, t store.Tenant, groupID string, change store.MemberChange) error {
	if _, err := s.GetGroup(ctx, t, groupID); err != nil {
		return err
	}
	add := dedupe(change.Add)
	var missing []string
	for _, id := range add {
		if _, err := s.GetUser(ctx, t, id); errors.Is(err, store.ErrNotFound) {
			missing = append(missing, id)
		} else if err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no such user in %s/%s: %s: %w", t.Namespace, t.IdentityConfig, strings.Join(missing, ", "), store.ErrInvalid)
	}

	remove := dedupe(change.Remove)
	if change.Replace {
		current, err := s.ListUsers(ctx, t, store.Selector{Index: store.IndexGroup, Value: groupID})
		if err != nil {
			return err
		}
		keep := make(map[string]bool, len(add))
		for _, id := range add {
			keep[id] = true
		}
		remove = remove[:0]
		for _, u := range current {
			if id := u.SCIMID(); !keep[id] {
				remove = append(remove, id)
			}
		}
	}
	return s.setMembership(ctx, t, groupID, add, remove)
}

// setMembership adds groupID to the users in add and removes it from those
// in remove, MemberWorkers users at a time.
func (s *Store) setMembership(ctx context.Context, t store.Tenant, groupID string, add, remove []string) error {
	type job struct {
		id     string
		member bool
	}
	jobs := make(chan job)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range min(s.opts.MemberWorkers, len(add)+len(remove)) {
		wg.Go(func() {
			for j := range jobs {
				if err := s.setMember(ctx, t, j.id, groupID, j.member); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	removeSet := make(map[string]bool, len(remove))
	for _, id := range remove {
		removeSet[id] = true
	}
feed:
	for _, id := range add {
		if removeSet[id] {
			continue // RFC 7644 §3.5.2: operations apply in order; a later remove wins
		}
		select {
		case jobs <- job{id: id, member: true}:
		case <-ctx.Done():
			break feed
		}
	}
	for _, id := range remove {
		select {
		case jobs <- job{id: id, member: false}:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// setMember makes one user a member of groupID or not, retrying on write
// conflicts with a fresh read. A user that no longer exists has left every
// group already.
func (s *Store) setMember(ctx context.Context, t store.Tenant, userID, groupID string, member bool) error {
	if !isOurs(userID) {
		return nil // no such user: it is in no group
	}
	var lastErr error
	for attempt := range 5 {
		u := &v1.ScimUser{}
		reader := client.Reader(s.cached)
		if attempt > 0 {
			reader = s.live
		}
		err := reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: v1.ScimUserNameOf(userID)}, u)
		if err == nil && u.SCIMID() != userID {
			// The name's user now is another one than the id's.
			err = apierrors.NewNotFound(v1.GroupVersion.WithResource("scimusers").GroupResource(), userID)
		}
		if err != nil {
			if apierrors.IsNotFound(err) {
				if member && attempt == 0 {
					continue // maybe just created on another replica; read the API server
				}
				return nil
			}
			return classify(err, "reading ScimUser "+userID)
		}
		if u.Spec.IdentityConfigRef.Name != t.IdentityConfig {
			return nil
		}
		has := slices.Contains(u.Spec.Groups, groupID)
		if has == member {
			return nil
		}
		patch := client.MergeFromWithOptions(u.DeepCopy(), client.MergeFromWithOptimisticLock{})
		if member {
			u.Spec.Groups = append(u.Spec.Groups, groupID)
		} else {
			u.Spec.Groups = slices.DeleteFunc(u.Spec.Groups, func(g string) bool { return g == groupID })
		}
		s.stampModified(u)
		err = s.cached.Patch(ctx, u, patch)
		if err == nil {
			s.waitForCache(ctx, u, u.ResourceVersion)
			return nil
		}
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			return classify(err, "changing groups of ScimUser "+userID)
		}
		lastErr = err
	}
	return classify(lastErr, "changing groups of ScimUser "+userID)
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
