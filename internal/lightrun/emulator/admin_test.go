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
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

var _ = Describe("Admin endpoints", func() {
	var emu *emulator.Emulator
	BeforeEach(func() {
		emu = start(emulator.Options{CompanyID: "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"})
	})

	It("answers healthz without a key and everything else only with one", func() {
		Expect(sendWith(emu, http.MethodGet, "/_emulator/healthz", "", nil).status).To(Equal(http.StatusOK))
		for _, path := range []string{"/_emulator/faults", "/_emulator/settings", "/_emulator/state", "/_emulator/requests", "/_emulator/violations", "/_emulator/conformance"} {
			Expect(sendWith(emu, http.MethodGet, path, "", nil).status).To(Equal(http.StatusUnauthorized), path)
			Expect(send(emu, http.MethodGet, path, "").status).To(Equal(http.StatusOK), path)
		}
		Expect(send(emu, http.MethodGet, "/_emulator/nothing", "").status).To(Equal(http.StatusNotFound))
	})

	It("sets, reads and clears faults", func() {
		a := send(emu, http.MethodPut, "/_emulator/faults", `{"failNext": 1, "errorStatus": 502, "outageFor": "1m"}`)
		Expect(a.status).To(Equal(http.StatusOK), a.body)
		Expect(a.json()).To(HaveKeyWithValue("failNext", BeEquivalentTo(1)))
		Expect(a.json()["outages"]).To(HaveLen(1))
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusServiceUnavailable))

		Expect(send(emu, http.MethodDelete, "/_emulator/faults", "").status).To(Equal(http.StatusNoContent))
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusOK))

		Expect(send(emu, http.MethodPut, "/_emulator/faults", `{"failNxt": 1}`).status).To(Equal(http.StatusBadRequest), "a misspelt field is refused")
		Expect(send(emu, http.MethodPut, "/_emulator/faults", `{"latency": 5}`).status).To(Equal(http.StatusBadRequest), "durations are strings")
		Expect(send(emu, http.MethodPut, "/_emulator/faults", `{"errorRate": 2}`).status).To(Equal(http.StatusBadRequest))
	})

	It("flips login method, RBAC and built-in SCIM", func() {
		a := send(emu, http.MethodPatch, "/_emulator/settings", `{"loginMethod": "SSO", "rbac": true, "builtInScim": true}`)
		Expect(a.status).To(Equal(http.StatusOK), a.body)
		Expect(a.json()).To(And(HaveKeyWithValue("loginMethod", "SSO"), HaveKeyWithValue("ssoProtocol", "SAML"),
			HaveKeyWithValue("rbac", true), HaveKeyWithValue("builtInScim", true)))
		auth := send(emu, http.MethodGet, "/api/v1/configuration/idm/authentication", "").json()
		Expect(auth["currentLoginMethod"]).To(Equal("SSO"))
		prov := send(emu, http.MethodGet, "/api/v1/configuration/idm/provisioning", "").json()
		Expect(prov["scim"]).To(HaveKeyWithValue("enabled", true))

		Expect(send(emu, http.MethodPatch, "/_emulator/settings", `{"loginMethod": "KERBEROS"}`).status).To(Equal(http.StatusBadRequest))
		Expect(emu.Settings().LoginMethod).To(Equal(emulator.LoginMethodSSO), "a refused patch changes nothing")
	})

	It("switches to the alternative answers and back", func() {
		Expect(send(emu, http.MethodGet, "/_emulator/settings", "").json()).To(HaveKeyWithValue("answers", "default"))
		a := send(emu, http.MethodPatch, "/_emulator/settings", `{"answers": "alternative"}`)
		Expect(a.status).To(Equal(http.StatusOK), a.body)
		Expect(a.json()).To(HaveKeyWithValue("answers", "alternative"))
		Expect(send(emu, http.MethodDelete, "/api/v1/groups/"+emu.DefaultGroupID(), "").status).To(Equal(http.StatusBadRequest))
		Expect(send(emu, http.MethodPatch, "/_emulator/settings", `{"answers": "sideways"}`).status).To(Equal(http.StatusBadRequest))
		Expect(send(emu, http.MethodPatch, "/_emulator/settings", `{"answers": "default"}`).status).To(Equal(http.StatusOK))
		Expect(send(emu, http.MethodDelete, "/api/v1/groups/"+emu.DefaultGroupID(), "").status).To(Equal(http.StatusForbidden))
		Expect(emu.Conformance().Undeclared).To(Equal(map[string]int{"deleteGroup 403": 1}))
	})

	It("shows, replaces and resets the state", func() {
		createUser(emu, "state@example.com")
		a := send(emu, http.MethodGet, "/_emulator/state", "")
		Expect(a.status).To(Equal(http.StatusOK))
		var st emulator.State
		Expect(json.Unmarshal([]byte(a.body), &st)).To(Succeed())
		Expect(st.CompanyID).To(Equal("7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"))
		Expect(st.Users).To(ConsistOf(HaveField("Email", "state@example.com")))

		Expect(send(emu, http.MethodDelete, "/_emulator/state", "").status).To(Equal(http.StatusNoContent))
		Expect(send(emu, http.MethodGet, "/api/v1/users/state@example.com", "").status).To(Equal(http.StatusNotFound))
		Expect(emu.CompanyID()).To(Equal(st.CompanyID), "a reset keeps the company id")

		Expect(send(emu, http.MethodPut, "/_emulator/state", a.body).status).To(Equal(http.StatusNoContent))
		Expect(send(emu, http.MethodGet, "/api/v1/users/state@example.com", "").status).To(Equal(http.StatusOK))

		st.AgentPools = nil
		broken, err := json.Marshal(st)
		Expect(err).NotTo(HaveOccurred())
		Expect(send(emu, http.MethodPut, "/_emulator/state", string(broken)).status).To(Equal(http.StatusBadRequest),
			"a state without the default pool is refused")
	})

	It("serves and clears the request log, without its own calls", func() {
		send(emu, http.MethodGet, probe, "")
		send(emu, http.MethodGet, "/api/v1/users/nobody@example.com", "")
		var log []emulator.Request
		Expect(json.Unmarshal([]byte(send(emu, http.MethodGet, "/_emulator/requests", "").body), &log)).To(Succeed())
		Expect(log).To(HaveLen(2))
		Expect(log[1]).To(And(HaveField("Method", http.MethodGet), HaveField("Path", "/api/v1/users/nobody@example.com"),
			HaveField("Status", http.StatusNotFound)))
		Expect(log[1].Time.IsZero()).To(BeFalse())

		Expect(send(emu, http.MethodDelete, "/_emulator/requests", "").status).To(Equal(http.StatusNoContent))
		Expect(send(emu, http.MethodGet, "/_emulator/requests", "").body).To(MatchJSON(`[]`))
		Expect(send(emu, http.MethodGet, "/_emulator/violations", "").body).To(MatchJSON(`[]`))
	})

	It("serves and resets the conformance counts", func() {
		send(emu, http.MethodPost, "/api/v1/users", `{"email":"not-an-email","firstName":"A","lastName":"B"}`)
		createUser(emu, "dup@example.com")
		send(emu, http.MethodPost, "/api/v1/users", `{"email":"dup@example.com","firstName":"A","lastName":"B"}`)
		a := send(emu, http.MethodGet, "/_emulator/conformance", "")
		Expect(a.status).To(Equal(http.StatusOK))
		var c emulator.Conformance
		Expect(json.Unmarshal([]byte(a.body), &c)).To(Succeed())
		Expect(c.InvalidRequests).To(Equal(1))
		Expect(c.InvalidResponses).To(BeZero())
		Expect(c.Undeclared).To(Equal(map[string]int{"createUser 409": 1}))
		Expect(c.Recent).To(ConsistOf(ContainSubstring("not valid email")))

		Expect(send(emu, http.MethodDelete, "/_emulator/conformance", "").status).To(Equal(http.StatusNoContent))
		Expect(send(emu, http.MethodGet, "/_emulator/conformance", "").body).
			To(MatchJSON(`{"invalidRequests": 0, "invalidResponses": 0, "undeclared": {}, "recent": []}`))
		Expect(emu.CheckClean()).To(Succeed())
	})

	It("sets the live agents of a pool", func() {
		Expect(send(emu, http.MethodPut, "/_emulator/agent-pools/"+emu.DefaultAgentPoolID()+"/live-agents", `{"count": 4}`).status).
			To(Equal(http.StatusNoContent))
		pool := send(emu, http.MethodGet, "/api/v1/agent-pools/"+emu.DefaultAgentPoolID(), "").json()
		Expect(pool["liveAgentsCount"]).To(BeEquivalentTo(4))
		Expect(send(emu, http.MethodPut, "/_emulator/agent-pools/nope/live-agents", `{"count": 1}`).status).To(Equal(http.StatusBadRequest))
	})
})
