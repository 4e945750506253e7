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

package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// SecretError says why a Secret an IdentityConfig names cannot be used.
type SecretError struct {
	// Reason is a condition reason: SecretNotFound or SecretKeyMissing.
	Reason  string
	Message string
}

func (e *SecretError) Error() string { return e.Message }

// secrets is the one way the operator reads the data of the Secrets
// IdentityConfigs name. Data is always read by name from the API server
// (RBAC get); no informer ever holds Secret data.
//
// A Secret labelled identity.lightrun.com/watch=true in a namespace the
// manager watches is in the manager's cache, metadata only: its data is read
// again only when its resourceVersion (or the key asked for) changed, so a
// rotation takes effect at once. Any other Secret — unlabelled, or in a
// namespace the manager does not watch — is read by name and re-read at most
// once per interval: it works, and a rotation takes effect within the
// interval.
type secrets struct {
	cached client.Reader
	live   client.Reader
	// watched says whether the cache holds the labelled Secrets of a
	// namespace; nil means every namespace.
	watched func(namespace string) bool
	// interval is how long the verdict on a Secret outside the cache stands.
	interval time.Duration
	now      func() time.Time

	mu     sync.Mutex
	polled map[types.NamespacedName]polledSecret
}

// polledSecret is when a Secret outside the cache was last read, and its
// resourceVersion then ("" when it did not exist).
type polledSecret struct {
	at      time.Time
	version string
}

func newSecrets(cached, live client.Reader, watched func(string) bool, interval time.Duration) *secrets {
	return &secrets{cached: cached, live: live, watched: watched, interval: interval, now: time.Now,
		polled: map[types.NamespacedName]polledSecret{}}
}

// read returns the value of one key of a Secret and the version it was read
// at. When known is that version already, the value is nil: nothing changed.
// A *SecretError says the Secret or the key is missing or empty.
func (s *secrets) read(ctx context.Context, key types.NamespacedName, dataKey, known string) ([]byte, string, error) {
	if s.watched == nil || s.watched(key.Namespace) {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		err := s.cached.Get(ctx, key, m)
		switch {
		case err == nil:
			return s.readData(ctx, key, dataKey, known, m.ResourceVersion+"/"+dataKey)
		case !apierrors.IsNotFound(err):
			return nil, "", fmt.Errorf("reading Secret %s: %w", key, err)
		}
		// Not in the cache: missing, or not labelled for the watch.
	}
	return s.poll(ctx, key, dataKey, known)
}

// poll reads a Secret the cache does not hold, at most once per interval
// unless the caller needs data it has not read yet.
func (s *secrets) poll(ctx context.Context, key types.NamespacedName, dataKey, known string) ([]byte, string, error) {
	now := s.now()
	s.mu.Lock()
	last, ok := s.polled[key]
	s.mu.Unlock()
	if ok && now.Sub(last.at) < s.interval {
		switch {
		case last.version == "":
			return nil, "", &SecretError{Reason: v1.ReasonSecretNotFound, Message: fmt.Sprintf("Secret %s not found", key.Name)}
		case last.version+"/"+dataKey == known:
			return nil, known, nil
		}
	}
	value, version, err := s.readData(ctx, key, dataKey, known, "")
	var serr *SecretError
	if err == nil || errors.As(err, &serr) {
		rv, _, _ := strings.Cut(version, "/")
		s.mu.Lock()
		s.polled[key] = polledSecret{at: now, version: rv}
		s.mu.Unlock()
	}
	return value, version, err
}

// readData gets the Secret from the API server. version is what the cache
// says it is at, or empty to take it from what was read.
func (s *secrets) readData(ctx context.Context, key types.NamespacedName, dataKey, known, version string) ([]byte, string, error) {
	if version != "" && version == known {
		return nil, version, nil
	}
	secret := &corev1.Secret{}
	if err := s.live.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", &SecretError{Reason: v1.ReasonSecretNotFound, Message: fmt.Sprintf("Secret %s not found", key.Name)}
		}
		return nil, "", fmt.Errorf("reading Secret %s: %w", key, err)
	}
	if version == "" {
		version = secret.ResourceVersion + "/" + dataKey
	}
	value := secret.Data[dataKey]
	if len(value) == 0 {
		return nil, version, &SecretError{Reason: v1.ReasonSecretKeyMissing,
			Message: fmt.Sprintf("Secret %s has no key %q, or its value is empty", key.Name, dataKey)}
	}
	if version == known {
		return nil, version, nil
	}
	return value, version, nil
}
