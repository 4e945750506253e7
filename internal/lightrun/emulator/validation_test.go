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
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

var _ = Describe("Authentication", func() {
	var emu *emulator.Emulator
	BeforeEach(func() {
		emu = start(emulator.Options{APIKeys: []string{apiKey, "second-key"}})
	})

	It("answers a call without a key with Lightrun's 401 body", func() {
		a := sendWith(emu, http.MethodGet, "/api/v1/users", "", nil)
		Expect(a.status).To(Equal(http.StatusUnauthorized))
		Expect(a.body).To(MatchJSON(`{"message": "401 Unauthorized"}`))
		Expect(a.header.Get("WWW-Authenticate")).To(HavePrefix("Bearer"))
	})

	DescribeTable("refuses a wrong credential",
		func(header string) {
			a := sendWith(emu, http.MethodGet, "/api/v1/users", "", map[string]string{"Authorization": header})
			Expect(a.status).To(Equal(http.StatusUnauthorized))
			Expect(a.message()).To(Equal("401 Unauthorized"))
		},
		Entry("an unknown key", "Bearer not-the-key"),
		Entry("a key prefix", "Bearer "+apiKey[:5]),
		Entry("basic auth", "Basic ZW11bGF0b3I6dGVzdA=="),
		Entry("no scheme", apiKey),
	)

	DescribeTable("accepts every configured key, with the scheme in any case (RFC 9110 §11.1)",
		func(header string) {
			a := sendWith(emu, http.MethodGet, "/api/v1/users", "", map[string]string{"Authorization": header})
			Expect(a.status).To(Equal(http.StatusOK), a.body)
		},
		Entry("the first key", "Bearer "+apiKey),
		Entry("the second key", "Bearer second-key"),
		Entry("a lower-case scheme", "bearer "+apiKey),
	)
})

var _ = Describe("API key permission levels", func() {
	const devKey = "dev-level-key"
	var emu *emulator.Emulator
	BeforeEach(func() {
		emu = start(emulator.Options{APIKeys: []string{apiKey}, DevAPIKeys: []string{devKey}})
	})
	as := func(key, method, path, body string) answer {
		GinkgoHelper()
		return sendWith(emu, method, path, body, map[string]string{"Authorization": "Bearer " + key})
	}

	It("lets a COMPANY key call COMPANY and DEV operations", func() {
		Expect(as(apiKey, http.MethodGet, "/api/v1/users", "").status).To(Equal(http.StatusOK))
		Expect(as(apiKey, http.MethodPost, "/api/v1/users", `{"email":"a@example.com","firstName":"A","lastName":"B"}`).status).
			To(Equal(http.StatusCreated))
		Expect(as(apiKey, http.MethodGet, "/api/v1/agent-pools", "").status).To(Equal(http.StatusOK))
		Expect(as(apiKey, http.MethodPost, "/api/v1/agent-pools", `{"name":"blue"}`).status).To(Equal(http.StatusCreated))
		Expect(emu.Requests()).To(HaveEach(HaveField("APIKeyLevel", emulator.LevelCompany)))
	})

	It("lets a DEV key call DEV operations", func() {
		Expect(as(devKey, http.MethodGet, "/api/v1/agent-pools", "").status).To(Equal(http.StatusOK))
		Expect(as(devKey, http.MethodPost, "/api/v1/agent-pools", `{"name":"blue"}`).status).To(Equal(http.StatusCreated))
		Expect(as(devKey, http.MethodGet, "/api/v1/agent-pools/"+emu.DefaultAgentPoolID(), "").status).To(Equal(http.StatusOK))
		Expect(emu.Requests()).To(HaveEach(HaveField("APIKeyLevel", emulator.LevelDev)))
	})

	DescribeTable("refuses a DEV key a COMPANY operation, with the denial the operation declares",
		func(method, path, body string, status int) {
			a := as(devKey, method, path, body)
			Expect(a.status).To(Equal(status), a.body)
			Expect(a.message()).To(ContainSubstring("COMPANY"))
			Expect(a.header.Get("WWW-Authenticate")).To(ContainSubstring(`error="insufficient_scope"`))
			Expect(emu.Requests()[0].APIKeyLevel).To(Equal(emulator.LevelDev))
			st, err := emu.State()
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Users).To(BeEmpty(), "a refused call changes nothing")
			Expect(st.Groups).To(HaveLen(1))
			Expect(emu.Conformance().Undeclared).To(BeEmpty(), "a denial is the pipeline's answer, not an undeclared one")
		},
		Entry("createUser declares 403", http.MethodPost, "/api/v1/users",
			`{"email":"a@example.com","firstName":"A","lastName":"B"}`, http.StatusForbidden),
		Entry("createGroup declares 403", http.MethodPost, "/api/v1/groups", `{"name":"g"}`, http.StatusForbidden),
		Entry("listUsers declares 401 but no 403", http.MethodGet, "/api/v1/users", "", http.StatusUnauthorized),
		Entry("deleteUser declares 401 but no 403", http.MethodDelete, "/api/v1/users/a@example.com", "", http.StatusUnauthorized),
		Entry("addMembers declares neither", http.MethodPost, "/api/v1/groups/5b7a4f0e-0000-4000-8000-000000000000/members",
			`[{"email":"a@example.com"}]`, http.StatusForbidden),
		Entry("getAuthConfig declares neither", http.MethodGet, "/api/v1/configuration/idm/authentication", "", http.StatusForbidden),
	)

	It("refuses a DEV key before it looks at the request", func() {
		Expect(as(devKey, http.MethodPost, "/api/v1/users", `{"email":"not-an-email"}`).status).To(Equal(http.StatusForbidden))
		Expect(emu.Conformance().InvalidRequests).To(BeZero())
	})

	It("accepts either level on its administrative endpoints", func() {
		Expect(as(devKey, http.MethodGet, "/_emulator/settings", "").status).To(Equal(http.StatusOK))
		Expect(as(apiKey, http.MethodGet, "/_emulator/settings", "").status).To(Equal(http.StatusOK))
	})

	It("needs a key of one level only, and refuses a key given both levels", func() {
		dev, err := emulator.New(emulator.Options{DevAPIKeys: []string{devKey}})
		Expect(err).NotTo(HaveOccurred())
		Expect(dev.Close()).To(Succeed())
		_, err = emulator.New(emulator.Options{APIKeys: []string{"k"}, DevAPIKeys: []string{"k"}})
		Expect(err).To(MatchError(ContainSubstring("both")))
		_, err = emulator.New(emulator.Options{APIKeys: []string{"k"}, DevAPIKeys: []string{""}})
		Expect(err).To(MatchError(ContainSubstring("empty")))
		_, err = emulator.New(emulator.Options{})
		Expect(err).To(MatchError(ContainSubstring("at least one API key")))
	})
})

