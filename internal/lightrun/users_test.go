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

var _ = Describe("Users", func() {
	var (
		emu *emulator.Emulator
		c   *lightrun.Client
	)
	BeforeEach(func() {
		emu = startEmulator(emulator.Options{RBAC: true})
		c = newClient(emu, lightrun.Options{})
	})

	It("creates a user and reads it back by email", func() {
		ctx := testContext()
		created, err := c.CreateUser(ctx, lightrun.CreateUserRequest{
			Email: "alice@example.com", FirstName: "Alice", LastName: "Liddell",
			Roles: []lightrun.Role{lightrun.RoleDeveloper, lightrun.RoleCompanyViewer},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(created.ID).NotTo(BeEmpty())
		Expect(created.Enabled).To(BeTrue())
		Expect(created.CreatedDate.IsZero()).To(BeFalse())
		Expect(created.Roles).To(ConsistOf(lightrun.RoleDeveloper, lightrun.RoleCompanyViewer))
		Expect(created.HasRole(lightrun.RoleCompanyViewer)).To(BeTrue())
		Expect(requestsTo(emu, http.MethodPost, "/api/v1/users")).To(HaveLen(1))
		Expect(requestsTo(emu, http.MethodPost, "/api/v1/users")[0].Status).To(Equal(http.StatusCreated))

		got, err := c.GetUser(ctx, "alice@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(got.ID).To(Equal(created.ID))
		Expect(got.FirstName).To(Equal("Alice"))
		Expect(got.LastName).To(Equal("Liddell"))
		Expect(got.GroupMemberships).To(BeEmpty(), "memberships come only with includeAccessAndPermissions")
	})

	It("gives a user created without roles the DEVELOPER role", func() {
		ctx := testContext()
		u, err := c.CreateUser(ctx, lightrun.CreateUserRequest{Email: "norole@example.com", FirstName: "N", LastName: "R"})
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Roles).To(Equal([]lightrun.Role{lightrun.RoleDeveloper}))
	})

	It("reports a second user with the same email, in any case, as a conflict", func() {
		ctx := testContext()
		createUsers(ctx, c, "bob@example.com")
		_, err := c.CreateUser(ctx, lightrun.CreateUserRequest{Email: "Bob@Example.COM", FirstName: "B", LastName: "B"})
		Expect(lightrun.IsConflict(err)).To(BeTrue(), "got %v", err)
		Expect(err).To(MatchError(lightrun.ErrConflict))
		var apiErr *lightrun.Error
		Expect(err).To(BeAssignableToTypeOf(apiErr))
		Expect(err.Error()).To(ContainSubstring("already exists"), "Lightrun's message is carried")
	})

	It("reports an unknown user as not found on every by-email operation", func() {
		ctx := testContext()
		_, err := c.GetUser(ctx, "ghost@example.com")
		Expect(lightrun.IsNotFound(err)).To(BeTrue(), "get: %v", err)
		_, err = c.UpdateUser(ctx, "ghost@example.com", lightrun.UpdateUserRequest{FirstName: "G", LastName: "G"})
		Expect(lightrun.IsNotFound(err)).To(BeTrue(), "update: %v", err)
		Expect(lightrun.IsNotFound(c.DeleteUser(ctx, "ghost@example.com"))).To(BeTrue())
		Expect(lightrun.IsNotFound(c.EnableUser(ctx, "ghost@example.com"))).To(BeTrue())
		Expect(lightrun.IsNotFound(c.DisableUser(ctx, "ghost@example.com"))).To(BeTrue())
	})

	It("updates names and roles, replacing the roles", func() {
		ctx := testContext()
		createUsers(ctx, c, "carol@example.com")
		u, err := c.UpdateUser(ctx, "carol@example.com", lightrun.UpdateUserRequest{
			FirstName: "Carol", LastName: "Danvers", Roles: []lightrun.Role{lightrun.RoleSystemAdmin},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(u.FirstName).To(Equal("Carol"))
		Expect(u.Roles).To(Equal([]lightrun.Role{lightrun.RoleSystemAdmin}))
		got, err := c.GetUser(ctx, "carol@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(got.LastName).To(Equal("Danvers"))
		Expect(got.Roles).To(Equal([]lightrun.Role{lightrun.RoleSystemAdmin}))
	})

	It("disables and enables a user, idempotently", func() {
		ctx := testContext()
		createUsers(ctx, c, "dave@example.com")
		Expect(c.DisableUser(ctx, "dave@example.com")).To(Succeed())
		Expect(c.DisableUser(ctx, "dave@example.com")).To(Succeed())
		u, err := c.GetUser(ctx, "dave@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Enabled).To(BeFalse())
		Expect(c.EnableUser(ctx, "dave@example.com")).To(Succeed())
		u, err = c.GetUser(ctx, "dave@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Enabled).To(BeTrue())
		Expect(requestsTo(emu, http.MethodPut, "/api/v1/users/dave@example.com/disable")[0].Status).To(Equal(http.StatusNoContent))
	})

	It("deletes a user", func() {
		ctx := testContext()
		createUsers(ctx, c, "erin@example.com")
		Expect(c.DeleteUser(ctx, "erin@example.com")).To(Succeed())
		_, err := c.GetUser(ctx, "erin@example.com")
		Expect(lightrun.IsNotFound(err)).To(BeTrue())
	})

	It("keeps an email with reserved characters one path segment", func() {
		ctx := testContext()
		// RFC 5322 atext allows these in the local part; "/" and "?" would
		// split the path or start a query if sent unescaped.
		email := "o'neil+ops/team?x@example.com"
		createUsers(ctx, c, email)
		u, err := c.GetUser(ctx, email)
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Email).To(Equal(email))
		Expect(c.DisableUser(ctx, email)).To(Succeed())
		Expect(requestsTo(emu, http.MethodPut, "/api/v1/users/o%27neil+ops%2Fteam%3Fx@example.com/disable")).To(HaveLen(1))
	})

	It("surfaces Lightrun's refusal of a malformed email as Invalid", func() {
		_, err := c.CreateUser(testContext(), lightrun.CreateUserRequest{Email: "not-an-email", FirstName: "N", LastName: "E"})
		Expect(lightrun.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("not valid email"))
		Expect(requestsTo(emu, http.MethodPost, "/api/v1/users")[0].Rejected).NotTo(BeEmpty())
		expectRefused(emu, 1)
	})

	It("refuses an empty email without calling Lightrun", func() {
		ctx := testContext()
		_, err := c.GetUser(ctx, "")
		Expect(lightrun.IsInvalid(err)).To(BeTrue())
		Expect(lightrun.IsInvalid(c.DeleteUser(ctx, ""))).To(BeTrue())
		Expect(emu.Requests()).To(BeEmpty(), "GET /api/v1/users/ must not turn into the list call")
	})

	It("returns group memberships and agent pool permissions on request", func() {
		ctx := testContext()
		createUsers(ctx, c, "frank@example.com")
		pool, err := c.CreateAgentPool(ctx, lightrun.AgentPoolRequest{Name: "payments"})
		Expect(err).NotTo(HaveOccurred())
		group, err := c.CreateGroup(ctx, lightrun.CreateGroupRequest{Name: "payments-devs", AgentPoolIDs: []string{pool.ID},
			Roles: []lightrun.GroupRole{lightrun.GroupRolePrivileged}})
		Expect(err).NotTo(HaveOccurred())
		res, err := c.AddGroupMembers(ctx, group.ID, []lightrun.Member{{Email: "frank@example.com", GroupAdmin: true}})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Err()).NotTo(HaveOccurred())

		u, err := c.GetUserWithAccess(ctx, "frank@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(u.GroupMemberships).To(ConsistOf(
			lightrun.GroupMembership{Email: "frank@example.com", GroupID: emu.DefaultGroupID()},
			lightrun.GroupMembership{Email: "frank@example.com", GroupID: group.ID, GroupAdmin: true},
		))
		Expect(u.AgentPoolPermissions).To(ConsistOf(
			lightrun.AgentPoolPermission{AgentPoolID: emu.DefaultAgentPoolID(), Permissions: []string{"STANDARD"}},
			lightrun.AgentPoolPermission{AgentPoolID: pool.ID, Permissions: []string{"STANDARD", "IGNORE_QUOTA"}},
		))
	})

	Describe("listing", func() {
		var emails []string
		BeforeEach(func() {
			ctx := testContext()
			emails = make([]string, 0, 7)
			for i := range 7 {
				emails = append(emails, fmt.Sprintf("user-%02d@example.com", i))
			}
			createUsers(ctx, c, emails...)
			_, err := c.CreateUser(ctx, lightrun.CreateUserRequest{Email: "admin@corp.example", FirstName: "Zed", LastName: "Admin",
				Roles: []lightrun.Role{lightrun.RoleSystemAdmin}})
			Expect(err).NotTo(HaveOccurred())
		})

		It("returns one page with Lightrun's paging fields", func() {
			page, err := c.ListUsers(testContext(), lightrun.ListUsersOptions{PageOptions: lightrun.PageOptions{Page: 1, Size: 3}})
			Expect(err).NotTo(HaveOccurred())
			Expect(page.Offset).To(BeEquivalentTo(3))
			Expect(page.Limit).To(BeEquivalentTo(3))
			Expect(page.Total).To(BeEquivalentTo(8))
			Expect(page.HasMore).To(BeTrue())
			Expect(page.Items).To(HaveLen(3))
			Expect(page.Items[0].Email).To(Equal("user-03@example.com"), "without sort, creation order")
		})

		It("iterates over every page", func() {
			var got []string
			for u, err := range c.AllUsers(testContext(), lightrun.ListUsersOptions{PageOptions: lightrun.PageOptions{Size: 3}}) {
				Expect(err).NotTo(HaveOccurred())
				got = append(got, u.Email)
			}
			Expect(got).To(Equal(append(append([]string{}, emails...), "admin@corp.example")))
			Expect(requestsTo(emu, http.MethodGet, "/api/v1/users")).To(HaveLen(3), "8 users in pages of 3")
		})

		It("stops iterating when the caller breaks", func() {
			n := 0
			for _, err := range c.AllUsers(testContext(), lightrun.ListUsersOptions{PageOptions: lightrun.PageOptions{Size: 2}}) {
				Expect(err).NotTo(HaveOccurred())
				n++
				if n == 3 {
					break
				}
			}
			Expect(requestsTo(emu, http.MethodGet, "/api/v1/users")).To(HaveLen(2))
		})

		It("yields the error and stops when a page fails", func() {
			Expect(emu.SetFaults(emulator.Faults{ErrorRate: 1})).To(Succeed())
			c := newClient(emu, lightrun.Options{MaxAttempts: 1})
			var errs []error
			for _, err := range c.AllUsers(testContext(), lightrun.ListUsersOptions{}) {
				errs = append(errs, err)
			}
			Expect(errs).To(HaveLen(1))
			Expect(lightrun.IsUnavailable(errs[0])).To(BeTrue())
		})

		It("searches by name or email and filters by role", func() {
			ctx := testContext()
			page, err := c.ListUsers(ctx, lightrun.ListUsersOptions{Search: "CORP.example"})
			Expect(err).NotTo(HaveOccurred())
			Expect(page.Items).To(HaveLen(1))
			Expect(page.Items[0].Email).To(Equal("admin@corp.example"))

			page, err = c.ListUsers(ctx, lightrun.ListUsersOptions{Search: "zed adm"})
			Expect(err).NotTo(HaveOccurred())
			Expect(page.Items).To(HaveLen(1))

			page, err = c.ListUsers(ctx, lightrun.ListUsersOptions{Role: lightrun.RoleDeveloper})
			Expect(err).NotTo(HaveOccurred())
			Expect(page.Total).To(BeEquivalentTo(7))
		})

		It("sorts by the requested properties", func() {
			page, err := c.ListUsers(testContext(), lightrun.ListUsersOptions{PageOptions: lightrun.PageOptions{
				Size: 3, Sort: []string{"email,desc"},
			}})
			Expect(err).NotTo(HaveOccurred())
			Expect(page.Items[0].Email).To(Equal("user-06@example.com"))
			Expect(page.Items[2].Email).To(Equal("user-04@example.com"))
			Expect(requestsTo(emu, http.MethodGet, "/api/v1/users")[0].Query).To(ContainSubstring("sort=email%2Cdesc"))
		})

		It("reports an unsortable property as invalid", func() {
			_, err := c.ListUsers(testContext(), lightrun.ListUsersOptions{PageOptions: lightrun.PageOptions{Sort: []string{"shoeSize"}}})
			Expect(lightrun.IsInvalid(err)).To(BeTrue(), "got %v", err)
			Expect(err.Error()).To(ContainSubstring("sortable fields"))
			expectRefused(emu, 1)
		})
	})
})
