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

package emulator_test

import (
	"fmt"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

var _ = Describe("Lightrun's rules", func() {
	var emu *emulator.Emulator
	BeforeEach(func() {
		emu = start(emulator.Options{RBAC: true})
		DeferCleanup(func() { expectNoViolations(emu) })
	})

	groupPath := func(id string) string { return "/api/v1/groups/" + id }

	It("starts a company with the default agent pool and the default group linked to it", func() {
		pools := items(send(emu, http.MethodGet, "/api/v1/agent-pools", ""))
		Expect(pools).To(HaveLen(1))
		Expect(pools[0]["name"]).To(Equal(emulator.DefaultAgentPoolName))
		Expect(pools[0]["id"]).To(Equal(emu.DefaultAgentPoolID()))

		groups := items(send(emu, http.MethodGet, "/api/v1/groups", ""))
		Expect(groups).To(HaveLen(1))
		Expect(groups[0]["default"]).To(BeTrue())
		Expect(groups[0]["id"]).To(Equal(emu.DefaultGroupID()))
		Expect(groups[0]["agentPoolIds"]).To(ConsistOf(emu.DefaultAgentPoolID()))
	})

	It("refuses to delete the default agent pool with 403", func() {
		a := send(emu, http.MethodDelete, "/api/v1/agent-pools/"+emu.DefaultAgentPoolID(), "")
		Expect(a.status).To(Equal(http.StatusForbidden))
		Expect(a.message()).To(Equal("Default agent pool can not be deleted."))
	})

	It("refuses to delete the default group with 403", func() {
		Expect(send(emu, http.MethodDelete, groupPath(emu.DefaultGroupID()), "").status).To(Equal(http.StatusForbidden))
	})

	It("refuses to delete a pool with live agents with 409", func() {
		a := send(emu, http.MethodPost, "/api/v1/agent-pools", `{"name":"live"}`)
		Expect(a.status).To(Equal(http.StatusCreated))
		id := a.json()["id"].(string)
		Expect(emu.SetLiveAgents(id, 2)).To(Succeed())
		Expect(send(emu, http.MethodDelete, "/api/v1/agent-pools/"+id, "").status).To(Equal(http.StatusConflict))
		Expect(emu.SetLiveAgents(id, 0)).To(Succeed())
		Expect(send(emu, http.MethodDelete, "/api/v1/agent-pools/"+id, "").status).To(Equal(http.StatusNoContent))
	})

	It("keeps emails unique, case-insensitively (409)", func() {
		createUser(emu, "Unique@Example.com")
		a := send(emu, http.MethodPost, "/api/v1/users", `{"email":"unique@example.COM","firstName":"A","lastName":"B"}`)
		Expect(a.status).To(Equal(http.StatusConflict))
		Expect(a.message()).To(ContainSubstring("already exists"))
		Expect(send(emu, http.MethodGet, "/api/v1/users/UNIQUE@example.com", "").status).To(Equal(http.StatusOK))
	})

	It("puts every user in the default group and keeps them there", func() {
		u := createUser(emu, "member@example.com")
		g := send(emu, http.MethodGet, groupPath(emu.DefaultGroupID())+"?includeMembers=true", "").json()
		Expect(g["memberCount"]).To(BeEquivalentTo(1))
		Expect(g["members"]).To(ConsistOf(HaveKeyWithValue("email", u["email"])))

		a := send(emu, http.MethodDelete, groupPath(emu.DefaultGroupID())+"/members", `["member@example.com"]`)
		Expect(a.status).To(Equal(http.StatusOK))
		Expect(a.json()["successes"]).To(BeEmpty())
		Expect(a.json()["failures"]).To(ConsistOf(And(
			HaveKeyWithValue("payload", "member@example.com"),
			HaveKeyWithValue("status", BeEquivalentTo(http.StatusForbidden)),
		)))

		Expect(send(emu, http.MethodDelete, "/api/v1/users/member@example.com", "").status).To(Equal(http.StatusNoContent))
		g = send(emu, http.MethodGet, groupPath(emu.DefaultGroupID()), "").json()
		Expect(g["memberCount"]).To(BeEquivalentTo(0), "a deleted user leaves every group")
	})

	DescribeTable("allows only DEVELOPER and SYSTEM_ADMIN while RBAC is off",
		func(rbac bool, role string, status int) {
			emu.SetRBAC(rbac)
			body := fmt.Sprintf(`{"email":"r@example.com","firstName":"A","lastName":"B","roles":[%q]}`, role)
			a := send(emu, http.MethodPost, "/api/v1/users", body)
			Expect(a.status).To(Equal(status), a.body)
			if status == http.StatusBadRequest {
				Expect(a.message()).To(ContainSubstring("RBAC"))
				// The update path applies the same rule.
				createUser(emu, "u@example.com")
				a = send(emu, http.MethodPut, "/api/v1/users/u@example.com", fmt.Sprintf(`{"firstName":"A","lastName":"B","roles":[%q]}`, role))
				Expect(a.status).To(Equal(http.StatusBadRequest))
			}
		},
		Entry("DEVELOPER without RBAC", false, "DEVELOPER", http.StatusCreated),
		Entry("SYSTEM_ADMIN without RBAC", false, "SYSTEM_ADMIN", http.StatusCreated),
		Entry("GROUP_ADMIN without RBAC", false, "GROUP_ADMIN", http.StatusBadRequest),
		Entry("COMPANY_VIEWER without RBAC", false, "COMPANY_VIEWER", http.StatusBadRequest),
		Entry("INCIDENT_RESPONDER without RBAC", false, "INCIDENT_RESPONDER", http.StatusBadRequest),
		Entry("GROUP_ADMIN with RBAC", true, "GROUP_ADMIN", http.StatusCreated),
		Entry("APP_SEC with RBAC", true, "APP_SEC", http.StatusCreated),
	)

	It("leaves access and permissions out without RBAC", func() {
		emu.SetRBAC(false)
		createUser(emu, "plain@example.com")
		u := send(emu, http.MethodGet, "/api/v1/users/plain@example.com?includeAccessAndPermissions=true", "").json()
		Expect(u).NotTo(HaveKey("groupMemberships"))
		emu.SetRBAC(true)
		u = send(emu, http.MethodGet, "/api/v1/users/plain@example.com?includeAccessAndPermissions=true", "").json()
		Expect(u["groupMemberships"]).To(HaveLen(1))
	})

	Describe("bulk member calls", func() {
		var groupID string
		BeforeEach(func() {
			createUser(emu, "a@example.com")
			createUser(emu, "b@example.com")
			a := send(emu, http.MethodPost, "/api/v1/groups", `{"name":"bulk","roles":["STANDARD"]}`)
			Expect(a.status).To(Equal(http.StatusCreated))
			groupID = a.json()["id"].(string)
		})

		It("answers 200 when every member is added", func() {
			a := send(emu, http.MethodPost, groupPath(groupID)+"/members", `[{"email":"a@example.com"},{"email":"b@example.com","groupAdmin":true}]`)
			Expect(a.status).To(Equal(http.StatusOK))
			Expect(a.json()["successes"]).To(HaveLen(2))
			Expect(a.json()["failures"]).To(BeEmpty())
		})

		It("answers 207 with a status per failed member", func() {
			a := send(emu, http.MethodPost, groupPath(groupID)+"/members",
				`[{"email":"a@example.com"},{"email":"ghost@example.com"},{"email":"a@example.com"},{"groupAdmin":true}]`)
			Expect(a.status).To(Equal(http.StatusMultiStatus))
			body := a.json()
			Expect(body["successes"]).To(ConsistOf(HaveKeyWithValue("email", "a@example.com")))
			Expect(body["failures"]).To(ConsistOf(
				And(HaveKeyWithValue("status", BeEquivalentTo(404)), HaveKeyWithValue("payload", HaveKeyWithValue("email", "ghost@example.com"))),
				And(HaveKeyWithValue("status", BeEquivalentTo(409)), HaveKeyWithValue("payload", HaveKeyWithValue("email", "a@example.com"))),
				And(HaveKeyWithValue("status", BeEquivalentTo(400)), HaveKeyWithValue("message", "Email is required")),
			))
		})

		It("answers 404 for the whole call when the group does not exist, and 400 for an id that is no UUID", func() {
			Expect(send(emu, http.MethodPost, groupPath("0b9c2f4e-1111-4222-8333-444455556666")+"/members", `[{"email":"a@example.com"}]`).status).
				To(Equal(http.StatusNotFound))
			Expect(send(emu, http.MethodGet, groupPath("not-a-uuid"), "").status).To(Equal(http.StatusBadRequest))
			expectRefused(emu, 1)
		})

		It("reports removals one by one in a 200 (the spec declares no 207 for removeMembers)", func() {
			send(emu, http.MethodPost, groupPath(groupID)+"/members", `[{"email":"a@example.com"}]`)
			a := send(emu, http.MethodDelete, groupPath(groupID)+"/members", `["a@example.com","b@example.com"]`)
			Expect(a.status).To(Equal(http.StatusOK))
			Expect(a.json()["successes"]).To(ConsistOf("a@example.com"))
			Expect(a.json()["failures"]).To(ConsistOf(HaveKeyWithValue("status", BeEquivalentTo(404))))
		})
	})

	Describe("paging and sorting", func() {
		BeforeEach(func() {
			for i := range 25 {
				createUser(emu, fmt.Sprintf("user%02d@example.com", i))
			}
		})

		It("pages with zero-based page and size, 20 by default", func() {
			p := send(emu, http.MethodGet, "/api/v1/users", "").json()
			Expect(p).To(And(HaveKeyWithValue("offset", BeEquivalentTo(0)), HaveKeyWithValue("limit", BeEquivalentTo(20)),
				HaveKeyWithValue("total", BeEquivalentTo(25)), HaveKeyWithValue("hasMore", true)))
			Expect(p["items"]).To(HaveLen(20))

			p = send(emu, http.MethodGet, "/api/v1/users?page=1", "").json()
			Expect(p).To(And(HaveKeyWithValue("offset", BeEquivalentTo(20)), HaveKeyWithValue("hasMore", false)))
			Expect(p["items"]).To(HaveLen(5))

			p = send(emu, http.MethodGet, "/api/v1/users?page=2&size=10", "").json()
			Expect(p["items"]).To(HaveLen(5))
			Expect(p["offset"]).To(BeEquivalentTo(20))

			p = send(emu, http.MethodGet, "/api/v1/users?page=9&size=10", "").json()
			Expect(p["items"]).To(BeEmpty())
			Expect(p["hasMore"]).To(BeFalse())
		})

		It("keeps creation order without sort, and sorts by chained criteria", func() {
			emails := field(items(send(emu, http.MethodGet, "/api/v1/users?size=3", "")), "email")
			Expect(emails).To(Equal([]any{"user00@example.com", "user01@example.com", "user02@example.com"}))

			emails = field(items(send(emu, http.MethodGet, "/api/v1/users?size=3&sort=email,desc", "")), "email")
			Expect(emails).To(Equal([]any{"user24@example.com", "user23@example.com", "user22@example.com"}))

			// Equal primary keys fall through to the next criterion.
			emails = field(items(send(emu, http.MethodGet, "/api/v1/users?size=2&sort=userManagementType&sort=email,desc", "")), "email")
			Expect(emails).To(Equal([]any{"user24@example.com", "user23@example.com"}))
		})

		It("refuses a property the operation cannot sort by", func() {
			a := send(emu, http.MethodGet, "/api/v1/users?sort=password", "")
			Expect(a.status).To(Equal(http.StatusBadRequest))
			Expect(a.message()).To(ContainSubstring("lastLoginDate"))
			Expect(send(emu, http.MethodGet, "/api/v1/agent-pools?sort=agentsEnabled,desc&sort=name", "").status).To(Equal(http.StatusOK))
			Expect(send(emu, http.MethodGet, "/api/v1/agent-pools?sort=email", "").status).To(Equal(http.StatusBadRequest))
			expectRefused(emu, 2)
		})
	})

	It("caps the page size and reports the applied size as limit", func() {
		capped := start(emulator.Options{MaxPageSize: 10})
		for i := range 12 {
			createUser(capped, fmt.Sprintf("c%02d@example.com", i))
		}
		p := send(capped, http.MethodGet, "/api/v1/users?size=50", "").json()
		Expect(p["limit"]).To(BeEquivalentTo(10))
		Expect(p["items"]).To(HaveLen(10))
		Expect(p["hasMore"]).To(BeTrue())
	})

	It("keeps group and pool names unique on update too, and lets an object keep its own name", func() {
		a := send(emu, http.MethodPost, "/api/v1/groups", `{"name":"first"}`)
		Expect(a.status).To(Equal(http.StatusCreated))
		second := send(emu, http.MethodPost, "/api/v1/groups", `{"name":"second"}`).json()["id"].(string)
		Expect(send(emu, http.MethodPut, groupPath(second), `{"name":"FIRST"}`).status).To(Equal(http.StatusConflict))
		Expect(send(emu, http.MethodPut, groupPath(second), `{"name":"second","roles":["PRIVILEGED"]}`).status).To(Equal(http.StatusOK))
		Expect(send(emu, http.MethodPut, groupPath(second), `{"name":"  "}`).status).To(Equal(http.StatusBadRequest))

		pool := send(emu, http.MethodPost, "/api/v1/agent-pools", `{"name":"blue"}`).json()["id"].(string)
		Expect(send(emu, http.MethodPut, "/api/v1/agent-pools/"+pool, `{"name":"Default"}`).status).To(Equal(http.StatusConflict))
		Expect(send(emu, http.MethodPut, "/api/v1/agent-pools/"+pool, `{"name":"blue","description":"renamed"}`).status).To(Equal(http.StatusOK))
		Expect(send(emu, http.MethodPut, "/api/v1/agent-pools/nope", `{"name":"x"}`).status).To(Equal(http.StatusNotFound))
	})

	It("replaces a member's elevated roles, and answers 404 for a non-member", func() {
		createUser(emu, "m@example.com")
		group := send(emu, http.MethodPost, "/api/v1/groups", `{"name":"g","roles":["STANDARD"]}`).json()["id"].(string)
		send(emu, http.MethodPost, groupPath(group)+"/members", `[{"email":"m@example.com","groupAdmin":true,"elevatedRoles":["PRIVILEGED"]}]`)
		a := send(emu, http.MethodPut, groupPath(group)+"/members/M@example.com", `{}`)
		Expect(a.status).To(Equal(http.StatusOK))
		Expect(a.body).To(MatchJSON(`{"email":"m@example.com","groupAdmin":false,"elevatedRoles":[],"effectiveRoles":["STANDARD"]}`))
		Expect(send(emu, http.MethodPut, groupPath(group)+"/members/x@example.com", `{}`).status).To(Equal(http.StatusNotFound))
	})

	It("requires SSO before built-in SCIM can be enabled", func() {
		a := send(emu, http.MethodPost, "/api/v1/configuration/idm/provisioning", `{"scim":{"enabled":true}}`)
		Expect(a.status).To(Equal(http.StatusBadRequest))
		Expect(emu.SetLoginMethod(emulator.LoginMethodSSO)).To(Succeed())
		a = send(emu, http.MethodPost, "/api/v1/configuration/idm/provisioning", `{"scim":{"enabled":true}}`)
		Expect(a.status).To(Equal(http.StatusOK))
		p := send(emu, http.MethodGet, "/api/v1/configuration/idm/provisioning", "").json()
		Expect(p["scim"]).To(And(HaveKeyWithValue("enabled", true), HaveKeyWithValue("createExistingUsersEnabled", true)),
			"an absent createExistingUsersEnabled takes the write DTO's default")
	})
})
