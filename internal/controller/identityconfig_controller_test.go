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
	"net"
	"net/http"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/controller"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
	scim "github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
)

var _ = Describe("IdentityConfig", func() {
	It("checks Lightrun, publishes the SCIM base URL and becomes Ready", func() {
		c := newCompany()
		ic := c.config()
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		ic = c.config()
		Expect(ic.Status.ScimBaseURL).To(Equal("http://" + scimAddr + scim.BasePath + "/" + c.ns + "/" + c.name))
		Expect(ic.Status.ObservedGeneration).To(Equal(ic.Generation))
		Expect(conditionOf(ic, v1.ConditionBackendReachable)).To(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		Expect(conditionOf(ic, v1.ConditionSSOEnabled)).To(haveCondition(metav1.ConditionTrue, v1.ReasonSSOLoginMethod))
		Expect(conditionOf(ic, v1.ConditionEndpointReady)).To(haveCondition(metav1.ConditionTrue, v1.ReasonServing))
		Expect(conditionOf(ic, v1.ConditionBuiltInSCIMDisabled)).To(haveCondition(metav1.ConditionTrue, v1.ReasonBuiltInSCIMOff))
		for _, cond := range ic.Status.Conditions {
			Expect(cond.ObservedGeneration).To(Equal(ic.Generation), cond.Type)
		}
	})

	It("keeps reconciling other IdentityConfigs while one's Lightrun never answers", func() {
		// A Lightrun that accepts connections and never answers: each call
		// of its IdentityConfig's reconcile waits out the client's timeout.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		var held []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				held = append(held, conn)
				mu.Unlock()
			}
		}()
		DeferCleanup(func() {
			_ = ln.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, conn := range held {
				_ = conn.Close()
			}
		})
		silent := newCompany(withConfig(func(ic *v1.IdentityConfig) { ic.Spec.Lightrun.URL = "http://" + ln.Addr().String() }))
		// Its reconcile is under way, waiting on the silent Lightrun.
		Eventually(func() int { mu.Lock(); defer mu.Unlock(); return len(held) }).Should(BeNumerically(">", 0))
		Expect(conditionOf(silent.config(), v1.ConditionReady).Status).NotTo(Equal(metav1.ConditionTrue))

		c := newCompany()
		Eventually(func() metav1.Condition { return conditionOf(c.config(), v1.ConditionReady) }).WithTimeout(4 * time.Second).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
	})

	It("holds provisioning while SSO is not Lightrun's login method (Lightrun rule 2)", func() {
		c := newCompany(withEmulator(func(o *emulator.Options) { o.LoginMethod = emulator.LoginMethodPassword }))
		ic := c.config()
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionSSOEnabled) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonSSONotEnabled))
		Expect(conditionOf(ic, v1.ConditionReady)).To(haveCondition(metav1.ConditionFalse, v1.ReasonSSONotEnabled))
		Expect(conditionOf(ic, v1.ConditionSSOEnabled).Message).To(ContainSubstring("PASSWORD"))
		Expect(eventNotes(ic, v1.ReasonSSONotEnabled)[0]).To(ContainSubstring("Lightrun rule 2"))

		u := c.user("waiting@example.com")
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonIdentityConfigNotReady))
		Expect(conditionOf(u, v1.ConditionSynced).Message).To(ContainSubstring("SSONotEnabled"))
		Eventually(func() v1.UserCounts { return c.config().Status.Users }).
			Should(Equal(v1.UserCounts{Total: 1, Pending: 1}))
		// Held means nothing is pushed: no user reaches Lightrun.
		Consistently(func() int { return c.requests(http.MethodPost, "/api/v1/users") }).
			WithTimeout(2 * time.Second).Should(BeZero())
		Expect(c.lightrunUsers()).To(BeEmpty())

		Expect(c.emu.SetLoginMethod(emulator.LoginMethodSSO)).To(Succeed())
		synced(u)
		Expect(c.lightrunUser("waiting@example.com")).NotTo(BeNil())
		Eventually(func() v1.UserCounts { return c.config().Status.Users }).
			Should(Equal(v1.UserCounts{Total: 1, Synced: 1}))
	})

	It("refuses a second IdentityConfig for the same Lightrun company, also at its SCIM endpoint (Lightrun rule 1)", func() {
		first := newCompany()
		Eventually(func() metav1.Condition { return conditionOf(first.config(), v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))

		// Another team points a second IdentityConfig, in another namespace,
		// at the same company (same URL, same company id).
		second := newCompany()
		dup := second.configObject("second-idp", first.emu.URL(), first.emu.CompanyID())
		Expect(k8sClient.Create(ctx, dup)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, dup))).To(Succeed()) })
		Eventually(func() metav1.Condition { return conditionOf(dup, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonDuplicateIdentityProvider))
		msg := conditionOf(dup, v1.ConditionReady).Message
		Expect(msg).To(ContainSubstring(first.ns + "/" + first.name))
		Expect(msg).To(ContainSubstring("Lightrun rule 1"))
		Expect(eventNotes(dup, v1.ReasonDuplicateIdentityProvider)).NotTo(BeEmpty())
		// The incumbent is not displaced.
		Consistently(func() metav1.Condition { return conditionOf(first.config(), v1.ConditionReady) }).
			WithTimeout(time.Second).Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))

		// Its users wait; nothing reaches the company through it.
		u := second.userObject("dup@example.com", "dup@example.com")
		u.Spec.IdentityConfigRef.Name = dup.Name
		u.Labels[v1.LabelIdentityConfig] = dup.Name
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonIdentityConfigNotReady))
		Expect(conditionOf(u, v1.ConditionSynced).Message).To(ContainSubstring("Lightrun rule 1"))
		Expect(first.lightrunUser("dup@example.com")).To(BeNil())

		// Its SCIM endpoint refuses the IdP with a SCIM error saying why.
		resp := scimRequest(http.MethodGet, "http://"+scimAddr+scim.BasePath+"/"+dup.Namespace+"/"+dup.Name+"/Users", second.token, nil)
		Expect(resp.status).To(Equal(http.StatusForbidden), resp.String())
		Expect(resp.body["detail"]).To(ContainSubstring("already fed by IdentityConfig " + first.ns + "/" + first.name))

		// When the incumbent goes, the second one takes over the company.
		Expect(k8sClient.Delete(ctx, first.config())).To(Succeed())
		Eventually(func() metav1.Condition { return conditionOf(dup, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		synced(u)
		Expect(first.lightrunUser("dup@example.com")).NotTo(BeNil())
	})

	It("holds provisioning while Lightrun's built-in SCIM provisioning is also enabled (Lightrun rule 1)", func() {
		c := newCompany(withEmulator(func(o *emulator.Options) { o.BuiltInSCIM = true }))
		ic := c.config()
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionBuiltInSCIMDisabled) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonBuiltInSCIMEnabled))
		Expect(eventNotes(ic, v1.ReasonBuiltInSCIMEnabled)[0]).To(ContainSubstring("Lightrun rule 1"))
		// Another IdM is integrated with the company: a refusal, not a warning.
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonBuiltInSCIMEnabled))
		Expect(fresh(ic).Status.Lightrun.BuiltInSCIMEnabled).To(BeTrue())
		u := c.user("held@example.com")
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonIdentityConfigNotReady))
		Expect(conditionOf(u, v1.ConditionSynced).Message).To(ContainSubstring("built-in SCIM"))
		Consistently(func() any { return c.lightrunUser("held@example.com") }).WithTimeout(time.Second).Should(BeNil())

		c.emu.SetBuiltInSCIM(false)
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionBuiltInSCIMDisabled) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonBuiltInSCIMOff))
		synced(u)
	})

	It("provisions beside Lightrun's built-in SCIM only when spec.builtInSCIM accepts the risk", func() {
		c := newCompany(withEmulator(func(o *emulator.Options) { o.BuiltInSCIM = true }),
			withConfig(func(ic *v1.IdentityConfig) { ic.Spec.BuiltInSCIM = v1.BuiltInSCIMRiskConflictingWrites }))
		ic := c.config()
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionBuiltInSCIMDisabled) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonBuiltInSCIMRiskAccepted))
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		Expect(conditionOf(ic, v1.ConditionReady).Message).To(ContainSubstring("built-in"))
		Expect(eventNotes(ic, v1.ReasonBuiltInSCIMRiskAccepted)).NotTo(BeEmpty())
		synced(c.user("risky@example.com"))
	})

	It("refuses an API key of another Lightrun company than spec.lightrun.companyId names (Lightrun rule 1)", func() {
		c := newCompany(withConfig(func(ic *v1.IdentityConfig) { ic.Spec.Lightrun.CompanyID = "not-the-company" }))
		ic := c.config()
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonCompanyMismatch))
		msg := conditionOf(ic, v1.ConditionReady).Message
		Expect(msg).To(ContainSubstring(c.emu.CompanyID()), "the company Lightrun reports")
		Expect(msg).To(ContainSubstring("not-the-company"), "the company the spec names")
		Expect(fresh(ic).Status.Lightrun.CompanyID).To(Equal(c.emu.CompanyID()))
		Expect(eventNotes(ic, v1.ReasonCompanyMismatch)).NotTo(BeEmpty())
		u := c.user("elsewhere@example.com")
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonIdentityConfigNotReady))
		Expect(c.lightrunUser("elsewhere@example.com")).To(BeNil())

		// Two IdentityConfigs with different company ids cannot both feed
		// the company behind one key: the fixed one provisions.
		fixed := fresh(ic).DeepCopy()
		patch := client.MergeFrom(fixed.DeepCopy())
		fixed.Spec.Lightrun.CompanyID = c.emu.CompanyID()
		Expect(k8sClient.Patch(ctx, fixed, patch)).To(Succeed())
		synced(u)
	})

	It("says clearly when the API key's permission level cannot provision", func() {
		// A DEV-level key reaches agent pools only; users, groups and the
		// IdM settings need the COMPANY level.
		c := newCompany(withEmulator(func(o *emulator.Options) { o.APIKeys, o.DevAPIKeys = nil, []string{apiKey} }))
		ic := c.config()
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionBackendReachable) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonInsufficientPermissions))
		Expect(conditionOf(ic, v1.ConditionBackendReachable).Message).To(ContainSubstring("COMPANY permission level"))
		Expect(conditionOf(ic, v1.ConditionReady)).To(haveCondition(metav1.ConditionFalse, v1.ReasonInsufficientPermissions))
	})

	It("reports Lightrun's own createExistingUsersEnabled toggle", func() {
		c := newCompany()
		ic := c.config()
		Expect(c.portal.SetProvisioningConfig(ctx, lightrun.ProvisioningConfigUpdate{
			SCIM: &lightrun.SCIMSettings{CreateExistingUsersEnabled: true}})).To(Succeed())
		c.requestResync()
		Eventually(func() bool { return fresh(ic).Status.Lightrun.CreateExistingUsersEnabled }).Should(BeTrue())
		Expect(fresh(ic).Status.Lightrun.BuiltInSCIMEnabled).To(BeFalse())
	})

	It("validates its Secrets and follows a rotated API key without a restart", func() {
		c := newCompany(withConfig(func(ic *v1.IdentityConfig) {
			ic.Spec.Lightrun.APIKeySecretRef.Name = "not-yet"
			ic.Spec.SCIM.BearerTokenSecretRef.Key = "missing"
		}))
		ic := c.config()
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonSecretNotFound))
		Expect(conditionOf(ic, v1.ConditionEndpointReady)).To(haveCondition(metav1.ConditionFalse, v1.ReasonSecretKeyMissing))

		// The Secret appears with a wrong key: Lightrun answers 401. It
		// carries the watch label, so the manager's cache sees it.
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "not-yet", Namespace: c.ns, Labels: map[string]string{v1.LabelWatch: "true"}},
			StringData: map[string]string{"apiKey": "wrong-key"},
		}
		Expect(k8sClient.Create(ctx, secret)).To(Succeed())
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionBackendReachable) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonUnauthorized))

		// Rotating it to the right key heals the IdentityConfig.
		update(secret, func(s *corev1.Secret) { s.StringData = map[string]string{"apiKey": apiKey} })
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionBackendReachable) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		// A bearer token shorter than 32 bytes is refused, and the
		// IdentityConfig says so; a long one written with kubectl create
		// secret --from-file (trailing newline) is fine.
		update(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "scim-token", Namespace: c.ns}}, func(s *corev1.Secret) {
			s.Labels = map[string]string{v1.LabelWatch: "true"}
			s.StringData = map[string]string{"missing": "now-present"}
		})
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionEndpointReady) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonBearerTokenTooShort))
		update(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "scim-token", Namespace: c.ns}}, func(s *corev1.Secret) {
			s.StringData = map[string]string{"missing": "now-present-and-long-enough-0123456789\n"}
		})
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
	})

	It("uses Secrets without the watch label by name and follows their rotation within the check interval", func() {
		// newCompany's Secrets carry no label: the manager's cache never
		// holds them, yet the IdentityConfig works.
		c := newCompany()
		ic := c.config()
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		update(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: apiKeyOf, Namespace: c.ns}}, func(s *corev1.Secret) {
			s.StringData = map[string]string{"apiKey": "rotated-to-a-wrong-key"}
		})
		// The next check after the interval (1s here) reads the new key.
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionBackendReachable) }).
			WithTimeout(10 * time.Second).Should(haveCondition(metav1.ConditionFalse, v1.ReasonUnauthorized))
	})

	It("counts users synced, pending and failed", func() {
		c := newCompany()
		ok := c.user("counted@example.com")
		noEmail := c.user("no-email", func(u *v1.ScimUser) { u.Spec.Emails = nil })
		synced(ok)
		Eventually(func() metav1.Condition { return conditionOf(noEmail, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonNoEmail))
		c.group("Some Group")
		Eventually(func() v1.IdentityConfigStatus { return c.config().Status }).Should(And(
			HaveField("Users", Equal(v1.UserCounts{Total: 2, Synced: 1, Failed: 1})),
			HaveField("Groups", BeEquivalentTo(1)),
		))
	})

	It("reports an unreachable Lightrun without retrying in a hot loop", func() {
		c := newCompany()
		ic := c.config()
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		c.emu.ResetRequests()
		c.emu.StartOutage(3 * time.Second)
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionBackendReachable) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonBackendUnreachable))
		Expect(eventNotes(ic, v1.ReasonBackendUnreachable)).NotTo(BeEmpty())
		Eventually(func() metav1.Condition { return conditionOf(ic, v1.ConditionBackendReachable) }).
			WithTimeout(20 * time.Second).Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		// One IdentityConfig, 3s of outage, checks with backoff capped at the
		// 1s check interval (each check: the client's 3 attempts of 2 calls).
		Expect(len(c.emu.Requests())).To(BeNumerically("<", 40))
	})
})

