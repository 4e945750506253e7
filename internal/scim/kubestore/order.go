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
	"fmt"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/shrink"
)

// order keeps every tenant's live objects of one kind in list order
// (store.Key: creation time, then id), fed by the informer, so that a page at
// any offset, or after any cursor, costs O(page) instead of listing, copying
// and sorting the whole tenant on every request.
//
// Each tenant's keys sit in a slice. Creations arrive in key order almost
// always and append; anything else (the informer's initial list comes in
// etcd key order, deletions leave holes) only marks the slice for a sort or
// a sweep, done once by the next reader. The objects themselves are the
// informer's: the order holds pointers to them, never copies.
type order[T client.Object] struct {
	tenantOf func(T) string
	// observed, when set, is told the name of each object whose change the
	// order has taken in, once it has (see signal).
	observed func(types.NamespacedName)

	mu      sync.RWMutex
	tenants map[string]*tenantKeys
	placed  map[types.NamespacedName]*placement[T]
	// peak lets placed give back its buckets after a mass deletion (see
	// package shrink).
	peak shrink.Peak
}

type tenantKeys struct {
	keys []store.Key
	// unsorted: a key was appended out of order. stale: keys whose object
	// left (deleted, or moved to another tenant) are still in keys.
	unsorted bool
	stale    int
}

type placement[T client.Object] struct {
	tenant string
	key    store.Key
	obj    T
}

func newOrder[T client.Object](tenantOf func(T) string) *order[T] {
	return &order[T]{
		tenantOf: tenantOf,
		tenants:  map[string]*tenantKeys{},
		placed:   map[types.NamespacedName]*placement[T]{},
	}
}

// tenantKey names a tenant in the order: objects of one IdentityConfig.
func tenantKey(namespace, identityConfig string) string {
	return namespace + "/" + identityConfig
}

// watch feeds the order from the informer of T's kind.
func (o *order[T]) watch(ctx context.Context, informers cache.Informers, obj T) error {
	inf, err := informers.GetInformer(ctx, obj)
	if err != nil {
		return fmt.Errorf("getting the informer of %T: %w", obj, err)
	}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { o.set(obj); o.notify(obj) },
		UpdateFunc: func(_, obj any) { o.set(obj); o.notify(obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if t, ok := obj.(T); ok {
				o.remove(types.NamespacedName{Namespace: t.GetNamespace(), Name: t.GetName()})
			}
			o.notify(obj)
		},
	})
	if err != nil {
		return fmt.Errorf("watching %T for list order: %w", obj, err)
	}
	return nil
}

func (o *order[T]) notify(raw any) {
	if obj, ok := raw.(T); ok && o.observed != nil {
		o.observed(types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()})
	}
}

// set records obj's latest state; an object being deleted leaves the order
// (RFC 7644 §3.6: a deleted resource is no longer returned).
func (o *order[T]) set(raw any) {
	obj, ok := raw.(T)
	if !ok {
		return
	}
	name := types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
	if obj.GetDeletionTimestamp() != nil {
		o.remove(name)
		return
	}
	tenant := tenantKey(obj.GetNamespace(), o.tenantOf(obj))
	key := store.Key{Created: obj.GetCreationTimestamp().Unix(), ID: obj.GetName()}

	o.mu.Lock()
	defer o.mu.Unlock()
	if p, ok := o.placed[name]; ok {
		if p.tenant == tenant && p.key == key {
			p.obj = obj
			return
		}
		o.unkey(p)
	}
	o.placed[name] = &placement[T]{tenant: tenant, key: key, obj: obj}
	o.peak.Grew(len(o.placed))
	tk := o.tenants[tenant]
	if tk == nil {
		tk = &tenantKeys{}
		o.tenants[tenant] = tk
	}
	if n := len(tk.keys); n > 0 && key.Compare(tk.keys[n-1]) <= 0 {
		// Out of order, or the same key again (an object that left and
		// came back before a sweep): the sort's compaction keeps one.
		tk.unsorted = true
	}
	tk.keys = append(tk.keys, key)
}

