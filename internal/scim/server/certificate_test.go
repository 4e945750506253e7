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
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// keyPair is a self-signed certificate for 127.0.0.1 named cn, in PEM.
func keyPair(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// secretVolume writes files the way the kubelet updates a Secret volume: a
// new timestamped directory, a "..data" symlink swapped to it atomically
// (rename), and tls.crt and tls.key linking through "..data".
type secretVolume struct {
	dir     string
	version int
}

func (v *secretVolume) write(t *testing.T, certPEM, keyPEM []byte) {
	t.Helper()
	v.version++
	payload := fmt.Sprintf("..2026_12_02_00_00_%02d.%d", v.version, v.version)
	if err := os.Mkdir(filepath.Join(v.dir, payload), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(v.dir, payload, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tmp := filepath.Join(v.dir, "..data_tmp")
	if err := os.Symlink(payload, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(v.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tls.crt", "tls.key"} {
		link := filepath.Join(v.dir, name)
		if _, err := os.Lstat(link); os.IsNotExist(err) {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// servedName is the common name of the certificate a new handshake gets.
func servedName(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // the test checks which certificate is served
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer func() { _ = conn.Close() }()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// errorLog collects the messages of errors logged.
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (e *errorLog) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		if strings.Contains(args, `"error"`) {
			e.mu.Lock()
			e.msgs = append(e.msgs, args)
			e.mu.Unlock()
		}
	}, funcr.Options{})
}

func (e *errorLog) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.msgs, "\n")
}

// eventually polls cond every 10ms for up to 20s (a loaded machine).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The key pair is parsed once per change of the mounted Secret, not per
// handshake; a renewed Secret is served within a bounded wait; a renewal
// that does not load is logged and the current certificate kept.
func TestTLSCertificateIsParsedOncePerChangeAndHotReloaded(t *testing.T) {
	vol := &secretVolume{dir: t.TempDir()}
	first, firstKey := keyPair(t, "first")
	vol.write(t, first, firstKey)
	var errs errorLog
	s := NewServer(Options{Addr: "127.0.0.1:0", CertDir: vol.dir, CertReloadInterval: 20 * time.Millisecond}, nil, nil, nil, errs.logger())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	addr := <-s.Listening()

	const handshakes = 20
	for range handshakes {
		if cn := servedName(t, addr); cn != "first" {
			t.Fatalf("served %q", cn)
		}
	}
	// Let the watcher read the unchanged files a few times too.
	checks := s.certs.checks.Load()
	eventually(t, "the watcher to look at the files", func() bool { return s.certs.checks.Load() >= checks+5 })
	if n := s.certs.parses.Load(); n != 1 {
		t.Fatalf("%d handshakes and unchanged files parsed the key pair %d times, want 1", handshakes, n)
	}

	second, secondKey := keyPair(t, "second")
	vol.write(t, second, secondKey)
	eventually(t, "the renewed certificate", func() bool { return servedName(t, addr) == "second" })
	if n := s.certs.parses.Load(); n != 2 {
		t.Fatalf("one change parsed %d key pairs in all, want 2", n)
	}

	// A certificate with another pair's key does not load.
	third, _ := keyPair(t, "third")
	vol.write(t, third, secondKey)
	eventually(t, "the bad pair to be tried", func() bool { return s.certs.parses.Load() == 3 })
	checks = s.certs.checks.Load()
	eventually(t, "the watcher to look again", func() bool { return s.certs.checks.Load() >= checks+3 })
	if cn := servedName(t, addr); cn != "second" {
		t.Fatalf("after a bad renewal the endpoint serves %q", cn)
	}
	if n := s.certs.parses.Load(); n != 3 {
		t.Fatalf("the bad pair was parsed again: %d parses", n)
	}
	if log := errs.String(); !strings.Contains(log, "does not load") || strings.Count(log, "\n") != 0 {
		t.Fatalf("want the bad pair logged as an error, once; logged:\n%s", log)
	}

	// TLS 1.2 stays the minimum.
	if conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}); err == nil { //nolint:gosec // checking the server refuses it
		_ = conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}
