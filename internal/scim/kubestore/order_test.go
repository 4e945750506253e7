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
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

func orderedUser(tenant, name string, created int64) *v1.ScimUser {
	u := &v1.ScimUser{}
	u.Namespace, u.Name = "ns", name
	u.CreationTimestamp = metav1.NewTime(time.Unix(created, 0))
	u.Spec.IdentityConfigRef.Name = tenant
	return u
}

func newUserOrder() *order[*v1.ScimUser] {
	return newOrder(func(u *v1.ScimUser) string { return u.Spec.IdentityConfigRef.Name })
}

func pageIDs(p store.Page[*v1.ScimUser]) []string {
	out := make([]string, len(p.Items))
	for i, u := range p.Items {
		out[i] = u.Name
	}
	return out
}

// The informer's initial list arrives in etcd key order, not creation
// order; deletions, moves and re-adds happen between reads. Every page must
// still be the tenant's live objects in (creation, id) order.
func TestOrderKeepsListOrderThroughAnyHistory(t *testing.T) {
	o := newUserOrder()
	rng := rand.New(rand.NewPCG(1, 2))
	live := map[string]*v1.ScimUser{}
	other := orderedUser("other", "z-other", 1)
	o.set(other)
	for step := range 3000 {
		name := fmt.Sprintf("u%03d", rng.IntN(400))
		switch op := rng.IntN(10); {
		case op < 6:
			u := orderedUser("okta", name, int64(rng.IntN(50)))
			if old, ok := live[name]; ok {
				u.CreationTimestamp = old.CreationTimestamp // a key never changes
			}
			live[name] = u
			o.set(u)
		case op < 8:
			delete(live, name)
			o.remove(types.NamespacedName{Namespace: "ns", Name: name})
		case op < 9:
			// Being deleted: gone for SCIM, though still in the cache.
			if u, ok := live[name]; ok {
				gone := u.DeepCopy()
				gone.DeletionTimestamp = &metav1.Time{Time: time.Now()}
				delete(live, name)
				o.set(gone)
			}
		default:
			// Moved to another tenant and possibly back before a read.
			if u, ok := live[name]; ok {
				moved := u.DeepCopy()
				moved.Spec.IdentityConfigRef.Name = "other"
				o.set(moved)
				if rng.IntN(2) == 0 {
					o.set(u)
				} else {
					delete(live, name)
				}
			}
		}
		if step%7 != 0 {
			continue
		}
		var want []*v1.ScimUser
		for _, u := range live {
			want = append(want, u)
		}
		slices.SortFunc(want, func(a, b *v1.ScimUser) int {
			return store.Key{Created: a.CreationTimestamp.Unix(), ID: a.Name}.Compare(store.Key{Created: b.CreationTimestamp.Unix(), ID: b.Name})
		})
		wantIDs := make([]string, len(want))
		for i, u := range want {
			wantIDs[i] = u.Name
		}

		offset := rng.IntN(len(wantIDs) + 2)
		p := o.page("ns/okta", store.PageRequest{Offset: offset, Count: 10})
		hi := min(offset+10, len(wantIDs))
		if lo := min(offset, len(wantIDs)); !slices.Equal(pageIDs(p), wantIDs[lo:hi]) || p.Total != len(wantIDs) || p.More != (hi < len(wantIDs)) {
			t.Fatalf("step %d: page at %d = %v (total %d, more %v), want %v (total %d)", step, offset, pageIDs(p), p.Total, p.More, wantIDs[lo:hi], len(wantIDs))
		}
		// Walking by cursor visits exactly the live objects, in order.
		var walked []string
		var after *store.Key
		for {
			p := o.page("ns/okta", store.PageRequest{After: after, Count: 7})
			walked = append(walked, pageIDs(p)...)
			if !p.More {
				break
			}
			last := p.Last
			after = &last
		}
		if !slices.Equal(walked, wantIDs) {
			t.Fatalf("step %d: cursor walk %v, want %v", step, walked, wantIDs)
		}
	}
	if p := o.page("ns/other", store.PageRequest{Count: 1000}); !slices.Contains(pageIDs(p), "z-other") {
		t.Fatalf("the other tenant lost its user: %v", pageIDs(p))
	}
}

func TestOrderHasFollowsResourceVersions(t *testing.T) {
	o := newUserOrder()
	u := orderedUser("okta", "a", 1)
	u.ResourceVersion = "10"
	name := types.NamespacedName{Namespace: "ns", Name: "a"}
	if o.has(name, "10", atLeast) || !o.has(name, "", atLeast) {
		t.Fatal("an object not yet seen is neither present nor absent as it should be")
	}
	o.set(u)
	if !o.has(name, "10", atLeast) || !o.has(name, "9", atLeast) || o.has(name, "11", atLeast) || o.has(name, "", atLeast) {
		t.Fatal("has does not follow the resourceVersion seen")
	}
	o.remove(name)
	if !o.has(name, "", atLeast) {
		t.Fatal("a removed object is still held")
	}
}

// BenchmarkOrderPage reads a 100-user page at a random offset, and by
// cursor, among 100,000 users of one tenant, while the order also takes
// creations and deletions.
func BenchmarkOrderPage(b *testing.B) {
	const n = 100_000
	o := newUserOrder()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, i := range rng.Perm(n) { // the initial list, in no useful order
		o.set(orderedUser("okta", fmt.Sprintf("%08d", i), int64(i/10)))
	}
	b.Run("offset", func(b *testing.B) {
		for b.Loop() {
			p := o.page("ns/okta", store.PageRequest{Offset: rng.IntN(n), Count: 100})
			if p.Total != n {
				b.Fatal(p.Total)
			}
		}
	})
	b.Run("cursor", func(b *testing.B) {
		for b.Loop() {
			i := rng.IntN(n)
			o.page("ns/okta", store.PageRequest{After: &store.Key{Created: int64(i / 10), ID: fmt.Sprintf("%08d", i)}, Count: 100})
		}
	})
	b.Run("offset-while-deleting", func(b *testing.B) {
		next := n
		for b.Loop() {
			// One creation and one deletion per page read: each read
			// sweeps the deleted key.
			o.set(orderedUser("okta", fmt.Sprintf("%08d", next), int64(next/10)))
			o.remove(types.NamespacedName{Namespace: "ns", Name: fmt.Sprintf("%08d", next-n)})
			next++
			o.page("ns/okta", store.PageRequest{Offset: rng.IntN(n - 100), Count: 100})
		}
	})
}

// A mass deletion copies the order's map into a smaller one (package
// shrink): the users left must keep their places and pages.
func TestOrderAfterMassDeletion(t *testing.T) {
	o := newUserOrder()
	const n = 3000
	for i := range n {
		o.set(orderedUser("okta", fmt.Sprintf("u%04d", i), int64(i)))
	}
	var want []string
	for i := range n {
		name := fmt.Sprintf("u%04d", i)
		if i%30 == 0 {
			want = append(want, name)
			continue
		}
		o.remove(types.NamespacedName{Namespace: "ns", Name: name})
	}
	if len(o.placed) != len(want) {
		t.Fatalf("%d objects placed, want %d", len(o.placed), len(want))
	}
	p := o.page("ns/okta", store.PageRequest{Count: n})
	if got := pageIDs(p); !slices.Equal(got, want) {
		t.Fatalf("page after the deletions = %v, want %v", got, want)
	}
	for _, name := range want {
		// With an empty resourceVersion, has reports absence.
		if o.has(types.NamespacedName{Namespace: "ns", Name: name}, "", nil) {
			t.Fatalf("the order lost %s", name)
		}
	}
}
