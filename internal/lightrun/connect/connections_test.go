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

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// fakeLightrun stands for a built client; only its identity matters here.
type fakeLightrun struct {
	Lightrun
	apiKey string
}

func newTestConnections(t *testing.T, objs ...client.Object) (*Connections, client.Client, *int) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	conns := New(c, c, Options{})
	builds := 0
	conns.build = func(_, apiKey string) (Lightrun, error) {
		builds++
		return &fakeLightrun{apiKey: apiKey}, nil
	}
	return conns, c, &builds
}

func apiKeySecret(name, key string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Data: map[string][]byte{"apiKey": []byte(key)}}
}

func identityConfig(name, secret string) *v1.IdentityConfig {
	ic := &v1.IdentityConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}
	ic.Spec.Lightrun.URL = "https://lightrun.example.com"
	ic.Spec.Lightrun.APIKeySecretRef = v1.SecretKeyReference{Name: secret, Key: "apiKey"}
	return ic
}

func TestOneClientPerURLAndKey(t *testing.T) {
	ctx := context.Background()
	conns, c, builds := newTestConnections(t, apiKeySecret("key-a", "first"), apiKeySecret("key-b", "first"))
	a, b := identityConfig("a", "key-a"), identityConfig("b", "key-b")

	la, err := conns.For(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := conns.For(ctx, a); again != la {
		t.Fatal("an unchanged IdentityConfig and Secret must keep their client")
	}
	if lb, _ := conns.For(ctx, b); lb != la || *builds != 1 {
		t.Fatalf("two IdentityConfigs with the same URL and key must share one client (and its rate limit); %d built", *builds)
	}

	// A rotated key gives a new client at once; the old one is dropped once
	// no IdentityConfig uses it.
	s := apiKeySecret("key-a", "second")
	if err := c.Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	rotated, err := conns.For(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if rotated == la || rotated.(*fakeLightrun).apiKey != "second" {
		t.Fatal("a rotated API key must give a client with the new key")
	}
	if len(conns.clients) != 2 {
		t.Fatalf("%d clients kept, want 2 (b still uses the first key)", len(conns.clients))
	}
	conns.Forget(client.ObjectKeyFromObject(b))
	if len(conns.clients) != 1 {
		t.Fatalf("%d clients kept after the last user of the first key was forgotten, want 1", len(conns.clients))
	}
}

func TestUnusableSecretsSayWhy(t *testing.T) {
	ctx := context.Background()
	empty := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "empty"}, Data: map[string][]byte{"other": []byte("x")}}
	conns, _, _ := newTestConnections(t, empty)
	for _, c := range []struct {
		secret, reason string
	}{{"missing", v1.ReasonSecretNotFound}, {"empty", v1.ReasonSecretKeyMissing}} {
		_, err := conns.For(ctx, identityConfig("ic-"+c.secret, c.secret))
		var serr *SecretError
		if !errors.As(err, &serr) || serr.Reason != c.reason {
			t.Errorf("API key Secret %q: error %v, want a SecretError with reason %s", c.secret, err, c.reason)
		}
		ic := identityConfig("ic-"+c.secret, "unused")
		ic.Spec.SCIM.BearerTokenSecretRef = &v1.BearerTokenSecretReference{Name: c.secret, Key: "token"}
		if err := conns.CheckBearerToken(ctx, ic); !errors.As(err, &serr) || serr.Reason != c.reason {
			t.Errorf("bearer token Secret %q: error %v, want a SecretError with reason %s", c.secret, err, c.reason)
		}
	}
}

func TestUnreachableReportsWakeOnce(t *testing.T) {
	conns, _, _ := newTestConnections(t)
	ic := identityConfig("a", "key")
	for range 500 {
		conns.ReportUnreachable(ic)
	}
	if n := len(conns.Wakeups()); n != 1 {
		t.Fatalf("500 reports woke the IdentityConfig %d times, want once", n)
	}
}

// A token written with kubectl create secret --from-file keeps the file's
// trailing newline; the SCIM endpoint trims it, so it is fine. A token
// shorter than v1.MinBearerTokenLength once trimmed is refused, and the
// IdentityConfig says so.
func TestBearerTokenTrimmedAndLongEnough(t *testing.T) {
	ctx := context.Background()
	long := "0123456789abcdef0123456789abcdef" // 32 bytes
	secret := func(name, token string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Data: map[string][]byte{"token": []byte(token)}}
	}
	conns, _, _ := newTestConnections(t,
		secret("newline", long+"\n"), secret("crlf", "  "+long+"\r\n"),
		secret("short", "okta-token"), secret("short-padded", "\n"+long[:31]+"\n\n"), secret("blank", " \n"))
	for _, c := range []struct {
		secret, reason string
	}{{"newline", ""}, {"crlf", ""}, {"short", v1.ReasonBearerTokenTooShort}, {"short-padded", v1.ReasonBearerTokenTooShort}, {"blank", v1.ReasonBearerTokenTooShort}} {
		ic := identityConfig("ic-"+c.secret, "unused")
		ic.Spec.SCIM.BearerTokenSecretRef = &v1.BearerTokenSecretReference{Name: c.secret, Key: "token"}
		err := conns.CheckBearerToken(ctx, ic)
		if c.reason == "" {
			if err != nil {
				t.Errorf("bearer token Secret %q: %v, want it accepted", c.secret, err)
			}
			continue
		}
		var serr *SecretError
		if !errors.As(err, &serr) || serr.Reason != c.reason {
			t.Errorf("bearer token Secret %q: error %v, want a SecretError with reason %s", c.secret, err, c.reason)
		}
	}
}
