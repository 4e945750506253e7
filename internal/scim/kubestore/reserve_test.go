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
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// requestLog records the API requests of a replica, as "METHOD resource".
type requestLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *requestLog) RoundTrip(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		resource := ""
		for i, p := range parts {
			if p == "namespaces" && i+2 < len(parts) {
				resource = parts[i+2]
			}
		}
		if r.URL.Query().Get("watch") != "true" && resource != "" {
			l.mu.Lock()
			l.seen = append(l.seen, r.Method+" "+resource)
			l.mu.Unlock()
		}
		return next.RoundTrip(r)
	})
}

func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.seen
	l.seen = nil
	return out
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// occupant reads the object at name's derived object name.
func occupant(c client.Client, t store.Tenant, name string) (*v1.ScimUser, error) {
	u := &v1.ScimUser{}
	err := c.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: kubestore.DerivedName(t, name)}, u)
	return u, err
}

var _ = Describe("a create is one write, and nothing read", func() {
	var (
		s    *kubestore.Store
		t    store.Tenant
		c    client.Client
		reqs *requestLog
	)
	BeforeEach(func() {
		reqs = &requestLog{}
		config := rest.CopyConfig(cfg)
		config.Wrap(reqs.RoundTrip)
		s = newReplicaOn(config, kubestore.Options{})
		t = newTenant()
		c = directClient()
	})

	It("after the first create in a namespace, which looks for earlier versions' claims", func() {
		_, err := s.CreateUser(ctx, t, user("first@example.com"))
		Expect(err).NotTo(HaveOccurred())
		Expect(reqs.take()).To(ContainElement("GET leases"), "the first create lists the namespace's user claims")
		_, err = s.CreateUser(ctx, t, user("second@example.com"))
		Expect(err).NotTo(HaveOccurred())
		Expect(reqs.take()).To(Equal([]string{"POST scimusers"}))
	})

	It("reserves a renamed user's new name, so a create of it fails on its write, and frees it when the user moves on", func() {
		u, err := s.CreateUser(ctx, t, user("ren-a@example.com"))
		Expect(err).NotTo(HaveOccurred())
		u.Spec.UserName = "ren-b@example.com"
		u, err = s.UpdateUser(ctx, t, u)
		Expect(err).NotTo(HaveOccurred())

		r, err := occupant(c, t, "ren-b@example.com")
		Expect(err).NotTo(HaveOccurred(), "the new name's derived object name is reserved")
		Expect(kubestore.IsReservation(r)).To(BeTrue())
		Expect(r.Annotations).To(HaveKeyWithValue(v1.AnnotationNameHeldBy, u.SCIMID()))
		Expect(r.Spec.IdentityConfigRef.Name).To(Equal(v1.ReservationIdentityConfig))
		Expect(r.Finalizers).To(BeEmpty())
		var claim coordinationv1.Lease
		Expect(c.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: kubestore.UserClaimName(t, "ren-b@example.com")}, &claim)).To(Succeed())
		Expect(claim.Labels).To(HaveKeyWithValue(kubestore.LabelClaimOccupies, "true"))

		reqs.take()
		_, err = s.CreateUser(ctx, t, user("REN-B@example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness))
		sent := reqs.take()
		Expect(sent).NotTo(BeEmpty())
		Expect(sent[0]).To(Equal("POST scimusers"), "the create's write fails on the reservation; then the claim decides")
		Expect(holders(c, t, "ren-b@example.com")).To(Equal([]string{u.SCIMID()}))

		all, err := s.ListUsers(ctx, t, store.Selector{})
		Expect(err).NotTo(HaveOccurred())
		Expect(ids(all)).To(Equal([]string{u.SCIMID()}), "a reservation is no user")
		found, err := s.ListUsers(ctx, t, store.Selector{Index: store.IndexUserName, Value: "ren-b@example.com"})
		Expect(err).NotTo(HaveOccurred())
		Expect(ids(found)).To(Equal([]string{u.SCIMID()}))

		u.Spec.UserName = "ren-c@example.com"
		_, err = s.UpdateUser(ctx, t, u)
		Expect(err).NotTo(HaveOccurred())
		_, err = occupant(c, t, "ren-b@example.com")
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "renamed on, its reservation goes: %v", err)
		again, err := s.CreateUser(ctx, t, user("ren-b@example.com"))
		Expect(err).NotTo(HaveOccurred())
		Expect(again.Name).To(Equal(kubestore.DerivedName(t, "ren-b@example.com")))
	})

	It("guards a user renamed away from a name another user holds, through its delete, until the holder lets the name go", func() {
		x, err := s.CreateUser(ctx, t, user("gx-a@example.com"))
		Expect(err).NotTo(HaveOccurred())
		x.Spec.UserName = "gx-b@example.com"
		x, err = s.UpdateUser(ctx, t, x)
		Expect(err).NotTo(HaveOccurred())
		y, err := s.CreateUser(ctx, t, user("GX-A@example.com"))
		Expect(err).NotTo(HaveOccurred())
		Expect(uuid.Validate(y.Name)).To(Succeed(), "x occupies the derived name")

		d, err := occupant(c, t, "gx-a@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(d.UID).To(Equal(x.UID))
		Expect(d.Finalizers).To(ContainElement(v1.FinalizerNameGuard))
		Expect(d.Annotations).To(HaveKeyWithValue(v1.AnnotationNameHeldBy, y.SCIMID()))

		Expect(s.DeleteUser(ctx, t, x.SCIMID(), "")).To(Succeed())
		finalize(c, x)
		Consistently(func() error {
			_, err := occupant(c, t, "gx-a@example.com")
			return err
		}).WithTimeout(time.Second).Should(Succeed(), "the guard keeps x's object, and with it the name occupied")
		_, err = s.CreateUser(ctx, t, user("gx-a@EXAMPLE.com"))
		Expect(err).To(MatchError(store.ErrUniqueness), "y holds the name")
		_, err = s.GetUser(ctx, t, x.SCIMID())
		Expect(err).To(MatchError(store.ErrNotFound), "x is gone for SCIM at once")

		y.Spec.UserName = "gy@example.com"
		_, err = s.UpdateUser(ctx, t, y)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() bool {
			_, err := occupant(c, t, "gx-a@example.com")
			return apierrors.IsNotFound(err)
		}).WithTimeout(5*time.Second).Should(BeTrue(), "y let the name go: the guard went, and x with it")
		z, err := s.CreateUser(ctx, t, user("gx-a@example.com"))
		Expect(err).NotTo(HaveOccurred())
		Expect(z.Name).To(Equal(kubestore.DerivedName(t, "gx-a@example.com")))
	})

	It("takes over a reservation whose holder was deleted, and the derived name with it", func() {
		u, err := s.CreateUser(ctx, t, user("tk-a@example.com"))
		Expect(err).NotTo(HaveOccurred())
		u.Spec.UserName = "tk-b@example.com"
		u, err = s.UpdateUser(ctx, t, u)
		Expect(err).NotTo(HaveOccurred())
		Expect(s.DeleteUser(ctx, t, u.SCIMID(), "")).To(Succeed())
		_, err = s.CreateUser(ctx, t, user("tk-b@example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness), "a user being deleted keeps its name")
		finalize(c, u)
		Eventually(func() error {
			_, err := s.CreateUser(ctx, t, user("tk-b@example.com"))
			return err
		}).WithTimeout(5 * time.Second).Should(Succeed())
		d, err := occupant(c, t, "tk-b@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(kubestore.IsReservation(d)).To(BeFalse(), "the stale reservation went, and the new user has the derived name")
	})
})

var _ = Describe("a name contended by creates, a rename and the delete of the user renamed away from it", func() {
	It("has at most one holder in every round, and a create after the round fails exactly when there is one", func() {
		a, b := newReplica(kubestore.Options{}), newReplica(kubestore.Options{})
		t := newTenant()
		c := directClient()
		for round := range 12 {
			name := fmt.Sprintf("contended-%d@example.com", round)
			d, err := a.CreateUser(ctx, t, user(name))
			Expect(err).NotTo(HaveOccurred())
			d.Spec.UserName = fmt.Sprintf("renamed-away-%d@example.com", round)
			d, err = a.UpdateUser(ctx, t, d)
			Expect(err).NotTo(HaveOccurred())
			u, err := b.CreateUser(ctx, t, user(fmt.Sprintf("renamer-%d@example.com", round)))
			Expect(err).NotTo(HaveOccurred())
			u.Spec.UserName = strings.ToUpper(name)

			var wg sync.WaitGroup
			errs := make([]error, 4)
			wg.Go(func() { _, errs[0] = a.CreateUser(ctx, t, user(name)) })
			wg.Go(func() { _, errs[1] = b.CreateUser(ctx, t, user(strings.ToUpper(name[:1])+name[1:])) })
			wg.Go(func() { _, errs[2] = a.UpdateUser(ctx, t, u) })
			wg.Go(func() {
				errs[3] = b.DeleteUser(ctx, t, d.SCIMID(), "")
				finalize(c, d)
			})
			wg.Wait()
			Expect(errs[3]).NotTo(HaveOccurred())
			for i, err := range errs[:3] {
				Expect(err == nil || errors.Is(err, store.ErrUniqueness) || errors.Is(err, store.ErrUnavailable)).To(BeTrue(), "round %d, op %d: %v", round, i, err)
			}
			held := holders(c, t, name)
			Expect(len(held)).To(BeNumerically("<=", 1), "round %d: %v", round, errs)

			_, err = b.CreateUser(ctx, t, user(strings.ToUpper(name)))
			if len(held) == 1 {
				Expect(err).To(MatchError(store.ErrUniqueness), "round %d: the holder's name is occupied", round)
			} else {
				Expect(err).NotTo(HaveOccurred(), "round %d: no one holds the name", round)
			}
			Expect(holders(c, t, name)).To(HaveLen(1), "round %d", round)
		}
	})
})
