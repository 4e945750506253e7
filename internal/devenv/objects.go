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

package devenv

import (
	"context"
	"fmt"
	"path/filepath"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/manifest"
)

const (
	// Namespace holds the samples; the default namespace keeps kubectl commands short.
	Namespace = "default"
	// IdentityConfig is the sample IdentityConfig's name.
	IdentityConfig = "okta"
	// APIKey is the Lightrun API key the development environment's
	// emulator accepts; it guards nothing but a local, in-memory Lightrun.
	APIKey = "dev-lightrun-api-key"
	// CompanyID is the sample IdentityConfig's companyId, given to the
	// emulator so the two agree.
	CompanyID  = "4f0c5d2e-7b1a-4c3e-9d8f-2a6b1e0c9f11"
	fieldOwner = "lightrun-identity-devenv"
)

// applyDevObjects creates the Secrets the sample IdentityConfig names and
// server-side applies every sample, so re-running make dev converges instead
// of failing on objects left from the previous run. The IdentityConfig's
// Lightrun URL is set to lightrunURL, where this environment's emulator listens.
func applyDevObjects(ctx context.Context, k8s client.Client, samplesDir, token, lightrunURL string) error {
	secrets := []*corev1ac.SecretApplyConfiguration{
		corev1ac.Secret("lightrun-api-key", Namespace).WithStringData(map[string]string{"apiKey": APIKey}),
		corev1ac.Secret("scim-bearer-token", Namespace).WithStringData(map[string]string{"token": token}),
	}
	for _, s := range secrets {
		// Watched, so a rotated key or token takes effect at once.
		s.WithLabels(map[string]string{v1.LabelWatch: "true"})
		if err := k8s.Apply(ctx, s, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying Secret %s: %w", *s.Name, err)
		}
	}

	files, err := filepath.Glob(filepath.Join(samplesDir, "*.yaml"))
	if err != nil {
		return fmt.Errorf("listing samples: %w", err)
	}
	for _, file := range files {
		objs, err := manifest.ReadFile(file)
		if err != nil {
			return err
		}
		for _, obj := range objs {
			obj.SetNamespace(Namespace)
			if obj.GetKind() == "IdentityConfig" {
				if err := unstructured.SetNestedField(obj.Object, lightrunURL, "spec", "lightrun", "url"); err != nil {
					return fmt.Errorf("setting the Lightrun URL of %s: %w", obj.GetName(), err)
				}
			}
			apply := client.ApplyConfigurationFromUnstructured(obj)
			if err := k8s.Apply(ctx, apply, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
				return fmt.Errorf("applying %s %s from %s: %w", obj.GetKind(), obj.GetName(), file, err)
			}
		}
	}
	return nil
}
