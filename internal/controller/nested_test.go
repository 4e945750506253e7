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
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// nestIn makes g a direct member of the parents (ScimGroup spec.groups, as
// the SCIM endpoint stores a group member).
func nestIn(g *v1.ScimGroup, parents ...*v1.ScimGroup) {
	GinkgoHelper()
	update(g, func(g *v1.ScimGroup) {
		g.Spec.Groups = nil
		for _, p := range parents {
			g.Spec.Groups = append(g.Spec.Groups, p.Name)
		}
	})
}

var _ = Describe("nested groups", func() {
	It("an AgentPool selecting a group takes the users of every group nested in it, and follows the nesting", func() {
		c := newCompany()
		top := c.group("Platform")
		mid := c.group("Platform SRE")
		leaf := c.group("Platform SRE Oncall")
		nestIn(mid, top)
		nestIn(leaf, mid)
		p := c.pool("platform", v1.AgentPoolSpec{
			Roles: []v1.LightrunUserRole{v1.RoleSecurity}, Members: v1.AgentPoolMembers{Groups: []string{"platform"}},
		})
		direct := synced(c.user("direct@example.com", inGroups(top)))
		deep := synced(c.user("deep@example.com", inGroups(leaf)))
		groupID := ready(p).Status.GroupID
		Eventually(func() []string { return c.groupMembers(groupID) }).
			Should(Equal([]string{"deep@example.com", "direct@example.com"}), "the grandchild group's user is in the pool")
		Eventually(func() []string { return fresh(deep).Status.EffectiveAgentPools }).Should(Equal([]string{"platform"}))
		Eventually(func() []string { return c.lightrunUser("deep@example.com").Roles }).Should(Equal([]string{"SECURITY"}))
		// memberCount counts direct users only.
		Eventually(func() v1.ScimGroupStatus { return fresh(top).Status }).Should(And(
			HaveField("MemberCount", BeEquivalentTo(1)), HaveField("AgentPools", Equal([]string{"platform"}))))
		Eventually(func() int32 { return fresh(mid).Status.MemberCount }).Should(BeZero())
		Expect(fresh(direct).Status.EffectiveAgentPools).To(Equal([]string{"platform"}))

		By("removing the middle link")
		nestIn(mid)
		Eventually(func() []string { return c.groupMembers(groupID) }).Should(Equal([]string{"direct@example.com"}))
		Eventually(func() []string { return fresh(deep).Status.EffectiveAgentPools }).ShouldNot(ContainElement("platform"))

		By("putting it back, then closing a cycle (which only a race lets through) without hanging any walk")
		nestIn(mid, top)
		Eventually(func() []string { return c.groupMembers(groupID) }).
			Should(Equal([]string{"deep@example.com", "direct@example.com"}))
		nestIn(top, leaf)
		other := synced(c.user("other@example.com", inGroups(mid)))
		Eventually(func() []string { return c.groupMembers(groupID) }).
			Should(Equal([]string{"deep@example.com", "direct@example.com", "other@example.com"}))
		Eventually(func() []string { return fresh(other).Status.EffectiveAgentPools }).Should(Equal([]string{"platform"}))
		nestIn(top)

		By("deleting the middle group")
		Expect(k8sClient.Delete(ctx, mid)).To(Succeed())
		Eventually(func() []string { return c.groupMembers(groupID) }).Should(Equal([]string{"direct@example.com"}))
		Eventually(func() []string { return fresh(deep).Status.EffectiveAgentPools }).ShouldNot(ContainElement("platform"))
	})
})
