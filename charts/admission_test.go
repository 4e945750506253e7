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

package charts_test

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// The admission policy is only worth shipping if a real API server enforces
// it: these specs apply the rendered policy to the local control plane and
// write ScimUsers as a person and as the operator.
var _ = Describe("the ScimUser/ScimGroup admission policy", Ordered, func() {
	const operatorSA = "system:serviceaccount:identity-system:lio-lightrun-identity-operator"
	var (
		ctx      context.Context
		env      *envtest.Environment
		admin    client.Client
		operator client.Client
		ns       string
	)

	BeforeAll(func() {
		ctx = context.Background()
		var err error
		env, err = testenv.New()
		Expect(err).NotTo(HaveOccurred())
		cfg, err := env.Start()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(env.Stop)

		scheme := operatorScheme()
		admin, err = client.New(cfg, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())

		// The operator's service account, with the rights the chart gives it.
		Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "operator-for-test"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{
				{Kind: "ServiceAccount", Name: "lio-lightrun-identity-operator", Namespace: "identity-system"},
			},
		})).To(Succeed())
		impersonated := rest.CopyConfig(cfg)
		impersonated.Impersonate = rest.ImpersonationConfig{UserName: operatorSA}
		operator, err = client.New(impersonated, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())

		objs, err := render("admissionPolicy.exemptUsers={break-glass}")
		Expect(err).NotTo(HaveOccurred())
		for _, kind := range []string{"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} {
			for _, o := range ofKind(objs, kind) {
				Expect(admin.Create(ctx, o)).To(Succeed())
			}
		}
		nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "vap-"}}
		Expect(admin.Create(ctx, nsObj)).To(Succeed())
		ns = nsObj.Name
	})

	user := func(name string) *v1.ScimUser {
		return &v1.ScimUser{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: v1.ScimUserSpec{
				IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"},
				UserName:          name + "@example.com",
			},
		}
	}

	It("refuses a person creating a ScimUser, with a message that says where to go", func() {
		// The policy takes effect once the API server has loaded it; each
		// attempt uses a new name so an early success cannot mask a later refusal.
		var err error
		attempt := 0
		Eventually(func() bool {
			attempt++
			err = admin.Create(ctx, user(fmt.Sprintf("person-made-%d", attempt)))
			return apierrors.IsForbidden(err)
		}).Should(BeTrue(), "a person could create a ScimUser")
		Expect(err.Error()).To(ContainSubstring("change the user or group in your identity provider"))
		Expect(err.Error()).To(ContainSubstring("may not create scimusers"))
	})

	It("lets the operator create, update and delete ScimUsers and ScimGroups", func() {
		u := user("operator-made")
		Expect(operator.Create(ctx, u)).To(Succeed())
		u.Spec.DisplayName = "Made by the operator"
		Expect(operator.Update(ctx, u)).To(Succeed())
		g := &v1.ScimGroup{
			ObjectMeta: metav1.ObjectMeta{Name: "group-1", Namespace: ns},
			Spec:       v1.ScimGroupSpec{IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"}, DisplayName: "Ops"},
		}
		Expect(operator.Create(ctx, g)).To(Succeed())
		Expect(operator.Delete(ctx, g)).To(Succeed())
	})

	It("refuses a person editing or deleting a ScimUser the operator made", func() {
		u := user("kept")
		Expect(operator.Create(ctx, u)).To(Succeed())
		made := u.Spec.DeepCopy()

		u.Spec.Active = new(bool)
		Expect(admin.Update(ctx, u)).To(Satisfy(apierrors.IsForbidden))
		Expect(admin.Delete(ctx, u)).To(Satisfy(apierrors.IsForbidden))

		got := &v1.ScimUser{}
		Expect(admin.Get(ctx, client.ObjectKeyFromObject(u), got)).To(Succeed())
		Expect(got.Spec).To(Equal(*made), "the refused edit left the spec as the operator wrote it")
	})

	It("lets an exempt break-glass user through", func() {
		cfg := rest.CopyConfig(env.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "break-glass", Groups: []string{"system:masters"}}
		breakGlass, err := client.New(cfg, client.Options{Scheme: operatorScheme()})
		Expect(err).NotTo(HaveOccurred())
		Expect(breakGlass.Create(ctx, user("break-glass-made"))).To(Succeed())
	})

	It("leaves the resources platform teams own alone", func() {
		pool := &unstructured.Unstructured{}
		pool.SetAPIVersion(v1.GroupVersion.String())
		pool.SetKind("AgentPool")
		pool.SetNamespace(ns)
		pool.SetName("payments")
		Expect(unstructured.SetNestedField(pool.Object, map[string]any{
			"identityConfigRef": map[string]any{"name": "okta"},
			"poolName":          "payments",
		}, "spec")).To(Succeed())
		Expect(admin.Create(ctx, pool)).To(Succeed())
	})
})

var operatorScheme = operator.NewScheme
