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
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// rulesOf decodes the rules of a rendered Role or ClusterRole.
func rulesOf(o *unstructured.Unstructured) []rbacv1.PolicyRule {
	GinkgoHelper()
	var role rbacv1.ClusterRole
	Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &role)).To(Succeed())
	return role.Rules
}

// grants says whether rules allow verb on resource in apiGroup.
func grants(rules []rbacv1.PolicyRule, apiGroup, resource, verb string) bool {
	for _, r := range rules {
		if (slices.Contains(r.APIGroups, apiGroup) || slices.Contains(r.APIGroups, "*")) &&
			(slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, "*")) &&
			(slices.Contains(r.Verbs, verb) || slices.Contains(r.Verbs, "*")) {
			return true
		}
	}
	return false
}

func named(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	GinkgoHelper()
	for _, o := range ofKind(objs, kind) {
		if o.GetName() == name {
			return o
		}
	}
	Fail("no " + kind + " " + name)
	return nil
}

func managerArgs(objs []*unstructured.Unstructured) []any {
	GinkgoHelper()
	_, c := managerPod(objs)
	return c["args"].([]any)
}

var _ = Describe("least privilege: Secrets", func() {
	It("grants no ClusterRole list or watch on Secrets, whatever the values", func() {
		for _, set := range [][]string{nil, {"secretWatch.namespaces={team-a,team-b}"}} {
			objs, err := render(set...)
			Expect(err).NotTo(HaveOccurred())
			for _, cr := range ofKind(objs, "ClusterRole") {
				for _, verb := range []string{"list", "watch"} {
					Expect(grants(rulesOf(cr), "", "secrets", verb)).To(BeFalse(), "ClusterRole %s may %s Secrets", cr.GetName(), verb)
				}
			}
		}
	})

	It("reads Secrets by name, and watches none by default", func() {
		objs, err := render()
		Expect(err).NotTo(HaveOccurred())
		manager := named(objs, "ClusterRole", "lio-lightrun-identity-operator-manager")
		Expect(grants(rulesOf(manager), "", "secrets", "get")).To(BeTrue())
		Expect(managerArgs(objs)).To(ContainElement("--secret-watch-namespaces="))
		for _, r := range ofKind(objs, "Role") {
			Expect(grants(rulesOf(r), "", "secrets", "list")).To(BeFalse(), r.GetName())
		}
	})

	It("grants list and watch on Secrets only in the namespaces whose labelled Secrets it watches", func() {
		objs, err := render("secretWatch.namespaces={team-a,team-b}")
		Expect(err).NotTo(HaveOccurred())
		Expect(managerArgs(objs)).To(ContainElement("--secret-watch-namespaces=team-a,team-b"))
		var namespaces []string
		for _, r := range ofKind(objs, "Role") {
			if grants(rulesOf(r), "", "secrets", "watch") {
				Expect(grants(rulesOf(r), "", "secrets", "list")).To(BeTrue())
				Expect(grants(rulesOf(r), "", "secrets", "create")).To(BeFalse())
				namespaces = append(namespaces, r.GetNamespace())
			}
		}
		Expect(namespaces).To(ConsistOf("team-a", "team-b"))
		var bound []string
		for _, b := range ofKind(objs, "RoleBinding") {
			if b.GetName() == "lio-lightrun-identity-operator-secret-watch" {
				bound = append(bound, b.GetNamespace())
			}
		}
		Expect(bound).To(ConsistOf("team-a", "team-b"))
	})
})

var _ = Describe("least privilege: Leases", func() {
	It("gives leader election its Leases through a Role in the release namespace", func() {
		objs, err := render()
		Expect(err).NotTo(HaveOccurred())
		r := named(objs, "Role", "lio-lightrun-identity-operator-leader-election")
		Expect(r.GetNamespace()).To(Equal(releaseNamespace))
		Expect(grants(rulesOf(r), "coordination.k8s.io", "leases", "update")).To(BeTrue())
		binding := named(objs, "RoleBinding", "lio-lightrun-identity-operator-leader-election")
		Expect(binding.GetNamespace()).To(Equal(releaseNamespace))
	})

	It("ships the admission policy that guards the SCIM claim Leases", func() {
		objs, err := render()
		Expect(err).NotTo(HaveOccurred())
		named(objs, "ValidatingAdmissionPolicy", "lio-lightrun-identity-operator-scim-claims")
		named(objs, "ValidatingAdmissionPolicyBinding", "lio-lightrun-identity-operator-scim-claims")
	})
})

