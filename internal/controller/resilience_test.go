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
	"fmt"
	"net/http"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

// syncedCount counts a company's ScimUsers with Synced=True.
func (c *company) syncedCount() int {
	GinkgoHelper()
	var list v1.ScimUserList
	Expect(k8sClient.List(ctx, &list, client.InNamespace(c.ns))).To(Succeed())
	n := 0
	for _, u := range list.Items {
		if cond := meta.FindStatusCondition(u.Status.Conditions, v1.ConditionSynced); cond != nil && cond.Status == metav1.ConditionTrue {
			n++
		}
	}
	return n
}

// pushUsers creates n ScimUsers in group g, as an IdP's initial push would.
func (c *company) pushUsers(format string, n int, g *v1.ScimGroup) []string {
	GinkgoHelper()
	all := emails(format, n)
	for _, e := range all {
		c.user(e, inGroups(g))
	}
	return all
}

// lightrunEmails returns the sorted emails of the company's Lightrun users.
func (c *company) lightrunEmails() []string {
	GinkgoHelper()
	users := c.lightrunUsers()
	out := make([]string, 0, len(users))
	for _, u := range users {
		out = append(out, u.Email)
	}
	slices.Sort(out)
	return out
}

// created counts the successful user creations Lightrun answered.
func (c *company) created() int {
	n := 0
	for _, r := range c.emu.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/v1/users" && r.Status == http.StatusCreated {
			n++
		}
	}
	return n
}

func faulted(reqs []emulator.Request, fault string) int {
	n := 0
	for _, r := range reqs {
		if r.Fault == fault {
			n++
		}
	}
	return n
}

