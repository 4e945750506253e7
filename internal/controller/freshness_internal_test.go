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
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// fakeReader serves ScimUsers at set resourceVersions and counts reads.
type fakeReader struct {
	rv    map[client.ObjectKey]string
	reads int
}

func (f *fakeReader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	f.reads++
	rv, ok := f.rv[key]
	if !ok {
		return apierrors.NewNotFound(schema.GroupResource{Resource: "scimusers"}, key.Name)
	}
	obj.SetNamespace(key.Namespace)
	obj.SetName(key.Name)
	obj.SetResourceVersion(rv)
	return nil
}

func (f *fakeReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return nil
}

func TestVersionsReadTheAPIServerOnlyWhileTheCacheLags(t *testing.T) {
	key := client.ObjectKey{Namespace: "ns", Name: "u"}
	cache := &fakeReader{rv: map[client.ObjectKey]string{key: "4"}}
	live := &fakeReader{rv: map[client.ObjectKey]string{key: "5"}}
	v := newVersions(live)
	ctx := context.Background()

	u := &v1.ScimUser{}
	if err := v.get(ctx, cache, key, u); err != nil || u.ResourceVersion != "4" || live.reads != 0 || v.len() != 0 {
		t.Fatalf("a first read: rv %s, err %v, %d live reads, %d entries; want the cache's 4, no live read, no entry", u.ResourceVersion, err, live.reads, v.len())
	}
	v.wrote(u, "4") // read, nothing written
	if v.len() != 0 {
		t.Fatal("a reconcile that wrote nothing left an entry")
	}

	// The reconcile wrote version 5; the cache still shows 4.
	u.ResourceVersion = "5"
	v.wrote(u, "4")
	if err := v.get(ctx, cache, key, u); err != nil || u.ResourceVersion != "5" || live.reads != 1 {
		t.Fatalf("a read while the cache lags: rv %s, err %v, %d live reads; want the API server's 5", u.ResourceVersion, err, live.reads)
	}

	// The informer delivers version 5: the entry goes, reads are cached.
	cache.rv[key] = "5"
	v.cached(&v1.ScimUser{ObjectMeta: u.ObjectMeta})
	if v.len() != 0 {
		t.Fatalf("%d entries once the cache showed the written version, want 0", v.len())
	}
	if err := v.get(ctx, cache, key, u); err != nil || live.reads != 1 {
		t.Fatalf("a read after the cache caught up went to the API server (%d live reads, err %v)", live.reads, err)
	}

	// A write whose event the informer delivered before the write was
	// recorded: the next read finds the cache caught up and drops it.
	u.ResourceVersion = "6"
	cache.rv[key] = "6"
	v.wrote(u, "5")
	if err := v.get(ctx, cache, key, u); err != nil || live.reads != 1 || v.len() != 0 {
		t.Fatalf("a read with the cache at the written version: %d live reads, %d entries, err %v; want 1 and 0", live.reads, v.len(), err)
	}

	// An older version delivered late keeps the entry.
	u.ResourceVersion = "8"
	v.wrote(u, "6")
	old := u.DeepCopy()
	old.ResourceVersion = "7"
	v.cached(old)
	if v.len() != 1 {
		t.Fatalf("%d entries after the informer showed version 7, want the one for version 8", v.len())
	}
	v.cached(u.DeepCopy())
	if v.len() != 0 {
		t.Fatalf("%d entries after the informer showed version 8, want 0", v.len())
	}
}
