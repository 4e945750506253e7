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

package kubestore_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

func newTenant() store.Tenant {
	GinkgoHelper()
	c, err := client.New(cfg, client.Options{Scheme: operator.NewScheme()})
	Expect(err).NotTo(HaveOccurred())
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "kubestore-"}}
	Expect(c.Create(ctx, ns)).To(Succeed())
	return store.Tenant{Namespace: ns.Name, IdentityConfig: "okta"}
}

func user(userName string) *v1.ScimUser {
	return &v1.ScimUser{Spec: v1.ScimUserSpec{
		UserName: userName,
		Emails:   []v1.ScimMultiValue{{Value: strings.ToUpper(userName[:1]) + userName[1:], Type: "work", Primary: new(true)}},
	}}
}

func ids(users []*v1.ScimUser) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.SCIMID()
	}
	return out
}

// finalize does what the controllers do for a user never provisioned in
// Lightrun: it lets the object go.
func finalize(c client.Client, u *v1.ScimUser) {
	GinkgoHelper()
	Eventually(func() error {
		live := &v1.ScimUser{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(u), live); err != nil {
			return client.IgnoreNotFound(err)
		}
		controllerutil.RemoveFinalizer(live, v1.FinalizerLightrun)
		return c.Update(ctx, live)
	}).WithTimeout(10 * time.Second).Should(Succeed())
}

func directClient() client.Client {
	GinkgoHelper()
	c, err := client.New(cfg, client.Options{Scheme: operator.NewScheme()})
	Expect(err).NotTo(HaveOccurred())
	return c
}

