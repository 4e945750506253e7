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
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/time/rate"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

func TestLightrunClient(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	// Every spec talks to an emulator on 127.0.0.1 and ends by itself; the
	// whole suite must too.
	suiteConfig.Timeout = 3 * time.Minute
	RunSpecs(t, "Lightrun client", suiteConfig, reporterConfig)
}

const testAPIKey = "test-api-key"

// startEmulator starts an emulator for one spec and, when the spec ends,
// checks that no request of the client and no response of the emulator broke
// the OpenAPI document, and closes it. A spec that sends an invalid request
// on purpose says so with expectRefused.
func startEmulator(opts emulator.Options) *emulator.Emulator {
	GinkgoHelper()
	if opts.APIKeys == nil {
		opts.APIKeys = []string{testAPIKey}
	}
	emu, err := emulator.Start(opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		Expect(emu.CheckClean()).To(Succeed(), "the client or the emulator broke the OpenAPI spec")
		Expect(emu.Close()).To(Succeed())
	})
	return emu
}

// expectRefused asserts that the emulator refused the spec's deliberately
// invalid requests, and no response broke the document; then it resets the
// counts so that the end-of-spec check passes.
func expectRefused(emu *emulator.Emulator, requests int) {
	GinkgoHelper()
	c := emu.Conformance()
	Expect(c.InvalidResponses).To(BeZero(), "recent: %q", c.Recent)
	Expect(c.InvalidRequests).To(Equal(requests), "recent: %q", c.Recent)
	emu.ResetConformance()
}

// newClient returns a client for emu with no client-side rate limit and a
// small backoff, so retry specs take milliseconds; opts override.
func newClient(emu *emulator.Emulator, opts lightrun.Options) *lightrun.Client {
	GinkgoHelper()
	if opts.BaseURL == "" {
		opts.BaseURL = emu.URL()
	}
	if opts.APIKey == "" {
		opts.APIKey = testAPIKey
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = rate.Inf
	}
	if opts.BaseBackoff == 0 {
		opts.BaseBackoff = 5 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 40 * time.Millisecond
	}
	opts.Logger = GinkgoLogr
	c, err := lightrun.New(opts)
	Expect(err).NotTo(HaveOccurred())
	return c
}

// testContext bounds one spec's calls.
func testContext() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	DeferCleanup(cancel)
	return ctx
}

// requestsTo returns the logged calls with this method and path.
func requestsTo(emu *emulator.Emulator, method, path string) []emulator.Request {
	var out []emulator.Request
	for _, r := range emu.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// createUsers creates one user per email, with DEVELOPER as role.
func createUsers(ctx context.Context, c *lightrun.Client, emails ...string) {
	GinkgoHelper()
	for _, email := range emails {
		_, err := c.CreateUser(ctx, lightrun.CreateUserRequest{Email: email, FirstName: "First " + email, LastName: "Last"})
		Expect(err).NotTo(HaveOccurred())
	}
}
