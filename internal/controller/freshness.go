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
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/shrink"
)

// versions keeps a reconciler from acting on its own past. The informer
// cache can lag behind the reconciler's last write: a reconcile that starts
// right after one that created a Lightrun user and wrote the status could
// read the object without that status, find the user in Lightrun and refuse
// it as unmanaged, or find a pool it just created and call it adopted. So
// each reconciler remembers the resourceVersion it last wrote (or read from
// the API server because the cache lagged) per object; when the cache shows
// another one, the object is read from the API server instead.
//
// An entry lives only while the cache lags: the informer's handler drops it
// as soon as the cache shows the version it names (follow), and so does a
// read that finds the cache caught up. Without that the map would keep an
// entry for every object written since the manager started: 100,000 after
// an initial sync, about 100 bytes each.
type versions struct {
	live client.Reader

	mu   sync.Mutex
	seen map[types.NamespacedName]string
	peak shrink.Peak
}

func newVersions(live client.Reader) *versions {
	return &versions{live: live, seen: map[types.NamespacedName]string{}}
}

// follow has the informer of obj's kind drop an entry once the cache holds
// the version it names.
func (v *versions) follow(ctx context.Context, informers cache.Informers, obj client.Object) error {
	inf, err := informers.GetInformer(ctx, obj)
	if err != nil {
		return fmt.Errorf("getting the informer of %T: %w", obj, err)
	}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { v.cached(o) },
		UpdateFunc: func(_, o any) { v.cached(o) },
		DeleteFunc: func(o any) {
			if d, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = d.Obj
			}
			if m, ok := o.(client.Object); ok {
				v.forget(client.ObjectKeyFromObject(m))
			}
		},
	})
	if err != nil {
		return fmt.Errorf("following the versions of %T: %w", obj, err)
	}
	return nil
}

// cached is called with each object the informer's cache now holds.
func (v *versions) cached(o any) {
	m, ok := o.(client.Object)
	if !ok {
		return
	}
	key := client.ObjectKeyFromObject(m)
	v.mu.Lock()
	defer v.mu.Unlock()
	if known, ok := v.seen[key]; ok && known == m.GetResourceVersion() {
		v.dropLocked(key)
	}
}

// get reads obj from the cache, or from the API server when the cache has
// not seen the version this reconciler last knew.
func (v *versions) get(ctx context.Context, cached client.Reader, key types.NamespacedName, obj client.Object) error {
	if err := cached.Get(ctx, key, obj); err != nil {
		if apierrors.IsNotFound(err) {
			v.forget(key)
		}
		return err
	}
	v.mu.Lock()
	known, ok := v.seen[key]
	if ok && obj.GetResourceVersion() == known {
		v.dropLocked(key) // the cache has caught up
	}
	v.mu.Unlock()
	if !ok || obj.GetResourceVersion() == known {
		return nil
	}
	if err := v.live.Get(ctx, key, obj); err != nil {
		if apierrors.IsNotFound(err) {
			v.forget(key)
		}
		return err
	}
	// The cache is behind what the API server just said: the next read
	// must not go back to the cache's version either.
	v.record(obj)
	return nil
}

// wrote records obj's version after a reconcile, when it differs from read,
// the version the reconcile started from: the reconcile wrote the object,
// and the cache may not show that yet.
func (v *versions) wrote(obj client.Object, read string) {
	if obj.GetResourceVersion() != read {
		v.record(obj)
	}
}

// record notes the version of obj after a write (or a read).
func (v *versions) record(obj client.Object) {
	if obj.GetResourceVersion() == "" {
		return
	}
	v.mu.Lock()
	v.seen[client.ObjectKeyFromObject(obj)] = obj.GetResourceVersion()
	v.peak.Grew(len(v.seen))
	v.mu.Unlock()
}

func (v *versions) forget(key types.NamespacedName) {
	v.mu.Lock()
	v.dropLocked(key)
	v.mu.Unlock()
}

// len is the number of objects whose last version the cache may not show.
func (v *versions) len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.seen)
}

func (v *versions) dropLocked(key types.NamespacedName) {
	if _, ok := v.seen[key]; ok {
		delete(v.seen, key)
		v.seen = shrink.Map(v.seen, &v.peak)
	}
}