var _ = Describe("Metrics", func() {
	It("counts Lightrun calls by operation and status and users by state", func() {
		c := newCompany()
		u := synced(c.user("metered@example.com"))
		Expect(eventNotes(u, controller.EventUserCreated)[0]).To(ContainSubstring("metered@example.com"))
		Eventually(func() float64 {
			return metricValue("lightrun_identity_users", map[string]string{"namespace": c.ns, "identity_config": c.name, "state": "synced"})
		}).Should(BeEquivalentTo(1))
		Expect(metricValue("lightrun_identity_lightrun_requests_total", map[string]string{"operation": "createUser", "status": "2xx"})).To(BeNumerically(">=", 1))
		// A 404 is counted under its own status: the user deleted in
		// Lightrun behind the operator's back is looked for when the user
		// changes (the last listing still holds it), then made again. (A
		// resync would list Lightrun first and, seeing it absent, make it
		// again without looking.)
		Expect(c.portal.DeleteUser(ctx, "metered@example.com")).To(Succeed())
		update(u, func(u *v1.ScimUser) { u.Spec.DisplayName = "Metered Again" })
		Eventually(func() float64 {
			return metricValue("lightrun_identity_lightrun_requests_total", map[string]string{"operation": "getUser", "status": "404"})
		}).Should(BeNumerically(">=", 1))
		Eventually(func() *emulator.User { return c.lightrunUser("metered@example.com") }).ShouldNot(BeNil())
		Expect(metricCount("lightrun_identity_reconcile_duration_seconds", map[string]string{"controller": "scimuser", "outcome": v1.ReasonReconciled})).To(BeNumerically(">=", 1))
	})
})
