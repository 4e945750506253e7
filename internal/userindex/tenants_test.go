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

package userindex

import (
	"context"
	"slices"
	"strconv"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/shrink"
)

func inGroups(u *v1.ScimUser, rv string, groups ...string) *v1.ScimUser {
	u = u.DeepCopy()
	u.ResourceVersion = rv
	u.Spec.Groups = groups
	return u
}

func expectTenant(t *testing.T, x *Index, tenant string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := names(x.Tenant("ns", tenant)); !slices.Equal(got, want) {
		t.Errorf("Tenant(%s) = %v, want %v", tenant, got, want)
	}
}

// every checks that each lookup of a tenant's users or of a group's
// members returns the object the index was last given for that user.
func every(t *testing.T, x *Index, current ...*v1.ScimUser) {
	t.Helper()
	for _, u := range current {
		ic := u.Spec.IdentityConfigRef.Name
		if !slices.Contains(x.Tenant("ns", ic), u) {
			t.Errorf("Tenant(%s) does not hand out the current object of %s", ic, u.Name)
		}
		for _, g := range u.Spec.Groups {
			if !slices.Contains(x.Lookup("ns", ic, Group, g), u) {
				t.Errorf("the members of %s/%s do not hold the current object of %s", ic, g, u.Name)
			}
		}
	}
}

func TestTenantAndGroupMembers(t *testing.T) {
	x := New()
	a := inGroups(newUser("a", "1", "alice@example.com", ""), "1", "g1", "g2")
	b := inGroups(newUser("b", "1", "bob@example.com", ""), "1", "g2")
	c := inGroups(newUser("c", "1", "carol@example.com", ""), "1", "g1")
	c.Spec.IdentityConfigRef.Name = "entra"
	for _, u := range []*v1.ScimUser{a, b, c} {
		x.Update(nil, u)
	}
	expectTenant(t, x, "okta", "a", "b")
	expectTenant(t, x, "entra", "c")
	expectTenant(t, x, "other")
	expect(t, x, "okta", Group, "g1", "a") // not c: tenant scoped
	expect(t, x, "okta", Group, "g2", "a", "b")
	expect(t, x, "entra", Group, "g1", "c")
	expect(t, x, "okta", Group, "G1") // group ids are exact
	expect(t, x, "okta", Group, "")
	every(t, x, a, b, c)

	// a leaves g1 and joins g3.
	a2 := inGroups(a, "2", "g2", "g3")
	x.Update(a, a2)
	expect(t, x, "okta", Group, "g1")
	expect(t, x, "okta", Group, "g2", "a", "b")
	expect(t, x, "okta", Group, "g3", "a")
	every(t, x, a2, b, c)
	if got := x.Lookup("ns", "okta", Group, "g2"); slices.Contains(got, a) {
		t.Error("the group still holds the previous state of a")
	}

	// a moves to entra, with its groups.
	a3 := a2.DeepCopy()
	a3.ResourceVersion = "3"
	a3.Spec.IdentityConfigRef.Name = "entra"
	x.Update(a2, a3)
	expectTenant(t, x, "okta", "b")
	expectTenant(t, x, "entra", "a", "c")
	expect(t, x, "okta", Group, "g2", "b")
	expect(t, x, "okta", Group, "g3")
	expect(t, x, "entra", Group, "g2", "a")
	expect(t, x, "entra", Group, "g3", "a")
	every(t, x, a3, b, c)

	// A group listed twice is one membership, and leaves at once.
	b2 := inGroups(b, "2", "g2", "g2")
	x.Update(b, b2)
	expect(t, x, "okta", Group, "g2", "b")
	b3 := inGroups(b2, "3")
	x.Update(b2, b3)
	expect(t, x, "okta", Group, "g2")
	expectTenant(t, x, "okta", "b")

	// Being deleted: still listed, still a member (the controllers read it).
	d := c.DeepCopy()
	d.ResourceVersion = "2"
	d.DeletionTimestamp = &metav1.Time{}
	x.Update(c, d)
	expectTenant(t, x, "entra", "a", "c")
	expect(t, x, "entra", Group, "g1", "c")

	for _, del := range []*v1.ScimUser{a3, b3, d} {
		x.Update(del, nil)
	}
	expectTenant(t, x, "okta")
	expectTenant(t, x, "entra")
	expect(t, x, "entra", Group, "g1")
	if len(x.users) != 0 || len(x.members) != 0 {
		t.Errorf("entries left after the deletes: %v %v", x.users, x.members)
	}
}

func TestMatchesAgreesWithGroupLookup(t *testing.T) {
	x := New()
	u := inGroups(newUser("a", "1", "alice@example.com", ""), "1", "g1", "g2")
	x.Update(nil, u)
	for _, g := range []string{"g1", "g2", "G1", "g3", ""} {
		if got, want := Matches(u, Group, g), len(x.Lookup("ns", "okta", Group, g)) == 1; got != want {
			t.Errorf("Matches(group %q) = %v, Lookup finds it: %v", g, got, want)
		}
	}
}

