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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

var _ = Describe("IdM configuration", func() {
	var (
		emu *emulator.Emulator
		c   *lightrun.Client
	)
	BeforeEach(func() {
		emu = startEmulator(emulator.Options{CompanyID: "2c8e5a3e-6f7d-4b1a-9c0d-1e2f3a4b5c6d"})
		c = newClient(emu, lightrun.Options{})
	})

	It("reports password login for a new company, then SSO once it is switched on", func() {
		ctx := testContext()
		a, err := c.GetAuthenticationConfig(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.CurrentLoginMethod).To(Equal(lightrun.LoginMethodPassword))
		Expect(a.SSOEnabled()).To(BeFalse())

		Expect(c.SetAuthenticationConfig(ctx, lightrun.AuthenticationConfigUpdate{
			LoginMethod: lightrun.LoginMethodSSO, SSOProtocolOptions: &lightrun.SSOProtocolOptions{Protocol: lightrun.SSOProtocolOIDC},
		})).To(Succeed())
		a, err = c.GetAuthenticationConfig(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.SSOEnabled()).To(BeTrue())
		Expect(a.SSO.Protocol).To(Equal(lightrun.SSOProtocolOIDC))
		Expect(a.SSO.OIDC.RedirectURL).To(ContainSubstring(emu.CompanyID()))
	})

	It("sees a login method flipped by the test harness", func() {
		Expect(emu.SetLoginMethod(emulator.LoginMethodSSO)).To(Succeed())
		a, err := c.GetAuthenticationConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
		Expect(a.SSOEnabled()).To(BeTrue())
		Expect(a.SSO.Protocol).To(Equal(lightrun.SSOProtocolSAML))
		Expect(a.SSO.SAML.RedirectURL).NotTo(BeEmpty())
	})

	It("refuses SSO without a protocol as invalid", func() {
		err := c.SetAuthenticationConfig(testContext(), lightrun.AuthenticationConfigUpdate{LoginMethod: lightrun.LoginMethodSSO})
		Expect(lightrun.IsInvalid(err)).To(BeTrue(), "got %v", err)
	})

	It("reads and replaces the provisioning configuration", func() {
		ctx := testContext()
		p, err := c.GetProvisioningConfig(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.BuiltInSCIMEnabled()).To(BeFalse())
		Expect(p.SCIM.EndpointURL).To(HaveSuffix("/api/company/" + emu.CompanyID() + "/scim/v2"))

		// SCIM provisioning needs SSO first.
		err = c.SetProvisioningConfig(ctx, lightrun.ProvisioningConfigUpdate{SCIM: &lightrun.SCIMSettings{Enabled: true}})
		Expect(lightrun.IsInvalid(err)).To(BeTrue(), "got %v", err)

		Expect(emu.SetLoginMethod(emulator.LoginMethodSSO)).To(Succeed())
		Expect(c.SetProvisioningConfig(ctx, lightrun.ProvisioningConfigUpdate{
			JITProvisionEnabled:            true,
			SelfRegistrationAllowedDomains: []string{"example.com"},
			SCIM:                           &lightrun.SCIMSettings{Enabled: true, SyncGroupsEnabled: true},
		})).To(Succeed())
		p, err = c.GetProvisioningConfig(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.BuiltInSCIMEnabled()).To(BeTrue())
		Expect(p.JITProvisionEnabled).To(BeTrue())
		Expect(p.SelfRegistrationAllowedDomains).To(Equal([]string{"example.com"}))
		Expect(p.SCIM.SyncGroupsEnabled).To(BeTrue())
		Expect(p.SCIM.CreateExistingUsersEnabled).To(BeFalse(), "every field is sent, so the server default (true) does not apply")
	})

	It("sees built-in SCIM flipped by the test harness", func() {
		emu.SetBuiltInSCIM(true)
		p, err := c.GetProvisioningConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
		Expect(p.BuiltInSCIMEnabled()).To(BeTrue())
	})

	It("never prints the SCIM OAuth client secret", func() {
		cfg := lightrun.SCIMConfig{OAuthClientSecret: "s3cr3t"}
		Expect(fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.OAuthClientSecret)).NotTo(ContainSubstring("s3cr3t"))
		Expect(string(cfg.OAuthClientSecret)).To(Equal("s3cr3t"))
	})
})
