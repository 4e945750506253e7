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
	"fmt"

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
// IdentityConfigs name. A Secret's metadata comes from the manager's cache,
// which holds Secret metadata only (no Secret data is ever cached by an
// informer); its data is read from the API server only when the Secret's
// resourceVersion or the key asked for changed since the caller last read it.
type secrets struct {
	cached client.Reader
	live   client.Reader
}

// read returns the value of one key of a Secret and the version it was read
// at. When known is that version already, the value is nil: nothing changed.
// A *SecretError says the Secret or the key is missing or empty.
func (s secrets) read(ctx context.Context, key types.NamespacedName, dataKey, known string) ([]byte, string, error) {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := s.cached.Get(ctx, key, m); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", &SecretError{Reason: v1.ReasonSecretNotFound, Message: fmt.Sprintf("Secret %s not found", key.Name)}
		}
		return nil, "", fmt.Errorf("reading Secret %s: %w", key, err)
	}
	version := m.ResourceVersion + "/" + dataKey
	if version == known {
		return nil, version, nil
	}
	secret := &corev1.Secret{}
	if err := s.live.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", &SecretError{Reason: v1.ReasonSecretNotFound, Message: fmt.Sprintf("Secret %s not found", key.Name)}
		}
		return nil, "", fmt.Errorf("reading Secret %s: %w", key, err)
	}
	value := secret.Data[dataKey]
	if len(value) == 0 {
		return nil, version, &SecretError{Reason: v1.ReasonSecretKeyMissing,
			Message: fmt.Sprintf("Secret %s has no key %q, or its value is empty", key.Name, dataKey)}
	}
	return value, version, nil
}