var _ = Describe("Resilience", func() {
	It("holds work during a Lightrun outage and converges after it, without a hot loop", func() {
		const users = 100
		c := newCompany()
		Eventually(func() metav1.Condition { return conditionOf(c.config(), v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		everyone := c.group("Everyone")
		p := c.pool("everyone", v1.AgentPoolSpec{Members: v1.AgentPoolMembers{Groups: []string{"Everyone"}}})
		ready(p)
		c.emu.ResetRequests()

		// Long enough to be seen on a busy machine: the hold must begin
		// while Lightrun is still down.
		const outage = 6 * time.Second
		start := time.Now()
		c.emu.StartOutage(outage)
		want := c.pushUsers("outage-%03d@example.com", users, everyone)

		Eventually(func() metav1.Condition { return conditionOf(c.config(), v1.ConditionBackendReachable) }).
			WithTimeout(outage).Should(haveCondition(metav1.ConditionFalse, v1.ReasonBackendUnreachable))
		// Held: users wait with a reason instead of failing in a loop.
		Eventually(func() int {
			var list v1.ScimUserList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(c.ns))).To(Succeed())
			held := 0
			for _, u := range list.Items {
				if cond := meta.FindStatusCondition(u.Status.Conditions, v1.ConditionSynced); cond != nil &&
					(cond.Reason == v1.ReasonIdentityConfigNotReady || cond.Reason == v1.ReasonBackendUnreachable) {
					held++
				}
			}
			return held
		}).WithTimeout(outage).Should(BeNumerically(">", 0))

		Eventually(c.syncedCount).WithTimeout(90 * time.Second).Should(Equal(users))
		converged := time.Since(start)
		Eventually(func() []string { return c.groupMembers(fresh(p).Status.GroupID) }).Should(Equal(want))
		Expect(c.lightrunEmails()).To(Equal(want))
		Expect(c.created()).To(Equal(users), "each user created exactly once")

		reqs := c.emu.Requests()
		during := faulted(reqs, "outage")
		AddReportEntry("outage", fmt.Sprintf("%d users, %s outage: %d requests answered 503 by the outage, %d requests in all, full sync %s after the outage began",
			users, outage, during, len(reqs), converged.Round(100*time.Millisecond)))
		GinkgoWriter.Printf("outage: %d answered 503, %d total, converged in %s\n", during, len(reqs), converged)
		// Without holding, 100 users retrying with a 50ms..2s backoff for 6s
		// would send well over a thousand requests.
		Expect(during).To(BeNumerically("<", 2*users))
		Expect(len(reqs)).To(BeNumerically("<", 6*users))
	})

	It("respects Retry-After through a storm of 429s and converges with a bounded number of requests", func() {
		const (
			users = 100
			storm = 4 * time.Second
		)
		c := newCompany()
		Eventually(func() metav1.Condition { return conditionOf(c.config(), v1.ConditionReady) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		everyone := c.group("Everyone")
		c.emu.ResetRequests()
		// For four seconds Lightrun answers every call 429 with Retry-After: 1.
		Expect(c.emu.SetFaults(emulator.Faults{ThrottleRate: 1, RetryAfter: emulator.Duration(time.Second)})).To(Succeed())
		start := time.Now()
		stormOver := time.AfterFunc(storm, c.emu.ClearFaults)
		DeferCleanup(stormOver.Stop)
		want := c.pushUsers("storm-%03d@example.com", users, everyone)

		Eventually(c.syncedCount).WithTimeout(90 * time.Second).Should(Equal(users))
		converged := time.Since(start)
		Expect(c.lightrunEmails()).To(Equal(want))
		Expect(c.created()).To(Equal(users), "each user created exactly once")

		reqs := c.emu.Requests()
		got429 := faulted(reqs, "throttle")
		// Retry-After is respected by every caller together: after a 429,
		// the client holds all its requests for a second, so a one-second
		// window sees at most one wave of the callers in flight (8 user
		// workers and the IdentityConfig's check), never a retry loop.
		var times []time.Time
		for _, r := range reqs {
			if r.Fault == "throttle" {
				times = append(times, r.Time)
			}
		}
		worst := 0
		for i := range times {
			j := i
			for j < len(times) && times[j].Sub(times[i]) < time.Second {
				j++
			}
			worst = max(worst, j-i)
		}
		AddReportEntry("429 storm", fmt.Sprintf("%d users, %s of 429s (Retry-After 1s): %d requests answered 429, at most %d in any second, %d requests in all, full sync %s after the storm began",
			users, storm, got429, worst, len(reqs), converged.Round(100*time.Millisecond)))
		GinkgoWriter.Printf("429 storm: %d answered 429, worst second %d, %d total, converged in %s\n", got429, worst, len(reqs), converged)
		Expect(worst).To(BeNumerically("<=", 12))
		Expect(got429).To(BeNumerically("<=", 12*int(storm/time.Second)+12))
		Expect(len(reqs) - got429).To(BeNumerically("<", 4*users))
	})

	It("loses and duplicates nothing when the manager restarts in the middle of syncing 500 users", func() {
		const users = 500
		stopShared()
		DeferCleanup(func() { stopShared = startManager(managerOptions()) })

		c := newCompany(withEmulator(func(o *emulator.Options) {
			// A little latency keeps calls in flight when the manager stops.
			o.Faults = emulator.Faults{Latency: emulator.Duration(2 * time.Millisecond)}
		}))
		everyone := c.group("Everyone")
		p := c.pool("everyone", v1.AgentPoolSpec{Members: v1.AgentPoolMembers{Groups: []string{"Everyone"}}})
		want := c.pushUsers("restart-%03d@example.com", users, everyone)

		// The state a crash between "Lightrun created the user" and "the
		// status was written" leaves: the write-ahead record is there (the
		// email and the time of the attempt), the Lightrun user exists, made
		// just after, and the rest of the status is empty.
		// provisionExistingUsers is off, so only recognising its own user
		// lets the operator go on. Three users carry the record in status,
		// three in the annotations of earlier versions, three in the
		// IdentityConfig's journal.
		var list v1.ScimUserList
		Expect(k8sClient.List(ctx, &list, client.InNamespace(c.ns))).To(Succeed())
		var journal []v1.UserCreateAttempt
		for i, u := range list.Items[:9] {
			email := u.Spec.UserName
			now := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
			switch {
			case i < 3:
				u.Status.CreateAttempt = &v1.LightrunCreateAttempt{Email: email, Time: now}
				Expect(k8sClient.Status().Update(ctx, &u)).To(Succeed())
			case i >= 6:
				journal = append(journal, v1.UserCreateAttempt{User: u.Name, UID: string(u.UID), Email: email, Time: now})
			default:
				update(&u, func(u *v1.ScimUser) {
					if u.Annotations == nil {
						u.Annotations = map[string]string{}
					}
					u.Annotations[v1.AnnotationLightrunUser] = email
					u.Annotations[v1.AnnotationLightrunUserCreateAttempt] = time.Now().UTC().Format(time.RFC3339)
				})
			}
			_, err := c.portal.CreateUser(ctx, lightrun.CreateUserRequest{Email: email, FirstName: "Given-x", LastName: "Family"})
			Expect(err).NotTo(HaveOccurred())
		}
		ic := c.config()
		ic.Status.CreateAttempts = journal
		Expect(k8sClient.Status().Update(ctx, ic)).To(Succeed())

		start := time.Now()
		stopFirst := startManager(managerOptions())
		Eventually(c.syncedCount).WithTimeout(60 * time.Second).Should(BeNumerically(">=", users/4))
		stopFirst()
		atStop := c.syncedCount()
		inLightrunAtStop := len(c.lightrunUsers())
		Expect(atStop).To(BeNumerically("<", users), "the restart must interrupt the sync")

		stopSecond := startManager(managerOptions())
		DeferCleanup(stopSecond)
		Eventually(c.syncedCount).WithTimeout(120 * time.Second).Should(Equal(users))
		converged := time.Since(start)

		Expect(c.lightrunEmails()).To(Equal(want), "each user exactly once in Lightrun")
		Expect(c.created()).To(Equal(users), "no user created twice (9 by the simulated crash, the rest by the operator)")
		Expect(k8sClient.List(ctx, &list, client.InNamespace(c.ns))).To(Succeed())
		for _, u := range list.Items {
			Expect(u.Status.Adopted).To(BeFalse(), "%s was the operator's own user, not an adopted one", u.Spec.UserName)
			Expect(u.Status.LightrunUserID).To(Equal(c.lightrunUser(u.Spec.UserName).ID))
			Expect(u.Status.CreateAttempt).To(BeNil(), "%s: the write-ahead record has served", u.Spec.UserName)
			Expect(u.Annotations).NotTo(HaveKey(v1.AnnotationLightrunUser), "%s: an earlier version's record moved into status", u.Spec.UserName)
		}
		Eventually(func() []string { return c.groupMembers(fresh(p).Status.GroupID) }).Should(Equal(want))
		Eventually(func() v1.UserCounts { return c.config().Status.Users }).Should(Equal(v1.UserCounts{Total: users, Synced: users}))
		Eventually(c.createAttempts).WithTimeout(20*time.Second).Should(BeEmpty(), "every record in the journal has served")

		reqs := c.emu.Requests()
		AddReportEntry("restart", fmt.Sprintf("%d users: manager stopped with %d synced and %d in Lightrun; %d requests in all; all synced %s after the first start",
			users, atStop, inLightrunAtStop, len(reqs), converged.Round(100*time.Millisecond)))
		GinkgoWriter.Printf("restart: stopped at %d synced / %d in Lightrun, %d requests, converged in %s\n", atStop, inLightrunAtStop, len(reqs), converged)
	})
})
