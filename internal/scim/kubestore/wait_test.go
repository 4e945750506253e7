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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllertest"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/userindex"
)

// The list order and the user index are fed by handlers of their own, which
// run independently: a write waits for both. Here the order has the write
// and the index gets it a moment later; the lookup right after the wait
// must see it.
func TestWaitForCacheWaitsForTheUserIndex(t *testing.T) {
	s := &Store{
		opts:      Options{CacheWait: time.Minute},
		userOrder: newOrder(func(u *v1.ScimUser) string { return u.Spec.IdentityConfigRef.Name }),
		userIndex: userindex.New(),
	}
	u := &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "u1", ResourceVersion: "7", CreationTimestamp: metav1.Now()},
		Spec:       v1.ScimUserSpec{IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"}, UserName: "a@example.com", ExternalID: "00uA"},
	}
	late := func(apply func()) {
		s.userOrder.set(u)
		go func() {
			time.Sleep(100 * time.Millisecond)
			apply()
		}()
	}
	ctx := context.Background()

	late(func() { s.userIndex.Update(nil, u) })
	s.waitForCache(ctx, u, u.ResourceVersion)
	if got := s.userIndex.Lookup("ns", "okta", userindex.ExternalID, "00uA"); len(got) != 1 {
		t.Fatalf("the write's answer came before the index held it: %v", got)
	}

	gone := u.DeepCopy()
	gone.ResourceVersion = "8"
	gone.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	s.userOrder.set(gone) // leaves the order at once
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.userIndex.Update(u, gone)
	}()
	s.waitForCache(ctx, u, "")
	if got := s.userIndex.Lookup("ns", "okta", userindex.ExternalID, "00uA"); len(got) != 1 || got[0].DeletionTimestamp == nil {
		t.Fatalf("the delete's answer came before the index held the user as being deleted: %v", got)
	}
}

// A write waiting for the cache is woken by the informer handlers of the
// list order and of the user index, whichever takes the change in last;
// it never has to wait for a recheck (set to an hour here, so a missing
// wake-up shows as a wait that runs to CacheWait). The order and the index
// get their events from informers of their own, so each handler's wake-up
// is tested alone.
func TestWaitForCacheIsWokenByTheHandlers(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	const cacheWait = 20 * time.Second
	ctx := t.Context()
	newStore := func(t *testing.T) (s *Store, order, index, groups *controllertest.FakeInformer) {
		s = &Store{
			opts:       Options{CacheWait: cacheWait},
			recheck:    time.Hour,
			userOrder:  newOrder(func(u *v1.ScimUser) string { return u.Spec.IdentityConfigRef.Name }),
			groupOrder: newOrder(func(g *v1.ScimGroup) string { return g.Spec.IdentityConfigRef.Name }),
			userIndex:  userindex.New(),
		}
		s.userOrder.observed = s.cacheSignal.notify
		s.groupOrder.observed = s.cacheSignal.notify
		s.userIndex.Observe(s.cacheSignal.notify)
		forOrder, forIndex := &informertest.FakeInformers{Scheme: scheme}, &informertest.FakeInformers{Scheme: scheme}
		if err := s.userOrder.watch(ctx, forOrder, &v1.ScimUser{}); err != nil {
			t.Fatal(err)
		}
		if err := s.groupOrder.watch(ctx, forOrder, &v1.ScimGroup{}); err != nil {
			t.Fatal(err)
		}
		if err := s.userIndex.Watch(ctx, forIndex); err != nil {
			t.Fatal(err)
		}
		var err error
		if order, err = forOrder.FakeInformerFor(ctx, &v1.ScimUser{}); err != nil {
			t.Fatal(err)
		}
		if index, err = forIndex.FakeInformerFor(ctx, &v1.ScimUser{}); err != nil {
			t.Fatal(err)
		}
		if groups, err = forOrder.FakeInformerFor(ctx, &v1.ScimGroup{}); err != nil {
			t.Fatal(err)
		}
		return s, order, index, groups
	}
	// waitFor runs waitForCache while deliver, after a moment, hands the
	// change to the informers, and fails if the wait ran to CacheWait.
	waitFor := func(t *testing.T, s *Store, obj client.Object, rv string, deliver func()) {
		t.Helper()
		go func() {
			time.Sleep(20 * time.Millisecond)
			deliver()
		}()
		start := time.Now()
		s.waitForCache(ctx, obj, rv)
		if took := time.Since(start); took > cacheWait/2 {
			t.Fatalf("the wait was not woken: it took %s", took)
		}
	}
	u := &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "u1", ResourceVersion: "7", CreationTimestamp: metav1.Now()},
		Spec:       v1.ScimUserSpec{IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"}, UserName: "a@example.com", ExternalID: "00uA"},
	}
	changed := u.DeepCopy()
	changed.ResourceVersion = "8"
	changed.Spec.ExternalID = "00uB"
	for _, last := range []string{"index", "order"} {
		t.Run("the "+last+" last", func(t *testing.T) {
			s, order, index, _ := newStore(t)
			inOrder := func(first, second func()) func() {
				if last == "order" {
					first, second = second, first
				}
				return func() {
					first()
					time.Sleep(20 * time.Millisecond)
					second()
				}
			}
			waitFor(t, s, u, u.ResourceVersion, inOrder(func() { order.Add(u) }, func() { index.Add(u) }))
			if !s.userIndex.Holds(u, u.ResourceVersion, atLeast) || !s.userOrder.has(client.ObjectKeyFromObject(u), u.ResourceVersion, atLeast) {
				t.Fatal("the create's wait ended before the cache held it")
			}
			waitFor(t, s, changed, changed.ResourceVersion, inOrder(func() { order.Update(u, changed) }, func() { index.Update(u, changed) }))
			if got := s.userIndex.Lookup("ns", "okta", userindex.ExternalID, "00uB"); len(got) != 1 {
				t.Fatalf("the update's wait ended before the index held it: %v", got)
			}
			waitFor(t, s, changed, "", inOrder(func() { order.Delete(changed) }, func() { index.Delete(changed) }))
			if !s.userOrder.has(client.ObjectKeyFromObject(changed), "", atLeast) {
				t.Fatal("the delete's wait ended before the order let the user go")
			}
		})
	}
	t.Run("a group", func(t *testing.T) {
		s, _, _, groups := newStore(t)
		g := &v1.ScimGroup{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "g1", ResourceVersion: "9", CreationTimestamp: metav1.Now()},
			Spec:       v1.ScimGroupSpec{IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"}, DisplayName: "Admins"},
		}
		waitFor(t, s, g, g.ResourceVersion, func() { groups.Add(g) })
	})
}

func TestSignal(t *testing.T) {
	var s signal
	a, b := types.NamespacedName{Namespace: "ns", Name: "a"}, types.NamespacedName{Namespace: "ns", Name: "b"}
	woken, stop := s.subscribe(a)
	s.notify(b)
	select {
	case <-woken:
		t.Fatal("woken by another name")
	default:
	}
	s.notify(a)
	s.notify(a) // never blocks on a subscriber already woken
	select {
	case <-woken:
	default:
		t.Fatal("not woken by its name")
	}
	stop()
	if len(s.waiting) != 0 {
		t.Fatalf("an ended subscription is still held: %v", s.waiting)
	}
}
