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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

const probe = "/api/v1/configuration/idm/authentication"

var _ = Describe("Fault injection", func() {
	It("adds latency to every API call", func() {
		emu := start(emulator.Options{Faults: emulator.Faults{Latency: emulator.Duration(150 * time.Millisecond)}})
		begin := time.Now()
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusOK))
		Expect(time.Since(begin)).To(BeNumerically(">=", 150*time.Millisecond))
		Expect(time.Duration(emu.Requests()[0].Duration)).To(BeNumerically(">=", 150*time.Millisecond))
	})

	It("fails the next N calls with the chosen 5xx, then recovers", func() {
		emu := start(emulator.Options{})
		Expect(emu.SetFaults(emulator.Faults{FailNext: 2, ErrorStatus: http.StatusInternalServerError})).To(Succeed())
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusInternalServerError))
		Expect(emu.Faults().FailNext).To(Equal(1))
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusInternalServerError))
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusOK))
		Expect(field(toMaps(emu.Requests()), "Fault")).To(Equal([]any{"error", "error", ""}))
	})

	It("fails a share of calls, repeatably for a seed", func() {
		run := func() []int {
			emu := start(emulator.Options{FaultSeed: 42, Faults: emulator.Faults{ErrorRate: 0.5}})
			statuses := make([]int, 0, 40)
			for range 40 {
				statuses = append(statuses, send(emu, http.MethodGet, probe, "").status)
			}
			return statuses
		}
		first := run()
		failed := 0
		for _, s := range first {
			if s == http.StatusServiceUnavailable {
				failed++
			}
		}
		Expect(failed).To(BeNumerically(">", 5))
		Expect(failed).To(BeNumerically("<", 35))
		Expect(run()).To(Equal(first))
	})

	It("throttles with 429 and a whole-second Retry-After", func() {
		emu := start(emulator.Options{})
		Expect(emu.SetFaults(emulator.Faults{ThrottleNext: 1, RetryAfter: emulator.Duration(1500 * time.Millisecond)})).To(Succeed())
		a := send(emu, http.MethodGet, probe, "")
		Expect(a.status).To(Equal(http.StatusTooManyRequests))
		Expect(a.header.Get("Retry-After")).To(Equal("2"), "RFC 9110 delay-seconds, rounded up")
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusOK))

		Expect(emu.SetFaults(emulator.Faults{ThrottleRate: 1, OmitRetryAfter: true})).To(Succeed())
		a = send(emu, http.MethodGet, probe, "")
		Expect(a.status).To(Equal(http.StatusTooManyRequests))
		Expect(a.header).NotTo(HaveKey("Retry-After"))
	})

	It("answers 503 during an outage window, before authentication, and recovers after it", func() {
		emu := start(emulator.Options{})
		emu.StartOutage(300 * time.Millisecond)
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusServiceUnavailable))
		wrongKey := sendWith(emu, http.MethodGet, probe, "", map[string]string{"Authorization": "Bearer nope"})
		Expect(wrongKey.status).To(Equal(http.StatusServiceUnavailable))
		Expect(sendWith(emu, http.MethodGet, "/_emulator/healthz", "", nil).status).To(Equal(http.StatusOK), "admin calls are never faulted")
		Eventually(func() int { return send(emu, http.MethodGet, probe, "").status }).
			WithTimeout(3 * time.Second).WithPolling(50 * time.Millisecond).Should(Equal(http.StatusOK))
		Expect(emu.Faults().Outages).To(BeEmpty(), "finished windows are forgotten")
	})

	It("honours a window that starts later", func() {
		now := time.Now()
		emu := start(emulator.Options{Faults: emulator.Faults{Outages: []emulator.Window{{Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)}}}})
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusOK))
	})

	It("enforces its own rate limit with 429 and Retry-After", func() {
		emu := start(emulator.Options{RateLimit: 1, RateBurst: 2})
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusOK))
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusOK))
		a := send(emu, http.MethodGet, probe, "")
		Expect(a.status).To(Equal(http.StatusTooManyRequests))
		Expect(a.header.Get("Retry-After")).To(Equal("1"))
		Expect(emu.Requests()[2].Fault).To(Equal("ratelimit"))
		emu.SetRateLimit(0, 0)
		Expect(send(emu, http.MethodGet, probe, "").status).To(Equal(http.StatusOK))
	})

	DescribeTable("refuses faults that make no sense",
		func(f emulator.Faults) {
			emu := start(emulator.Options{})
			Expect(emu.SetFaults(f)).NotTo(Succeed())
			_, err := emulator.New(emulator.Options{APIKeys: []string{apiKey}, Faults: f})
			Expect(err).To(HaveOccurred())
		},
		Entry("a rate above 1", emulator.Faults{ErrorRate: 1.5}),
		Entry("a negative counter", emulator.Faults{FailNext: -1}),
		Entry("a status that is not 5xx", emulator.Faults{FailNext: 1, ErrorStatus: 404}),
		Entry("a negative latency", emulator.Faults{Latency: emulator.Duration(-time.Second)}),
		Entry("a window that ends before it starts", emulator.Faults{Outages: []emulator.Window{{Start: time.Now(), End: time.Now().Add(-time.Second)}}}),
	)
})

func toMaps(reqs []emulator.Request) []map[string]any {
	out := make([]map[string]any, len(reqs))
	for i, r := range reqs {
		out[i] = map[string]any{"Fault": r.Fault, "Status": r.Status}
	}
	return out
}
