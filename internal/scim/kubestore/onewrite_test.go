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
	"sync"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// holders lists, from the API server, the users of t that hold name: live
// (not being deleted) with a userName that folds to it.
func holders(c client.Client, t store.Tenant, name string) []string {
	GinkgoHelper()
	var all v1.ScimUserList
	Expect(c.List(ctx, &all, client.InNamespace(t.Namespace))).To(Succeed())
	var out []string
	for i := range all.Items {
		u := &all.Items[i]
		if u.DeletionTimestamp == nil && u.Spec.IdentityConfigRef.Name == t.IdentityConfig && fold.Equal(u.Spec.UserName, name) {
			out = append(out, u.SCIMID())
		}
	}
	return out
}

var _ = Describe("users named after their userName (one API write per create)", func() {
	var (
		s *kubestore.Store
		t store.Tenant
		c client.Client
	)
	BeforeEach(func() {
		s = newReplica(kubestore.Options{})
		t = newTenant()
		c = directClient()
	})

	It("creates with no claim and refuses a rename onto a created name", func() {
		y, err := s.CreateUser(ctx, t, user("yara@example.com"))
		Expect(err).NotTo(HaveOccurred())
		var leases coordinationv1.LeaseList
		Expect(c.List(ctx, &leases, client.InNamespace(t.Namespace))).To(Succeed())
		Expect(leases.Items).To(BeEmpty(), "the object's name is the claim")

		other, err := s.CreateUser(ctx, t, user("other@example.com"))
		Expect(err).NotTo(HaveOccurred())
		other.Spec.UserName = "YARA@example.com"
		_, err = s.UpdateUser(ctx, t, other)
		Expect(err).To(MatchError(store.ErrUniqueness), "the rename reads the object named after the name")
		Expect(c.List(ctx, &leases, client.InNamespace(t.Namespace))).To(Succeed())
		Expect(leases.Items).To(BeEmpty(), "the refused rename gave its claim back")
		Expect(holders(c, t, "yara@example.com")).To(Equal([]string{y.SCIMID()}))
	})

	It("falls back to a claim when the name's object was renamed, and keeps the renamed user's name", func() {
		x, err := s.CreateUser(ctx, t, user("xavier@example.com"))
		Expect(err).NotTo(HaveOccurred())
		x.Spec.UserName = "yves@example.com"
		x, err = s.UpdateUser(ctx, t, x)
		Expect(err).NotTo(HaveOccurred())
		Expect(x.Name).To(Equal(kubestore.DerivedName(t, "xavier@example.com")), "a rename keeps the object name")

		again, err := s.CreateUser(ctx, t, user("Xavier@example.com"))
		Expect(err).NotTo(HaveOccurred(), "the old name is free again")
		Expect(uuid.Validate(again.Name)).To(Succeed(), "a random name, since the derived one is occupied")
		Expect(again.SCIMID()).To(Equal(again.Name))
		Expect(again.Finalizers).To(ConsistOf(v1.FinalizerLightrun))
		got, err := s.GetUser(ctx, t, again.SCIMID())
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Spec.UserName).To(Equal("Xavier@example.com"))

		_, err = s.CreateUser(ctx, t, user("YVES@example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness), "the renamed user's claim holds its new name")
		_, err = s.CreateUser(ctx, t, user("xavier@EXAMPLE.com"))
		Expect(err).To(MatchError(store.ErrUniqueness), "the fallback's claim holds the old name")
		Expect(holders(c, t, "xavier@example.com")).To(Equal([]string{again.SCIMID()}))
		Expect(holders(c, t, "yves@example.com")).To(Equal([]string{x.SCIMID()}))

		// Renamed back: the renamed user cannot take the name the fallback
		// holds; once that one is gone it can, and holds it by its name.
		x.Spec.UserName = "xavier@example.com"
		_, err = s.UpdateUser(ctx, t, x)
		Expect(err).To(MatchError(store.ErrUniqueness))
		Expect(s.DeleteUser(ctx, t, again.SCIMID(), "")).To(Succeed())
		finalize(c, again)
		Eventually(func() error {
			var err error
			x, err = s.UpdateUser(ctx, t, x)
			return err
		}).WithTimeout(10 * time.Second).Should(Succeed())
		var leases coordinationv1.LeaseList
		Expect(c.List(ctx, &leases, client.InNamespace(t.Namespace))).To(Succeed())
		Expect(leases.Items).To(BeEmpty(), "renamed back, its object name holds the name: no claim left")
		_, err = s.CreateUser(ctx, t, user("XAVIER@example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness))
		_, err = s.CreateUser(ctx, t, user("yves@example.com"))
		Expect(err).NotTo(HaveOccurred(), "the name it left is free")
	})

	It("lets a user of an older version (random name and claim) keep its name and id", func() {
		id := uuid.NewString()
		old := user("olga@example.com")
		old.Name, old.Namespace = id, t.Namespace
		old.Labels = map[string]string{v1.LabelIdentityConfig: t.IdentityConfig}
		old.Spec.IdentityConfigRef.Name = t.IdentityConfig
		Expect(c.Create(ctx, old)).To(Succeed())
		Expect(c.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: kubestore.UserClaimName(t, "olga@example.com"),
				Labels: map[string]string{kubestore.LabelClaim: "user", v1.LabelIdentityConfig: t.IdentityConfig}},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: new(id)},
		})).To(Succeed())

		_, err := s.CreateUser(ctx, t, user("OLGA@example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness), "its claim holds the name")
		Expect(holders(c, t, "olga@example.com")).To(Equal([]string{id}), "and the refused create left nothing behind")
		got, err := s.GetUser(ctx, t, id)
		Expect(err).NotTo(HaveOccurred(), "an id without a dot is the object name")
		Expect(got.SCIMID()).To(Equal(id))

		Expect(s.DeleteUser(ctx, t, id, "")).To(Succeed())
		_, err = s.CreateUser(ctx, t, user("olga@example.com"))
		Expect(err).NotTo(HaveOccurred(), "deleted with no finalizer, its claim went with it")
	})

	It("never lets a create of a name and a rename to it both win", func() {
		other := newReplica(kubestore.Options{})
		wins := 0
		for round := range 25 {
			target := fmt.Sprintf("race-%d@example.com", round)
			u, err := s.CreateUser(ctx, t, user(fmt.Sprintf("before-%d@example.com", round)))
			Expect(err).NotTo(HaveOccurred())
			u.Spec.UserName = target

			var (
				wg              sync.WaitGroup
				renameErr, cErr error
			)
			wg.Go(func() { _, renameErr = s.UpdateUser(ctx, t, u) })
			wg.Go(func() { _, cErr = other.CreateUser(ctx, t, user(fmt.Sprintf("RACE-%d@example.com", round))) })
			wg.Wait()
			for _, err := range []error{renameErr, cErr} {
				Expect(err == nil || errors.Is(err, store.ErrUniqueness)).To(BeTrue(), "round %d: %v", round, err)
			}
			won := 0
			if renameErr == nil {
				won++
			}
			if cErr == nil {
				won++
			}
			Expect(won).To(BeNumerically("<=", 1), "round %d: both the rename and the create took %s", round, target)
			Expect(holders(c, t, target)).To(HaveLen(won), "round %d", round)
			wins += won
		}
		By(fmt.Sprintf("%d of 25 rounds had a winner", wins))
	})
})
