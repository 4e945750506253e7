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

package v1alpha1_test

import (
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/manifest"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// newNamespace creates a namespace of its own for one spec.
func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "schema-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

func validIdentityConfig(ns string) *v1.IdentityConfig {
	return &v1.IdentityConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "okta", Namespace: ns},
		Spec: v1.IdentityConfigSpec{
			Lightrun: v1.LightrunConnection{
				URL:             "https://app.lightrun.com",
				CompanyID:       "4f0c5d2e-7b1a-4c3e-9d8f-2a6b1e0c9f11",
				APIKeySecretRef: v1.SecretKeyReference{Name: "lightrun-api-key", Key: "apiKey"},
			},
			SCIM: v1.ScimEndpointSpec{
				Enabled:              true,
				BearerTokenSecretRef: &v1.BearerTokenSecretReference{Name: "scim-token", Key: "token"},
			},
		},
	}
}

func validAgentPool(ns string) *v1.AgentPool {
	return &v1.AgentPool{
		ObjectMeta: metav1.ObjectMeta{Name: "payments", Namespace: ns},
		Spec: v1.AgentPoolSpec{
			IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"},
			PoolName:          "payments",
			Members:           v1.AgentPoolMembers{Groups: []string{"Payments"}},
		},
	}
}

func validScimUser(ns string) *v1.ScimUser {
	return &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Name: "2819c223-7f76-453a-919d-413861904646", Namespace: ns},
		Spec: v1.ScimUserSpec{
			IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"},
			UserName:          "bjensen@example.com",
			Emails:            []v1.ScimMultiValue{{Value: "bjensen@example.com", Type: "work", Primary: new(true)}},
		},
	}
}

func validScimGroup(ns string) *v1.ScimGroup {
	return &v1.ScimGroup{
		ObjectMeta: metav1.ObjectMeta{Name: "e9e30dba-f08f-4109-8486-d5c6a331660a", Namespace: ns},
		Spec: v1.ScimGroupSpec{
			IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"},
			DisplayName:       "Tour Guides",
		},
	}
}

// expectRejected asserts the API server refused the write as Invalid, with
// its own message naming the field and the rule.
func expectRejected(err error, message string) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred(), "the API server accepted an invalid object")
	Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
	Expect(err.Error()).To(ContainSubstring(message))
}

var _ = Describe("the samples in config/samples", func() {
	It("are all accepted by the API server", func() {
		ns := newNamespace()
		files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "samples", "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(files).NotTo(BeEmpty())

		kinds := map[string]bool{}
		for _, file := range files {
			objs, err := manifest.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			for _, obj := range objs {
				obj.SetNamespace(ns)
				Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "sample %s (%s %s)", file, obj.GetKind(), obj.GetName())
				kinds[obj.GetKind()] = true
			}
		}
		Expect(kinds).To(HaveKey("IdentityConfig"))
		Expect(kinds).To(HaveKey("AgentPool"))
		Expect(kinds).To(HaveKey("ScimUser"))
		Expect(kinds).To(HaveKey("ScimGroup"))
	})
})

var _ = Describe("defaults", func() {
	It("fill an IdentityConfig that only says what it must", func() {
		ns := newNamespace()
		ic := validIdentityConfig(ns)
		Expect(k8sClient.Create(ctx, ic)).To(Succeed())

		got := &v1.IdentityConfig{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ic), got)).To(Succeed())
		Expect(got.Spec.SCIM.IdPKind).To(Equal(v1.IdentityProviderGeneric))
		Expect(got.Spec.DeprovisionPolicy).To(Equal(v1.DeprovisionDisable))
		Expect(got.Spec.ProvisionExistingUsers).To(BeFalse())
		Expect(got.Spec.DefaultRoles).To(Equal([]v1.LightrunUserRole{v1.RoleDeveloper}))
		Expect(got.Spec.ResyncPeriod).NotTo(BeNil())
		Expect(got.Spec.ResyncPeriod.Duration.String()).To(Equal("10m0s"))
	})

	It("leave a ScimUser's active as written and make an AgentPool STANDARD and retained", func() {
		ns := newNamespace()
		u := validScimUser(ns)
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		// No default: an absent active is kept absent (a SCIM PATCH may
		// remove it) and counts as active for Lightrun.
		Expect(u.Spec.Active).To(BeNil())

		p := validAgentPool(ns)
		Expect(k8sClient.Create(ctx, p)).To(Succeed())
		Expect(p.Spec.AccessLevel).To(Equal(v1.AccessLevelStandard))
		Expect(p.Spec.DeletionPolicy).To(Equal(v1.AgentPoolRetain))
	})
})

