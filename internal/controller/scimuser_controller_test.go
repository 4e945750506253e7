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
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/controller"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
)

var _ = Describe("ScimUser", func() {
	It("lands a user no AgentPool selects in the default pool with the DEVELOPER role (Lightrun rule 4)", func() {
		c := newCompany()
		u := synced(c.user("Dana@Example.com"))
		lu := c.lightrunUser("dana@example.com")
		Expect(lu).NotTo(BeNil())
		Expect(lu.Roles).To(Equal([]string{"DEVELOPER"}))
		Expect(lu.Enabled).To(BeTrue())
		Expect(lu.FirstName).To(Equal("Given-Dana"))
		Expect(lu.LastName).To(Equal("Family"))

		Expect(u.Status.LightrunUserID).To(Equal(lu.ID))
		Expect(u.Status.Email).To(Equal("dana@example.com"))
		Expect(u.Status.EffectiveAgentPools).To(Equal([]string{emulator.DefaultAgentPoolName}))
		Expect(u.Status.EffectiveRoles).To(Equal([]v1.LightrunUserRole{v1.RoleDeveloper}))
		Expect(u.Status.ObservedGeneration).To(Equal(u.Generation))
		Expect(u.Status.LastSyncTime).NotTo(BeNil())
		Expect(u.Status.Adopted).To(BeFalse())
		Expect(u.Finalizers).To(ContainElement(v1.FinalizerLightrun))
		Expect(conditionOf(u, v1.ConditionSynced)).To(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		// Lightrun puts every user in its default group, linked to the default pool.
		Expect(c.groupMembers(c.emu.DefaultGroupID())).To(ContainElement("dana@example.com"))
		Expect(eventNotes(u, controller.EventUserCreated)[0]).To(ContainSubstring("dana@example.com"))
	})

	It("creates a new user with one request to Lightrun once a resync has listed who exists", func() {
		c := newCompany(withConfig(func(ic *v1.IdentityConfig) { ic.Spec.ProvisionExistingUsers = true }))
		c.requestResync()
		// Made in Lightrun after the listing: the listing says absent, the
		// create is refused, and the lookup after it finds the user.
		_, err := c.portal.CreateUser(ctx, lightrun.CreateUserRequest{Email: "late@example.com", FirstName: "Late", LastName: "Comer"})
		Expect(err).NotTo(HaveOccurred())
		c.emu.ResetRequests()

		fresh := synced(c.user("new@example.com"))
		Expect(fresh.Status.Adopted).To(BeFalse())
		Expect(c.requests(http.MethodGet, "/api/v1/users/new@example.com")).To(BeZero(), "the listing already said the user is not there")
		Expect(c.requests(http.MethodPost, "/api/v1/users")).To(Equal(1))

		late := synced(c.user("late@example.com"))
		Expect(late.Status.Adopted).To(BeTrue(), "a stale listing costs a request, never a wrong decision")
		Expect(c.lightrunUsers()).To(HaveLen(2))
	})

	It("uses the IdentityConfig's default roles for users in no pool", func() {
		c := newCompany(withConfig(func(ic *v1.IdentityConfig) {
			ic.Spec.DefaultRoles = []v1.LightrunUserRole{v1.RoleCompanyViewer, v1.RoleDeveloper}
		}))
		synced(c.user("viewer@example.com"))
		Expect(c.lightrunUser("viewer@example.com").Roles).To(ConsistOf("COMPANY_VIEWER", "DEVELOPER"))
	})

	It("gives a user of two agent pools the union of their roles (Lightrun rule 4)", func() {
		c := newCompany()
		payments := c.group("Payments Engineers")
		c.pool("incident", v1.AgentPoolSpec{
			Roles:   []v1.LightrunUserRole{v1.RoleDeveloper, v1.RoleIncidentResponder},
			Members: v1.AgentPoolMembers{UserNames: []string{"ALICE@example.com"}},
		})
		c.pool("appsec", v1.AgentPoolSpec{
			Roles:       []v1.LightrunUserRole{v1.RoleAppSec},
			AccessLevel: v1.AccessLevelPrivileged,
			Members:     v1.AgentPoolMembers{Groups: []string{"payments engineers"}},
		})
		alice := c.user("alice@example.com", inGroups(payments))
		bob := c.user("bob@example.com")

		Eventually(func() []v1.LightrunUserRole { return fresh(alice).Status.EffectiveRoles }).
			Should(Equal([]v1.LightrunUserRole{v1.RoleAppSec, v1.RoleIncidentResponder, v1.RoleDeveloper}))
		alice = synced(alice)
		Expect(alice.Status.EffectiveAgentPools).To(Equal([]string{"appsec", "incident"}))
		Expect(c.lightrunUser("alice@example.com").Roles).To(ConsistOf("APP_SEC", "INCIDENT_RESPONDER", "DEVELOPER"))
		// Bob is in no pool: default role.
		Expect(synced(bob).Status.EffectiveRoles).To(Equal([]v1.LightrunUserRole{v1.RoleDeveloper}))
		Expect(c.lightrunUser("bob@example.com").Roles).To(Equal([]string{"DEVELOPER"}))

		// Leaving the group drops the group's pool and its roles.
		update(alice, func(u *v1.ScimUser) { u.Spec.Groups = nil })
		Eventually(func() []string { return c.lightrunUser("alice@example.com").Roles }).
			Should(ConsistOf("INCIDENT_RESPONDER", "DEVELOPER"))
		Expect(eventNotes(alice, controller.EventUserUpdated)[0]).To(ContainSubstring("roles"))
	})

	It("follows name changes and the active flag", func() {
		c := newCompany()
		u := synced(c.user("carol@example.com"))
		update(u, func(u *v1.ScimUser) { u.Spec.Name.GivenName = "Caroline" })
		Eventually(func() string { return c.lightrunUser("carol@example.com").FirstName }).Should(Equal("Caroline"))

		update(u, func(u *v1.ScimUser) { u.Spec.Active = new(false) })
		Eventually(func() bool { return c.lightrunUser("carol@example.com").Enabled }).Should(BeFalse())
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonDeprovisioned))
		Expect(eventNotes(u, controller.EventUserDisabled)).NotTo(BeEmpty())

		update(u, func(u *v1.ScimUser) { u.Spec.Active = new(true) })
		Eventually(func() bool { return c.lightrunUser("carol@example.com").Enabled }).Should(BeTrue())
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
	})

	It("refuses a user without an email with NoEmail", func() {
		c := newCompany()
		u := c.user("jdoe", func(u *v1.ScimUser) { u.Spec.Emails = nil })
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonNoEmail))
		Expect(c.requests(http.MethodPost, "/api/v1/users")).To(BeZero())
		// Adding a work email lets it through.
		update(u, func(u *v1.ScimUser) {
			u.Spec.Emails = []v1.ScimMultiValue{{Value: "jdoe@example.com", Type: "work"}}
		})
		Expect(synced(u).Status.Email).To(Equal("jdoe@example.com"))
	})

	Context("when the email already exists in Lightrun (Lightrun rule 5)", func() {
		existing := func(c *company, email string) *lightrun.User {
			GinkgoHelper()
			lu, err := c.portal.CreateUser(ctx, lightrun.CreateUserRequest{Email: email, FirstName: "Pre", LastName: "Existing"})
			Expect(err).NotTo(HaveOccurred())
			return lu
		}

		It("adopts the user with provisionExistingUsers", func() {
			c := newCompany(withConfig(func(ic *v1.IdentityConfig) { ic.Spec.ProvisionExistingUsers = true }))
			before := existing(c, "erin@example.com")
			u := synced(c.user("erin@example.com"))
			Expect(u.Status.Adopted).To(BeTrue())
			Expect(u.Status.LightrunUserID).To(Equal(before.ID))
			Expect(conditionOf(u, v1.ConditionSynced).Message).To(ContainSubstring("adopted"))
			Expect(eventNotes(u, controller.EventUserAdopted)).NotTo(BeEmpty())
			// Adopted means managed: the names are the IdP's now, and no second user exists.
			Expect(c.lightrunUser("erin@example.com").FirstName).To(Equal("Given-erin"))
			Expect(c.lightrunUsers()).To(HaveLen(1))
			Expect(c.requests(http.MethodPost, "/api/v1/users")).To(Equal(1)) // the portal's own create
		})

		It("never adopts a user another identity provider manages, even with provisionExistingUsers (Lightrun rule 1)", func() {
			c := newCompany(withConfig(func(ic *v1.IdentityConfig) { ic.Spec.ProvisionExistingUsers = true }))
			for _, kind := range []string{"SCIM", "LDAP"} {
				email := strings.ToLower(kind) + "-user@example.com"
				existing(c, email)
				st, err := c.emu.State()
				Expect(err).NotTo(HaveOccurred())
				for _, lu := range st.Users {
					if lu.Email == email {
						lu.UserManagementType = kind
					}
				}
				Expect(c.emu.ReplaceState(st)).To(Succeed())
				u := c.user(email)
				Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
					Should(haveCondition(metav1.ConditionFalse, v1.ReasonManagedByAnotherIdP))
				Expect(conditionOf(u, v1.ConditionSynced).Message).To(ContainSubstring(kind))
				Expect(fresh(u).Status.Adopted).To(BeFalse())
				Expect(c.lightrunUser(email).FirstName).To(Equal("Pre"), "the other IdP's user is left as it is")
			}
			Eventually(func() v1.UserCounts { return c.config().Status.Users }).Should(HaveField("Failed", BeEquivalentTo(2)))
		})

		It("refuses the user with ExistingUnmanagedUser without provisionExistingUsers", func() {
			c := newCompany()
			before := existing(c, "frank@example.com")
			u := c.user("frank@example.com")
			Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
				Should(haveCondition(metav1.ConditionFalse, v1.ReasonExistingUnmanagedUser))
			Expect(conditionOf(u, v1.ConditionSynced).Message).To(ContainSubstring("provisionExistingUsers"))
			u = fresh(u)
			Expect(u.Status.Adopted).To(BeFalse())
			Expect(u.Status.LightrunUserID).To(BeEmpty())
			Consistently(func() string { return c.lightrunUser("frank@example.com").FirstName }).
				WithTimeout(time.Second).Should(Equal(before.FirstName), "an unmanaged user is left alone")
			Eventually(func() v1.UserCounts { return c.config().Status.Users }).Should(HaveField("Failed", BeEquivalentTo(1)))

			// Deleting the refused user leaves the Lightrun user alone too.
			Expect(k8sClient.Delete(ctx, u)).To(Succeed())
			deleted(u)
			Expect(c.lightrunUser("frank@example.com").Enabled).To(BeTrue())

			// Turning adoption on is what lets such users in.
			u2 := c.user("frank@example.com")
			Eventually(func() metav1.Condition { return conditionOf(u2, v1.ConditionSynced) }).
				Should(haveCondition(metav1.ConditionFalse, v1.ReasonExistingUnmanagedUser))
			c.updateConfig(func(ic *v1.IdentityConfig) { ic.Spec.ProvisionExistingUsers = true })
			Expect(synced(u2).Status.Adopted).To(BeTrue())
		})
	})

	It("disables the Lightrun user when the IdP deletes the user (deprovisionPolicy Disable)", func() {
		c := newCompany()
		u := synced(c.user("gina@example.com"))
		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		deleted(u)
		lu := c.lightrunUser("gina@example.com")
		Expect(lu).NotTo(BeNil(), "Disable keeps the user and its history")
		Expect(lu.Enabled).To(BeFalse())
	})

	It("lets go of a user the SCIM endpoint created with the finalizer and that was never provisioned", func() {
		// The SCIM endpoint sets the finalizer in its create (one write), and
		// undoes a create that lost a race for the userName by deleting it.
		c := newCompany()
		u := c.user("ivy", func(u *v1.ScimUser) {
			u.Finalizers = []string{v1.FinalizerLightrun}
			u.Spec.Emails = nil // never provisioned: Lightrun keys users by email
		})
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonNoEmail))
		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		deleted(u)
		Expect(c.requests(http.MethodPost, "/api/v1/users")).To(BeZero())
	})

	It("keeps a deleted user the SCIM endpoint guards for another user's userName, and lets it go once that user's claim is gone", func() {
		// The SCIM endpoint guards a user renamed away from the userName its
		// object name is derived from while another user holds that
		// userName by a claim; the guard names the claim and its holder.
		c := newCompany()
		holder := synced(c.user("kim-holder@example.com"))
		claim := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: c.ns, Name: "scim-user-guarded",
				Labels: map[string]string{kubestore.LabelClaim: "user", kubestore.LabelClaimOccupies: "true", v1.LabelIdentityConfig: c.name}},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: new(holder.SCIMID())},
		}
		Expect(k8sClient.Create(ctx, claim)).To(Succeed())
		u := synced(c.user("kim-renamed@example.com", func(u *v1.ScimUser) {
			u.Finalizers = []string{v1.FinalizerNameGuard}
			u.Annotations = map[string]string{v1.AnnotationNameHeldBy: holder.SCIMID(), v1.AnnotationNameClaim: claim.Name}
		}))
		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		Eventually(func() []string {
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), u)).To(Succeed())
			return u.Finalizers
		}).Should(Equal([]string{v1.FinalizerNameGuard}), "Lightrun is cleaned up; the guard stays while its holder holds the claim")
		Expect(c.lightrunUser("kim-renamed@example.com").Enabled).To(BeFalse())
		Consistently(func() error {
			return k8sClient.Get(ctx, client.ObjectKeyFromObject(u), u)
		}).WithTimeout(time.Second).Should(Succeed())

		Expect(k8sClient.Delete(ctx, claim)).To(Succeed())
		deleted(u)
	})

	It("deletes the Lightrun user when the IdP deletes the user (deprovisionPolicy Delete)", func() {
		c := newCompany(withConfig(func(ic *v1.IdentityConfig) { ic.Spec.DeprovisionPolicy = v1.DeprovisionDelete }))
		u := synced(c.user("hank@example.com"))
		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		deleted(u)
		Expect(c.lightrunUser("hank@example.com")).To(BeNil())
	})

	It("handles an email change as deprovision-and-provision, since Lightrun cannot rename", func() {
		c := newCompany()
		c.pool("team", v1.AgentPoolSpec{Members: v1.AgentPoolMembers{UserNames: []string{"ivy"}}})
		u := synced(c.user("ivy", func(u *v1.ScimUser) {
			u.Spec.Emails = []v1.ScimMultiValue{{Value: "ivy@old.example.com", Primary: new(true)}}
		}))
		oldID := u.Status.LightrunUserID
		pool := &v1.AgentPool{}
		pool.Namespace, pool.Name = c.ns, "team"
		Eventually(func() []string { return c.groupMembers(fresh(pool).Status.GroupID) }).Should(Equal([]string{"ivy@old.example.com"}))

		update(u, func(u *v1.ScimUser) {
			u.Spec.Emails = []v1.ScimMultiValue{{Value: "ivy@new.example.com", Primary: new(true)}}
		})
		Eventually(func() string { return fresh(u).Status.Email }).Should(Equal("ivy@new.example.com"))
		u = synced(u)
		Expect(u.Status.LightrunUserID).NotTo(Equal(oldID))
		Expect(c.lightrunUser("ivy@new.example.com").Enabled).To(BeTrue())
		Expect(c.lightrunUser("ivy@old.example.com").Enabled).To(BeFalse(), "the old email's user is deprovisioned per policy")
		msg := conditionOf(u, v1.ConditionSynced).Message
		Expect(msg).To(ContainSubstring("changed from ivy@old.example.com"))
		Expect(msg).To(ContainSubstring("cannot rename"))
		Expect(eventNotes(u, controller.EventEmailChanged)[0]).To(ContainSubstring("deprovisionPolicy Disable"))
		// Pool membership follows the new email.
		Eventually(func() []string { return c.groupMembers(fresh(pool).Status.GroupID) }).Should(Equal([]string{"ivy@new.example.com"}))
	})

	It("lets only one user of an IdentityConfig hold an email (EmailInUse)", func() {
		c := newCompany(withConfig(func(ic *v1.IdentityConfig) { ic.Spec.DeprovisionPolicy = v1.DeprovisionDelete }))
		first := synced(c.user("shared@example.com"))
		second := c.user("other-name", func(u *v1.ScimUser) {
			u.Spec.Emails = []v1.ScimMultiValue{{Value: "SHARED@example.com", Type: "work"}}
		})
		Eventually(func() metav1.Condition { return conditionOf(second, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonEmailInUse))
		Expect(conditionOf(second, v1.ConditionSynced).Message).To(ContainSubstring(first.Name))

		Expect(k8sClient.Delete(ctx, first)).To(Succeed())
		deleted(first)
		second = synced(second)
		Expect(second.Status.Email).To(Equal("shared@example.com"))
		Expect(c.lightrunUsers()).To(HaveLen(1))
	})

	It("shows a rejection retrying cannot fix as LightrunRejected, and retries it once Lightrun allows it", func() {
		c := newCompany(withEmulator(func(o *emulator.Options) { o.RBAC = false }))
		c.pool("responders", v1.AgentPoolSpec{
			Roles:   []v1.LightrunUserRole{v1.RoleIncidentResponder},
			Members: v1.AgentPoolMembers{UserNames: []string{"jack@example.com"}},
		})
		u := c.user("jack@example.com")
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonLightrunRejected))
		Expect(conditionOf(u, v1.ConditionSynced).Message).To(ContainSubstring("RBAC"))
		Expect(eventNotes(u, v1.ReasonLightrunRejected)).NotTo(BeEmpty())
		// Terminal: no retry loop while nothing changes.
		posts := c.requests(http.MethodPost, "/api/v1/users")
		Consistently(func() int { return c.requests(http.MethodPost, "/api/v1/users") }).
			WithTimeout(2 * time.Second).Should(Equal(posts))

		c.emu.SetRBAC(true)
		c.requestResync()
		Expect(synced(u).Status.EffectiveRoles).To(Equal([]v1.LightrunUserRole{v1.RoleIncidentResponder}))
	})

	It("does not take over a user made by hand after its own create was refused (Lightrun rule 5)", func() {
		c := newCompany(withEmulator(func(o *emulator.Options) { o.RBAC = false }))
		c.pool("responders", v1.AgentPoolSpec{
			Roles:   []v1.LightrunUserRole{v1.RoleIncidentResponder},
			Members: v1.AgentPoolMembers{UserNames: []string{"kate@example.com"}},
		})
		u := c.user("kate@example.com")
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonLightrunRejected))
		// The refused create leaves no record behind.
		Eventually(func() *v1.LightrunCreateAttempt { return fresh(u).Status.CreateAttempt }).Should(BeNil())
		Expect(c.createAttempts()).NotTo(HaveKey(u.Name), "nor in the IdentityConfig's journal")

		// Someone creates the user by hand, later; then Lightrun would allow
		// the operator's request.
		_, err := c.portal.CreateUser(ctx, lightrun.CreateUserRequest{Email: "kate@example.com", FirstName: "By", LastName: "Hand"})
		Expect(err).NotTo(HaveOccurred())
		c.emu.SetRBAC(true)
		c.requestResync()
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonExistingUnmanagedUser))
		Consistently(func() string { return c.lightrunUser("kate@example.com").FirstName }).
			WithTimeout(time.Second).Should(Equal("By"))

		// Deleting the ScimUser leaves the hand-made user alone.
		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		Eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &v1.ScimUser{}) }).Should(Satisfy(apierrors.IsNotFound))
		Expect(c.lightrunUser("kate@example.com").Enabled).To(BeTrue())
	})

	It("keeps the write-ahead record in the IdentityConfig's journal while a create is in flight, and drops it once the status records the user", func() {
		c := newCompany(withEmulator(func(o *emulator.Options) {
			// Every call takes long enough to see the create in flight.
			o.Faults = emulator.Faults{Latency: emulator.Duration(time.Second)}
		}))
		before := time.Now().Truncate(time.Second)
		u := c.user("inflight@example.com")
		Eventually(func() []v1.UserCreateAttempt { return c.config().Status.CreateAttempts }).
			WithPolling(20 * time.Millisecond).WithTimeout(30 * time.Second).Should(ContainElement(SatisfyAll(
			HaveField("User", u.Name),
			HaveField("UID", string(fresh(u).UID)),
			HaveField("Email", "inflight@example.com"),
			HaveField("Time.Time", BeTemporally(">=", before)))))
		Expect(c.requests(http.MethodPost, "/api/v1/users")).To(BeNumerically("<=", 1), "recorded before the create call answered")
		Expect(fresh(u).Status.CreateAttempt).To(BeNil(), "one record, in the journal")
		u = synced(u)
		Expect(u.Status.LightrunUserID).NotTo(BeEmpty())
		Expect(u.Status.CreateAttempt).To(BeNil())
		Expect(u.Annotations).To(BeEmpty(), "the record is not kept in annotations")
		Eventually(c.createAttempts).WithTimeout(20*time.Second).ShouldNot(HaveKey(u.Name), "the status records the user: the record has served")
	})

	It("records in its own status the create of a user younger than CreateAttemptsMinAge", func() {
		stopShared()
		DeferCleanup(func() { stopShared = startManager(managerOptions()) })
		opts := managerOptions()
		opts.Controllers.CreateAttemptsMinAge = time.Hour
		DeferCleanup(startManager(opts))

		c := newCompany(withEmulator(func(o *emulator.Options) {
			o.Faults = emulator.Faults{Latency: emulator.Duration(time.Second)}
		}))
		before := time.Now().Truncate(time.Second)
		u := c.user("young@example.com")
		Eventually(func() *v1.LightrunCreateAttempt { return fresh(u).Status.CreateAttempt }).
			WithPolling(20 * time.Millisecond).WithTimeout(30 * time.Second).Should(SatisfyAll(
			Not(BeNil()),
			HaveField("Email", "young@example.com"),
			HaveField("Time.Time", BeTemporally(">=", before))))
		Expect(c.requests(http.MethodPost, "/api/v1/users")).To(BeNumerically("<=", 1), "recorded before the create call answered")
		Expect(c.createAttempts()).To(BeEmpty(), "not in the journal: the SCIM endpoint may still take a young user's create back")
		u = synced(u)
		Expect(u.Status.LightrunUserID).NotTo(BeEmpty())
		Expect(u.Status.CreateAttempt).To(BeNil(), "the status records the user: the record has served")
	})

	It("recognises its own create whose answer was lost, by the record a manager before it left in the IdentityConfig's journal", func() {
		stopShared()
		DeferCleanup(func() { stopShared = startManager(managerOptions()) })
		// What a crash between "Lightrun created the user" and "the status
		// was written" leaves when the record was in the journal: the
		// record, the Lightrun user, an empty status. No other user of the
		// IdentityConfig writes the journal after the restart.
		c := newCompany()
		u := c.user("journal-lost@example.com")
		_, err := c.portal.CreateUser(ctx, lightrun.CreateUserRequest{Email: "journal-lost@example.com", FirstName: "Given-lost", LastName: "Family"})
		Expect(err).NotTo(HaveOccurred())
		ic := c.config()
		ic.Status.CreateAttempts = []v1.UserCreateAttempt{{User: u.Name, UID: string(u.UID), Email: "journal-lost@example.com",
			Time: metav1.NewTime(time.Now().UTC().Truncate(time.Second))}}
		Expect(k8sClient.Status().Update(ctx, ic)).To(Succeed())

		DeferCleanup(startManager(managerOptions()))
		u = synced(u)
		Expect(u.Status.Adopted).To(BeFalse(), "its own user, not an adoption")
		Expect(c.lightrunUsers()).To(HaveLen(1))
		Eventually(c.createAttempts).WithTimeout(20*time.Second).Should(BeEmpty(), "the record has served")
	})

	It("recognises its own create whose answer was lost, by when Lightrun made the user (record of an earlier version)", func() {
		c := newCompany()
		// A create that reached Lightrun, then the operator crashed before
		// recording it: only the write-ahead annotations of an earlier
		// version say so. They move into status.createAttempt.
		u := c.userObject("lost@example.com", "lost@example.com")
		u.Annotations = map[string]string{
			v1.AnnotationLightrunUser:              "lost@example.com",
			v1.AnnotationLightrunUserCreateAttempt: time.Now().UTC().Format(time.RFC3339),
		}
		_, err := c.portal.CreateUser(ctx, lightrun.CreateUserRequest{Email: "lost@example.com", FirstName: "Given-lost", LastName: "Family"})
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		u = synced(u)
		Expect(u.Status.Adopted).To(BeFalse(), "its own user, not an adoption")
		Expect(c.lightrunUsers()).To(HaveLen(1))
		Expect(u.Annotations).NotTo(HaveKey(v1.AnnotationLightrunUser), "the earlier version's annotations are gone")
		Expect(u.Annotations).NotTo(HaveKey(v1.AnnotationLightrunUserCreateAttempt))
		Expect(u.Status.CreateAttempt).To(BeNil())

		// The same annotations an hour old prove nothing: a user made then
		// is not the operator's.
		v := c.userObject("old@example.com", "old@example.com")
		v.Annotations = map[string]string{
			v1.AnnotationLightrunUser:              "old@example.com",
			v1.AnnotationLightrunUserCreateAttempt: time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
		}
		_, err = c.portal.CreateUser(ctx, lightrun.CreateUserRequest{Email: "old@example.com", FirstName: "Someone", LastName: "Else"})
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Create(ctx, v)).To(Succeed())
		Eventually(func() metav1.Condition { return conditionOf(v, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionFalse, v1.ReasonExistingUnmanagedUser))
	})
})
