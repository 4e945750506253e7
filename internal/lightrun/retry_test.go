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
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/time/rate"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

const authPath = "/api/v1/configuration/idm/authentication"

// gaps returns the time between the starts of consecutive logged calls.
func gaps(reqs []emulator.Request) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(reqs); i++ {
		out = append(out, reqs[i].Time.Sub(reqs[i-1].Time))
	}
	return out
}

var _ = Describe("Retries, backoff and rate limits", func() {
	var emu *emulator.Emulator
	BeforeEach(func() {
		emu = startEmulator(emulator.Options{})
	})

	It("retries 5xx answers until one succeeds", func() {
		Expect(emu.SetFaults(emulator.Faults{FailNext: 2, ErrorStatus: http.StatusBadGateway})).To(Succeed())
		c := newClient(emu, lightrun.Options{})
		_, err := c.GetAuthenticationConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
		reqs := requestsTo(emu, http.MethodGet, authPath)
		Expect(reqs).To(HaveLen(3))
		Expect(reqs[0].Status).To(Equal(http.StatusBadGateway))
		Expect(reqs[1].Fault).To(Equal("error"))
		Expect(reqs[2].Status).To(Equal(http.StatusOK))
	})

	It("gives up after MaxAttempts with an Unavailable error that carries the last answer", func() {
		Expect(emu.SetFaults(emulator.Faults{ErrorRate: 1})).To(Succeed())
		c := newClient(emu, lightrun.Options{MaxAttempts: 3})
		_, err := c.GetAuthenticationConfig(testContext())
		Expect(lightrun.IsUnavailable(err)).To(BeTrue(), "got %v", err)
		Expect(err).To(MatchError(lightrun.ErrUnavailable))
		var apiErr *lightrun.Error
		Expect(errors.As(err, &apiErr)).To(BeTrue())
		Expect(apiErr.StatusCode).To(Equal(http.StatusServiceUnavailable))
		Expect(apiErr.Attempts).To(Equal(3))
		Expect(apiErr.Message).To(Equal("Service Unavailable"))
		Expect(requestsTo(emu, http.MethodGet, authPath)).To(HaveLen(3))
	})

	It("backs off exponentially between retries", func() {
		Expect(emu.SetFaults(emulator.Faults{FailNext: 3})).To(Succeed())
		base := 40 * time.Millisecond
		c := newClient(emu, lightrun.Options{BaseBackoff: base, MaxBackoff: time.Second})
		start := time.Now()
		_, err := c.GetAuthenticationConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
		elapsed := time.Since(start)
		g := gaps(requestsTo(emu, http.MethodGet, authPath))
		Expect(g).To(HaveLen(3))
		// Equal jitter: retry n waits between half and all of base·2^(n-1).
		for i, gap := range g {
			step := base << i
			Expect(gap).To(BeNumerically(">=", step/2), "retry %d", i+1)
		}
		Expect(elapsed).To(BeNumerically("<", 3*time.Second))
	})

	It("does not retry a 4xx answer", func() {
		c := newClient(emu, lightrun.Options{})
		ctx := testContext()
		createUsers(ctx, c, "once@example.com")
		_, err := c.CreateUser(ctx, lightrun.CreateUserRequest{Email: "once@example.com", FirstName: "O", LastName: "N"})
		Expect(lightrun.IsConflict(err)).To(BeTrue())
		Expect(requestsTo(emu, http.MethodPost, "/api/v1/users")).To(HaveLen(2))
	})

	It("waits out a 429 as long as Retry-After says", func() {
		Expect(emu.SetFaults(emulator.Faults{ThrottleNext: 1, RetryAfter: emulator.Duration(time.Second)})).To(Succeed())
		c := newClient(emu, lightrun.Options{})
		start := time.Now()
		_, err := c.GetAuthenticationConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
		Expect(time.Since(start)).To(BeNumerically("<", 5*time.Second))
		reqs := requestsTo(emu, http.MethodGet, authPath)
		Expect(reqs).To(HaveLen(2))
		Expect(reqs[0].Status).To(Equal(http.StatusTooManyRequests))
		Expect(gaps(reqs)[0]).To(BeNumerically(">=", 950*time.Millisecond), "Retry-After: 1 was not honoured")
	})

	It("hands a Retry-After longer than MaxRetryAfter back to the caller at once", func() {
		Expect(emu.SetFaults(emulator.Faults{ThrottleNext: 1, RetryAfter: emulator.Duration(2 * time.Minute)})).To(Succeed())
		c := newClient(emu, lightrun.Options{MaxRetryAfter: 10 * time.Second})
		start := time.Now()
		_, err := c.GetAuthenticationConfig(testContext())
		Expect(time.Since(start)).To(BeNumerically("<", time.Second))
		Expect(lightrun.IsRateLimited(err)).To(BeTrue(), "got %v", err)
		Expect(lightrun.RetryAfter(err)).To(Equal(2 * time.Minute))
		Expect(requestsTo(emu, http.MethodGet, authPath)).To(HaveLen(1))
	})

	It("does not wait for a Retry-After that ends after the context's deadline", func() {
		Expect(emu.SetFaults(emulator.Faults{ThrottleNext: 1, RetryAfter: emulator.Duration(5 * time.Second)})).To(Succeed())
		c := newClient(emu, lightrun.Options{})
		ctx, cancel := context.WithTimeout(testContext(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.GetAuthenticationConfig(ctx)
		Expect(time.Since(start)).To(BeNumerically("<", 400*time.Millisecond))
		Expect(lightrun.IsRateLimited(err)).To(BeTrue())
		Expect(lightrun.RetryAfter(err)).To(Equal(5 * time.Second))
	})

	It("backs off on a 429 without Retry-After, and reports RateLimited when 429s persist", func() {
		Expect(emu.SetFaults(emulator.Faults{ThrottleNext: 2, OmitRetryAfter: true})).To(Succeed())
		c := newClient(emu, lightrun.Options{})
		_, err := c.GetAuthenticationConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
		Expect(requestsTo(emu, http.MethodGet, authPath)).To(HaveLen(3))

		emu.ResetRequests()
		Expect(emu.SetFaults(emulator.Faults{ThrottleRate: 1})).To(Succeed())
		c = newClient(emu, lightrun.Options{MaxAttempts: 4})
		_, err = c.GetAuthenticationConfig(testContext())
		Expect(lightrun.IsRateLimited(err)).To(BeTrue(), "got %v", err)
		Expect(lightrun.RetryAfter(err)).To(BeZero(), "Retry-After: 0")
		Expect(requestsTo(emu, http.MethodGet, authPath)).To(HaveLen(4))
	})

	It("rides out a full outage window", func() {
		emu.StartOutage(300 * time.Millisecond)
		c := newClient(emu, lightrun.Options{MaxAttempts: 20, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
		start := time.Now()
		_, err := c.GetAuthenticationConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
		Expect(time.Since(start)).To(BeNumerically(">=", 250*time.Millisecond))
		reqs := requestsTo(emu, http.MethodGet, authPath)
		Expect(len(reqs)).To(BeNumerically(">=", 2))
		Expect(reqs[0].Fault).To(Equal("outage"))
		Expect(reqs[len(reqs)-1].Status).To(Equal(http.StatusOK))
	})

	It("retries network errors and reports Unavailable with the cause", func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(ln.Close)
		var accepted atomic.Int32
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				_ = conn.Close() // hang up without an answer
			}
		}()
		c := newClient(emu, lightrun.Options{BaseURL: "http://" + ln.Addr().String(), MaxAttempts: 3})
		_, err = c.GetUser(testContext(), "net@example.com")
		Expect(lightrun.IsUnavailable(err)).To(BeTrue(), "got %v", err)
		var apiErr *lightrun.Error
		Expect(errors.As(err, &apiErr)).To(BeTrue())
		Expect(apiErr.StatusCode).To(BeZero())
		Expect(apiErr.Err).To(HaveOccurred())
		Expect(apiErr.Attempts).To(Equal(3))
		Eventually(accepted.Load).Should(BeEquivalentTo(3))
	})

	It("bounds each attempt with RequestTimeout and retries a hung call", func() {
		Expect(emu.SetFaults(emulator.Faults{Latency: emulator.Duration(2 * time.Second)})).To(Succeed())
		c := newClient(emu, lightrun.Options{RequestTimeout: 100 * time.Millisecond, MaxAttempts: 2})
		start := time.Now()
		_, err := c.GetAuthenticationConfig(testContext())
		Expect(time.Since(start)).To(BeNumerically("<", time.Second))
		Expect(lightrun.IsUnavailable(err)).To(BeTrue(), "got %v", err)
		Expect(errors.Is(err, context.DeadlineExceeded)).To(BeTrue(), "the attempt's timeout is the cause")
		Eventually(func() []emulator.Request { return requestsTo(emu, http.MethodGet, authPath) }).Should(HaveLen(2))
	})

	It("returns the context's error when the caller gives up", func() {
		emu.StartOutage(time.Minute)
		c := newClient(emu, lightrun.Options{MaxAttempts: 100, BaseBackoff: 50 * time.Millisecond})
		ctx, cancel := context.WithCancel(testContext())
		time.AfterFunc(150*time.Millisecond, cancel)
		_, err := c.GetAuthenticationConfig(ctx)
		Expect(errors.Is(err, context.Canceled)).To(BeTrue(), "got %v", err)
		Expect(lightrun.IsUnavailable(err)).To(BeTrue(), "the last failed attempt is kept")
	})

	It("reports a wrong API key as Unauthorized, with Lightrun's message, without retrying", func() {
		c := newClient(emu, lightrun.Options{APIKey: "wrong-key"})
		_, err := c.GetAuthenticationConfig(testContext())
		Expect(lightrun.IsUnauthorized(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("401 Unauthorized"))
		Expect(err.Error()).NotTo(ContainSubstring("wrong-key"))
		Expect(requestsTo(emu, http.MethodGet, authPath)).To(HaveLen(1))
	})

	It("keeps to its own rate limit", func() {
		c := newClient(emu, lightrun.Options{RateLimit: 20, Burst: 1})
		ctx := testContext()
		start := time.Now()
		for range 6 {
			_, err := c.GetAuthenticationConfig(ctx)
			Expect(err).NotTo(HaveOccurred())
		}
		// One token up front, then one every 50ms.
		Expect(time.Since(start)).To(BeNumerically(">=", 240*time.Millisecond))
		Expect(time.Since(start)).To(BeNumerically("<", 3*time.Second))
	})

	It("answers the emulator's own rate limit with Retry-After and is retried", func() {
		emu.SetRateLimit(1, 1)
		c := newClient(emu, lightrun.Options{})
		ctx := testContext()
		_, err := c.GetAuthenticationConfig(ctx)
		Expect(err).NotTo(HaveOccurred())
		_, err = c.GetAuthenticationConfig(ctx)
		Expect(err).NotTo(HaveOccurred())
		reqs := requestsTo(emu, http.MethodGet, authPath)
		Expect(reqs).To(HaveLen(3))
		Expect(reqs[1].Fault).To(Equal("ratelimit"))
		Expect(gaps(reqs)[1]).To(BeNumerically(">=", 900*time.Millisecond))
	})

	It("names the operator and its version in the User-Agent", func() {
		old := lightrun.Version
		lightrun.Version = "v1.2.3-test"
		DeferCleanup(func() { lightrun.Version = old })
		c := newClient(emu, lightrun.Options{})
		_, err := c.GetAuthenticationConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
		ua := requestsTo(emu, http.MethodGet, authPath)[0].UserAgent
		Expect(strings.HasPrefix(ua, "lightrun-identity-operator/v1.2.3-test ")).To(BeTrue(), ua)
	})
})

var _ = Describe("Against a misbehaving server", func() {
	// These answers are ones the emulator never gives; a plain handler on
	// 127.0.0.1 produces them.
	serve := func(h http.HandlerFunc) *lightrun.Client {
		srv := httptest.NewServer(h)
		DeferCleanup(srv.Close)
		c, err := lightrun.New(lightrun.Options{BaseURL: srv.URL, APIKey: "k", RateLimit: rate.Inf,
			BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 3})
		Expect(err).NotTo(HaveOccurred())
		return c
	}

	It("reports a 2xx body that is not JSON instead of returning an empty object", func() {
		c := serve(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>maintenance</html>")) })
		_, err := c.GetUser(testContext(), "a@example.com")
		Expect(err).To(MatchError(ContainSubstring("not the JSON")))
		Expect(lightrun.IsUnavailable(err) || lightrun.IsInvalid(err)).To(BeFalse())
	})

	It("reports a 2xx without the body the operation promises", func() {
		c := serve(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
		_, err := c.GetAgentPool(testContext(), "p")
		Expect(err).To(MatchError(ContainSubstring("no body")))
	})

	It("reads the message of a Spring Boot error body", func() {
		c := serve(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"timestamp":"2026-01-01T00:00:00Z","status":403,"error":"Forbidden","message":"API key lacks COMPANY permission","path":"/api/v1/users"}`))
		})
		_, err := c.ListUsers(testContext(), lightrun.ListUsersOptions{})
		Expect(lightrun.IsForbidden(err)).To(BeTrue())
		var apiErr *lightrun.Error
		Expect(errors.As(err, &apiErr)).To(BeTrue())
		Expect(apiErr.Message).To(Equal("API key lacks COMPANY permission"))
	})

	It("honours an HTTP-date Retry-After on a 503", func() {
		var calls atomic.Int32
		c := serve(func(w http.ResponseWriter, _ *http.Request) {
			if calls.Add(1) == 1 {
				w.Header().Set("Retry-After", time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat))
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte(`{"currentLoginMethod":"SSO"}`))
		})
		a, err := c.GetAuthenticationConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
		Expect(a.SSOEnabled()).To(BeTrue())
		Expect(calls.Load()).To(BeEquivalentTo(2))
	})

	It("does not retry a 501", func() {
		var calls atomic.Int32
		c := serve(func(w http.ResponseWriter, _ *http.Request) {
			calls.Add(1)
			w.WriteHeader(http.StatusNotImplemented)
		})
		err := c.DeleteGroup(testContext(), "g")
		Expect(err).To(HaveOccurred())
		Expect(lightrun.IsUnavailable(err)).To(BeFalse())
		Expect(calls.Load()).To(BeEquivalentTo(1))
	})

	It("reads a missing currentLoginMethod as the spec's default, PASSWORD", func() {
		c := serve(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{}`)) })
		a, err := c.GetAuthenticationConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
		Expect(a.CurrentLoginMethod).To(Equal(lightrun.LoginMethodPassword))
	})
})

