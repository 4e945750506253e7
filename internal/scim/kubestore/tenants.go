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

package kubestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// Tenants implements store.Tenants: IdentityConfigs come from the informer
// cache; bearer-token Secrets are read from the API server and remembered
// for TokenTTL, so that the operator need not cache every Secret of the
// cluster and a rotated token takes effect within TokenTTL, without a restart.
// When an entry expires, one request reads the Secret again and the others
// that arrive meanwhile wait for its answer: at 32 requests in flight the
// expiry cost one read, not 32.
type Tenants struct {
	cached client.Reader
	live   client.Reader
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	secrets map[client.ObjectKey]secretEntry
	reads   map[client.ObjectKey]*secretRead
}

type secretEntry struct {
	fetched time.Time
	data    map[string][]byte // nil: the Secret does not exist
}

// secretRead is a read of a Secret under way; done is closed once data
// and err hold its answer.
type secretRead struct {
	done chan struct{}
	data map[string][]byte
	err  error
}

// secretReadTimeout bounds a Secret's read, which does not end with the
// request that started it: other requests wait for its answer.
const secretReadTimeout = 10 * time.Second

// NewTenants returns a Tenants; ttl 0 means 10 seconds.
func NewTenants(cached, live client.Reader, ttl time.Duration) *Tenants {
	if ttl == 0 {
		ttl = 10 * time.Second
	}
	return &Tenants{cached: cached, live: live, ttl: ttl, now: time.Now,
		secrets: map[client.ObjectKey]secretEntry{}, reads: map[client.ObjectKey]*secretRead{}}
}

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// Tenant implements store.Tenants.
func (t *Tenants) Tenant(ctx context.Context, namespace, name string) (*store.TenantConfig, error) {
	ic := &v1.IdentityConfig{}
	if err := t.cached.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, ic); err != nil {
		return nil, classify(err, "reading IdentityConfig")
	}
	cfg := &store.TenantConfig{
		Tenant:  store.Tenant{Namespace: namespace, IdentityConfig: name},
		Enabled: ic.Spec.SCIM.Enabled && ic.DeletionTimestamp == nil,
	}
	if rl := ic.Spec.SCIM.RateLimit; rl != nil {
		if rl.RequestsPerSecond != nil {
			cfg.RateLimit = float64(*rl.RequestsPerSecond)
		}
		if rl.Burst != nil {
			cfg.RateBurst = int(*rl.Burst)
		}
	}
	if c := meta.FindStatusCondition(ic.Status.Conditions, v1.ConditionReady); c != nil && c.Reason == v1.ReasonDuplicateIdentityProvider {
		cfg.Refusal = c.Message
	}
	ref := ic.Spec.SCIM.BearerTokenSecretRef
	if ref == nil {
		return cfg, nil
	}
	data, err := t.secret(ctx, client.ObjectKey{Namespace: namespace, Name: ref.Name})
	if err != nil {
		return nil, err
	}
	for _, key := range []string{ref.Key, ref.PreviousKey} {
		if key == "" {
			continue
		}
		// Surrounding whitespace is not part of the token: kubectl create
		// secret --from-file keeps a file's trailing newline. A token
		// shorter than v1.MinBearerTokenLength is never accepted (the
		// IdentityConfig's EndpointReady condition says why).
		if token := bytes.TrimSpace(data[key]); len(token) >= v1.MinBearerTokenLength {
			cfg.TokenDigests = append(cfg.TokenDigests, sha256.Sum256(token))
		}
	}
	return cfg, nil
}

// secret returns a Secret's data, from memory while it is younger than the
// TTL; otherwise from the API server, by one read however many requests
// need it meanwhile.
func (t *Tenants) secret(ctx context.Context, key client.ObjectKey) (map[string][]byte, error) {
	t.mu.Lock()
	if entry, ok := t.secrets[key]; ok && t.now().Sub(entry.fetched) < t.ttl {
		t.mu.Unlock()
		return entry.data, nil
	}
	if r, ok := t.reads[key]; ok {
		t.mu.Unlock()
		select {
		case <-r.done:
			return r.data, r.err
		case <-ctx.Done():
			return nil, classify(ctx.Err(), fmt.Sprintf("waiting for Secret %s", key))
		}
	}
	// Until the read answers, its answer is an error: a read that never
	// returns (a panic in it) fails its waiters and is not remembered.
	r := &secretRead{done: make(chan struct{}), err: fmt.Errorf("reading Secret %s: %w", key, store.ErrUnavailable)}
	t.reads[key] = r
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		if r.err == nil {
			t.secrets[key] = secretEntry{fetched: t.now(), data: r.data}
		}
		delete(t.reads, key)
		t.mu.Unlock()
		close(r.done)
	}()

	// Not cancelled with this request: the others waiting want the answer.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), secretReadTimeout)
	defer cancel()
	s := &corev1.Secret{}
	err := t.live.Get(rctx, key, s)
	switch {
	case apierrors.IsNotFound(err):
		r.data, r.err = nil, nil
	case err != nil:
		r.err = classify(err, fmt.Sprintf("reading Secret %s", key))
	default:
		r.data, r.err = s.Data, nil
	}
	return r.data, r.err
}