var _ = Describe("Spec validation", func() {
	var emu *emulator.Emulator
	BeforeEach(func() {
		emu = start(emulator.Options{RBAC: true})
	})

	DescribeTable("refuses a request that breaks the OpenAPI document with 400, and logs why",
		func(method, path, body, contentType, reason string) {
			headers := map[string]string{"Authorization": "Bearer " + apiKey}
			if contentType != "" {
				headers["Content-Type"] = contentType
			}
			a := sendWith(emu, method, path, body, headers)
			Expect(a.status).To(Equal(http.StatusBadRequest), a.body)
			Expect(a.message()).To(ContainSubstring(reason))
			log := emu.Requests()
			Expect(log[len(log)-1].Rejected).To(ContainSubstring(reason))
			expectRefused(emu, 1)
		},
		Entry("CreateUserPublicDTO.email has format: email", http.MethodPost, "/api/v1/users",
			`{"email":"not-an-email","firstName":"A","lastName":"B"}`, "application/json", "not valid email"),
		Entry("CreateUserPublicDTO requires lastName", http.MethodPost, "/api/v1/users",
			`{"email":"a@example.com","firstName":"A"}`, "application/json", "lastName"),
		Entry("a role outside the enum", http.MethodPost, "/api/v1/users",
			`{"email":"a@example.com","firstName":"A","lastName":"B","roles":["ADMIN"]}`, "application/json", "must be one of"),
		Entry("a property the schema does not declare", http.MethodPost, "/api/v1/users",
			`{"email":"a@example.com","firstName":"A","lastName":"B","enabled":true}`, "application/json", "enabled"),
		Entry("UpdateUserPublicDTO requires roles", http.MethodPut, "/api/v1/users/a@example.com",
			`{"firstName":"A","lastName":"B"}`, "application/json", "roles"),
		Entry("page has minimum 0", http.MethodGet, "/api/v1/users?page=-1", "", "", "page"),
		Entry("size has minimum 1", http.MethodGet, "/api/v1/users?size=0", "", "", "size"),
		Entry("a query parameter the operation does not declare", http.MethodGet, "/api/v1/groups?search=x", "", "", "search"),
		Entry("a boolean that is not one", http.MethodGet, "/api/v1/groups?includeMembers=yes", "", "", "includeMembers"),
		Entry("a body on an operation without one", http.MethodPut, "/api/v1/users/a@example.com/enable",
			`{"enabled":true}`, "application/json", "requestBody"),
		Entry("the member list of removeMembers is uniqueItems", http.MethodDelete,
			"/api/v1/groups/5b7a4f0e-0000-4000-8000-000000000000/members", `["a@example.com","a@example.com"]`, "application/json", "equal"),
		Entry("a body that is not JSON", http.MethodPost, "/api/v1/agent-pools", `name=x`, "application/x-www-form-urlencoded", "content type"),
		Entry("a missing required body", http.MethodPost, "/api/v1/groups", ``, "application/json", "body"),
		Entry("description has maxLength 255", http.MethodPost, "/api/v1/agent-pools",
			`{"name":"x","description":"`+strings.Repeat("d", 256)+`"}`, "application/json", "maxLength"),
		Entry("a group role outside the enum", http.MethodPost, "/api/v1/groups",
			`{"name":"g","roles":["OWNER"]}`, "application/json", "must be one of"),
		Entry("loginMethod is required", http.MethodPost, "/api/v1/configuration/idm/authentication",
			`{"ssoProtocolOptions":{"protocol":"SAML"}}`, "application/json", "loginMethod"),
	)

	It("accepts the same requests when they follow the document", func() {
		a := send(emu, http.MethodPost, "/api/v1/users", `{"email":"a@example.com","firstName":"A","lastName":"B","roles":["DEVELOPER"]}`)
		Expect(a.status).To(Equal(http.StatusCreated), a.body)
		a = send(emu, http.MethodGet, "/api/v1/users?page=0&size=1&search=a&role=DEVELOPER&includeAccessAndPermissions=true&sort=email,asc&sort=name,desc", "")
		Expect(a.status).To(Equal(http.StatusOK), a.body)
		a = send(emu, http.MethodPost, "/api/v1/configuration/idm/authentication", `{"loginMethod":"SSO","ssoProtocolOptions":{"protocol":"SAML"}}`)
		Expect(a.status).To(Equal(http.StatusOK), a.body)
		Expect(a.body).To(BeEmpty(), "the spec declares this 200 without content")
		expectNoViolations(emu)
	})

	DescribeTable("routes what it does not implement",
		func(method, path string, status int) {
			a := send(emu, method, path, "")
			Expect(a.status).To(Equal(status), a.body)
			if method != http.MethodHead {
				Expect(a.message()).NotTo(BeEmpty())
			}
		},
		Entry("a path the spec does not have: 404", http.MethodGet, "/api/v1/unicorns", http.StatusNotFound),
		Entry("a trailing slash is another path: 404", http.MethodGet, "/api/v1/users/", http.StatusNotFound),
		Entry("a method the spec does not have for the path: 405", http.MethodPatch, "/api/v1/users", http.StatusMethodNotAllowed),
		Entry("HEAD is not in the spec: 405", http.MethodHead, "/api/v1/agent-pools", http.StatusMethodNotAllowed),
		Entry("an operation outside the identity subset: 501", http.MethodGet, "/api/v1/agents", http.StatusNotImplemented),
		Entry("a parameterised operation outside the subset: 501", http.MethodPut, "/api/v1/agent-pools/x/detach-agents", http.StatusNotImplemented),
	)

	It("lists the allowed methods with a 405", func() {
		a := send(emu, http.MethodPatch, "/api/v1/users/a@example.com", "")
		Expect(a.status).To(Equal(http.StatusMethodNotAllowed))
		Expect(a.header.Get("Allow")).To(Equal("DELETE, GET, PUT"))
	})
})

