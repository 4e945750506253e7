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
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// versions keeps a reconciler from acting on its own past. The informer
// cache can lag behind the reconciler's last write: a reconcile that starts
// right after one that created a Lightrun user and wrote the status could
// read the object without that status, find the user in Lightrun and refuse
// it as unmanaged, or find a pool it just created and call it adopted. So
// each reconciler remembers the resourceVersion it last wrote or read per
// object; when the cache shows another one, the object is read from the API
// server instead. Once the cache has caught up, reads are from the cache
// again, so the extra reads are one per write at most.
type versions struct {
	live client.Reader

	mu   sync.Mutex
	seen map[types.NamespacedName]string
}

func newVersions(live client.Reader) *versions {
	return &versions{live: live, seen: map[types.NamespacedName]string{}}
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
	v.mu.Unlock()
	if ok && obj.GetResourceVersion() != known {
		if err := v.live.Get(ctx, key, obj); err != nil {
			if apierrors.IsNotFound(err) {
				v.forget(key)
			}
			return err
		}
	}
	v.record(obj)
	return nil
}

// record notes the version of obj after a write (or a read).
func (v *versions) record(obj client.Object) {
	if obj.GetResourceVersion() == "" {
		return
	}
	v.mu.Lock()
	v.seen[client.ObjectKeyFromObject(obj)] = obj.GetResourceVersion()
	v.mu.Unlock()
}

func (v *versions) forget(key types.NamespacedName) {
	v.mu.Lock()
	delete(v.seen, key)
	v.mu.Unlock()
}
