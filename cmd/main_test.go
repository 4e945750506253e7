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

package main

import (
	"crypto/x509"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// childEnv marks the re-executed test binary that checks the CA roots.
const childEnv = "MANAGER_TEST_CERT_POOL_CHILD"

// TestCARootsWithoutSystemCertificates runs the test binary (which links
// main.go and so its imports) again with every system CA location pointed at
// nothing, as on an empty base image, and expects a usable root pool: the
// fallback roots compiled into the manager.
func TestCARootsWithoutSystemCertificates(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			t.Fatalf("SystemCertPool: %v", err)
		}
		//nolint:staticcheck // Subjects is the only way to count a pool's certificates.
		if n := len(pool.Subjects()); n < 50 {
			t.Fatalf("SystemCertPool has %d certificates, want the fallback bundle (> 50)", n)
		}
		return
	}
	empty := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCARootsWithoutSystemCertificates$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1",
		"SSL_CERT_FILE="+filepath.Join(empty, "none.pem"), "SSL_CERT_DIR="+empty, "GODEBUG=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child without system CA roots failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
}

// TestBuildScript builds the real manager with hack/build-manager.sh, the
// script `make build`, `make image` and the Dockerfile share, and checks what
// every image relies on: static, stripped of paths, version stamped, with the
// fallback CA roots linked in.
func TestBuildScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the manager")
	}
	if runtime.GOOS != "linux" {
		t.Skip("checks a Linux ELF binary")
	}
	const version = "v0.0.0-buildscript-test"
	bin := filepath.Join(t.TempDir(), "manager")
	build := exec.Command("../hack/build-manager.sh", bin, version)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("hack/build-manager.sh: %v\n%s", err, out)
	}

	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("read build info: %v", err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" {
		t.Errorf("CGO_ENABLED = %q, want 0", settings["CGO_ENABLED"])
	}
	if rev, ok := settings["vcs.revision"]; ok {
		t.Errorf("vcs.revision = %q is stamped; a Docker build has no .git, so the binaries would differ", rev)
	}
	if settings["-trimpath"] != "true" {
		t.Errorf("-trimpath = %q, want true", settings["-trimpath"])
	}
	// Go leaves -ldflags out of the build info under -trimpath; the version
	// stamp is checked through --version below and -s through the symbols.
	var fallback bool
	for _, dep := range info.Deps {
		fallback = fallback || dep.Path == "golang.org/x/crypto/x509roots/fallback"
	}
	if !fallback {
		t.Error("golang.org/x/crypto/x509roots/fallback is not linked in; TLS would fail on an empty base image")
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("open ELF: %v", err)
	}
	defer func() { _ = f.Close() }()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the manager has a dynamic loader (PT_INTERP); it must be static")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("the manager has a symbol table; -s should strip it")
	}

	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("manager --version: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != version {
		t.Errorf("manager --version printed %q, want %q", got, version)
	}
}

func TestSoftMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		limit, gomemlimit string
		want              int64
		err               bool
	}{
		{limit: "", want: 0},
		{limit: "1Gi", want: 966367641}, // 90% of 1,073,741,824
		{limit: "1073741824", want: 966367641},
		{limit: "512M", want: 460800000},
		{limit: "1Gi", gomemlimit: "800MiB", want: 0}, // GOMEMLIMIT wins
		{limit: "lots", err: true},
		{limit: "0", err: true},
		{limit: "-1Gi", err: true},
	} {
		got, err := softMemoryLimit(c.limit, c.gomemlimit)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("softMemoryLimit(%q, %q) = %d, %v; want %d, error %v", c.limit, c.gomemlimit, got, err, c.want, c.err)
		}
	}
}
