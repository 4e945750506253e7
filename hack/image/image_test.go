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
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	testVersion  = "v1.2.3-test"
	testRevision = "0123456789abcdef0123456789abcdef01234567"
	testEpoch    = 1767225600 // 2026-01-01T00:00:00Z
)

// staticBinary builds a tiny static Linux program, standing in for the
// manager (cmd's tests check the real one), into dir.
func staticBinary(t *testing.T, dir, arch string) string {
	t.Helper()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hello\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "manager")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func testOptions(binary, output string) options {
	return options{
		binary:   binary,
		output:   output,
		version:  testVersion,
		revision: testRevision,
		source:   defaultSource,
		created:  time.Unix(testEpoch, 0).UTC(),
	}
}

// loadArchive unpacks an OCI image layout tarball and returns its one image
// and the index entry describing it, read back with go-containerregistry as
// crane or skopeo would.
func loadArchive(t *testing.T, archive string, created time.Time) (v1.Image, v1.Descriptor) {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", archive, err)
		}
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(created) {
			t.Errorf("archive entry %s: uid %d gid %d mtime %v, want 0 0 and the build time", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		target := filepath.Join(dir, filepath.FromSlash(path.Clean(h.Name)))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(target, data, 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("archive entry %s has type %c", h.Name, h.Typeflag)
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("not an OCI image layout: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("index has %d manifests, want 1", len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img, im.Manifests[0]
}

// layerFiles returns every entry of a layer, by path.
func layerFiles(t *testing.T, l v1.Layer) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	headers, contents := map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return headers, contents
		}
		if err != nil {
			t.Fatal(err)
		}
		name := path.Clean("/" + h.Name)
		headers[name] = h
		if contents[name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
}

func TestImage(t *testing.T) {
	dir := t.TempDir()
	bin := staticBinary(t, dir, "amd64")
	archive := filepath.Join(dir, "out", "manager.oci.tar")
	printed, err := run(testOptions(bin, archive))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	img, desc := loadArchive(t, archive, time.Unix(testEpoch, 0))

	if st, err := os.Stat(archive); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("archive mode: %v %v, want 0644 for whoever pushes it", st.Mode(), err)
	}
	if desc.Digest != printed {
		t.Errorf("archive holds %s, run reported %s", desc.Digest, printed)
	}
	if desc.MediaType != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s, want %s", desc.MediaType, types.OCIManifestSchema1)
	}
	if got := desc.Annotations["org.opencontainers.image.ref.name"]; got != testVersion {
		t.Errorf("index ref.name annotation %q, want %q (the tag skopeo and podman load it under)", got, testVersion)
	}
	if desc.Platform == nil || desc.Platform.OS != "linux" || desc.Platform.Architecture != "amd64" {
		t.Errorf("index platform %+v, want linux/amd64", desc.Platform)
	}

	checkConfig(t, img)
	checkLayer(t, img, bin)
}

// checkConfig checks the image config of TestImage's build.
func checkConfig(t *testing.T, img v1.Image) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("config platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	if !cf.Created.Equal(time.Unix(testEpoch, 0)) {
		t.Errorf("created %v, want the build time %v", cf.Created.Time, time.Unix(testEpoch, 0).UTC())
	}
	c := cf.Config
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/manager"}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want [/manager] and no cmd", c.Entrypoint, c.Cmd)
	}
	if c.WorkingDir != "/" {
		t.Errorf("working dir %q, want /", c.WorkingDir)
	}
	for _, env := range c.Env {
		if strings.HasPrefix(env, "PATH=") {
			t.Errorf("env %q: nothing to find on a PATH in this image", env)
		}
	}
	wantLabels := map[string]string{
		"org.opencontainers.image.title":    "lightrun-identity-operator",
		"org.opencontainers.image.version":  testVersion,
		"org.opencontainers.image.revision": testRevision,
		"org.opencontainers.image.source":   defaultSource,
		"org.opencontainers.image.licenses": "Apache-2.0",
		"org.opencontainers.image.created":  "2026-01-01T00:00:00Z",
	}
	for k, want := range wantLabels {
		if got := c.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
}

