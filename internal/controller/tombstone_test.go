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

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/controller"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// Lightrun rule 3 for users the IdP deleted: the operator disables them
// (deprovisionPolicy Disable) and remembers them on the IdentityConfig's
// status.deprovisionedUsers, so that a resync disables again one someone
// re-enabled in Lightrun's portal, although its ScimUser is gone.
var _ = Describe("Users the IdP deleted (Lightrun rule 3)", func() {
	var (
		c *company
		u *v1.ScimUser
	)
	BeforeEach(func() {
		c = newCompany()
		u = synced(c.user("gone@example.com"))
		synced(c.user("stays@example.com"))
		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		deleted(u)
		Eventually(func() bool { return c.lightrunUser("gone@example.com").Enabled }).Should(BeFalse())
	})

	It("disables again a user the IdP deleted and someone re-enabled in Lightrun", func() {
		Eventually(func() []v1.DeprovisionedUser { return c.config().Status.DeprovisionedUsers }).Should(ConsistOf(
			And(HaveField("Email", "gone@example.com"), HaveField("LightrunUserID", u.Status.LightrunUserID))))
		Expect(c.portal.EnableUser(ctx, "gone@example.com")).To(Succeed())
		c.requestResync()
		Eventually(func() bool { return c.lightrunUser("gone@example.com").Enabled }).Should(BeFalse())
		Expect(eventNotes(c.config(), controller.EventDriftReverted)).To(ContainElement(And(
			ContainSubstring("gone@example.com"), ContainSubstring("re-enabled in Lightrun"), ContainSubstring("disabled it again"))))
		Expect(c.lightrunUser("stays@example.com").Enabled).To(BeTrue())
	})

	It("leaves a user alone once the IdP provisions its email again, and enables it", func() {
		again := synced(c.user("gone@example.com"))
		Expect(again.Status.LightrunUserID).To(Equal(u.Status.LightrunUserID), "the operator's own user is taken back, not refused")
		Eventually(func() bool { return c.lightrunUser("gone@example.com").Enabled }).Should(BeTrue())
		Eventually(func() []v1.DeprovisionedUser { return c.config().Status.DeprovisionedUsers }).Should(BeEmpty())
		c.requestResync()
		Consistently(func() bool { return c.lightrunUser("gone@example.com").Enabled }).WithTimeout(time.Second).Should(BeTrue())
	})

	It("leaves alone a user made again by hand under the same email", func() {
		Eventually(func() []v1.DeprovisionedUser { return c.config().Status.DeprovisionedUsers }).ShouldNot(BeEmpty())
		Expect(c.portal.DeleteUser(ctx, "gone@example.com")).To(Succeed())
		_, err := c.portal.CreateUser(ctx, lightrun.CreateUserRequest{Email: "gone@example.com", FirstName: "By", LastName: "Hand"})
		Expect(err).NotTo(HaveOccurred())
		c.requestResync()
		Consistently(func() bool { return c.lightrunUser("gone@example.com").Enabled }).WithTimeout(time.Second).Should(BeTrue())
		Eventually(func() []v1.DeprovisionedUser { return c.config().Status.DeprovisionedUsers }).Should(BeEmpty())
	})
})