var _ = Describe("the roles people are granted", func() {
	var objs []*unstructured.Unstructured
	BeforeEach(func() {
		var err error
		objs, err = render()
		Expect(err).NotTo(HaveOccurred())
	})
	kinds := []string{"identityconfigs", "agentpools", "scimusers", "scimgroups"}
	const group = "identity.lightrun.com"

	It("aggregates nothing into the built-in edit and admin roles", func() {
		for _, cr := range ofKind(objs, "ClusterRole") {
			Expect(cr.GetLabels()).NotTo(HaveKey("rbac.authorization.k8s.io/aggregate-to-edit"), cr.GetName())
			Expect(cr.GetLabels()).NotTo(HaveKey("rbac.authorization.k8s.io/aggregate-to-admin"), cr.GetName())
		}
	})

	It("has a viewer, aggregated into view, that reads the four kinds and writes nothing", func() {
		viewer := named(objs, "ClusterRole", "lio-lightrun-identity-operator-viewer")
		Expect(viewer.GetLabels()).To(HaveKeyWithValue("rbac.authorization.k8s.io/aggregate-to-view", "true"))
		rules := rulesOf(viewer)
		for _, k := range kinds {
			for _, verb := range []string{"get", "list", "watch"} {
				Expect(grants(rules, group, k, verb)).To(BeTrue(), "%s %s", verb, k)
			}
			for _, verb := range []string{"create", "update", "patch", "delete"} {
				Expect(grants(rules, group, k, verb)).To(BeFalse(), "%s %s", verb, k)
			}
		}
	})

	It("has an AgentPool editor that writes AgentPools only", func() {
		editor := named(objs, "ClusterRole", "lio-lightrun-identity-operator-agentpool-editor")
		Expect(editor.GetLabels()).NotTo(HaveKey(HavePrefix("rbac.authorization.k8s.io/aggregate-to")))
		rules := rulesOf(editor)
		for _, verb := range []string{"create", "update", "patch", "delete"} {
			Expect(grants(rules, group, "agentpools", verb)).To(BeTrue(), verb)
			for _, k := range []string{"identityconfigs", "scimusers", "scimgroups"} {
				Expect(grants(rules, group, k, verb)).To(BeFalse(), "%s %s", verb, k)
			}
		}
		Expect(grants(rules, group, "agentpools/status", "update")).To(BeFalse())
	})

	It("has an IdentityConfig admin that writes IdentityConfigs and AgentPools, never SCIM objects or status", func() {
		admin := named(objs, "ClusterRole", "lio-lightrun-identity-operator-identityconfig-admin")
		Expect(admin.GetLabels()).NotTo(HaveKey(HavePrefix("rbac.authorization.k8s.io/aggregate-to")))
		rules := rulesOf(admin)
		for _, verb := range []string{"create", "update", "patch", "delete"} {
			Expect(grants(rules, group, "identityconfigs", verb)).To(BeTrue(), verb)
			Expect(grants(rules, group, "agentpools", verb)).To(BeTrue(), verb)
			Expect(grants(rules, group, "scimusers", verb)).To(BeFalse(), verb)
			Expect(grants(rules, group, "identityconfigs/status", verb)).To(BeFalse(), verb)
		}
	})
})

var _ = Describe("unsafe values", func() {
	It("refuses serviceAccount.create=false without a name", func() {
		_, err := render("serviceAccount.create=false")
		Expect(err).To(MatchError(ContainSubstring("name")))
		objs, err := render("serviceAccount.create=false", "serviceAccount.name=lio-operator")
		Expect(err).NotTo(HaveOccurred())
		Expect(ofKind(objs, "ServiceAccount")).To(BeEmpty())
		binding := named(objs, "ClusterRoleBinding", "lio-lightrun-identity-operator-manager")
		Expect(binding.Object["subjects"]).To(ConsistOf(HaveKeyWithValue("name", "lio-operator")))
	})

	It("refuses an allowed Lightrun host that is a URL", func() {
		_, err := render("lightrun.allowedHosts={https://acme.lightrun.com}")
		Expect(err).To(MatchError(ContainSubstring("allowedHosts")))
	})

	It("scopes every admission policy binding with admissionPolicy.namespaceSelector", func() {
		objs, err := render("admissionPolicy.namespaceSelector.matchLabels.tenant=a",
			"lightrun.allowedHosts={acme.lightrun.com}")
		Expect(err).NotTo(HaveOccurred())
		bindings := ofKind(objs, "ValidatingAdmissionPolicyBinding")
		Expect(bindings).To(HaveLen(3))
		for _, b := range bindings {
			sel, _, _ := unstructured.NestedMap(b.Object, "spec", "matchResources", "namespaceSelector")
			Expect(sel).To(Equal(map[string]any{"matchLabels": map[string]any{"tenant": "a"}}), b.GetName())
		}
	})
})
