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
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

var _ = Describe("Persistence", func() {
	var file string
	BeforeEach(func() {
		file = filepath.Join(GinkgoT().TempDir(), "lightrun-state.json")
	})

	It("brings a company back after a restart", func() {
		first, err := emulator.Start(emulator.Options{APIKeys: []string{apiKey}, StateFile: file, RBAC: true})
		Expect(err).NotTo(HaveOccurred())
		createUser(first, "persisted@example.com", "GROUP_ADMIN")
		pool := send(first, http.MethodPost, "/api/v1/agent-pools", `{"name":"kept","description":"survives"}`).json()
		group := send(first, http.MethodPost, "/api/v1/groups", `{"name":"kept-group","agentPoolIds":["`+pool["id"].(string)+`"]}`).json()
		Expect(send(first, http.MethodPost, "/api/v1/groups/"+group["id"].(string)+"/members",
			`[{"email":"persisted@example.com","groupAdmin":true}]`).status).To(Equal(http.StatusOK))
		Expect(send(first, http.MethodPut, "/api/v1/users/persisted@example.com/disable", "").status).To(Equal(http.StatusNoContent))
		Expect(first.SetLoginMethod(emulator.LoginMethodSSO)).To(Succeed())
		companyID, defaultPool, defaultGroup := first.CompanyID(), first.DefaultAgentPoolID(), first.DefaultGroupID()
		Expect(first.Close()).To(Succeed())

		// The options of the second start differ; the state file wins.
		second := start(emulator.Options{StateFile: file, LoginMethod: emulator.LoginMethodPassword})
		Expect(second.CompanyID()).To(Equal(companyID))
		Expect(second.DefaultAgentPoolID()).To(Equal(defaultPool))
		Expect(second.DefaultGroupID()).To(Equal(defaultGroup))
		u := send(second, http.MethodGet, "/api/v1/users/persisted@example.com?includeAccessAndPermissions=true", "").json()
		Expect(u).To(And(HaveKeyWithValue("enabled", false), HaveKeyWithValue("roles", ConsistOf("GROUP_ADMIN"))))
		Expect(u["groupMemberships"]).To(HaveLen(2))
		g := send(second, http.MethodGet, "/api/v1/groups/"+group["id"].(string)+"?includeMembers=true", "").json()
		Expect(g["members"]).To(ConsistOf(HaveKeyWithValue("groupAdmin", true)))
		Expect(send(second, http.MethodGet, "/api/v1/configuration/idm/authentication", "").json()["currentLoginMethod"]).To(Equal("SSO"))
		expectNoViolations(second)
	})

	It("writes changes in the background, atomically, leaving no temporary files", func() {
		emu := start(emulator.Options{StateFile: file, PersistInterval: 20 * time.Millisecond})
		createUser(emu, "background@example.com")
		Eventually(func() (string, error) {
			data, err := os.ReadFile(file)
			return string(data), err
		}).WithTimeout(5 * time.Second).Should(ContainSubstring("background@example.com"))
		entries, err := os.ReadDir(filepath.Dir(file))
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(HaveLen(1), "only the state file: temporary files are renamed or removed")
		info, err := os.Stat(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
	})

	DescribeTable("refuses a state file it cannot trust",
		func(content string) {
			Expect(os.WriteFile(file, []byte(content), 0o600)).To(Succeed())
			_, err := emulator.New(emulator.Options{APIKeys: []string{apiKey}, StateFile: file})
			Expect(err).To(HaveOccurred())
		},
		Entry("not JSON", `{"version": 1, "users": [`),
		Entry("another layout version", `{"version": 99}`),
		Entry("no default pool or group", `{"version": 1, "companyId": "c", "users": [], "groups": [], "agentPools": []}`),
	)

	It("does nothing on Save without a state file", func() {
		emu := start(emulator.Options{})
		Expect(emu.Save()).To(Succeed())
	})
})
