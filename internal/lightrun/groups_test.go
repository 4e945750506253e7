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

package lightrun_test

import (
	"fmt"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

var _ = Describe("User groups", func() {
	var (
		emu  *emulator.Emulator
		c    *lightrun.Client
		pool *lightrun.AgentPool
	)
	BeforeEach(func() {
		emu = startEmulator(emulator.Options{RBAC: true})
		c = newClient(emu, lightrun.Options{})
		var err error
		pool, err = c.CreateAgentPool(testContext(), lightrun.AgentPoolRequest{Name: "checkout", Description: "Checkout services"})
		Expect(err).NotTo(HaveOccurred())
	})

	It("creates a group linked to agent pools and reads it back", func() {
		ctx := testContext()
		g, err := c.CreateGroup(ctx, lightrun.CreateGroupRequest{
			Name: "checkout-devs", AgentPoolIDs: []string{pool.ID}, Roles: []lightrun.GroupRole{lightrun.GroupRoleStandard},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(g.ID).NotTo(BeEmpty())
		Expect(g.Default).To(BeFalse())
		Expect(g.AgentPoolIDs).To(Equal([]string{pool.ID}))

		got, err := c.GetGroup(ctx, g.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Name).To(Equal("checkout-devs"))
		Expect(got.Roles).To(Equal([]lightrun.GroupRole{lightrun.GroupRoleStandard}))
		Expect(got.MemberCount).To(BeZero())
	})

	It("finds the default group, linked to the default agent pool", func() {
		g, err := c.GetGroup(testContext(), emu.DefaultGroupID())
		Expect(err).NotTo(HaveOccurred())
		Expect(g.Default).To(BeTrue())
		Expect(g.AgentPoolIDs).To(ContainElement(emu.DefaultAgentPoolID()))
	})

	It("finds a group by name", func() {
		ctx := testContext()
		for i := range 5 {
			_, err := c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: fmt.Sprintf("team-%d", i)})
			Expect(err).NotTo(HaveOccurred())
		}
		g, err := c.FindGroup(ctx, "team-3")
		Expect(err).NotTo(HaveOccurred())
		Expect(g.Name).To(Equal("team-3"))
		g, err = c.FindGroup(ctx, "TEAM-4")
		Expect(err).NotTo(HaveOccurred())
		Expect(g.Name).To(Equal("team-4"))
		_, err = c.FindGroup(ctx, "team-9")
		Expect(lightrun.IsNotFound(err)).To(BeTrue())
	})

	It("updates a group, replacing its pools and roles", func() {
		ctx := testContext()
		g, err := c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: "ops", AgentPoolIDs: []string{pool.ID},
			Roles: []lightrun.GroupRole{lightrun.GroupRolePrivileged}})
		Expect(err).NotTo(HaveOccurred())
		updated, err := c.UpdateGroup(ctx, g.ID, lightrun.UpdateGroupRequest{Name: "operations"})
		Expect(err).NotTo(HaveOccurred())
		Expect(updated.Name).To(Equal("operations"))
		Expect(updated.AgentPoolIDs).To(BeEmpty())
		Expect(updated.Roles).To(BeEmpty())
	})

	It("reports a duplicate group name as a conflict and an unknown pool as invalid", func() {
		ctx := testContext()
		_, err := c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: "dup"})
		Expect(err).NotTo(HaveOccurred())
		_, err = c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: "DUP"})
		Expect(lightrun.IsConflict(err)).To(BeTrue(), "got %v", err)
		_, err = c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: "orphan", AgentPoolIDs: []string{"5b7a4f0e-0000-4000-8000-000000000000"}})
		Expect(lightrun.IsInvalid(err)).To(BeTrue(), "got %v", err)
	})

	It("deletes a group, but not the default one", func() {
		ctx := testContext()
		g, err := c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: "temp"})
		Expect(err).NotTo(HaveOccurred())
		Expect(c.DeleteGroup(ctx, g.ID)).To(Succeed())
		_, err = c.GetGroup(ctx, g.ID)
		Expect(lightrun.IsNotFound(err)).To(BeTrue())
		Expect(lightrun.IsForbidden(c.DeleteGroup(ctx, emu.DefaultGroupID()))).To(BeTrue())
	})

	It("lists groups filtered by agent pool, with members on request, over all pages", func() {
		ctx := testContext()
		createUsers(ctx, c, "gina@example.com")
		for i := range 4 {
			g, err := c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: fmt.Sprintf("linked-%d", i), AgentPoolIDs: []string{pool.ID}})
			Expect(err).NotTo(HaveOccurred())
			_, err = c.AddGroupMembers(ctx, g.ID, []lightrun.Member{{Email: "gina@example.com"}})
			Expect(err).NotTo(HaveOccurred())
		}
		_, err := c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: "unlinked"})
		Expect(err).NotTo(HaveOccurred())

		page, err := c.ListGroups(ctx, lightrun.ListGroupsOptions{AgentPoolIDs: []string{pool.ID, "not-a-pool"}, IncludeMembers: true,
			PageOptions: lightrun.PageOptions{Size: 3, Sort: []string{"name,desc"}}})
		Expect(err).NotTo(HaveOccurred())
		Expect(page.Total).To(BeEquivalentTo(4))
		Expect(page.HasMore).To(BeTrue())
		Expect(page.Items[0].Name).To(Equal("linked-3"))
		Expect(page.Items[0].Members).To(ConsistOf(HaveField("Email", "gina@example.com")))
		Expect(requestsTo(emu, http.MethodGet, "/api/v1/groups")[0].Query).To(ContainSubstring("agentPoolIds=" + pool.ID + "%2Cnot-a-pool"))

		var names []string
		for g, err := range c.AllGroups(ctx, lightrun.ListGroupsOptions{PageOptions: lightrun.PageOptions{Size: 2}}) {
			Expect(err).NotTo(HaveOccurred())
			names = append(names, g.Name)
		}
		Expect(names).To(Equal([]string{emulator.DefaultGroupName, "linked-0", "linked-1", "linked-2", "linked-3", "unlinked"}))
	})

	Describe("members", func() {
		var group *lightrun.Group
		BeforeEach(func() {
			ctx := testContext()
			createUsers(ctx, c, "hana@example.com", "ivan@example.com", "jo@example.com")
			var err error
			group, err = c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: "members", AgentPoolIDs: []string{pool.ID},
				Roles: []lightrun.GroupRole{lightrun.GroupRoleStandard}})
			Expect(err).NotTo(HaveOccurred())
		})

		It("adds members and reads them back with their effective roles", func() {
			ctx := testContext()
			res, err := c.AddGroupMembers(ctx, group.ID, []lightrun.Member{
				{Email: "hana@example.com", GroupAdmin: true},
				{Email: "ivan@example.com", ElevatedRoles: []lightrun.GroupRole{lightrun.GroupRolePrivileged}},
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Failures).To(BeEmpty())
			Expect(res.Err()).NotTo(HaveOccurred())
			Expect(res.Successes).To(HaveLen(2))
			Expect(requestsTo(emu, http.MethodPost, "/api/v1/groups/"+group.ID+"/members")[0].Status).To(Equal(http.StatusOK))

			g, err := c.GetGroupWithMembers(ctx, group.ID)
			Expect(err).NotTo(HaveOccurred())
			Expect(g.MemberCount).To(BeEquivalentTo(2))
			Expect(g.Members).To(ConsistOf(
				lightrun.Member{Email: "hana@example.com", GroupAdmin: true, ElevatedRoles: []lightrun.GroupRole{},
					EffectiveRoles: []lightrun.GroupRole{lightrun.GroupRoleStandard}},
				lightrun.Member{Email: "ivan@example.com", ElevatedRoles: []lightrun.GroupRole{lightrun.GroupRolePrivileged},
					EffectiveRoles: []lightrun.GroupRole{lightrun.GroupRoleStandard, lightrun.GroupRolePrivileged}},
			))
		})

		It("reports per-member failures of a partly failed add (207) without failing the call", func() {
			ctx := testContext()
			_, err := c.AddGroupMembers(ctx, group.ID, []lightrun.Member{{Email: "hana@example.com"}})
			Expect(err).NotTo(HaveOccurred())

			res, err := c.AddGroupMembers(ctx, group.ID, []lightrun.Member{
				{Email: "hana@example.com"}, {Email: "nobody@example.com"}, {Email: "jo@example.com"},
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(requestsTo(emu, http.MethodPost, "/api/v1/groups/"+group.ID+"/members")[1].Status).To(Equal(http.StatusMultiStatus))
			Expect(res.Successes).To(ConsistOf(HaveField("Email", "jo@example.com")))
			Expect(res.Failures).To(HaveLen(2))
			byEmail := map[string]lightrun.BulkFailure{}
			for _, f := range res.Failures {
				byEmail[f.Member.Email] = f
			}
			Expect(lightrun.IsConflict(byEmail["hana@example.com"].Err())).To(BeTrue())
			Expect(lightrun.IsNotFound(byEmail["nobody@example.com"].Err())).To(BeTrue())
			Expect(byEmail["nobody@example.com"].Message).NotTo(BeEmpty())
			Expect(res.Err()).To(MatchError(ContainSubstring("nobody@example.com")))
		})

		It("removes members, with a failure for a non-member", func() {
			ctx := testContext()
			_, err := c.AddGroupMembers(ctx, group.ID, []lightrun.Member{{Email: "hana@example.com"}, {Email: "ivan@example.com"}})
			Expect(err).NotTo(HaveOccurred())
			res, err := c.RemoveGroupMembers(ctx, group.ID, []string{"hana@example.com", "hana@example.com", "jo@example.com"})
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Successes).To(ConsistOf(HaveField("Email", "hana@example.com")))
			Expect(res.Failures).To(ConsistOf(And(HaveField("Member.Email", "jo@example.com"), HaveField("Status", http.StatusNotFound))))
			g, err := c.GetGroupWithMembers(ctx, group.ID)
			Expect(err).NotTo(HaveOccurred())
			Expect(g.Members).To(ConsistOf(HaveField("Email", "ivan@example.com")))
		})

		It("updates a member's elevated roles and admin flag", func() {
			ctx := testContext()
			_, err := c.AddGroupMembers(ctx, group.ID, []lightrun.Member{{Email: "jo@example.com"}})
			Expect(err).NotTo(HaveOccurred())
			m, err := c.UpdateGroupMember(ctx, group.ID, "jo@example.com", lightrun.UpdateMemberRequest{
				GroupAdmin: true, ElevatedRoles: []lightrun.GroupRole{lightrun.GroupRolePrivileged},
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(m.GroupAdmin).To(BeTrue())
			Expect(m.EffectiveRoles).To(Equal([]lightrun.GroupRole{lightrun.GroupRoleStandard, lightrun.GroupRolePrivileged}))
			_, err = c.UpdateGroupMember(ctx, group.ID, "ivan@example.com", lightrun.UpdateMemberRequest{})
			Expect(lightrun.IsNotFound(err)).To(BeTrue(), "ivan is not a member: %v", err)
		})

		It("reports an unknown group as not found", func() {
			ctx := testContext()
			const missing = "0b9c2f4e-1111-4222-8333-444455556666"
			_, err := c.AddGroupMembers(ctx, missing, []lightrun.Member{{Email: "jo@example.com"}})
			Expect(lightrun.IsNotFound(err)).To(BeTrue())
			_, err = c.RemoveGroupMembers(ctx, missing, []string{"jo@example.com"})
			Expect(lightrun.IsNotFound(err)).To(BeTrue())
			_, err = c.GetGroup(ctx, missing)
			Expect(lightrun.IsNotFound(err)).To(BeTrue())
		})

		It("sends nothing for an empty member list", func() {
			ctx := testContext()
			emu.ResetRequests()
			res, err := c.AddGroupMembers(ctx, group.ID, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Successes).To(BeEmpty())
			res, err = c.RemoveGroupMembers(ctx, group.ID, []string{})
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Failures).To(BeEmpty())
			Expect(emu.Requests()).To(BeEmpty())
		})
	})
})
