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
	"slices"
	"strconv"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/shrink"
)

func newUser(name, rv, userName, externalID string, emails ...string) *v1.ScimUser {
	u := &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, ResourceVersion: rv},
		Spec: v1.ScimUserSpec{
			IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"},
			UserName:          userName,
			ExternalID:        externalID,
		},
	}
	for _, e := range emails {
		u.Spec.Emails = append(u.Spec.Emails, v1.ScimMultiValue{Value: e})
	}
	return u
}

func names(us []*v1.ScimUser) []string {
	out := make([]string, 0, len(us))
	for _, u := range us {
		out = append(out, u.Name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func expect(t *testing.T, x *Index, tenant string, f Field, value string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := names(x.Lookup("ns", tenant, f, value)); !slices.Equal(got, want) {
		t.Errorf("Lookup(%s, %s %q) = %v, want %v", tenant, f, value, got, want)
	}
}

func atLeast(got, want string) bool {
	g, _ := strconv.Atoi(got)
	w, _ := strconv.Atoi(want)
	return g >= w
}

func TestAddUpdateDelete(t *testing.T) {
	x := New()
	a := newUser("a", "1", "Alice@Example.com", "00uA", "alice@example.com", "A.L@Home.org")
	x.Update(nil, a)
	expect(t, x, "okta", UserName, "alice@example.COM", "a")
	expect(t, x, "okta", ExternalID, "00uA", "a")
	expect(t, x, "okta", ExternalID, "00UA") // caseExact
	expect(t, x, "okta", Email, "a.l@home.ORG", "a")
	expect(t, x, "okta", Email, "ALICE@example.com", "a") // the email equal to the userName, through the userName
	expect(t, x, "other", UserName, "alice@example.com")  // tenant scoped

	// A rename: the old values leave, the new ones arrive.
	b := a.DeepCopy()
	b.ResourceVersion = "2"
	b.Spec.UserName, b.Spec.ExternalID = "Alicia@example.com", "00uB"
	b.Spec.Emails = []v1.ScimMultiValue{{Value: "alicia@example.com"}}
	x.Update(a, b)
	expect(t, x, "okta", UserName, "alice@example.com")
	expect(t, x, "okta", ExternalID, "00uA")
	expect(t, x, "okta", Email, "a.l@home.org")
	expect(t, x, "okta", UserName, "ALICIA@example.com", "a")
	expect(t, x, "okta", ExternalID, "00uB", "a")
	if got := x.Lookup("ns", "okta", UserName, "alicia@example.com"); len(got) != 1 || got[0] != b {
		t.Errorf("an update must replace the indexed object, got %v", got)
	}

	// A move to another tenant.
	c := b.DeepCopy()
	c.ResourceVersion = "3"
	c.Spec.IdentityConfigRef.Name = "entra"
	x.Update(b, c)
	expect(t, x, "okta", UserName, "alicia@example.com")
	expect(t, x, "entra", UserName, "alicia@example.com", "a")

	x.Update(c, nil)
	expect(t, x, "entra", UserName, "alicia@example.com")
	expect(t, x, "entra", ExternalID, "00uB")
	if len(x.one) != 0 || len(x.more) != 0 {
		t.Errorf("entries left after the delete: %v %v", x.one, x.more)
	}
}

func TestEmailEqualToUserNameHasNoEntry(t *testing.T) {
	x := New()
	x.Update(nil, newUser("a", "1", "alice@example.com", "", "ALICE@example.com", "alice@EXAMPLE.com"))
	if len(x.one) != 1 || len(x.more) != 0 {
		t.Fatalf("want the userName's entry only, got %v %v", x.one, x.more)
	}
	expect(t, x, "okta", Email, "Alice@Example.com", "a")
}

func TestSharedValues(t *testing.T) {
	x := New()
	var users []*v1.ScimUser
	for i := range 5 {
		u := newUser(strconv.Itoa(i), "1", "user"+strconv.Itoa(i)+"@example.com", "shared", "team@example.com")
		users = append(users, u)
		x.Update(nil, u)
	}
	expect(t, x, "okta", ExternalID, "shared", "0", "1", "2", "3", "4")
	expect(t, x, "okta", Email, "TEAM@example.com", "0", "1", "2", "3", "4")
	// Updating one holder keeps one entry for it.
	u1 := users[1].DeepCopy()
	u1.ResourceVersion = "2"
	x.Update(users[1], u1)
	if got := x.Lookup("ns", "okta", ExternalID, "shared"); len(got) != 5 || !slices.Contains(got, u1) || slices.Contains(got, users[1]) {
		t.Errorf("after an update of user 1: %v", names(got))
	}
	for _, i := range []int{0, 2, 3} {
		x.Update(users[i], nil)
	}
	expect(t, x, "okta", ExternalID, "shared", "1", "4")
	x.Update(u1, nil)
	expect(t, x, "okta", ExternalID, "shared", "4")
	if _, ok := x.more[key{tenant: "ns/okta", value: "shared", field: ExternalID}]; ok {
		t.Error("a value one user holds stays in the overflow")
	}
	x.Update(users[4], nil)
	expect(t, x, "okta", ExternalID, "shared")
	if len(x.one) != 0 || len(x.more) != 0 {
		t.Errorf("entries left after the deletes: %v %v", x.one, x.more)
	}
}

func TestMatchesAgreesWithLookup(t *testing.T) {
	x := New()
	u := newUser("a", "1", "Alice@Example.com", "00uA", "alice@example.com", "A.L@Home.org")
	x.Update(nil, u)
	for _, c := range []struct {
		f Field
		v string
	}{{UserName, "ALICE@example.com"}, {UserName, "bob"}, {ExternalID, "00uA"}, {ExternalID, "00ua"}, {Email, "a.l@home.org"}, {Email, "alice@example.com"}, {Email, "x@y"}, {UserName, ""}} {
		if got, want := Matches(u, c.f, c.v), len(x.Lookup("ns", "okta", c.f, c.v)) == 1; got != want {
			t.Errorf("Matches(%s %q) = %v, Lookup finds it: %v", c.f, c.v, got, want)
		}
	}
}

func TestHolds(t *testing.T) {
	x := New()
	a := newUser("a", "5", "alice@example.com", "00uA")
	if x.Holds(a, "5", atLeast) {
		t.Error("holds a user it never saw")
	}
	if !x.Holds(a, "", atLeast) {
		t.Error("an unseen user is not gone")
	}
	x.Update(nil, a)
	if !x.Holds(a, "5", atLeast) || !x.Holds(a, "4", atLeast) || x.Holds(a, "6", atLeast) {
		t.Error("Holds does not compare resourceVersions")
	}
	if x.Holds(a, "", atLeast) {
		t.Error("a live user counts as gone")
	}
	d := a.DeepCopy()
	d.ResourceVersion = "6"
	d.DeletionTimestamp = &metav1.Time{}
	x.Update(a, d)
	if !x.Holds(a, "", atLeast) {
		t.Error("a user being deleted counts as live")
	}
	if got := x.Lookup("ns", "okta", UserName, "alice@example.com"); len(got) != 1 {
		t.Error("a user being deleted must stay findable (the controllers look for it)")
	}
}

// A mass deletion (an IdP deprovisioning most of a directory) copies the
// maps into smaller ones; what is left must still be found, and what left
// must not.
func TestMassDeletionKeepsTheRest(t *testing.T) {
	x := New()
	const n = 4000
	users := make([]*v1.ScimUser, n)
	for i := range users {
		s := strconv.Itoa(i)
		users[i] = newUser("u"+s, "1", "user"+s+"@example.com", "ext"+s, "u"+s+"@home.org")
		x.Update(nil, users[i])
	}
	// Two users share an externalId, so the map of shared values churns too.
	shared := newUser("twin", "1", "twin@example.com", "ext3999")
	x.Update(nil, shared)
	for i := range n - 10 {
		x.Update(users[i], nil)
	}
	if x.onePeak == (shrink.Peak{}) {
		t.Fatal("the index does not track the peak of its map")
	}
	for i := range n {
		s := strconv.Itoa(i)
		var want []string
		if i >= n-10 {
			want = []string{"u" + s}
		}
		expect(t, x, "okta", UserName, "USER"+s+"@example.com", want...)
		expect(t, x, "okta", Email, "u"+s+"@home.org", want...)
		if i != n-1 {
			expect(t, x, "okta", ExternalID, "ext"+s, want...)
		}
	}
	expect(t, x, "okta", ExternalID, "ext3999", "twin", "u3999")
	x.Update(users[n-1], nil)
	expect(t, x, "okta", ExternalID, "ext3999", "twin")
}
