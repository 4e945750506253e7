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
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

func readYAML(path string) map[string]any {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	out := map[string]any{}
	Expect(yaml.Unmarshal(data, &out)).To(Succeed(), path)
	return out
}

var _ = Describe("what the chart ships", func() {
	It("has CRDs byte-for-byte identical to config/crd/bases", func() {
		generated, err := filepath.Glob(filepath.Join(testenv.CRDDir(), "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(generated).To(HaveLen(4))
		shipped, err := filepath.Glob(filepath.Join(chartDir, "files", "crds", "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(shipped).To(HaveLen(len(generated)), "the chart ships other CRDs than config/crd/bases; run 'make manifests'")
		for _, g := range generated {
			want, err := os.ReadFile(g)
			Expect(err).NotTo(HaveOccurred())
			got, err := os.ReadFile(filepath.Join(chartDir, "files", "crds", filepath.Base(g)))
			Expect(err).NotTo(HaveOccurred(), "the chart lacks %s; run 'make manifests'", filepath.Base(g))
			Expect(string(got)).To(Equal(string(want)),
				"%s differs from config/crd/bases; run 'make manifests'", filepath.Base(g))
		}
	})

	It("has the manager's RBAC identical to config/rbac/role.yaml", func() {
		want, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
		Expect(err).NotTo(HaveOccurred())
		got, err := os.ReadFile(filepath.Join(chartDir, "files", "rbac", "role.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal(string(want)), "run 'make manifests'")
	})

	It("passes helm lint --strict", func() {
		_, err := helm("lint", "--strict", "--kube-version", kubeVersion, chartDir)
		Expect(err).NotTo(HaveOccurred())
	})
})

var _ = Describe("rendering with default values", func() {
	var objs []*unstructured.Unstructured
	BeforeEach(func() {
		var err error
		objs, err = render()
		Expect(err).NotTo(HaveOccurred())
	})

	It("installs the four CRDs unchanged but for the keep policy and labels", func() {
		crds := ofKind(objs, "CustomResourceDefinition")
		Expect(crds).To(HaveLen(4))
		for _, crd := range crds {
			Expect(crd.GetAnnotations()).To(HaveKeyWithValue("helm.sh/resource-policy", "keep"), crd.GetName())
			Expect(crd.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/instance", "lio"))
			plural := strings.TrimSuffix(crd.GetName(), ".identity.lightrun.com")
			base := readYAML(filepath.Join(testenv.CRDDir(), "identity.lightrun.com_"+plural+".yaml"))
			Expect(crd.Object["spec"]).To(Equal(base["spec"]),
				"the rendered %s spec differs from config/crd/bases", crd.GetName())
		}
	})

	It("marks the CRDs for Argo CD: applied first, never pruned or deleted with the Application", func() {
		for _, crd := range ofKind(objs, "CustomResourceDefinition") {
			Expect(crd.GetAnnotations()).To(HaveKeyWithValue("argocd.argoproj.io/sync-wave", "-1"), crd.GetName())
			Expect(crd.GetAnnotations()).To(
				HaveKeyWithValue("argocd.argoproj.io/sync-options", "Prune=false,Delete=false"), crd.GetName())
		}
	})

	It("leaves out everything optional", func() {
		for _, kind := range []string{"Ingress", "NetworkPolicy", "ServiceMonitor", "PrometheusRule", "ConfigMap"} {
			Expect(ofKind(objs, kind)).To(BeEmpty(), kind)
		}
	})

	It("grants the manager exactly the rules controller-gen generated", func() {
		role := readYAML(filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
		var manager *unstructured.Unstructured
		for _, cr := range ofKind(objs, "ClusterRole") {
			if cr.GetName() == "lio-lightrun-identity-operator-manager" {
				manager = cr
			}
		}
		Expect(manager).NotTo(BeNil())
		Expect(manager.Object["rules"]).To(Equal(role["rules"]))
	})

	It("runs the manager with leader election, the SCIM port and probes", func() {
		deployments := ofKind(objs, "Deployment")
		Expect(deployments).To(HaveLen(1))
		containers, _, err := unstructured.NestedSlice(deployments[0].Object, "spec", "template", "spec", "containers")
		Expect(err).NotTo(HaveOccurred())
		Expect(containers).To(HaveLen(1))
		c := containers[0].(map[string]any)
		Expect(c["image"]).To(Equal("ghcr.io/lightrun-platform/lightrun-identity-operator:0.1.0"))
		Expect(c["args"]).To(ContainElements("--leader-elect", "--scim-bind-address=:8443",
			"--metrics-bind-address=:8444", "--leader-election-namespace=identity-system"))
		Expect(c).To(HaveKey("readinessProbe"))
		Expect(c).To(HaveKey("livenessProbe"))
		replicas, _, _ := unstructured.NestedFieldNoCopy(deployments[0].Object, "spec", "replicas")
		Expect(replicas).To(BeEquivalentTo(2))
		Expect(ofKind(objs, "PodDisruptionBudget")).To(HaveLen(1))
	})

	It("ships the admission policies that keep ScimUser, ScimGroup and their claims read-only", func() {
		// The Lightrun host allow-list is off by default: no third policy.
		names := func(kind string) []string {
			var out []string
			for _, o := range ofKind(objs, kind) {
				out = append(out, o.GetName())
			}
			return out
		}
		want := []string{"lio-lightrun-identity-operator-scim-objects", "lio-lightrun-identity-operator-scim-claims"}
		Expect(names("ValidatingAdmissionPolicy")).To(ConsistOf(want))
		Expect(names("ValidatingAdmissionPolicyBinding")).To(ConsistOf(want))
	})
})

var _ = Describe("rendering with values", func() {
	It("leaves the CRDs out with crds.enabled=false", func() {
		objs, err := render("crds.enabled=false")
		Expect(err).NotTo(HaveOccurred())
		Expect(ofKind(objs, "CustomResourceDefinition")).To(BeEmpty())
		Expect(ofKind(objs, "Deployment")).To(HaveLen(1))
	})

	It("drops the keep policy with crds.keep=false", func() {
		objs, err := render("crds.keep=false")
		Expect(err).NotTo(HaveOccurred())
		for _, crd := range ofKind(objs, "CustomResourceDefinition") {
			Expect(crd.GetAnnotations()).NotTo(HaveKey("helm.sh/resource-policy"))
			Expect(crd.GetAnnotations()).NotTo(HaveKey("argocd.argoproj.io/sync-options"))
		}
	})

	It("moves the CRDs to another sync wave, or leaves the annotation out", func() {
		objs, err := render("crds.syncWave=-5")
		Expect(err).NotTo(HaveOccurred())
		for _, crd := range ofKind(objs, "CustomResourceDefinition") {
			Expect(crd.GetAnnotations()).To(HaveKeyWithValue("argocd.argoproj.io/sync-wave", "-5"))
		}
		objs, err = render("crds.syncWave=")
		Expect(err).NotTo(HaveOccurred())
		for _, crd := range ofKind(objs, "CustomResourceDefinition") {
			Expect(crd.GetAnnotations()).NotTo(HaveKey("argocd.argoproj.io/sync-wave"))
		}
	})

	It("renders the Argo CD health checks under their argocd-cm keys, byte for byte", func() {
		objs, err := render("argocd.healthChecks.enabled=true", "argocd.healthChecks.namespace=argocd")
		Expect(err).NotTo(HaveOccurred())
		cms := ofKind(objs, "ConfigMap")
		Expect(cms).To(HaveLen(1))
		Expect(cms[0].GetNamespace()).To(Equal("argocd"))
		data, _, err := unstructured.NestedStringMap(cms[0].Object, "data")
		Expect(err).NotTo(HaveOccurred())
		Expect(data).To(HaveLen(4))
		for _, kind := range []string{"IdentityConfig", "AgentPool", "ScimUser", "ScimGroup"} {
			Expect(data).To(HaveKeyWithValue("resource.customizations.health.identity.lightrun.com_"+kind, healthScript(kind)))
		}
	})

	It("serves SCIM over TLS from a Secret and publishes the public URL", func() {
		objs, err := render("scim.tlsSecretName=scim-tls", "scim.publicURL=https://scim.example.com")
		Expect(err).NotTo(HaveOccurred())
		d := ofKind(objs, "Deployment")[0]
		containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		Expect(containers[0].(map[string]any)["args"]).To(ContainElements(
			"--scim-cert-dir=/var/run/scim-tls", "--scim-public-url=https://scim.example.com"))
		volumes, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "volumes")
		Expect(volumes).To(ContainElement(HaveKeyWithValue("secret", map[string]any{"secretName": "scim-tls"})))
	})

	It("names the SCIM Service port for the protocol the pods speak, and points the Ingress at it", func() {
		port := func(set ...string) (map[string]any, any) {
			GinkgoHelper()
			objs, err := render(append(set, "scim.ingress.enabled=true", "scim.ingress.hosts={scim.example.com}")...)
			Expect(err).NotTo(HaveOccurred())
			var svc map[string]any
			for _, s := range ofKind(objs, "Service") {
				if strings.HasSuffix(s.GetName(), "-scim") {
					ports, _, _ := unstructured.NestedSlice(s.Object, "spec", "ports")
					Expect(ports).To(HaveLen(1))
					svc = ports[0].(map[string]any)
				}
			}
			Expect(svc).NotTo(BeNil())
			rules, _, _ := unstructured.NestedSlice(ofKind(objs, "Ingress")[0].Object, "spec", "rules")
			paths, _, _ := unstructured.NestedSlice(rules[0].(map[string]any), "http", "paths")
			name, _, _ := unstructured.NestedString(paths[0].(map[string]any), "backend", "service", "port", "name")
			return svc, name
		}
		svc, backend := port()
		Expect(svc).To(And(HaveKeyWithValue("name", "http"), HaveKeyWithValue("appProtocol", "http"),
			HaveKeyWithValue("targetPort", "scim")))
		Expect(backend).To(Equal("http"))
		svc, backend = port("scim.tlsSecretName=scim-tls")
		Expect(svc).To(And(HaveKeyWithValue("name", "https"), HaveKeyWithValue("appProtocol", "https"),
			HaveKeyWithValue("targetPort", "scim")))
		Expect(backend).To(Equal("https"))
	})

	It("passes the SCIM rate limit to the manager and refuses a non-positive one", func() {
		objs, err := render()
		Expect(err).NotTo(HaveOccurred())
		_, c := managerPod(objs)
		Expect(c["args"]).To(ContainElements("--scim-rate-limit=100", "--scim-rate-burst=200"))
		objs, err = render("scim.rateLimit.requestsPerSecond=2500", "scim.rateLimit.burst=5000")
		Expect(err).NotTo(HaveOccurred())
		_, c = managerPod(objs)
		Expect(c["args"]).To(ContainElements("--scim-rate-limit=2500", "--scim-rate-burst=5000"))
		_, err = render("scim.rateLimit.requestsPerSecond=0")
		Expect(err).To(MatchError(ContainSubstring("requestsPerSecond")))
	})

	It("gives the manager its container's memory limit, for Go's garbage collector", func() {
		objs, err := render()
		Expect(err).NotTo(HaveOccurred())
		_, c := managerPod(objs)
		Expect(c["args"]).To(ContainElement("--memory-limit=$(MEMORY_LIMIT)"))
		Expect(c["env"]).To(ContainElement(HaveKeyWithValue("name", "MEMORY_LIMIT")))
		for _, e := range c["env"].([]any) {
			if e.(map[string]any)["name"] == "MEMORY_LIMIT" {
				Expect(e).To(HaveKeyWithValue("valueFrom", HaveKeyWithValue("resourceFieldRef",
					And(HaveKeyWithValue("resource", "limits.memory"), HaveKeyWithValue("containerName", "manager")))))
			}
		}
		// extraEnv comes after it, in the same list.
		objs, err = render("extraEnv[0].name=FOO", "extraEnv[0].value=bar")
		Expect(err).NotTo(HaveOccurred())
		_, c = managerPod(objs)
		Expect(c["env"]).To(HaveLen(2))
		Expect(c["env"]).To(ContainElement(HaveKeyWithValue("name", "FOO")))
	})

	It("passes the SCIM in-flight cap and X-Forwarded-For trust to the manager and refuses a cap below 1", func() {
		objs, err := render()
		Expect(err).NotTo(HaveOccurred())
		_, c := managerPod(objs)
		Expect(c["args"]).To(ContainElement("--scim-max-in-flight=64"))
		Expect(c["args"]).NotTo(ContainElement("--scim-trust-forwarded-for"))
		objs, err = render("scim.maxInFlight=16", "scim.trustForwardedFor=true")
		Expect(err).NotTo(HaveOccurred())
		_, c = managerPod(objs)
		Expect(c["args"]).To(ContainElements("--scim-max-in-flight=16", "--scim-trust-forwarded-for"))
		_, err = render("scim.maxInFlight=0")
		Expect(err).To(MatchError(ContainSubstring("maxInFlight")))
	})

	It("drops the PodDisruptionBudget for a single replica", func() {
		objs, err := render("replicaCount=1")
		Expect(err).NotTo(HaveOccurred())
		Expect(ofKind(objs, "PodDisruptionBudget")).To(BeEmpty())
	})

	It("derives the public SCIM URL from the Ingress unless scim.publicURL is set", func() {
		args := func(set ...string) any {
			GinkgoHelper()
			objs, err := render(set...)
			Expect(err).NotTo(HaveOccurred())
			_, c := managerPod(objs)
			return c["args"]
		}
		ingress := []string{"scim.ingress.enabled=true", "scim.ingress.hosts={scim.example.com,scim.example.org}"}
		Expect(args(ingress...)).To(ContainElement("--scim-public-url=http://scim.example.com"))
		Expect(args(append(ingress, "scim.ingress.tls[0].secretName=tls")...)).
			To(ContainElement("--scim-public-url=https://scim.example.com"))
		Expect(args(append(ingress, "scim.publicURL=https://idp-facing.example.com")...)).
			To(ContainElement("--scim-public-url=https://idp-facing.example.com"))
		Expect(args()).NotTo(ContainElement(HavePrefix("--scim-public-url")))
	})

	It("refuses an Ingress without hosts", func() {
		_, err := render("scim.ingress.enabled=true")
		Expect(err).To(MatchError(ContainSubstring("scim.ingress.hosts")))
	})

	It("restricts only ingress, from anyone, with networkPolicy.enabled alone", func() {
		objs, err := render("networkPolicy.enabled=true")
		Expect(err).NotTo(HaveOccurred())
		nps := ofKind(objs, "NetworkPolicy")
		Expect(nps).To(HaveLen(1))
		spec := nps[0].Object["spec"].(map[string]any)
		Expect(spec["policyTypes"]).To(ConsistOf("Ingress"))
		Expect(spec).NotTo(HaveKey("egress"))
		Expect(spec["ingress"]).To(HaveLen(3))
		for _, rule := range spec["ingress"].([]any) {
			Expect(rule).NotTo(HaveKey("from"))
		}
	})

	DescribeTable("refuses values that values.schema.json rejects",
		func(set string, message string) {
			_, err := render(set)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("zero replicas", "replicaCount=0", "replicaCount"),
		Entry("an unknown log level", "logLevel=verbose", "logLevel"),
		Entry("a public URL that is not http(s)", "scim.publicURL=scim.example.com", "publicURL"),
		Entry("an unknown top-level value", "replicas=3", "replicas"),
		Entry("a privileged SCIM port", "scim.port=443", "port"),
		Entry("a sync wave that is not a number", "crds.syncWave=first", "syncWave"),
		Entry("an unknown Argo CD value", "argocd.healthCheck=true", "healthCheck"),
		Entry("a scrape interval that is not a duration", "metrics.serviceMonitor.interval=30", "interval"),
		Entry("a metrics reader without a namespace", "metrics.readerServiceAccounts[0].name=prometheus", "namespace"),
		Entry("an Ingress host that is no host name", "scim.ingress.hosts[0]=https://scim.example.com", "hosts"),
		Entry("an extra argument that is not a flag", "extraArgs[0]=lightrun-qps=5", "extraArgs"),
		Entry("a spread constraint without a topology key", "topologySpreadConstraints[0].maxSkew=1", "topologyKey"),
		Entry("an extra volume mount without a path", "extraVolumeMounts[0].name=ca", "mountPath"),
		Entry("an unknown NetworkPolicy value", "networkPolicy.ingressFrom[0].podSelector=x", "ingressFrom"),
	)
})
