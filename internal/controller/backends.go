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

package controller

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// secretError says why an IdentityConfig's Secret cannot be used; Reason is
// a condition reason (SecretNotFound, SecretKeyMissing).
type secretError struct {
	Reason  string
	Message string
}

func (e *secretError) Error() string { return e.Message }

// backends hands out one Lightrun per IdentityConfig, built from its URL and
// API key Secret. Clients are shared by every IdentityConfig with the same
// URL and key (keyed by a digest of both, so the key itself is never a map
// key or a log field) and therefore share the client's token bucket toward
// that Lightrun. A changed Secret gives a new client at once: the Secret's
// resourceVersion, read from the metadata-only cache, tells when to read the
// Secret's data again from the API server. Secret data is never cached by
// the informers.
type backends struct {
	cached client.Reader // the manager's client: Secrets come from the metadata cache
	live   client.Reader // the API reader: Secret data is read only when it changed
	build  func(url, apiKey string) (Lightrun, error)

	mu       sync.Mutex
	byDigest map[[sha256.Size]byte]Lightrun
	byConfig map[types.NamespacedName]configBackend
}

type configBackend struct {
	url       string
	secretRV  string
	secretKey string
	digest    [sha256.Size]byte
	backend   Lightrun
}

func newBackends(cached, live client.Reader, build func(url, apiKey string) (Lightrun, error)) *backends {
	return &backends{
		cached:   cached,
		live:     live,
		build:    build,
		byDigest: map[[sha256.Size]byte]Lightrun{},
		byConfig: map[types.NamespacedName]configBackend{},
	}
}

// secretMeta reads a Secret's metadata from the cache; nil when it does not exist.
func secretMeta(ctx context.Context, r client.Reader, key types.NamespacedName) (*metav1.PartialObjectMetadata, error) {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := r.Get(ctx, key, m); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading Secret %s: %w", key, err)
	}
	return m, nil
}

// secretValue reads one key of a Secret from the API server.
func secretValue(ctx context.Context, r client.Reader, key types.NamespacedName, dataKey string) ([]byte, error) {
	s := &corev1.Secret{}
	if err := r.Get(ctx, key, s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &secretError{Reason: v1.ReasonSecretNotFound, Message: fmt.Sprintf("Secret %s not found", key.Name)}
		}
		return nil, fmt.Errorf("reading Secret %s: %w", key, err)
	}
	v := s.Data[dataKey]
	if len(v) == 0 {
		return nil, &secretError{Reason: v1.ReasonSecretKeyMissing,
			Message: fmt.Sprintf("Secret %s has no key %q, or its value is empty", key.Name, dataKey)}
	}
	return v, nil
}

// For returns the Lightrun of ic. A *secretError says the API key Secret is
// unusable; other errors are transient.
func (b *backends) For(ctx context.Context, ic *v1.IdentityConfig) (Lightrun, error) {
	ref := ic.Spec.Lightrun.APIKeySecretRef
	secretKey := types.NamespacedName{Namespace: ic.Namespace, Name: ref.Name}
	meta, err := secretMeta(ctx, b.cached, secretKey)
	if err != nil {
		return nil, err
	}
	if meta == nil {
		return nil, &secretError{Reason: v1.ReasonSecretNotFound, Message: fmt.Sprintf("Secret %s not found", ref.Name)}
	}
	icKey := client.ObjectKeyFromObject(ic)
	b.mu.Lock()
	cur, ok := b.byConfig[icKey]
	b.mu.Unlock()
	if ok && cur.url == ic.Spec.Lightrun.URL && cur.secretRV == meta.ResourceVersion && cur.secretKey == ref.Key {
		return cur.backend, nil
	}

	apiKey, err := secretValue(ctx, b.live, secretKey, ref.Key)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write([]byte(ic.Spec.Lightrun.URL))
	h.Write([]byte{0})
	h.Write(apiKey)
	var digest [sha256.Size]byte
	copy(digest[:], h.Sum(nil))

	b.mu.Lock()
	defer b.mu.Unlock()
	backend, ok := b.byDigest[digest]
	if !ok {
		if backend, err = b.build(ic.Spec.Lightrun.URL, string(apiKey)); err != nil {
			return nil, fmt.Errorf("building the Lightrun client for %s: %w", ic.Spec.Lightrun.URL, err)
		}
		b.byDigest[digest] = backend
	}
	if old, had := b.byConfig[icKey]; had && old.digest != digest {
		b.releaseLocked(icKey, old.digest)
	}
	b.byConfig[icKey] = configBackend{url: ic.Spec.Lightrun.URL, secretRV: meta.ResourceVersion, secretKey: ref.Key, digest: digest, backend: backend}
	return backend, nil
}

// Forget drops what was kept for a deleted IdentityConfig.
func (b *backends) Forget(icKey types.NamespacedName) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.byConfig[icKey]; ok {
		b.releaseLocked(icKey, old.digest)
	}
}

// releaseLocked drops icKey's entry and the client it used when no other
// IdentityConfig uses it any more (a rotated key must not keep old clients alive).
func (b *backends) releaseLocked(icKey types.NamespacedName, digest [sha256.Size]byte) {
	delete(b.byConfig, icKey)
	for _, other := range b.byConfig {
		if other.digest == digest {
			return
		}
	}
	delete(b.byDigest, digest)
}
