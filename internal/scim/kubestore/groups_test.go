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

package kubestore_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

func group(name string) *v1.ScimGroup {
	return &v1.ScimGroup{Spec: v1.ScimGroupSpec{DisplayName: name}}
}

var _ = Describe("groups", func() {
	var (
		s       *kubestore.Store
		t       store.Tenant
		members []string
	)
	BeforeEach(func() {
		s = newReplica(kubestore.Options{})
		t = newTenant()
		members = nil
		for i := range 5 {
			u, err := s.CreateUser(ctx, t, user(fmt.Sprintf("member-%d@example.com", i)))
			Expect(err).NotTo(HaveOccurred())
			members = append(members, u.SCIMID())
		}
	})

	membersOf := func(groupID string) []string {
		GinkgoHelper()
		found, err := s.ListUsers(ctx, t, store.Selector{Index: store.IndexGroup, Value: groupID})
		Expect(err).NotTo(HaveOccurred())
		return ids(found)
	}

	It("keeps displayName unique per tenant, case-insensitively", func() {
		_, err := s.CreateGroup(ctx, t, group("Tour Guides"))
		Expect(err).NotTo(HaveOccurred())
		_, err = s.CreateGroup(ctx, t, group("tour guides"))
		Expect(err).To(MatchError(store.ErrUniqueness))
		found, err := s.ListGroups(ctx, t, store.Selector{Index: store.IndexDisplayName, Value: "TOUR GUIDES"})
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(HaveLen(1))
	})

	It("adds, removes and replaces members on the member side", func() {
		g, err := s.CreateGroup(ctx, t, group("Admins"))
		Expect(err).NotTo(HaveOccurred())

		Expect(s.ChangeMembers(ctx, t, g.Name, store.MemberChange{Add: members[:3]})).To(Succeed())
		Expect(membersOf(g.Name)).To(ConsistOf(members[:3]))

		Expect(s.ChangeMembers(ctx, t, g.Name, store.MemberChange{Remove: members[1:2]})).To(Succeed())
		Expect(membersOf(g.Name)).To(ConsistOf(members[0], members[2]))

		Expect(s.ChangeMembers(ctx, t, g.Name, store.MemberChange{Replace: true, Add: members[3:]})).To(Succeed())
		Expect(membersOf(g.Name)).To(ConsistOf(members[3:]))

		Expect(s.ChangeMembers(ctx, t, g.Name, store.MemberChange{Replace: true})).To(Succeed())
		Expect(membersOf(g.Name)).To(BeEmpty())

		stored, err := s.GetGroup(ctx, t, g.Name)
		Expect(err).NotTo(HaveOccurred())
		Expect(stored.ResourceVersion).To(Equal(g.ResourceVersion), "membership never grows the group object")
	})

	It("changes nothing when one member to add does not exist", func() {
		g, err := s.CreateGroup(ctx, t, group("Strict"))
		Expect(err).NotTo(HaveOccurred())
		err = s.ChangeMembers(ctx, t, g.Name, store.MemberChange{Add: []string{members[0], "no-such-user", members[1]}})
		Expect(err).To(MatchError(store.ErrInvalid))
		Expect(err.Error()).To(ContainSubstring("no-such-user"))
		Expect(membersOf(g.Name)).To(BeEmpty())
	})

	It("drops a deleted user from its groups and releases members of a deleted group", func() {
		g, err := s.CreateGroup(ctx, t, group("Leavers"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.ChangeMembers(ctx, t, g.Name, store.MemberChange{Add: members})).To(Succeed())

		Expect(s.DeleteUser(ctx, t, members[0], "")).To(Succeed())
		Expect(membersOf(g.Name)).To(ConsistOf(members[1:]))

		Expect(s.DeleteGroup(ctx, t, g.Name, "")).To(Succeed())
		for _, id := range members[1:] {
			u, err := s.GetUser(ctx, t, id)
			Expect(err).NotTo(HaveOccurred())
			Expect(u.Spec.Groups).NotTo(ContainElement(g.Name))
		}
		_, err = s.CreateGroup(ctx, t, group("leavers"))
		Expect(err).NotTo(HaveOccurred(), "the displayName is free again")
	})

	It("stores group members on the member group, refuses cycles, and releases nested groups of a deleted group", func() {
		newGroup := func(name string) string {
			GinkgoHelper()
			g, err := s.CreateGroup(ctx, t, group(name))
			Expect(err).NotTo(HaveOccurred())
			return g.Name
		}
		parentsOf := func(id string) []string {
			GinkgoHelper()
			g, err := s.GetGroup(ctx, t, id)
			Expect(err).NotTo(HaveOccurred())
			return g.Spec.Groups
		}
		nestedIn := func(id string) []string {
			GinkgoHelper()
			found, err := s.ListGroups(ctx, t, store.Selector{Index: store.IndexParent, Value: id})
			Expect(err).NotTo(HaveOccurred())
			return groupIDs(found)
		}
		top, mid, leaf := newGroup("Top"), newGroup("Mid"), newGroup("Leaf")
		Expect(s.ChangeMembers(ctx, t, top, store.MemberChange{Add: []string{mid, members[0]}})).To(Succeed())
		Expect(s.ChangeMembers(ctx, t, mid, store.MemberChange{Add: []string{leaf}, Types: map[string]string{leaf: store.MemberGroup}})).To(Succeed())
		Expect(parentsOf(mid)).To(ConsistOf(top))
		Expect(nestedIn(top)).To(ConsistOf(mid))
		Expect(membersOf(top)).To(ConsistOf(members[0]))

		By("refusing a type that does not match")
		Expect(s.CheckMembers(ctx, t, top, store.MemberChange{Add: []string{leaf}, Types: map[string]string{leaf: store.MemberUser}})).To(MatchError(store.ErrInvalid))
		Expect(s.CheckMembers(ctx, t, top, store.MemberChange{Add: []string{members[1]}, Types: map[string]string{members[1]: store.MemberGroup}})).To(MatchError(store.ErrInvalid))

		By("refusing self-membership and a three-level cycle, writing nothing")
		err := s.ChangeMembers(ctx, t, top, store.MemberChange{Add: []string{members[1], top}})
		Expect(err).To(MatchError(store.ErrInvalid))
		Expect(err.Error()).To(ContainSubstring("cycle"))
		err = s.ChangeMembers(ctx, t, leaf, store.MemberChange{Add: []string{members[1], top}})
		Expect(err).To(MatchError(store.ErrInvalid))
		Expect(err.Error()).To(And(ContainSubstring(`"Top"`), ContainSubstring(`"Mid"`), ContainSubstring(`"Leaf"`)))
		Expect(parentsOf(top)).To(BeEmpty())
		Expect(membersOf(leaf)).To(BeEmpty())

		By("replacing members drops group members not kept")
		Expect(s.ChangeMembers(ctx, t, mid, store.MemberChange{Replace: true, Add: []string{members[2]}})).To(Succeed())
		Expect(parentsOf(leaf)).To(BeEmpty())
		Expect(membersOf(mid)).To(ConsistOf(members[2]))
		Expect(s.ChangeMembers(ctx, t, mid, store.MemberChange{Add: []string{leaf}})).To(Succeed())
		Expect(s.ChangeMembers(ctx, t, mid, store.MemberChange{Remove: []string{leaf}})).To(Succeed())
		Expect(parentsOf(leaf)).To(BeEmpty())
		Expect(s.ChangeMembers(ctx, t, mid, store.MemberChange{Add: []string{leaf}})).To(Succeed())

		By("deleting the middle group")
		Expect(s.DeleteGroup(ctx, t, mid, "")).To(Succeed())
		Expect(parentsOf(leaf)).To(BeEmpty(), "the deleted group is gone from its member groups' spec.groups")
		Expect(nestedIn(top)).To(BeEmpty())
		u, err := s.GetUser(ctx, t, members[2])
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Spec.Groups).NotTo(ContainElement(mid))
	})

	It("refuses membership changes of a group that does not exist", func() {
		Expect(s.ChangeMembers(ctx, t, "nope", store.MemberChange{Add: members[:1]})).To(MatchError(store.ErrNotFound))
	})
})

func groupIDs(groups []*v1.ScimGroup) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.Name
	}
	return out
}
