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

// Package testenv starts the project's local control plane for tests: the
// kube-apiserver and etcd built from source into bin/ by
// hack/build-control-plane.sh (setup-envtest's downloads are unreachable
// here), with the operator's CRDs installed.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// RepoRoot returns the repository's root directory, found from this source
// file's location so tests work from any package directory.
func RepoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("testenv: cannot locate own source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// AssetsDir is where kube-apiserver, etcd and kubectl live:
// $KUBEBUILDER_ASSETS when set (make test sets it), else <repo>/bin.
func AssetsDir() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	return filepath.Join(RepoRoot(), "bin")
}

// CRDDir is where controller-gen writes the CRDs.
func CRDDir() string {
	return filepath.Join(RepoRoot(), "config", "crd", "bases")
}

// New returns an envtest environment that runs the locally built control
// plane and installs the operator's CRDs. It fails, never skips, when the
// binaries are missing: tests that claim to run against a real API server
// must do so.
func New() (*envtest.Environment, error) {
	assets := AssetsDir()
	var missing []error
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, name)); err != nil {
			missing = append(missing, err)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("local control plane not built in %s (run 'make control-plane'): %w", assets, errors.Join(missing...))
	}
	return &envtest.Environment{
		CRDDirectoryPaths:     []string{CRDDir()},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}, nil
}