// A write that changes a user's groups waits for Holds: the group lookup
// must see the new membership by then.
func TestHoldsGroups(t *testing.T) {
	x := New()
	a := inGroups(newUser("a", "1", "alice@example.com", "00uA"), "1", "g1")
	x.Update(nil, a)
	if !x.Holds(a, "1", atLeast) {
		t.Fatal("does not hold what it was given")
	}
	joined := inGroups(a, "2", "g1", "g2")
	if x.Holds(joined, "2", atLeast) {
		t.Error("holds a membership change it has not seen")
	}
	x.Update(a, joined)
	if !x.Holds(joined, "2", atLeast) {
		t.Error("does not hold the membership change it was given")
	}
	// The index holds a later state (rv 3) that left g2 again: the write
	// of rv 2 is not visible as written.
	left := inGroups(joined, "3", "g1")
	x.Update(joined, left)
	if x.Holds(joined, "2", atLeast) {
		t.Error("Holds ignores the groups: g2's members no longer hold the user")
	}
	if !x.Holds(left, "3", atLeast) {
		t.Error("does not hold the state that left g2")
	}
	// Holds reads the tenant's users, not only the userName's entry.
	other := inGroups(left, "3", "g1")
	other.Spec.IdentityConfigRef.Name = "entra"
	if x.Holds(other, "3", atLeast) {
		t.Error("holds a user in a tenant it never saw it in")
	}
}

// A mass deletion (an IdP deprovisioning most of a directory) copies the
// tenant's and the groups' maps into smaller ones; the rest must still be
// listed, and the deleted users must not.
func TestMassDeletionKeepsTheRestOfTenantsAndGroups(t *testing.T) {
	x := New()
	const n, groups = 6000, 3
	users := make([]*v1.ScimUser, n)
	for i := range users {
		s := strconv.Itoa(i)
		users[i] = inGroups(newUser("u"+s, "1", "user"+s+"@example.com", ""), "1", "g"+strconv.Itoa(i%groups), "all")
		x.Update(nil, users[i])
	}
	if got := len(x.Tenant("ns", "okta")); got != n {
		t.Fatalf("Tenant holds %d users, want %d", got, n)
	}
	const kept = 10
	for i := range n - kept {
		x.Update(users[i], nil)
	}
	var wantAll []string
	wantGroup := make([][]string, groups)
	for i := n - kept; i < n; i++ {
		wantAll = append(wantAll, "u"+strconv.Itoa(i))
		wantGroup[i%groups] = append(wantGroup[i%groups], "u"+strconv.Itoa(i))
	}
	slices.Sort(wantAll)
	expectTenant(t, x, "okta", wantAll...)
	expect(t, x, "okta", Group, "all", wantAll...)
	for g := range groups {
		slices.Sort(wantGroup[g])
		expect(t, x, "okta", Group, "g"+strconv.Itoa(g), wantGroup[g]...)
	}
	every(t, x, users[n-kept:]...)
	// A map made again records a peak of its size then: a map never made
	// again keeps the peak of all n users.
	var full shrink.Peak
	full.Grew(n)
	if s := x.users["ns/okta"]; s == nil || s.peak == full {
		t.Error("the tenant's map was not made again after the mass deletion")
	}
	if m := x.members[groupKey{tenant: "ns/okta", group: "all"}]; m == nil || m.peak == full {
		t.Error("the group's map was not made again after the mass deletion")
	}
	for _, u := range users[n-kept:] {
		x.Update(u, nil)
	}
	if len(x.users) != 0 || len(x.members) != 0 {
		t.Errorf("entries left after the deletes: %v %v", x.users, x.members)
	}
}

// Before the index has seen every user, readers filter the namespace's
// users themselves (the cache indexes no ScimUser field): the answers must
// be the index's.
func TestFilterAgreesWithTheIndex(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	a := inGroups(newUser("a", "1", "alice@example.com", "00uA"), "1", "g1", "g2")
	b := inGroups(newUser("b", "1", "bob@example.com", ""), "1", "g2")
	c := inGroups(newUser("c", "1", "carol@example.com", ""), "1", "g1")
	c.Spec.IdentityConfigRef.Name = "entra"
	d := inGroups(newUser("d", "1", "dave@example.com", ""), "1", "g1")
	d.Namespace = "elsewhere"
	r := fake.NewClientBuilder().WithScheme(scheme).WithObjects(a, b, c, d).Build()
	x := New()
	for _, u := range []*v1.ScimUser{a, b, c, d} {
		x.Update(nil, u)
	}
	ctx := context.Background()
	for _, ic := range []string{"okta", "entra", "other"} {
		got, err := FilterTenant(ctx, r, "ns", ic)
		if err != nil {
			t.Fatal(err)
		}
		if want := names(x.Tenant("ns", ic)); !slices.Equal(names(got), want) {
			t.Errorf("FilterTenant(%s) = %v, the index lists %v", ic, names(got), want)
		}
		for _, g := range []string{"g1", "g2", "g3"} {
			got, err := Filter(ctx, r, "ns", ic, Group, g)
			if err != nil {
				t.Fatal(err)
			}
			if want := names(x.Lookup("ns", ic, Group, g)); !slices.Equal(names(got), want) {
				t.Errorf("Filter(%s, group %s) = %v, the index finds %v", ic, g, names(got), want)
			}
		}
	}
}