var _ = Describe("Response validation", func() {
	It("answers 500, logs and records a response that would break the document", func() {
		// UserPublicDTO.createdBy has format: email; an emulator configured
		// with a non-email actor produces a response the spec forbids.
		emu := start(emulator.Options{ActorEmail: "not an email"})
		a := send(emu, http.MethodPost, "/api/v1/users", `{"email":"a@example.com","firstName":"A","lastName":"B"}`)
		Expect(a.status).To(Equal(http.StatusInternalServerError))
		Expect(a.message()).To(ContainSubstring("violates the Lightrun OpenAPI spec"))
		Expect(a.message()).To(ContainSubstring("createdBy"))
		v := emu.Violations()
		Expect(v).To(HaveLen(1))
		Expect(v[0].Method).To(Equal(http.MethodPost))
		Expect(v[0].Status).To(Equal(http.StatusInternalServerError))
		Expect(v[0].Violation).To(ContainSubstring("not valid email"))
		Expect(emu.Conformance().Recent).To(ConsistOf(ContainSubstring("createdBy")))
		expectViolations(emu, 1)
	})

	It("catches stored data that cannot be shown as the document describes", func() {
		emu := start(emulator.Options{})
		createUser(emu, "fine@example.com")
		st, err := emu.State()
		Expect(err).NotTo(HaveOccurred())
		st.Users[0].ID = "not-a-uuid" // UserPublicDTO.id has format: uuid
		Expect(emu.ReplaceState(st)).To(Succeed())
		a := send(emu, http.MethodGet, "/api/v1/users/fine@example.com", "")
		Expect(a.status).To(Equal(http.StatusInternalServerError))
		Expect(emu.Violations()).To(HaveLen(1))
		Expect(emu.Violations()[0].Violation).To(ContainSubstring("uuid"))
		expectViolations(emu, 1)
	})
})
