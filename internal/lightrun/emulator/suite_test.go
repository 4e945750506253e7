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
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

func TestEmulator(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	suiteConfig.Timeout = 3 * time.Minute
	RunSpecs(t, "Lightrun emulator", suiteConfig, reporterConfig)
}

const apiKey = "emulator-test-key"

// start starts an emulator for one spec and, when the spec ends, checks that
// no request or response broke the OpenAPI document (CheckClean) and closes
// it. A spec that provokes violations on purpose asserts them and resets the
// counts (expectRefused, expectViolations).
func start(opts emulator.Options) *emulator.Emulator {
	GinkgoHelper()
	if opts.APIKeys == nil && opts.DevAPIKeys == nil {
		opts.APIKeys = []string{apiKey}
	}
	opts.Logger = GinkgoLogr
	emu, err := emulator.Start(opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		Expect(emu.CheckClean()).To(Succeed())
		Expect(emu.Close()).To(Succeed())
	})
	return emu
}

func expectNoViolations(emu *emulator.Emulator) {
	GinkgoHelper()
	Expect(emu.Violations()).To(BeEmpty())
	Expect(emu.CheckClean()).To(Succeed())
}

// expectRefused asserts that the spec's invalid requests, sent on purpose,
// were counted, and no response broke the document; then it resets the counts.
func expectRefused(emu *emulator.Emulator, requests int) {
	GinkgoHelper()
	c := emu.Conformance()
	Expect(c.InvalidResponses).To(BeZero(), "recent: %q", c.Recent)
	Expect(c.InvalidRequests).To(Equal(requests), "recent: %q", c.Recent)
	emu.ResetConformance()
}

// expectViolations asserts that the spec's invalid responses, provoked on
// purpose, were counted; then it resets the counts.
func expectViolations(emu *emulator.Emulator, responses int) {
	GinkgoHelper()
	c := emu.Conformance()
	Expect(c.InvalidRequests).To(BeZero(), "recent: %q", c.Recent)
	Expect(c.InvalidResponses).To(Equal(responses), "recent: %q", c.Recent)
	emu.ResetConformance()
}

// answer is a raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   string
}

// json decodes the body into a generic value.
func (a answer) json() map[string]any {
	GinkgoHelper()
	var v map[string]any
	Expect(json.Unmarshal([]byte(a.body), &v)).To(Succeed(), "body: %s", a.body)
	return v
}

// message is the "message" of an error body.
func (a answer) message() string {
	GinkgoHelper()
	msg, _ := a.json()["message"].(string)
	return msg
}

// send calls the emulator with the test API key. A non-empty body is sent as
// application/json.
func send(emu *emulator.Emulator, method, path, body string) answer {
	GinkgoHelper()
	return sendWith(emu, method, path, body, map[string]string{"Authorization": "Bearer " + apiKey})
}

func sendWith(emu *emulator.Emulator, method, path, body string, headers map[string]string) answer {
	GinkgoHelper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, emu.URL()+path, r)
	Expect(err).NotTo(HaveOccurred())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return answer{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

// createUser creates a user through the API and returns its JSON.
func createUser(emu *emulator.Emulator, email string, roles ...string) map[string]any {
	GinkgoHelper()
	body := map[string]any{"email": email, "firstName": "First", "lastName": "Last"}
	if len(roles) > 0 {
		body["roles"] = roles
	}
	data, err := json.Marshal(body)
	Expect(err).NotTo(HaveOccurred())
	a := send(emu, http.MethodPost, "/api/v1/users", string(data))
	Expect(a.status).To(Equal(http.StatusCreated), a.body)
	return a.json()
}

// items returns the "items" of a page answer.
func items(a answer) []map[string]any {
	GinkgoHelper()
	raw, ok := a.json()["items"].([]any)
	Expect(ok).To(BeTrue(), a.body)
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i] = it.(map[string]any)
	}
	return out
}

func field(list []map[string]any, name string) []any {
	out := make([]any, len(list))
	for i, it := range list {
		out[i] = it[name]
	}
	return out
}
