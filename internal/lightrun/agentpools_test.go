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
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

var _ = Describe("Agent pools", func() {
	var (
		emu *emulator.Emulator
		c   *lightrun.Client
	)
	BeforeEach(func() {
		emu = startEmulator(emulator.Options{})
		c = newClient(emu, lightrun.Options{})
	})

	It("starts with the default pool", func() {
		p, err := c.GetAgentPool(testContext(), emu.DefaultAgentPoolID())
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Name).To(Equal(emulator.DefaultAgentPoolName))
		Expect(p.AgentsEnabled).To(BeTrue())
	})

	It("creates, reads, updates and deletes a pool", func() {
		ctx := testContext()
		p, err := c.CreateAgentPool(ctx, lightrun.AgentPoolRequest{Name: "staging", Description: "Staging cluster"})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.ID).NotTo(BeEmpty())
		Expect(p.CreatedDate.IsZero()).To(BeFalse())

		got, err := c.GetAgentPool(ctx, p.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Description).To(Equal("Staging cluster"))

		updated, err := c.UpdateAgentPool(ctx, p.ID, lightrun.AgentPoolRequest{Name: "staging-eu"})
		Expect(err).NotTo(HaveOccurred())
		Expect(updated.Name).To(Equal("staging-eu"))
		Expect(updated.Description).To(BeEmpty(), "PUT replaces the description")

		Expect(c.DeleteAgentPool(ctx, p.ID)).To(Succeed())
		_, err = c.GetAgentPool(ctx, p.ID)
		Expect(lightrun.IsNotFound(err)).To(BeTrue())
		Expect(lightrun.IsNotFound(c.DeleteAgentPool(ctx, p.ID))).To(BeTrue())
	})

	It("refuses to delete the default pool (403) or a pool with live agents (409)", func() {
		ctx := testContext()
		err := c.DeleteAgentPool(ctx, emu.DefaultAgentPoolID())
		Expect(lightrun.IsForbidden(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("Default agent pool can not be deleted"))

		p, err := c.CreateAgentPool(ctx, lightrun.AgentPoolRequest{Name: "busy"})
		Expect(err).NotTo(HaveOccurred())
		Expect(emu.SetLiveAgents(p.ID, 3)).To(Succeed())
		Expect(lightrun.IsConflict(c.DeleteAgentPool(ctx, p.ID))).To(BeTrue())
	})

	It("reports a duplicate name as a conflict and a too long description as invalid", func() {
		ctx := testContext()
		_, err := c.CreateAgentPool(ctx, lightrun.AgentPoolRequest{Name: "Prod"})
		Expect(err).NotTo(HaveOccurred())
		_, err = c.CreateAgentPool(ctx, lightrun.AgentPoolRequest{Name: "prod"})
		Expect(lightrun.IsConflict(err)).To(BeTrue())
		long := make([]byte, 256)
		for i := range long {
			long[i] = 'x'
		}
		_, err = c.CreateAgentPool(ctx, lightrun.AgentPoolRequest{Name: "long", Description: string(long)})
		Expect(lightrun.IsInvalid(err)).To(BeTrue(), "description has maxLength 255: %v", err)
		expectRefused(emu, 1)
	})

	It("lists, filters by name and finds the exact pool", func() {
		ctx := testContext()
		for _, name := range []string{"prod", "prod-eu", "preprod", "dev"} {
			_, err := c.CreateAgentPool(ctx, lightrun.AgentPoolRequest{Name: name})
			Expect(err).NotTo(HaveOccurred())
		}
		page, err := c.ListAgentPools(ctx, lightrun.ListAgentPoolsOptions{Name: "prod", PageOptions: lightrun.PageOptions{Sort: []string{"name"}}})
		Expect(err).NotTo(HaveOccurred())
		names := make([]string, 0, len(page.Items))
		for _, p := range page.Items {
			names = append(names, p.Name)
		}
		Expect(names).To(Equal([]string{"preprod", "prod", "prod-eu"}))

		p, err := c.FindAgentPool(ctx, "prod")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Name).To(Equal("prod"))
		_, err = c.FindAgentPool(ctx, "qa")
		Expect(lightrun.IsNotFound(err)).To(BeTrue())

		var all []string
		for p, err := range c.AllAgentPools(ctx, lightrun.ListAgentPoolsOptions{PageOptions: lightrun.PageOptions{Size: 2}}) {
			Expect(err).NotTo(HaveOccurred())
			all = append(all, p.Name)
		}
		Expect(all).To(Equal([]string{emulator.DefaultAgentPoolName, "prod", "prod-eu", "preprod", "dev"}))
	})

	It("unlinks a deleted pool from the groups that referenced it", func() {
		ctx := testContext()
		p, err := c.CreateAgentPool(ctx, lightrun.AgentPoolRequest{Name: "gone"})
		Expect(err).NotTo(HaveOccurred())
		g, err := c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: "was-linked", AgentPoolIDs: []string{p.ID}})
		Expect(err).NotTo(HaveOccurred())
		Expect(c.DeleteAgentPool(ctx, p.ID)).To(Succeed())
		g, err = c.GetGroup(ctx, g.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(g.AgentPoolIDs).To(BeEmpty())
	})
})
