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

	It("refuses membership changes of a group that does not exist", func() {
		Expect(s.ChangeMembers(ctx, t, "nope", store.MemberChange{Add: members[:1]})).To(MatchError(store.ErrNotFound))
	})
})
