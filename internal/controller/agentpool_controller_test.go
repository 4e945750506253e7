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

package controller_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/controller"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

// ready waits for an AgentPool to be Ready and returns it.
func ready(p *v1.AgentPool) *v1.AgentPool {
	GinkgoHelper()
	Eventually(func() metav1.Condition { return conditionOf(p, v1.ConditionReady) }).
		Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
	return fresh(p)
}

var _ = Describe("AgentPool", func() {
	It("creates the pool and a linked group whose members are exactly the selected, synced users", func() {
		c := newCompany()
		eng := c.group("Engineering")
		p := c.pool("payments", v1.AgentPoolSpec{
			PoolName:    "payments-production",
			Description: "Payments agents",
			AccessLevel: v1.AccessLevelPrivileged,
			Members:     v1.AgentPoolMembers{Groups: []string{"engineering"}, UserNames: []string{"pat@example.com"}},
		})
		a := c.user("a@example.com", inGroups(eng))
		b := c.user("b@example.com", inGroups(eng))
		pat := c.user("pat@example.com")
		outsider := c.user("outsider@example.com")
		for _, u := range []*v1.ScimUser{a, b, pat, outsider} {
			synced(u)
		}
		Eventually(func() int32 { return fresh(p).Status.MemberCount }).Should(BeEquivalentTo(3))
		p = ready(p)
		Expect(p.Status.Adopted).To(BeFalse())
		Expect(p.Status.ObservedGeneration).To(Equal(p.Generation))

		pool := c.lightrunPool(p.Status.PoolID)
		Expect(pool).NotTo(BeNil())
		Expect(pool.Name).To(Equal("payments-production"))
		Expect(pool.Description).To(Equal("Payments agents"))
		g := c.lightrunGroup(p.Status.GroupID)
		Expect(g).NotTo(BeNil())
		Expect(g.AgentPoolIDs).To(Equal([]string{pool.ID}))
		Expect(g.Roles).To(Equal([]string{"PRIVILEGED"}))
		Expect(c.groupMembers(g.ID)).To(Equal([]string{"a@example.com", "b@example.com", "pat@example.com"}))
		Expect(eventNotes(p, controller.EventPoolCreated)).NotTo(BeEmpty())
		Expect(eventNotes(p, controller.EventGroupCreated)).NotTo(BeEmpty())
		Expect(eventNotes(p, controller.EventMembersChanged)).NotTo(BeEmpty())

		// Membership is a diff: b leaves the group, c joins it.
		update(b, func(u *v1.ScimUser) { u.Spec.Groups = nil })
		newcomer := c.user("c@example.com", inGroups(eng))
		synced(newcomer)
		Eventually(func() []string { return c.groupMembers(g.ID) }).
			Should(Equal([]string{"a@example.com", "c@example.com", "pat@example.com"}))
		// A deleted user leaves the group.
		Expect(k8sClient.Delete(ctx, pat)).To(Succeed())
		Eventually(func() []string { return c.groupMembers(g.ID) }).Should(Equal([]string{"a@example.com", "c@example.com"}))
		Eventually(func() int32 { return fresh(p).Status.MemberCount }).Should(BeEquivalentTo(2))

		// Description and access level follow the spec.
		update(p, func(p *v1.AgentPool) {
			p.Spec.Description = "Payments, all regions"
			p.Spec.AccessLevel = v1.AccessLevelStandard
		})
		Eventually(func() string { return c.lightrunPool(pool.ID).Description }).Should(Equal("Payments, all regions"))
		Eventually(func() []string { return c.lightrunGroup(g.ID).Roles }).Should(Equal([]string{"STANDARD"}))
	})

	It("adopts an existing pool by name", func() {
		c := newCompany()
		existing, err := c.portal.CreateAgentPool(ctx, lightrun.AgentPoolRequest{Name: "legacy", Description: "made by hand"})
		Expect(err).NotTo(HaveOccurred())
		p := ready(c.pool("legacy", v1.AgentPoolSpec{Description: "now in git"}))
		Expect(p.Status.PoolID).To(Equal(existing.ID))
		Expect(p.Status.Adopted).To(BeTrue())
		Expect(c.lightrunPool(existing.ID).Description).To(Equal("now in git"))
		Expect(eventNotes(p, controller.EventPoolAdopted)).NotTo(BeEmpty())
	})

	It("removes the linked group on deletion and keeps the pool with deletionPolicy Retain", func() {
		c := newCompany()
		p := ready(c.pool("kept", v1.AgentPoolSpec{DeletionPolicy: v1.AgentPoolRetain}))
		Expect(k8sClient.Delete(ctx, p)).To(Succeed())
		deleted(p)
		Expect(c.lightrunGroup(p.Status.GroupID)).To(BeNil())
		Expect(c.lightrunPool(p.Status.PoolID)).NotTo(BeNil())
	})

	It("deletes the pool with deletionPolicy Delete, waiting while agents are connected", func() {
		c := newCompany()
		p := ready(c.pool("gone", v1.AgentPoolSpec{DeletionPolicy: v1.AgentPoolDelete}))
		Expect(c.emu.SetLiveAgents(p.Status.PoolID, 2)).To(Succeed())
		Expect(k8sClient.Delete(ctx, p)).To(Succeed())
		Eventually(func() metav1.Condition { return conditionOf(p, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonDeleting))
		Expect(conditionOf(p, v1.ConditionReady).Message).To(ContainSubstring("live agents"))
		Expect(c.lightrunGroup(p.Status.GroupID)).To(BeNil(), "the linked group goes first")
		Expect(c.emu.SetLiveAgents(p.Status.PoolID, 0)).To(Succeed())
		Eventually(func() *emulator.AgentPool { return c.lightrunPool(p.Status.PoolID) }).WithTimeout(20 * time.Second).Should(BeNil())
		deleted(p)
	})

	It("never deletes Lightrun's default pool", func() {
		c := newCompany()
		p := ready(c.pool("default-pool", v1.AgentPoolSpec{PoolName: emulator.DefaultAgentPoolName, DeletionPolicy: v1.AgentPoolDelete}))
		Expect(p.Status.PoolID).To(Equal(c.emu.DefaultAgentPoolID()))
		Expect(k8sClient.Delete(ctx, p)).To(Succeed())
		deleted(p)
		Expect(c.lightrunPool(c.emu.DefaultAgentPoolID())).NotTo(BeNil())
		Expect(eventNotes(p, controller.EventPoolKept)[0]).To(ContainSubstring("never deleted"))
	})

	It("puts users no pool selects into the IdentityConfig's default pool", func() {
		c := newCompany(withConfig(func(ic *v1.IdentityConfig) { ic.Spec.DefaultAgentPool = "general" }))
		general := c.pool("general", v1.AgentPoolSpec{Roles: []v1.LightrunUserRole{v1.RoleAppSec}})
		special := c.pool("special", v1.AgentPoolSpec{Members: v1.AgentPoolMembers{UserNames: []string{"sam@example.com"}}})
		sam := synced(c.user("sam@example.com"))
		tom := synced(c.user("tom@example.com"))
		Expect(tom.Status.EffectiveAgentPools).To(Equal([]string{"general"}))
		Expect(tom.Status.EffectiveRoles).To(Equal([]v1.LightrunUserRole{v1.RoleAppSec}),
			"users in no other pool land in the default pool and get its roles, like any pool's members")
		Eventually(func() []string { return c.lightrunUser("tom@example.com").Roles }).Should(Equal([]string{"APP_SEC"}))
		Expect(sam.Status.EffectiveAgentPools).To(Equal([]string{"special"}))
		Eventually(func() []string { return c.groupMembers(fresh(general).Status.GroupID) }).Should(Equal([]string{"tom@example.com"}))
		Eventually(func() []string { return c.groupMembers(fresh(special).Status.GroupID) }).Should(Equal([]string{"sam@example.com"}))
	})

	It("waits for its IdentityConfig", func() {
		c := newCompany(withEmulator(func(o *emulator.Options) { o.LoginMethod = emulator.LoginMethodPassword }))
		p := c.pool("early", v1.AgentPoolSpec{})
		Eventually(func() metav1.Condition { return conditionOf(p, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonIdentityConfigNotReady))
		Expect(c.emu.SetLoginMethod(emulator.LoginMethodSSO)).To(Succeed())
		ready(p)
	})
})

var _ = Describe("ScimGroup", func() {
	It("keeps memberCount and agentPools, and a rename moves its members between pools", func() {
		c := newCompany()
		g := c.group("Blue Team")
		blue := c.pool("blue", v1.AgentPoolSpec{
			Roles: []v1.LightrunUserRole{v1.RoleSecurity}, Members: v1.AgentPoolMembers{Groups: []string{"Blue Team"}},
		})
		red := c.pool("red", v1.AgentPoolSpec{
			Roles: []v1.LightrunUserRole{v1.RoleAppSec}, Members: v1.AgentPoolMembers{Groups: []string{"Red Team"}},
		})
		u1 := c.user("u1@example.com", inGroups(g))
		u2 := c.user("u2@example.com", inGroups(g))
		Eventually(func() v1.ScimGroupStatus { return fresh(g).Status }).Should(And(
			HaveField("MemberCount", BeEquivalentTo(2)),
			HaveField("AgentPools", Equal([]string{"blue"})),
		))
		Eventually(func() []string { return c.groupMembers(fresh(blue).Status.GroupID) }).
			Should(Equal([]string{"u1@example.com", "u2@example.com"}))
		Expect(synced(u1).Status.EffectiveRoles).To(Equal([]v1.LightrunUserRole{v1.RoleSecurity}))

		update(g, func(g *v1.ScimGroup) { g.Spec.DisplayName = "Red Team" })
		Eventually(func() []string { return fresh(g).Status.AgentPools }).Should(Equal([]string{"red"}))
		Eventually(func() []string { return c.groupMembers(fresh(red).Status.GroupID) }).
			Should(Equal([]string{"u1@example.com", "u2@example.com"}))
		Eventually(func() []string { return c.groupMembers(fresh(blue).Status.GroupID) }).Should(BeEmpty())
		Eventually(func() []string { return c.lightrunUser("u2@example.com").Roles }).Should(Equal([]string{"APP_SEC"}))
		Expect(fresh(u2).Status.EffectiveAgentPools).To(Equal([]string{"red"}))

		update(u2, func(u *v1.ScimUser) { u.Spec.Groups = nil })
		Eventually(func() int32 { return fresh(g).Status.MemberCount }).Should(BeEquivalentTo(1))
	})
})