var _ = Describe("users", func() {
	var (
		s *kubestore.Store
		t store.Tenant
	)
	BeforeEach(func() {
		s = newReplica(kubestore.Options{})
		t = newTenant()
	})

	It("creates a user under a new id and finds it by every index", func() {
		in := user("bjensen@example.com")
		in.Spec.ExternalID = "00u1esetHERCEMUWYIWU"
		u, err := s.CreateUser(ctx, t, in)
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Name).To(Equal(kubestore.DerivedName(t, "BJENSEN@example.com")), "named after the tenant and the folded userName")
		Expect(u.SCIMID()).To(Equal(u.Name + "." + strings.ReplaceAll(string(u.UID), "-", "")[:12]))
		Expect(u.Finalizers).To(ConsistOf(v1.FinalizerLightrun), "the controllers' finalizer comes with the create")
		Expect(u.Labels).To(HaveKeyWithValue(v1.LabelIdentityConfig, "okta"))
		Expect(u.Spec.IdentityConfigRef.Name).To(Equal("okta"))
		Expect(u.Annotations).To(BeEmpty(), "a new user's lastModified is its creation time: no annotation map of its own")
		Expect(u.LastModified).To(BeNil())

		got, err := s.GetUser(ctx, t, u.SCIMID())
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Spec.UserName).To(Equal("bjensen@example.com"))
		for _, wrong := range []string{u.Name, u.Name + ".000000000000", u.Name + "." + strings.Repeat("f", 12)} {
			_, err = s.GetUser(ctx, t, wrong)
			Expect(err).To(MatchError(store.ErrNotFound), "%s is not the user's id", wrong)
		}

		for _, sel := range []store.Selector{
			{Index: store.IndexUserName, Value: "BJensen@Example.com"},
			{Index: store.IndexExternalID, Value: "00u1esetHERCEMUWYIWU"},
			{Index: store.IndexEmail, Value: "bjensen@EXAMPLE.com"},
			{Index: store.IndexNone},
		} {
			found, err := s.ListUsers(ctx, t, sel)
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(found)).To(Equal([]string{u.SCIMID()}), "lookup %+v", sel)
		}
		found, err := s.ListUsers(ctx, t, store.Selector{Index: store.IndexExternalID, Value: "00U1ESETHERCEMUWYIWU"})
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(BeEmpty(), "externalId is caseExact (RFC 7643 §3.1)")
	})

	It("finds a user by an email equal to its userName or not, and never by a userName alone", func() {
		// The email index leaves out emails equal to the userName; the
		// store finds those through the userName index, and must not
		// answer a userName as an email.
		a := user("ada@example.com") // emails: the userName
		b := user("grace")
		b.Spec.Emails = []v1.ScimMultiValue{{Value: "Grace.Hopper@example.com", Type: "work"}, {Value: "ADA@example.com", Type: "home"}}
		c := user("ALAN@example.com")
		c.Spec.Emails = nil
		var made []*v1.ScimUser
		for _, in := range []*v1.ScimUser{a, b, c} {
			u, err := s.CreateUser(ctx, t, in)
			Expect(err).NotTo(HaveOccurred())
			made = append(made, u)
		}
		for email, want := range map[string][]string{
			"ada@EXAMPLE.com":          ids([]*v1.ScimUser{made[0], made[1]}),
			"grace.hopper@example.com": {made[1].SCIMID()},
			"alan@example.com":         nil,
			"grace":                    nil,
		} {
			found, err := s.ListUsers(ctx, t, store.Selector{Index: store.IndexEmail, Value: email})
			Expect(err).NotTo(HaveOccurred())
			if want == nil {
				Expect(found).To(BeEmpty(), "emails.value eq %q", email)
				continue
			}
			Expect(ids(found)).To(ConsistOf(want), "emails.value eq %q", email)
		}
	})

	It("gives exactly one of 20 concurrent creates of one userName in mixed case the name", func() {
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			created   int
			conflicts int
			others    []error
		)
		for i := range 20 {
			name := "alice@example.com"
			switch i % 3 {
			case 1:
				name = "ALICE@example.com"
			case 2:
				name = "Alice@Example.COM"
			}
			wg.Go(func() {
				_, err := s.CreateUser(ctx, t, user(name))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					created++
				case errors.Is(err, store.ErrUniqueness):
					conflicts++
				default:
					others = append(others, err)
				}
			})
		}
		wg.Wait()
		Expect(others).To(BeEmpty())
		Expect(created).To(Equal(1))
		Expect(conflicts).To(Equal(19))
		all, err := s.ListUsers(ctx, t, store.Selector{})
		Expect(err).NotTo(HaveOccurred())
		Expect(all).To(HaveLen(1))
	})

	It("moves the claim with a rename and keeps the id", func() {
		u, err := s.CreateUser(ctx, t, user("old@example.com"))
		Expect(err).NotTo(HaveOccurred())
		other, err := s.CreateUser(ctx, t, user("other@example.com"))
		Expect(err).NotTo(HaveOccurred())

		u.Spec.UserName = "new@example.com"
		renamed, err := s.UpdateUser(ctx, t, u)
		Expect(err).NotTo(HaveOccurred())
		Expect(renamed.SCIMID()).To(Equal(u.SCIMID()))

		_, err = s.CreateUser(ctx, t, user("old@example.com"))
		Expect(err).NotTo(HaveOccurred(), "the old name is free again")
		_, err = s.CreateUser(ctx, t, user("NEW@example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness))

		other.Spec.UserName = "New@Example.com"
		_, err = s.UpdateUser(ctx, t, other)
		Expect(err).To(MatchError(store.ErrUniqueness), "a rename onto a taken name is refused")
	})

	It("records a change in the user's lastModified, not in an annotation, and drops the annotation of earlier versions", func() {
		at := time.Date(2026, 12, 3, 10, 0, 0, 123456000, time.UTC)
		s := newReplica(kubestore.Options{Now: func() time.Time { return at }})
		in := user("dora@example.com")
		// What an earlier version left on the object: the time in an
		// annotation, next to an annotation someone else set.
		in.Annotations = map[string]string{store.AnnotationLastModified: "2026-01-01T00:00:00Z", "example.com/owner": "team-a"}
		u, err := s.CreateUser(ctx, t, in)
		Expect(err).NotTo(HaveOccurred())
		Expect(u.LastModified).To(BeNil(), "a new user's lastModified is its creation time")

		u.Spec.DisplayName = "Dora"
		changed, err := s.UpdateUser(ctx, t, u)
		Expect(err).NotTo(HaveOccurred())
		Expect(changed.LastModified).NotTo(BeNil())
		Expect(changed.LastModified.Time).To(BeTemporally("==", at))
		Expect(changed.Annotations).To(Equal(map[string]string{"example.com/owner": "team-a"}), "only the old last-modified annotation goes")

		stored := &v1.ScimUser{}
		Expect(directClient().Get(ctx, client.ObjectKeyFromObject(changed), stored)).To(Succeed())
		Expect(stored.LastModified.Time).To(BeTemporally("==", at), "stored with microseconds")
		Expect(stored.Annotations).NotTo(HaveKey(store.AnnotationLastModified))
		Expect(store.LastModified(stored.LastModified, stored.Annotations, stored.CreationTimestamp.Time)).To(BeTemporally("==", at))
	})

	It("refuses an update based on an old version", func() {
		u, err := s.CreateUser(ctx, t, user("carol@example.com"))
		Expect(err).NotTo(HaveOccurred())
		stale := u.DeepCopy()
		u.Spec.DisplayName = "Carol"
		_, err = s.UpdateUser(ctx, t, u)
		Expect(err).NotTo(HaveOccurred())
		stale.Spec.DisplayName = "Caroline"
		_, err = s.UpdateUser(ctx, t, stale)
		Expect(err).To(MatchError(store.ErrPrecondition))
	})

	It("hides a deleted user at once and frees its userName once the controllers let it go, under a new id", func() {
		u, err := s.CreateUser(ctx, t, user("dave@example.com"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.DeleteUser(ctx, t, u.SCIMID(), "")).To(Succeed())
		_, err = s.GetUser(ctx, t, u.SCIMID())
		Expect(err).To(MatchError(store.ErrNotFound))
		Expect(s.DeleteUser(ctx, t, u.SCIMID(), "")).To(MatchError(store.ErrNotFound))
		_, err = s.CreateUser(ctx, t, user("Dave@example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness), "the user being deprovisioned still holds its name")

		finalize(directClient(), u)
		var again *v1.ScimUser
		Eventually(func() error {
			again, err = s.CreateUser(ctx, t, user("Dave@example.com"))
			return err
		}).WithTimeout(10 * time.Second).Should(Succeed())
		Expect(again.Name).To(Equal(u.Name), "the same derived name")
		Expect(again.SCIMID()).NotTo(Equal(u.SCIMID()), "never the same id (RFC 7643 §3.1)")
		_, err = s.GetUser(ctx, t, u.SCIMID())
		Expect(err).To(MatchError(store.ErrNotFound), "the old id names nobody")
		Expect(s.DeleteUser(ctx, t, u.SCIMID(), "")).To(MatchError(store.ErrNotFound))
		got, err := s.GetUser(ctx, t, again.SCIMID())
		Expect(err).NotTo(HaveOccurred())
		Expect(got.UID).To(Equal(again.UID))
	})

	It("deletes only at the version asked for", func() {
		u, err := s.CreateUser(ctx, t, user("erin@example.com"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.DeleteUser(ctx, t, u.SCIMID(), "1")).To(MatchError(store.ErrPrecondition))
		Expect(s.DeleteUser(ctx, t, u.SCIMID(), u.ResourceVersion)).To(Succeed())
	})

	It("reads its own writes through the user index at once: create, rename, delete", func() {
		// No Eventually: every lookup follows the write's answer. The
		// externalId and the second email have no fallback to the API
		// server (the userName has the claim), so only the wait for the
		// index makes them pass.
		for i := range 10 {
			in := user(fmt.Sprintf("ryw%d@example.com", i))
			in.Spec.ExternalID = fmt.Sprintf("00uRYW%d", i)
			in.Spec.Emails = append(in.Spec.Emails, v1.ScimMultiValue{Value: fmt.Sprintf("ryw%d@home.example.org", i)})
			u, err := s.CreateUser(ctx, t, in)
			Expect(err).NotTo(HaveOccurred())
			lookup := func(index store.Index, value string) []string {
				found, err := s.ListUsers(ctx, t, store.Selector{Index: index, Value: value})
				Expect(err).NotTo(HaveOccurred())
				return ids(found)
			}
			Expect(lookup(store.IndexUserName, strings.ToUpper(in.Spec.UserName))).To(Equal([]string{u.SCIMID()}), "userName after POST")
			Expect(lookup(store.IndexExternalID, in.Spec.ExternalID)).To(Equal([]string{u.SCIMID()}), "externalId after POST")
			Expect(lookup(store.IndexEmail, fmt.Sprintf("RYW%d@home.example.org", i))).To(Equal([]string{u.SCIMID()}), "email after POST")

			u.Spec.UserName = fmt.Sprintf("renamed%d@example.com", i)
			u.Spec.ExternalID = fmt.Sprintf("00uREN%d", i)
			u, err = s.UpdateUser(ctx, t, u)
			Expect(err).NotTo(HaveOccurred())
			Expect(lookup(store.IndexExternalID, fmt.Sprintf("00uREN%d", i))).To(Equal([]string{u.SCIMID()}), "new externalId after PUT")
			Expect(lookup(store.IndexExternalID, in.Spec.ExternalID)).To(BeEmpty(), "old externalId after PUT")
			Expect(lookup(store.IndexUserName, in.Spec.UserName)).To(BeEmpty(), "old userName after PUT")

			Expect(s.DeleteUser(ctx, t, u.SCIMID(), "")).To(Succeed())
			Expect(lookup(store.IndexExternalID, u.Spec.ExternalID)).To(BeEmpty(), "externalId after DELETE")
			Expect(lookup(store.IndexEmail, fmt.Sprintf("ryw%d@home.example.org", i))).To(BeEmpty(), "email after DELETE")
		}
	})

	It("keeps tenants apart", func() {
		other := store.Tenant{Namespace: t.Namespace, IdentityConfig: "entra"}
		a, err := s.CreateUser(ctx, t, user("frank@example.com"))
		Expect(err).NotTo(HaveOccurred())
		_, err = s.CreateUser(ctx, other, user("frank@example.com"))
		Expect(err).NotTo(HaveOccurred(), "the same userName may exist in another IdentityConfig")
		_, err = s.GetUser(ctx, other, a.SCIMID())
		Expect(err).To(MatchError(store.ErrNotFound))
		found, err := s.ListUsers(ctx, other, store.Selector{})
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(HaveLen(1))
		Expect(found[0].Name).NotTo(Equal(a.Name))
	})

	It("takes over a claim a crashed create abandoned, but only after the grace period", func() {
		now := time.Now()
		clock := func() time.Time { return now }
		s = newReplica(kubestore.Options{ClaimGrace: time.Minute, Now: clock})
		c := directClient()

		// A claim left by a create of an older version that never made
		// its object.
		claim := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: kubestore.UserClaimName(t, "grace@example.com"),
				Labels: map[string]string{kubestore.LabelClaim: "user", v1.LabelIdentityConfig: t.IdentityConfig}},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: new("never-created")},
		}
		Expect(c.Create(ctx, claim)).To(Succeed())

		_, err := s.CreateUser(ctx, t, user("grace@example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness), "within the grace period the create may still be in flight")
		var left v1.ScimUserList
		Expect(c.List(ctx, &left, client.InNamespace(t.Namespace))).To(Succeed())
		Expect(left.Items).To(BeEmpty(), "the refused create took its object back")

		now = now.Add(2 * time.Minute)
		u, err := s.CreateUser(ctx, t, user("grace@example.com"))
		Expect(err).NotTo(HaveOccurred(), "after the grace period the claim is abandoned")
		Expect(u.Name).To(Equal(kubestore.DerivedName(t, "grace@example.com")))
	})

	It("leaves a lost create older than the undo window to the controllers' finalizer", func() {
		// The store's clock runs past v1.CreateUndoWindow between the
		// create of the object and its undoing: the controllers may have
		// recorded a Lightrun create for it where its version does not
		// show, so the store does not remove their finalizer.
		late := func() time.Time { return time.Now().Add(v1.CreateUndoWindow + time.Second) }
		s = newReplica(kubestore.Options{ClaimGrace: time.Hour, Now: late})
		c := directClient()
		claim := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: kubestore.UserClaimName(t, "late@example.com"),
				Labels: map[string]string{kubestore.LabelClaim: "user", v1.LabelIdentityConfig: t.IdentityConfig}},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: new("never-created")},
		}
		Expect(c.Create(ctx, claim)).To(Succeed())

		_, err := s.CreateUser(ctx, t, user("late@example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness))
		var left v1.ScimUserList
		Expect(c.List(ctx, &left, client.InNamespace(t.Namespace))).To(Succeed())
		Expect(left.Items).To(HaveLen(1), "deleted, waiting on the controllers' finalizer")
		Expect(left.Items[0].DeletionTimestamp).NotTo(BeNil())
		Expect(left.Items[0].Finalizers).To(ConsistOf(v1.FinalizerLightrun))
		finalize(c, &left.Items[0])
	})
})

var _ = Describe("claims of deleted users", func() {
	It("frees the name as soon as a user that waited on finalizers is gone, and not before", func() {
		now := time.Now()
		s := newReplica(kubestore.Options{ClaimGrace: time.Hour, Now: func() time.Time { return now }})
		t := newTenant()
		c := directClient()

		// A renamed user holds its name with a claim.
		u, err := s.CreateUser(ctx, t, user("ivan-old@example.com"))
		Expect(err).NotTo(HaveOccurred())
		u.Spec.UserName = "ivan@example.com"
		u, err = s.UpdateUser(ctx, t, u)
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Finalizers).To(ConsistOf(v1.FinalizerLightrun), "the controllers' finalizer: Lightrun is cleaned up first")

		Expect(s.DeleteUser(ctx, t, u.SCIMID(), "")).To(Succeed())
		_, err = s.CreateUser(ctx, t, user("IVAN@example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness), "the deleting user still holds its name")

		finalize(c, u)
		var again *v1.ScimUser
		Eventually(func() error {
			again, err = s.CreateUser(ctx, t, user("ivan@example.com"))
			return err
		}).WithTimeout(10*time.Second).Should(Succeed(), "gone, so the name is free at once, an hour of grace notwithstanding")
		Expect(again.Name).To(Equal(kubestore.DerivedName(t, "ivan@example.com")))
	})
})

var _ = Describe("two replicas", func() {
	It("see each other's writes at once: an IdP's POST on one and GET or lookup on the other", func() {
		a := newReplica(kubestore.Options{})
		b := newReplica(kubestore.Options{CacheWait: time.Millisecond})
		t := newTenant()
		for i := range 20 {
			u, err := a.CreateUser(ctx, t, user(fmt.Sprintf("ryw-%d@example.com", i)))
			Expect(err).NotTo(HaveOccurred())
			got, err := b.GetUser(ctx, t, u.SCIMID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.UID).To(Equal(u.UID))
			found, err := b.ListUsers(ctx, t, store.Selector{Index: store.IndexUserName, Value: strings.ToUpper(u.Spec.UserName)})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(found)).To(Equal([]string{u.SCIMID()}))
		}
	})
})
