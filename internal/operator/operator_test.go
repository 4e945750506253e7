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

package operator

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// The manager's cache holds the metadata of labelled Secrets only, in the
// watched namespaces only: it never lists every Secret of the cluster.
func TestSecretCacheHoldsOnlyLabelledSecretsOfWatchedNamespaces(t *testing.T) {
	env, err := testenv.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := context.Background()
	k8s, err := client.New(cfg, client.Options{Scheme: NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"team-a", "team-b"} {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
		for _, labelled := range []bool{true, false} {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"}, StringData: map[string]string{"k": "v"}}
			if labelled {
				s.Name, s.Labels = "watched", map[string]string{v1.LabelWatch: "true"}
			}
			if err := k8s.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	}

	cached := func(opts Options) []string {
		t.Helper()
		opts.MetricsBindAddress, opts.HealthProbeBindAddress, opts.SkipControllerNameValidation = "0", "0", true
		mgr, err := NewManager(cfg, opts)
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- mgr.Start(runCtx) }()
		defer func() { cancel(); <-done }()
		syncCtx, stop := context.WithTimeout(ctx, 30*time.Second)
		defer stop()
		if !mgr.GetCache().WaitForCacheSync(syncCtx) {
			t.Fatal("the cache did not sync")
		}
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("SecretList"))
		if err := mgr.GetCache().List(syncCtx, list); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range list.Items {
			names = append(names, s.Namespace+"/"+s.Name)
		}
		slices.Sort(names)
		return names
	}

	if got := cached(Options{}); !slices.Equal(got, []string{"team-a/watched", "team-b/watched"}) {
		t.Errorf("watching every namespace, the cache holds the Secrets %v, want only the labelled ones", got)
	}
	if got := cached(Options{SecretWatchNamespaces: []string{"team-b"}}); !slices.Equal(got, []string{"team-b/watched"}) {
		t.Errorf("watching team-b, the cache holds the Secrets %v, want team-b/watched", got)
	}
}
