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
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// everyFeature turns on every optional feature of the chart.
var everyFeature = filepath.Join(testenv.RepoRoot(), "charts", "testdata", "every-feature.yaml")

// fromYAML decodes YAML as the rendered objects are decoded (numbers are float64).
func fromYAML(s string) any {
	GinkgoHelper()
	var out any
	Expect(yaml.Unmarshal([]byte(s), &out)).To(Succeed())
	return out
}

// managerPod returns the manager Deployment's pod spec and its one container.
func managerPod(objs []*unstructured.Unstructured) (map[string]any, map[string]any) {
	GinkgoHelper()
	deployments := ofKind(objs, "Deployment")
	Expect(deployments).To(HaveLen(1))
	pod, _, err := unstructured.NestedMap(deployments[0].Object, "spec", "template", "spec")
	Expect(err).NotTo(HaveOccurred())
	containers := pod["containers"].([]any)
	Expect(containers).To(HaveLen(1))
	return pod, containers[0].(map[string]any)
}

var _ = Describe("rendering with every optional feature on", Ordered, func() {
	var objs []*unstructured.Unstructured
	BeforeAll(func() {
		var err error
		objs, err = renderWith([]string{everyFeature})
		Expect(err).NotTo(HaveOccurred())
	})

	It("passes helm lint --strict", func() {
		_, err := helm("lint", "--strict", "--kube-version", kubeVersion, "-f", everyFeature, chartDir)
		Expect(err).NotTo(HaveOccurred())
	})

	It("renders every optional object", func() {
		for kind, n := range map[string]int{
			"Ingress": 1, "NetworkPolicy": 1, "ServiceMonitor": 1, "PrometheusRule": 1,
			"ConfigMap": 2, // the dashboard and the Argo CD health checks
		} {
			Expect(ofKind(objs, kind)).To(HaveLen(n), kind)
		}
	})

	It("exposes the SCIM endpoint through an Ingress with TLS, and publishes its URL", func() {
		ing := ofKind(objs, "Ingress")[0]
		Expect(ing.GetAnnotations()).To(HaveKeyWithValue("nginx.ingress.kubernetes.io/backend-protocol", "HTTPS"))
		Expect(ing.Object["spec"]).To(Equal(fromYAML(`
ingressClassName: nginx
tls:
  - secretName: scim-example-com-tls
    hosts: [scim.example.com]
rules:
  - host: scim.example.com
    http:
      paths:
        - path: /scim
          pathType: Prefix
          backend:
            service:
              name: lio-lightrun-identity-operator-scim
              port: {name: https}
`)))
		_, c := managerPod(objs)
		Expect(c["args"]).To(ContainElement("--scim-public-url=https://scim.example.com"))
	})

	It("restricts the manager's traffic with a NetworkPolicy", func() {
		np := ofKind(objs, "NetworkPolicy")[0]
		Expect(np.Object["spec"]).To(Equal(fromYAML(`
podSelector:
  matchLabels: {app.kubernetes.io/name: lightrun-identity-operator, app.kubernetes.io/instance: lio}
policyTypes: [Ingress, Egress]
ingress:
  - ports: [{port: scim, protocol: TCP}]
    from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
  - ports: [{port: metrics, protocol: TCP}]
    from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
  - ports: [{port: probes, protocol: TCP}]
egress:
  - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
  - ports: [{port: 443, protocol: TCP}, {port: 6443, protocol: TCP}]
`)))
	})

	It("spreads, prioritises and extends the manager's pods", func() {
		pod, c := managerPod(objs)
		Expect(pod["priorityClassName"]).To(Equal("system-cluster-critical"))
		Expect(pod["topologySpreadConstraints"]).To(Equal(fromYAML(`
- maxSkew: 1
  topologyKey: topology.kubernetes.io/zone
  whenUnsatisfiable: ScheduleAnyway
  labelSelector:
    matchLabels: {app.kubernetes.io/name: lightrun-identity-operator, app.kubernetes.io/instance: lio}
- maxSkew: 1
  topologyKey: kubernetes.io/hostname
  whenUnsatisfiable: DoNotSchedule
  labelSelector:
    matchLabels: {app.kubernetes.io/instance: lio}
`)))
		Expect(c["args"]).To(ContainElements("--lightrun-qps=5", "--max-concurrent-reconciles=8"))
		Expect(c["env"]).To(Equal(fromYAML(`
- {name: MEMORY_LIMIT, valueFrom: {resourceFieldRef: {containerName: manager, resource: limits.memory}}}
- {name: HTTPS_PROXY, value: "http://proxy.example.com:3128"}
- {name: NO_PROXY, value: ".svc,.cluster.local"}
`)))
		Expect(c["envFrom"]).To(Equal(fromYAML(`[{configMapRef: {name: proxy-settings}}]`)))
		Expect(pod["volumes"]).To(Equal(fromYAML(`
- {name: tmp, emptyDir: {}}
- {name: scim-tls, secret: {secretName: scim-serving-tls}}
- {name: lightrun-ca, configMap: {name: lightrun-ca}}
`)))
		Expect(c["volumeMounts"]).To(Equal(fromYAML(`
- {name: tmp, mountPath: /tmp}
- {name: scim-tls, mountPath: /var/run/scim-tls, readOnly: true}
- {name: lightrun-ca, mountPath: /etc/ssl/lightrun, readOnly: true}
`)))
	})

	It("renders only objects a real API server accepts, field for field", func() {
		env, err := testenv.New()
		Expect(err).NotTo(HaveOccurred())
		env.CRDDirectoryPaths, env.ErrorIfCRDPathMissing = nil, false // the rendered CRDs are dry-run below
		cfg, err := env.Start()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(env.Stop)
		c, err := client.New(cfg, client.Options{})
		Expect(err).NotTo(HaveOccurred())
		ctx := context.Background()
		for _, ns := range []string{releaseNamespace, "monitoring", "argocd"} {
			Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		}
		checked := 0
		for _, o := range objs {
			if o.GroupVersionKind().Group == "monitoring.coreos.com" {
				continue // no CRDs here; monitoring_test.go decodes them strictly into prometheus-operator's types
			}
			err := c.Create(ctx, o.DeepCopy(), client.DryRunAll, client.FieldValidation("Strict"))
			Expect(err).NotTo(HaveOccurred(), "%s %s", o.GetKind(), o.GetName())
			Expect(apierrors.IsAlreadyExists(err)).To(BeFalse())
			checked++
		}
		Expect(checked).To(BeNumerically(">", 20))
	})
})
