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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// failingReader fails the test on every read: the cache must not be asked.
type failingReader struct{ t *testing.T }

func (r failingReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	r.t.Error("the cache was read for a Secret it does not hold")
	return errors.New("not cached")
}

func (r failingReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	r.t.Error("the cache was listed")
	return errors.New("not cached")
}

func secretClients(t *testing.T, cachedObjs, liveObjs []client.Object) (client.Client, client.Client) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cached := fake.NewClientBuilder().WithScheme(scheme).WithObjects(cachedObjs...).Build()
	live := fake.NewClientBuilder().WithScheme(scheme).WithObjects(liveObjs...).Build()
	return cached, live
}

// A Secret without the watch label is not in the manager's cache (it holds
// labelled Secrets only), yet it works: it is read by name, and re-read at
// most once per check interval, so a rotation takes effect within it.
func TestUnlabelledSecretIsReadByNameAndRereadEachInterval(t *testing.T) {
	ctx := context.Background()
	cached, live := secretClients(t, nil, []client.Object{apiKeySecret("plain", "first")})
	conns := New(cached, live, Options{CheckInterval: time.Minute})
	now := time.Unix(1_000_000, 0)
	conns.secrets.now = func() time.Time { return now }
	conns.build = func(_, apiKey string) (Lightrun, error) { return &fakeLightrun{apiKey: apiKey}, nil }
	ic := identityConfig("a", "plain")

	l, err := conns.For(ctx, ic)
	if err != nil {
		t.Fatalf("an unlabelled Secret must still be usable: %v", err)
	}
	if l.(*fakeLightrun).apiKey != "first" {
		t.Fatalf("key %q, want first", l.(*fakeLightrun).apiKey)
	}
	if err := live.Update(ctx, apiKeySecret("plain", "second")); err != nil {
		t.Fatal(err)
	}
	if l, _ = conns.For(ctx, ic); l.(*fakeLightrun).apiKey != "first" {
		t.Fatal("an unlabelled Secret must not be read again within the check interval")
	}
	now = now.Add(time.Minute + time.Second)
	if l, _ = conns.For(ctx, ic); l.(*fakeLightrun).apiKey != "second" {
		t.Fatalf("an unlabelled Secret rotated more than a check interval ago: key %q, want second", l.(*fakeLightrun).apiKey)
	}

	// Deleted: reported as missing once the interval has passed.
	if err := live.Delete(ctx, apiKeySecret("plain", "")); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute + time.Second)
	var serr *SecretError
	if _, err := conns.For(ctx, ic); !errors.As(err, &serr) || serr.Reason != v1.ReasonSecretNotFound {
		t.Fatalf("a deleted Secret: %v, want SecretNotFound", err)
	}
}

// A labelled Secret in the cache is followed by its resourceVersion at once.
func TestLabelledSecretRotatesAtOnce(t *testing.T) {
	ctx := context.Background()
	s := apiKeySecret("watched", "first")
	s.Labels = map[string]string{v1.LabelWatch: "true"}
	c, _ := secretClients(t, []client.Object{s}, nil)
	conns := New(c, c, Options{CheckInterval: time.Hour})
	conns.build = func(_, apiKey string) (Lightrun, error) { return &fakeLightrun{apiKey: apiKey}, nil }
	ic := identityConfig("a", "watched")
	if _, err := conns.For(ctx, ic); err != nil {
		t.Fatal(err)
	}
	s = s.DeepCopy()
	s.Data = map[string][]byte{"apiKey": []byte("second")}
	if err := c.Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	if l, _ := conns.For(ctx, ic); l.(*fakeLightrun).apiKey != "second" {
		t.Fatal("a watched Secret's rotation must take effect at once")
	}
}

// Where the manager watches no Secrets (the namespace is not watched, or
// the watch is off), the cache is never asked: asking would start an
// informer that needs list and watch on Secrets.
func TestUnwatchedNamespacesNeverTouchTheCache(t *testing.T) {
	ctx := context.Background()
	_, live := secretClients(t, nil, []client.Object{apiKeySecret("plain", "first")})
	conns := New(failingReader{t}, live, Options{SecretWatched: func(string) bool { return false }})
	conns.build = func(_, apiKey string) (Lightrun, error) { return &fakeLightrun{apiKey: apiKey}, nil }
	if _, err := conns.For(ctx, identityConfig("a", "plain")); err != nil {
		t.Fatal(err)
	}
	ic := identityConfig("a", "plain")
	ic.Spec.SCIM.BearerTokenSecretRef = &v1.BearerTokenSecretReference{Name: "missing", Key: "token"}
	var serr *SecretError
	if err := conns.CheckBearerToken(ctx, ic); !errors.As(err, &serr) || serr.Reason != v1.ReasonSecretNotFound {
		t.Fatalf("a missing Secret: %v, want SecretNotFound", err)
	}
	_ = corev1.Secret{}
}
