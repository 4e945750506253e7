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

package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// certLoader serves the SCIM endpoint's key pair from tls.crt and tls.key in
// a directory, as the kubelet mounts a kubernetes.io/tls Secret. It parses a
// pair once per change of the files' contents, not per handshake: it reads
// the files every interval and parses only when their bytes differ from the
// last ones it saw. A new pair that does not load is logged once and the
// current one kept, so a bad renewal never takes the endpoint down.
type certLoader struct {
	certFile, keyFile string
	log               logr.Logger

	current atomic.Pointer[tls.Certificate]

	mu      sync.Mutex // guards the seen bytes
	certPEM []byte
	keyPEM  []byte

	// parses counts key pairs parsed, checks the times the files were read
	// (for tests).
	parses atomic.Int64
	checks atomic.Int64
}

func newCertLoader(dir string, log logr.Logger) *certLoader {
	return &certLoader{certFile: filepath.Join(dir, "tls.crt"), keyFile: filepath.Join(dir, "tls.key"), log: log}
}

// load reads the files and, when they changed, parses them: the new pair
// replaces the current one only if it loads.
func (c *certLoader) load() error {
	c.checks.Add(1)
	certPEM, err := os.ReadFile(c.certFile)
	if err != nil {
		return fmt.Errorf("reading %s: %w", c.certFile, err)
	}
	keyPEM, err := os.ReadFile(c.keyFile)
	if err != nil {
		return fmt.Errorf("reading %s: %w", c.keyFile, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if bytes.Equal(certPEM, c.certPEM) && bytes.Equal(keyPEM, c.keyPEM) {
		return nil
	}
	// Seen, whether it loads or not: a bad pair is reported once.
	c.certPEM, c.keyPEM = certPEM, keyPEM
	c.parses.Add(1)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("loading the key pair %s, %s: %w", c.certFile, c.keyFile, err)
	}
	if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err == nil {
		cert.Leaf = leaf
		c.log.Info("Loaded the SCIM TLS certificate", "subject", leaf.Subject.String(), "serial", leaf.SerialNumber.String(), "notAfter", leaf.NotAfter)
	}
	c.current.Store(&cert)
	return nil
}

// watch reloads every interval until ctx is done.
func (c *certLoader) watch(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if err := c.load(); err != nil {
				c.log.Error(err, "Keeping the current SCIM TLS certificate: the new one does not load")
			}
		}
	}
}

// GetCertificate implements tls.Config.GetCertificate.
func (c *certLoader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.current.Load(), nil
}