// checkLayer checks that the image's one layer holds bin as /manager and
// nothing else.
func checkLayer(t *testing.T, img v1.Image, bin string) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
		t.Errorf("layer media type %s, want %s", mt, types.OCILayer)
	}
	headers, contents := layerFiles(t, layers[0])
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"/manager"}) {
		t.Errorf("layer holds %q, want only /manager", names)
	}
	for name := range headers {
		switch base := path.Base(name); {
		case strings.HasPrefix(name, "/bin/") || strings.HasPrefix(name, "/usr/"):
			t.Errorf("layer has %s: no system directories in this image", name)
		case slices.Contains([]string{"sh", "bash", "ash", "dash", "busybox"}, base):
			t.Errorf("layer has a shell: %s", name)
		}
	}
	if h := headers["/manager"]; h != nil {
		if h.Typeflag != tar.TypeReg || h.Mode&0o7777 != 0o755 || h.Uid != 65532 || h.Gid != 65532 {
			t.Errorf("/manager: type %c mode %o owner %d:%d, want a regular file 755 owned by 65532:65532",
				h.Typeflag, h.Mode, h.Uid, h.Gid)
		}
		if !h.ModTime.Equal(time.Unix(testEpoch, 0)) {
			t.Errorf("/manager mtime %v, want the build time", h.ModTime)
		}
		want, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(contents["/manager"], want) {
			t.Error("/manager in the image differs from the binary given")
		}
	}
}

// TestImageReproducible builds the image twice from the same inputs, as two
// runs of `make image` on one commit do, and expects the same bytes.
func TestImageReproducible(t *testing.T) {
	dir := t.TempDir()
	bin := staticBinary(t, dir, "amd64")
	digests := make([]v1.Hash, 0, 2)
	sums := make([][sha256.Size]byte, 0, 2)
	for _, name := range []string{"a.oci.tar", "b.oci.tar"} {
		archive := filepath.Join(dir, name)
		if _, err := run(testOptions(bin, archive)); err != nil {
			t.Fatalf("run: %v", err)
		}
		data, err := os.ReadFile(archive)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sha256.Sum256(data))
		img, _ := loadArchive(t, archive, time.Unix(testEpoch, 0))
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds gave digests %s and %s", digests[0], digests[1])
	}
	if sums[0] != sums[1] {
		t.Error("two builds gave different tarballs")
	}

	other := testOptions(bin, filepath.Join(dir, "c.oci.tar"))
	other.created = other.created.Add(time.Second)
	if _, err := run(other); err != nil {
		t.Fatal(err)
	}
	img, _ := loadArchive(t, other.output, other.created)
	if d, _ := img.Digest(); d == digests[0] {
		t.Error("a different build time gave the same digest; is the time used at all?")
	}
}

// TestImageArchitecture takes the platform from the binary itself.
func TestImageArchitecture(t *testing.T) {
	dir := t.TempDir()
	bin := staticBinary(t, dir, "arm64")
	archive := filepath.Join(dir, "manager.oci.tar")
	if _, err := run(testOptions(bin, archive)); err != nil {
		t.Fatalf("run: %v", err)
	}
	img, desc := loadArchive(t, archive, time.Unix(testEpoch, 0))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "arm64" || desc.Platform == nil || desc.Platform.Architecture != "arm64" {
		t.Errorf("architecture %s (index %+v), want arm64", cf.Architecture, desc.Platform)
	}
}

// TestImageRefusesWhatCannotRun rejects binaries an empty base cannot run.
func TestImageRefusesWhatCannotRun(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "manager")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := run(testOptions(script, filepath.Join(dir, "x.oci.tar"))); err == nil {
		t.Error("a shell script was accepted as the manager")
	}
	opts := testOptions(staticBinary(t, t.TempDir(), "amd64"), filepath.Join(dir, "y.oci.tar"))
	opts.version = ""
	if _, err := run(opts); err == nil {
		t.Error("an empty version was accepted")
	}
}

// TestEveryImageUsesTheBuildScript keeps `make build`, `make image` and the
// Dockerfile on hack/build-manager.sh, so they ship the same binary.
func TestEveryImageUsesTheBuildScript(t *testing.T) {
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	makefile := read("Makefile")
	for _, target := range []string{"build", "image"} {
		start := strings.Index(makefile, "\n"+target+":")
		if start < 0 {
			t.Fatalf("Makefile has no %s target", target)
		}
		recipe := makefile[start+1:]
		if end := strings.Index(recipe, "\n\n"); end >= 0 {
			recipe = recipe[:end]
		}
		if !strings.Contains(recipe, "hack/build-manager.sh") {
			t.Errorf("make %s does not build the manager with hack/build-manager.sh:\n%s", target, recipe)
		}
	}
	const dockerBuild = "RUN GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} hack/build-manager.sh manager"
	if !strings.Contains(read("Dockerfile"), dockerBuild) {
		t.Error("the Dockerfile does not build the manager with hack/build-manager.sh")
	}
	if !strings.Contains(read(".dockerignore"), "!hack/build-manager.sh") {
		t.Error(".dockerignore leaves hack/build-manager.sh out of the Docker build context")
	}
}
