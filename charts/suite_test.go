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

// Package charts_test checks the Helm chart: it renders with the helm binary
// built into bin/, compares what it ships with what controller-gen generates,
// and applies the admission policy to a real API server.
package charts_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/manifest"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

func TestChart(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Helm chart suite")
}

var chartDir = filepath.Join(testenv.RepoRoot(), "charts", "lightrun-identity-operator")

// kubeVersion is the Kubernetes version charts are rendered for: the one the
// local control plane is built at. helm installed with 'go install' carries
// no build-time default, so it is always passed explicitly.
const kubeVersion = "1.37.2"

// releaseNamespace is the namespace charts are rendered for.
const releaseNamespace = "identity-system"

// helmBinary is $HELM (make test sets it) or bin/helm. A missing binary fails
// the suite: make test builds it.
func helmBinary() string {
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	return filepath.Join(testenv.RepoRoot(), "bin", "helm")
}

// helm runs the helm binary with a private, empty configuration so that
// nothing on the developer's machine changes the outcome.
func helm(args ...string) (string, error) {
	GinkgoHelper()
	bin := helmBinary()
	_, err := os.Stat(bin)
	Expect(err).NotTo(HaveOccurred(), "helm is not built; run 'make helm'")
	home := GinkgoT().TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %v: %w: %s", args, err, stderr.String())
	}
	return stdout.String(), nil
}

// render runs helm template with the given --set values and returns every object.
func render(set ...string) ([]*unstructured.Unstructured, error) {
	GinkgoHelper()
	return renderWith(nil, set...)
}

// renderWith also passes each values file with -f, before the --set values.
func renderWith(files []string, set ...string) ([]*unstructured.Unstructured, error) {
	GinkgoHelper()
	args := make([]string, 0, 7+2*len(files)+2*len(set))
	args = append(args, "template", "lio", chartDir, "--namespace", releaseNamespace, "--kube-version", kubeVersion)
	for _, f := range files {
		args = append(args, "-f", f)
	}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	out, err := helm(args...)
	if err != nil {
		return nil, err
	}
	return manifest.Decode([]byte(out))
}

func ofKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}