var _ = Describe("invalid objects are rejected by the API server", func() {
	long := func(n int) string { return strings.Repeat("x", n) }

	DescribeTable("on create",
		func(build func(ns string) client.Object, message string) {
			expectRejected(k8sClient.Create(ctx, build(newNamespace())), message)
		},
		Entry("IdentityConfig without a Lightrun URL", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.Lightrun.URL = ""
			return ic
		}, "spec.lightrun.url: Invalid value"),
		Entry("IdentityConfig whose Lightrun URL is not a URL", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.Lightrun.URL = "lightrun dot com"
			return ic
		}, "url must be an absolute http or https URL"),
		Entry("IdentityConfig whose Lightrun URL is not http(s)", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.Lightrun.URL = "ftp://files.lightrun.com"
			return ic
		}, "url must be an absolute http or https URL"),
		Entry("IdentityConfig with a malformed company id", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.Lightrun.CompanyID = "acme corp"
			return ic
		}, "spec.lightrun.companyId: Invalid value: \"acme corp\""),
		Entry("IdentityConfig whose API key Secret reference has no key", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.Lightrun.APIKeySecretRef.Key = ""
			return ic
		}, "spec.lightrun.apiKeySecretRef.key"),
		Entry("IdentityConfig whose API key Secret name is not a DNS name", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.Lightrun.APIKeySecretRef.Name = "Lightrun_Key"
			return ic
		}, "spec.lightrun.apiKeySecretRef.name: Invalid value: \"Lightrun_Key\""),
		Entry("IdentityConfig with SCIM enabled and no bearer token", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.SCIM.BearerTokenSecretRef = nil
			return ic
		}, "bearerTokenSecretRef is required when the SCIM endpoint is enabled"),
		Entry("IdentityConfig whose previous token key is the current key", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.SCIM.BearerTokenSecretRef.PreviousKey = "token"
			return ic
		}, "previousKey must differ from key"),
		Entry("IdentityConfig with an unknown IdP kind", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.SCIM.IdPKind = "PingFederate"
			return ic
		}, "spec.scim.idpKind: Unsupported value: \"PingFederate\""),
		Entry("IdentityConfig with an unknown deprovision policy", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.DeprovisionPolicy = "Archive"
			return ic
		}, "spec.deprovisionPolicy: Unsupported value: \"Archive\""),
		Entry("IdentityConfig with a role Lightrun does not have", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.DefaultRoles = []v1.LightrunUserRole{"ADMIN"}
			return ic
		}, "spec.defaultRoles[0]: Unsupported value: \"ADMIN\""),
		Entry("IdentityConfig with a resync period under 30s", func(ns string) client.Object {
			ic := validIdentityConfig(ns)
			ic.Spec.ResyncPeriod = &metav1.Duration{Duration: 5_000_000_000}
			return ic
		}, "resyncPeriod must be between 30s and 24h"),
		Entry("AgentPool with an unknown access level", func(ns string) client.Object {
			p := validAgentPool(ns)
			p.Spec.AccessLevel = "ROOT"
			return p
		}, "spec.accessLevel: Unsupported value: \"ROOT\""),
		Entry("AgentPool with a description longer than Lightrun's 255", func(ns string) client.Object {
			p := validAgentPool(ns)
			p.Spec.Description = long(256)
			return p
		}, "spec.description: Too long: may not be more than 255"),
		Entry("AgentPool selecting the same userName twice", func(ns string) client.Object {
			p := validAgentPool(ns)
			p.Spec.Members.UserNames = []string{"alice@example.com", "alice@example.com"}
			return p
		}, "spec.members.userNames[1]: Duplicate value"),
		Entry("AgentPool with an unknown deletion policy", func(ns string) client.Object {
			p := validAgentPool(ns)
			p.Spec.DeletionPolicy = "Orphan"
			return p
		}, "spec.deletionPolicy: Unsupported value: \"Orphan\""),
		Entry("ScimUser without a userName", func(ns string) client.Object {
			u := validScimUser(ns)
			u.Spec.UserName = ""
			return u
		}, "spec.userName: Invalid value: \"\""),
		Entry("ScimUser with a userName over 512 characters", func(ns string) client.Object {
			u := validScimUser(ns)
			u.Spec.UserName = long(513)
			return u
		}, "spec.userName: Too long: may not be more than 512"),
		Entry("ScimUser with two primary emails (RFC 7643 §2.4)", func(ns string) client.Object {
			u := validScimUser(ns)
			u.Spec.Emails = append(u.Spec.Emails, v1.ScimMultiValue{Value: "b@example.com", Primary: new(true)})
			return u
		}, "at most one email may be primary"),
		Entry("ScimUser with an email without a value", func(ns string) client.Object {
			u := validScimUser(ns)
			u.Spec.Emails = []v1.ScimMultiValue{{Type: "work"}}
			return u
		}, "spec.emails[0].value"),
		Entry("ScimUser without an IdentityConfig", func(ns string) client.Object {
			u := validScimUser(ns)
			u.Spec.IdentityConfigRef.Name = ""
			return u
		}, "spec.identityConfigRef.name"),
		Entry("ScimGroup without a displayName", func(ns string) client.Object {
			g := validScimGroup(ns)
			g.Spec.DisplayName = ""
			return g
		}, "spec.displayName: Invalid value: \"\""),
	)

	DescribeTable("on update",
		func(create func(ns string) client.Object, mutate func(client.Object), message string) {
			obj := create(newNamespace())
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			mutate(obj)
			expectRejected(k8sClient.Update(ctx, obj), message)
		},
		Entry("a ScimUser moved to another IdentityConfig",
			func(ns string) client.Object { return validScimUser(ns) },
			func(o client.Object) { o.(*v1.ScimUser).Spec.IdentityConfigRef.Name = "entra" },
			"identityConfigRef is immutable"),
		Entry("a ScimGroup moved to another IdentityConfig",
			func(ns string) client.Object { return validScimGroup(ns) },
			func(o client.Object) { o.(*v1.ScimGroup).Spec.IdentityConfigRef.Name = "entra" },
			"identityConfigRef is immutable"),
		Entry("an AgentPool moved to another IdentityConfig",
			func(ns string) client.Object { return validAgentPool(ns) },
			func(o client.Object) { o.(*v1.AgentPool).Spec.IdentityConfigRef.Name = "entra" },
			"identityConfigRef is immutable"),
		Entry("an AgentPool pointed at another Lightrun pool",
			func(ns string) client.Object { return validAgentPool(ns) },
			func(o client.Object) { o.(*v1.AgentPool).Spec.PoolName = "another" },
			"poolName is immutable"),
	)
})

var _ = Describe("discovery", func() {
	It("serves every kind under the lightrun-identity category with a short name", func() {
		resources, err := disco.ServerResourcesForGroupVersion(v1.GroupVersion.String())
		Expect(err).NotTo(HaveOccurred())
		want := map[string]string{"identityconfigs": "idc", "agentpools": "agp", "scimusers": "su", "scimgroups": "sg"}
		seen := 0
		for _, r := range resources.APIResources {
			short, ok := want[r.Name]
			if !ok {
				continue
			}
			seen++
			Expect(r.Namespaced).To(BeTrue(), r.Name)
			Expect(r.Categories).To(ContainElement("lightrun-identity"), r.Name)
			Expect(r.ShortNames).To(ContainElement(short), r.Name)
		}
		Expect(seen).To(Equal(len(want)))
	})
})
