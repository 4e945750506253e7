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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/manifest"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// The chart's other admission policies, enforced by a real API server: the
// SCIM claim Leases, the Lightrun host allow-list, the clean-up of a deleted
// namespace, the break-glass group and two installs side by side.
var _ = Describe("the chart's admission policies", Ordered, func() {
	const (
		operatorSA = "system:serviceaccount:identity-system:lio-lightrun-identity-operator"
		otherSA    = "system:serviceaccount:other-system:lio2-lightrun-identity-operator"
		finalizer  = "identity.lightrun.com/lightrun"
	)
	var (
		ctx      context.Context
		env      *envtest.Environment
		admin    client.Client
		operator client.Client
		ns       string
	)

	as := func(user string, groups ...string) client.Client {
		GinkgoHelper()
		cfg := rest.CopyConfig(env.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append(groups, "system:authenticated")}
		c, err := client.New(cfg, client.Options{Scheme: operatorScheme()})
		Expect(err).NotTo(HaveOccurred())
		return c
	}

	BeforeAll(func() {
		ctx = context.Background()
		var err error
		env, err = testenv.New()
		Expect(err).NotTo(HaveOccurred())
		_, err = env.Start()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(env.Stop)
		admin, err = client.New(env.Config, client.Options{Scheme: operatorScheme()})
		Expect(err).NotTo(HaveOccurred())

		// Every identity the specs impersonate may do anything RBAC-wise:
		// what is refused here is refused by admission.
		Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "everyone-for-test"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:authenticated"}},
		})).To(Succeed())
		operator = as(operatorSA)

		// Install A serves namespaces labelled tenant=a; install B (another
		// release in another namespace) serves tenant=b.
		for _, install := range []struct {
			release, namespace, tenant string
		}{{"lio", releaseNamespace, "a"}, {"lio2", "other-system", "b"}} {
			objs, err := renderRelease(install.release, install.namespace,
				"admissionPolicy.exemptGroups={lio-break-glass}",
				"admissionPolicy.namespaceSelector.matchLabels.tenant="+install.tenant,
				"lightrun.allowedHosts={acme.lightrun.com,*.lightrun.eu}")
			Expect(err).NotTo(HaveOccurred())
			for _, kind := range []string{"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} {
				for _, o := range ofKind(objs, kind) {
					Expect(admin.Create(ctx, o)).To(Succeed())
				}
			}
		}
		for _, name := range []string{releaseNamespace, "other-system"} {
			Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
		}
		nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			GenerateName: "vap-", Labels: map[string]string{"tenant": "a"},
		}}
		Expect(admin.Create(ctx, nsObj)).To(Succeed())
		ns = nsObj.Name

		// The policies take effect once the API server has loaded them.
		attempt := 0
		Eventually(func() bool {
			attempt++
			err := admin.Create(ctx, claim(ns, fmt.Sprintf("probe-%d", attempt)))
			return apierrors.IsForbidden(err)
		}).Should(BeTrue(), "a person could create a SCIM claim Lease")
	})

	Describe("SCIM claim Leases", func() {
		It("refuses a person creating, changing or deleting a claim", func() {
			err := admin.Create(ctx, claim(ns, "person-made"))
			Expect(err).To(Satisfy(apierrors.IsForbidden))
			Expect(err.Error()).To(ContainSubstring("SCIM uniqueness claims"))

			l := claim(ns, "operator-made")
			Expect(operator.Create(ctx, l)).To(Succeed())
			l.Spec.HolderIdentity = new("someone-else")
			Expect(admin.Update(ctx, l)).To(Satisfy(apierrors.IsForbidden))
			unlabelled := l.DeepCopy()
			unlabelled.Labels = nil
			Expect(admin.Update(ctx, unlabelled)).To(Satisfy(apierrors.IsForbidden), "removing the label must not free a claim")
			Expect(admin.Delete(ctx, l)).To(Satisfy(apierrors.IsForbidden))
		})

		It("lets the operator create, own and release claims", func() {
			l := claim(ns, "lifecycle")
			Expect(operator.Create(ctx, l)).To(Succeed())
			l.Spec.HolderIdentity = new("new-holder")
			Expect(operator.Update(ctx, l)).To(Succeed())
			Expect(operator.Delete(ctx, l)).To(Succeed())
		})

		It("confines the operator to claims outside its namespace, and its own Leases inside it", func() {
			other := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "not-a-claim", Namespace: ns}}
			err := operator.Create(ctx, other)
			Expect(err).To(Satisfy(apierrors.IsForbidden))
			Expect(err.Error()).To(ContainSubstring("only SCIM claim Leases"))
			election := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{
				Name: "lightrun-identity-operator.identity.lightrun.com", Namespace: releaseNamespace,
			}}
			Expect(operator.Create(ctx, election)).To(Succeed())
		})

		It("leaves every other Lease alone", func() {
			other := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "someone-elses", Namespace: ns}}
			Expect(admin.Create(ctx, other)).To(Succeed())
		})

		It("refuses the operator a user claim that does not reserve its name, as earlier versions made them", func() {
			l := claim(ns, "earlier-version")
			delete(l.Labels, kubestore.LabelClaimOccupies)
			err := operator.Create(ctx, l)
			Expect(err).To(Satisfy(apierrors.IsForbidden))
			Expect(err.Error()).To(ContainSubstring("scim-claim-occupies"))
			group := claim(ns, "a-group")
			group.Labels = map[string]string{kubestore.LabelClaim: "group", v1.LabelIdentityConfig: "okta"}
			Expect(operator.Create(ctx, group)).To(Succeed(), "group claims reserve nothing")
			l = claim(ns, "earlier-then-labelled")
			Expect(operator.Create(ctx, l)).To(Succeed())
			delete(l.Labels, kubestore.LabelClaimOccupies)
			Expect(operator.Update(ctx, l)).To(Succeed(),
				"only creates are checked: an earlier replica may still release or mark its claims")
		})

		It("lets the break-glass group through", func() {
			l := claim(ns, "stuck")
			Expect(operator.Create(ctx, l)).To(Succeed())
			Expect(as("oncall@example.com", "lio-break-glass").Delete(ctx, l)).To(Succeed())
		})
	})

	Describe("the Lightrun host allow-list", func() {
		config := func(name, url string) *v1.IdentityConfig {
			return &v1.IdentityConfig{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Spec: v1.IdentityConfigSpec{
					Lightrun: v1.LightrunConnection{
						URL: url, CompanyID: "4f0c5d2e-7b1a-4c3e-9d8f-2a6b1e0c9f11",
						APIKeySecretRef: v1.SecretKeyReference{Name: "lightrun-api-key", Key: "apiKey"},
					},
					SCIM: v1.ScimEndpointSpec{
						Enabled: true, IdPKind: v1.IdentityProviderOkta,
						BearerTokenSecretRef: &v1.BearerTokenSecretReference{Name: "scim-token", Key: "token"},
					},
					DeprovisionPolicy: v1.DeprovisionDisable,
					DefaultRoles:      []v1.LightrunUserRole{v1.RoleDeveloper},
					ResyncPeriod:      &metav1.Duration{Duration: time.Hour},
				},
			}
		}

		It("refuses an IdentityConfig pointing the API key at a host the chart does not allow", func() {
			err := admin.Create(ctx, config("evil", "https://lightrun.attacker.example/"))
			Expect(err).To(Satisfy(apierrors.IsForbidden))
			Expect(err.Error()).To(ContainSubstring("lightrun.attacker.example"))
		})

		It("accepts allowed hosts, exactly or by wildcard, and refuses moving to another host", func() {
			ic := config("acme", "https://acme.lightrun.com")
			Expect(admin.Create(ctx, ic)).To(Succeed())
			Expect(admin.Create(ctx, config("eu", "https://tenant.lightrun.eu:8443/"))).To(Succeed())
			Expect(admin.Create(ctx, config("suffix-trick", "https://evil-lightrun.eu"))).To(Satisfy(apierrors.IsForbidden))

			ic.Spec.Lightrun.URL = "https://acme.lightrun.com.attacker.example"
			Expect(admin.Update(ctx, ic)).To(Satisfy(apierrors.IsForbidden))
		})
	})

	Describe("deleting a namespace", func() {
		It("lets the namespace controller and the garbage collector remove what the operator made, "+
			"finalizers and all", func() {
			victim := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
				GenerateName: "doomed-", Labels: map[string]string{"tenant": "a"},
			}}
			Expect(admin.Create(ctx, victim)).To(Succeed())
			u := &v1.ScimUser{
				ObjectMeta: metav1.ObjectMeta{Name: "leaving", Namespace: victim.Name, Finalizers: []string{finalizer}},
				Spec: v1.ScimUserSpec{
					IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"}, UserName: "leaving@example.com",
				},
			}
			Expect(operator.Create(ctx, u)).To(Succeed())
			Expect(operator.Create(ctx, claim(victim.Name, "leaving"))).To(Succeed())
			g := &v1.ScimGroup{
				ObjectMeta: metav1.ObjectMeta{Name: "leaving-group", Namespace: victim.Name},
				Spec:       v1.ScimGroupSpec{IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"}, DisplayName: "Leaving"},
			}
			Expect(operator.Create(ctx, g)).To(Succeed())

			// envtest runs no controller manager: play its parts, as the
			// namespace controller does (delete every collection) with
			// per-controller credentials, and as a controller manager that
			// runs with one shared identity.
			Expect(admin.Delete(ctx, victim)).To(Succeed())
			namespaceController := as("system:serviceaccount:kube-system:namespace-controller")
			Expect(namespaceController.DeleteAllOf(ctx, &v1.ScimUser{}, client.InNamespace(victim.Name))).To(Succeed())
			Expect(namespaceController.DeleteAllOf(ctx, &coordinationv1.Lease{}, client.InNamespace(victim.Name))).To(Succeed())
			Expect(as("system:kube-controller-manager").Delete(ctx, g)).To(Succeed())

			// The operator's finalizer runs and lets the user go.
			got := &v1.ScimUser{}
			Expect(admin.Get(ctx, client.ObjectKeyFromObject(u), got)).To(Succeed())
			Expect(got.DeletionTimestamp).NotTo(BeNil())
			got.Finalizers = nil
			Expect(operator.Update(ctx, got)).To(Succeed())
			Expect(apierrors.IsNotFound(admin.Get(ctx, client.ObjectKeyFromObject(u), got))).To(BeTrue())
		})

		It("does not let those identities change what users are", func() {
			u := &v1.ScimUser{
				ObjectMeta: metav1.ObjectMeta{Name: "kept-by-gc", Namespace: ns},
				Spec: v1.ScimUserSpec{
					IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"}, UserName: "kept@example.com",
				},
			}
			Expect(operator.Create(ctx, u)).To(Succeed())
			u.Spec.UserName = "taken-over@example.com"
			Expect(as("system:kube-controller-manager").Update(ctx, u)).To(Satisfy(apierrors.IsForbidden))
		})
	})

	Describe("two installs", func() {
		It("each lets its own operator write in the namespaces it serves", func() {
			b := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
				GenerateName: "tenant-b-", Labels: map[string]string{"tenant": "b"},
			}}
			Expect(admin.Create(ctx, b)).To(Succeed())
			other := as(otherSA)
			u := &v1.ScimUser{
				ObjectMeta: metav1.ObjectMeta{Name: "served-by-b", Namespace: b.Name},
				Spec:       v1.ScimUserSpec{IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"}, UserName: "b@example.com"},
			}
			Expect(other.Create(ctx, u)).To(Succeed())
			Expect(other.Create(ctx, claim(b.Name, "b"))).To(Succeed())
			// …and neither writes in the other's.
			Expect(operator.Create(ctx, claim(b.Name, "a-in-b"))).To(Satisfy(apierrors.IsForbidden))
			Expect(other.Create(ctx, claim(ns, "b-in-a"))).To(Satisfy(apierrors.IsForbidden))
		})
	})
})

// claim is a SCIM uniqueness claim Lease as the SCIM store makes it.
func claim(namespace, name string) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{
			Name: "scim-user-" + name, Namespace: namespace,
			Labels: map[string]string{
				kubestore.LabelClaim: "user", kubestore.LabelClaimOccupies: "true", v1.LabelIdentityConfig: "okta",
			},
		},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: new("holder")},
	}
}

// renderRelease renders the chart as another release in another namespace.
func renderRelease(release, namespace string, set ...string) ([]*unstructured.Unstructured, error) {
	GinkgoHelper()
	args := []string{"template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	out, err := helm(args...)
	if err != nil {
		return nil, err
	}
	return manifest.Decode([]byte(out))
}