var _ = Describe("New", func() {
	DescribeTable("refuses options it cannot work with",
		func(opts lightrun.Options) {
			_, err := lightrun.New(opts)
			Expect(err).To(HaveOccurred())
		},
		Entry("no base URL", lightrun.Options{APIKey: "k"}),
		Entry("a relative base URL", lightrun.Options{BaseURL: "/api", APIKey: "k"}),
		Entry("a base URL with a query", lightrun.Options{BaseURL: "https://x.example?a=b", APIKey: "k"}),
		Entry("no API key", lightrun.Options{BaseURL: "https://x.example"}),
		Entry("an API key with a line break", lightrun.Options{BaseURL: "https://x.example", APIKey: "k\r\nX-Injected: 1"}),
		Entry("a negative rate limit", lightrun.Options{BaseURL: "https://x.example", APIKey: "k", RateLimit: -1}),
	)

	It("keeps a path prefix of the base URL", func() {
		emu := startEmulator(emulator.Options{})
		mux := http.NewServeMux()
		mux.Handle("/lightrun/", http.StripPrefix("/lightrun", emu.Handler()))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		go func() { _ = srv.Serve(ln) }()
		DeferCleanup(srv.Close)
		c := newClient(emu, lightrun.Options{BaseURL: "http://" + ln.Addr().String() + "/lightrun/"})
		_, err = c.GetAuthenticationConfig(testContext())
		Expect(err).NotTo(HaveOccurred())
	})
})