func (o *order[T]) remove(name types.NamespacedName) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p, ok := o.placed[name]
	if !ok {
		return
	}
	delete(o.placed, name)
	o.placed = shrink.Map(o.placed, &o.peak)
	o.unkey(p)
}

// unkey drops p's key from its tenant: at once when the keys are sorted (a
// binary search and one copy of the tail), else by the sweep of the next
// read, which sorts them anyway.
func (o *order[T]) unkey(p *placement[T]) {
	tk := o.tenants[p.tenant]
	if tk.unsorted {
		tk.stale++
		return
	}
	if i, found := slices.BinarySearchFunc(tk.keys, p.key, store.Key.Compare); found {
		tk.keys = slices.Delete(tk.keys, i, i+1)
	}
	if len(tk.keys) == 0 && tk.stale == 0 {
		delete(o.tenants, p.tenant)
	}
}

// has reports whether the order holds name at resourceVersion rv or later
// (compare decides), or, with rv empty, no longer holds it: a write waits
// for this before it answers, so a list right after it sees it.
func (o *order[T]) has(name types.NamespacedName, rv string, compare func(got, want string) bool) bool {
	o.mu.RLock()
	defer o.mu.RUnlock()
	p, ok := o.placed[name]
	if rv == "" {
		return !ok
	}
	return ok && compare(p.obj.GetResourceVersion(), rv)
}

// page returns req's page of tenant's objects.
func (o *order[T]) page(tenant string, req store.PageRequest) store.Page[T] {
	o.mu.RLock()
	tk := o.tenants[tenant]
	if tk != nil && (tk.unsorted || tk.stale > 0) {
		// Tidy, then read under the same write lock: nothing can untidy
		// the keys in between.
		o.mu.RUnlock()
		o.mu.Lock()
		defer o.mu.Unlock()
		if tk = o.tenants[tenant]; tk != nil {
			o.tidy(tenant, tk)
			tk = o.tenants[tenant]
		}
	} else {
		defer o.mu.RUnlock()
	}
	var out store.Page[T]
	if tk == nil {
		return out
	}
	keys := tk.keys
	lo := min(max(req.Offset, 0), len(keys))
	if req.After != nil {
		lo, _ = slices.BinarySearchFunc(keys, *req.After, store.Key.Compare)
		if lo < len(keys) && keys[lo] == *req.After {
			lo++
		}
	}
	hi := lo + min(max(req.Count, 0), len(keys)-lo)
	out.Offset, out.Total, out.More = lo, len(keys), hi < len(keys)
	out.Items = make([]T, 0, hi-lo)
	ns := namespaceOf(tenant)
	for _, k := range keys[lo:hi] {
		out.Items = append(out.Items, o.placed[types.NamespacedName{Namespace: ns, Name: k.ID}].obj)
		out.Last = k
	}
	return out
}

// tidy sweeps the keys of objects that left and sorts what was appended out
// of order. Called with the write lock held; another reader may have tidied
// already.
func (o *order[T]) tidy(tenant string, tk *tenantKeys) {
	if tk.stale > 0 {
		ns := namespaceOf(tenant)
		kept := tk.keys[:0]
		for _, k := range tk.keys {
			p, ok := o.placed[types.NamespacedName{Namespace: ns, Name: k.ID}]
			if ok && p.tenant == tenant && p.key == k {
				kept = append(kept, k)
			}
		}
		clear(tk.keys[len(kept):])
		tk.keys, tk.stale = kept, 0
	}
	if tk.unsorted {
		slices.SortFunc(tk.keys, store.Key.Compare)
		tk.keys = slices.Compact(tk.keys)
		tk.unsorted = false
	}
	if len(tk.keys) == 0 {
		delete(o.tenants, tenant)
	}
}

func namespaceOf(tenant string) string {
	ns, _, _ := strings.Cut(tenant, "/")
	return ns
}
