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

// Command image packs an already built manager binary into an OCI image
// without a container engine, and writes it as an OCI image layout tarball
// (loadable with `skopeo copy oci-archive:…`, `crane push`, `podman load`).
// `make image` builds the binary with hack/build-manager.sh and runs this.
//
// The image is one layer holding /manager (mode 0755, owned by 65532) on an
// empty base: no shell, no /bin, no /etc. It runs as 65532:65532; the manager
// carries its own CA roots. Every timestamp is the -created time, so the same
// binary and flags give the same bytes and digest.
package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	defaultSource = "https://github.com/lightrun-platform/lightrun-identity-operator"
	// nonRoot is the user and group the manager runs as, the same as the
	// Dockerfile's and the Helm chart's securityContext.
	nonRoot    = 65532
	binaryPath = "manager"
)

type options struct {
	binary, output    string
	version, revision string
	source            string
	created           time.Time
}

func main() {
	var opts options
	var epoch string
	flag.StringVar(&opts.binary, "binary", "", "The static Linux manager binary to pack (required).")
	flag.StringVar(&opts.output, "output", "", "The OCI image layout tarball to write (required).")
	flag.StringVar(&opts.version, "version", "",
		"The version: the org.opencontainers.image.version label and the tag in the tarball (required).")
	flag.StringVar(&opts.revision, "revision", "",
		"The source revision (git commit) for the org.opencontainers.image.revision label.")
	flag.StringVar(&opts.source, "source", defaultSource,
		"The source repository URL for the org.opencontainers.image.source label.")
	flag.StringVar(&epoch, "created", os.Getenv("SOURCE_DATE_EPOCH"),
		"Build time in Unix seconds, used for every timestamp; defaults to $SOURCE_DATE_EPOCH, else 0.")
	flag.Parse()
	if epoch == "" {
		epoch = "0"
	}
	secs, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "image: -created %q: not Unix seconds\n", epoch)
		os.Exit(2)
	}
	opts.created = time.Unix(secs, 0).UTC()
	if opts.binary == "" || opts.output == "" {
		flag.Usage()
		os.Exit(2)
	}
	digest, err := run(opts)
	if err == nil {
		var st os.FileInfo
		if st, err = os.Stat(opts.output); err == nil {
			fmt.Printf("%s: image %s (%d bytes)\n", opts.output, digest, st.Size())
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
}

// run writes the image and returns its manifest digest.
func run(opts options) (v1.Hash, error) {
	if opts.version == "" {
		return v1.Hash{}, errors.New("a version is required")
	}
	arch, err := staticLinuxArch(opts.binary)
	if err != nil {
		return v1.Hash{}, err
	}
	bin, err := os.ReadFile(opts.binary)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := image(bin, arch, opts)
	if err != nil {
		return v1.Hash{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	return digest, writeArchive(img, arch, opts)
}

// staticLinuxArch returns the GOARCH of a static Linux ELF executable, and an
// error for anything an empty base image could not run.
func staticLinuxArch(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s is not a Linux executable: %w", path, err)
	}
	defer func() { _ = f.Close() }()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("%s is dynamically linked; build it with CGO_ENABLED=0", path)
		}
	}
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		return "", fmt.Errorf("%s is built for %v, not Linux", path, f.OSABI)
	}
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64", nil
	case elf.EM_AARCH64:
		return "arm64", nil
	case elf.EM_PPC64:
		return "ppc64le", nil
	case elf.EM_S390:
		return "s390x", nil
	}
	return "", fmt.Errorf("%s: unsupported machine %v", path, f.Machine)
}

// image assembles the manager's image on an empty base.
func image(bin []byte, arch string, opts options) (v1.Image, error) {
	layerTar, err := layerTarball(bin, opts.created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: opts.created},
			CreatedBy: "hack/image: /manager",
			Comment:   "lightrun-identity-operator " + opts.version,
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = arch
	cf.Created = v1.Time{Time: opts.created}
	user := strconv.Itoa(nonRoot)
	cf.Config = v1.Config{
		User:       user + ":" + user,
		Entrypoint: []string{"/" + binaryPath},
		WorkingDir: "/",
		Labels: map[string]string{
			"org.opencontainers.image.title":       "lightrun-identity-operator",
			"org.opencontainers.image.description": "Kubernetes operator that makes the cluster the identity hub for Lightrun",
			"org.opencontainers.image.version":     opts.version,
			"org.opencontainers.image.revision":    opts.revision,
			"org.opencontainers.image.source":      opts.source,
			"org.opencontainers.image.licenses":    "Apache-2.0",
			"org.opencontainers.image.created":     opts.created.Format(time.RFC3339),
		},
	}
	return mutate.ConfigFile(img, cf)
}

// layerTarball is the image's only layer: /manager and nothing else.
func layerTarball(bin []byte, created time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     binaryPath,
		Mode:     0o755,
		Uid:      nonRoot,
		Gid:      nonRoot,
		Size:     int64(len(bin)),
		ModTime:  created,
		Format:   tar.FormatPAX,
	}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeArchive writes img as an OCI image layout, tagged with the version,
// and packs the layout into opts.output with fixed owners and times.
func writeArchive(img v1.Image, arch string, opts options) error {
	dir, err := os.MkdirTemp("", "manager-image-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img,
		layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": opts.version}),
		layout.WithPlatform(v1.Platform{OS: "linux", Architecture: arch}),
	); err != nil {
		return err
	}

	if err := os.MkdirAll(filepath.Dir(opts.output), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(opts.output), ".manager-image-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	tw := tar.NewWriter(tmp)
	// WalkDir visits in lexical order, so the archive's order is fixed too.
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: opts.created, Format: tar.FormatPAX}
		if d.IsDir() {
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, h.Name+"/", 0o755
			return tw.WriteHeader(h)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o644, int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tw.Close(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), opts.output)
}
