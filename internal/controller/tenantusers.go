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

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/userindex"
)

// tenantLister is a reader that can hand out every ScimUser of an
// IdentityConfig as the cache's own objects.
type tenantLister interface {
	tenantUsers(ctx context.Context, namespace, identityConfig string) ([]*v1.ScimUser, error)
}

// cacheClient is the manager's client, and it lists an IdentityConfig's
// users straight from the cache's userindex: pointers to the cached
// objects. A client.List, even without deep copies, fills a []ScimUser with
// a 2 KiB copy of each struct: at 100,000 users, 230 MB for each list of
// every user (the default pool, the resync), which held the manager's
// memory at twice its live heap.
type cacheClient struct {
	client.Client
	cache cache.Cache
}

func withCache(c client.Client, ca cache.Cache) client.Client {
	return cacheClient{Client: c, cache: ca}
}

// tenantUsers returns the IdentityConfig's users from the cache's
// userindex once it has seen every user, else by filtering the namespace's
// users. The index is fed by a handler of the informer, a moment after the
// cache itself: a user changed a moment ago may still be listed in its
// previous state, or, just created or deleted, be missing or still there.
// Unlike usersBy, the users are not read again one by one: the callers list
// the whole tenant (the default pool, the counts, a resync) and act on a
// snapshot anyway, and each user's own reconcile, started by the event,
// sees its new state.
func (c cacheClient) tenantUsers(ctx context.Context, namespace, identityConfig string) ([]*v1.ScimUser, error) {
	x, err := userindex.For(ctx, c.cache)
	if err != nil {
		return nil, err
	}
	return x.Users(ctx, c.Client, namespace, identityConfig)
}

// userLookup is a reader that can find ScimUsers through the userindex.
type userLookup interface {
	usersBy(ctx context.Context, namespace, identityConfig string, field userindex.Field, value string) ([]*v1.ScimUser, error)
}

// usersBy returns the users lookupUsers returns, from the cache's userindex
// once it has seen every user. The index is fed by a handler of the
// informer, just after the cache itself and independently of the
// controllers' own handlers: a reconcile an event started may run before
// the index has that event. So each user the index names is read again
// from the cache and kept only if it still matches: a user just deleted or
// changed is never answered in its old state. (A user that has just gained
// the value may still be missing; its own reconcile, started by the same
// event, sees the others.)
func (c cacheClient) usersBy(ctx context.Context, namespace, identityConfig string, field userindex.Field, value string) ([]*v1.ScimUser, error) {
	x, err := userindex.For(ctx, c.cache)
	if err != nil {
		return nil, err
	}
	inf, err := c.cache.GetInformer(ctx, &v1.ScimUser{})
	if err != nil {
		return nil, fmt.Errorf("getting the ScimUser informer: %w", err)
	}
	indexed, ok := inf.(interface{ GetIndexer() toolscache.Indexer })
	if !ok || !x.Synced() {
		return userindex.Filter(ctx, c.Client, namespace, identityConfig, field, value)
	}
	found := x.Lookup(namespace, identityConfig, field, value)
	out := found[:0]
	for _, u := range found {
		obj, exists, err := indexed.GetIndexer().GetByKey(namespace + "/" + u.Name)
		if err != nil {
			return nil, fmt.Errorf("reading ScimUser %s/%s: %w", namespace, u.Name, err)
		}
		current, ok := obj.(*v1.ScimUser)
		if exists && ok && current.Spec.IdentityConfigRef.Name == identityConfig && userindex.Matches(current, field, value) {
			out = append(out, current)
		}
	}
	return out, nil
}

// lookupUsers returns the ScimUsers of an IdentityConfig whose field holds
// value (for userindex.Email, the candidates: check them), for reading only
// (they may be the cache's own objects: never modify them).
func lookupUsers(ctx context.Context, r client.Reader, namespace, identityConfig string, field userindex.Field, value string) ([]*v1.ScimUser, error) {
	if l, ok := r.(userLookup); ok {
		return l.usersBy(ctx, namespace, identityConfig, field, value)
	}
	return userindex.Filter(ctx, r, namespace, identityConfig, field, value)
}

// usersOfTenant lists every ScimUser of an IdentityConfig for reading only
// (they may be the cache's own objects: never modify them).
func usersOfTenant(ctx context.Context, r client.Reader, namespace, identityConfig string) ([]*v1.ScimUser, error) {
	if t, ok := r.(tenantLister); ok {
		return t.tenantUsers(ctx, namespace, identityConfig)
	}
	return userindex.FilterTenant(ctx, r, namespace, identityConfig)
}
