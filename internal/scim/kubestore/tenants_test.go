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
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// TestTenantsReadAnExpiredSecretOnce: when the bearer-token Secret's entry
// expires under 32 requests in flight, one of them reads the Secret and
// the others wait for its answer; a failed read is not remembered.
func TestTenantsReadAnExpiredSecretOnce(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef-token"
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	ic := &v1.IdentityConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "okta"},
		Spec: v1.IdentityConfigSpec{SCIM: v1.ScimEndpointSpec{
			Enabled:              true,
			BearerTokenSecretRef: &v1.BearerTokenSecretReference{Name: "scim-token", Key: "token"},
		}},
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "scim-token"},
		Data:       map[string][]byte{"token": []byte(token)},
	}
	objects := fake.NewClientBuilder().WithScheme(scheme).WithObjects(ic, secret).Build()

	// Each read of the Secret says it began and waits for the gate of the
	// moment; failing makes every read fail.
	var reads atomic.Int32
	entered := make(chan struct{}, 1)
	var gate atomic.Pointer[chan struct{}]
	var failing, panicking atomic.Bool
	live := interceptor.NewClient(objects, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			reads.Add(1)
			select {
			case entered <- struct{}{}:
			default:
			}
			<-*gate.Load()
			if panicking.Load() {
				panic("the client broke")
			}
			if failing.Load() {
				return errors.New("the API server is away")
			}
			return c.Get(ctx, key, obj, opts...)
		},
	})
	open := make(chan struct{})
	close(open)
	tn := NewTenants(objects, live, time.Minute)
	clock := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	tn.now = func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }
	advance := func(d time.Duration) { clockMu.Lock(); clock = clock.Add(d); clockMu.Unlock() }
	want := sha256.Sum256([]byte(token))

	// concurrently calls Tenant n times while one read of the Secret is
	// held, and returns each call's error.
	concurrently := func(n int) []error {
		select {
		case <-entered: // left by a read outside a round
		default:
		}
		held := make(chan struct{})
		gate.Store(&held)
		defer gate.Store(&open)
		errs := make([]error, n)
		call := func(i int) {
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("panic: %v", p)
				}
			}()
			errs[i] = check(t, tn, want)
		}
		var wg sync.WaitGroup
		wg.Go(func() { call(0) })
		<-entered // the first call is reading the Secret
		for i := 1; i < n; i++ {
			wg.Go(func() { call(i) })
		}
		time.Sleep(50 * time.Millisecond) // most of them are waiting now
		close(held)
		wg.Wait()
		return errs
	}

	for i, err := range concurrently(32) {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("32 calls with nothing remembered read the Secret %d times, want once", n)
	}
	if err := check(t, tn, want); err != nil || reads.Load() != 1 {
		t.Fatalf("a call within the TTL: %v, %d reads, want the remembered Secret", err, reads.Load())
	}

	advance(2 * time.Minute)
	for i, err := range concurrently(32) {
		if err != nil {
			t.Fatalf("after expiry, call %d: %v", i, err)
		}
	}
	if n := reads.Load(); n != 2 {
		t.Fatalf("32 calls after the entry expired read the Secret %d times in all, want twice", n)
	}

	// A failed read fails the calls that waited for it and is not
	// remembered: the next call reads again.
	advance(2 * time.Minute)
	failing.Store(true)
	for i, err := range concurrently(8) {
		if err == nil || !strings.Contains(err.Error(), "the API server is away") {
			t.Errorf("call %d waiting on a failed read: %v, want its error", i, err)
		}
	}
	failing.Store(false)
	before := reads.Load()
	if err := check(t, tn, want); err != nil {
		t.Fatalf("the call after a failed read: %v", err)
	}
	if n := reads.Load() - before; n != 1 {
		t.Fatalf("the call after a failed read read the Secret %d times, want once (the failure not remembered)", n)
	}

	// A read that panics fails the calls waiting for it and leaves
	// nothing behind: the next call reads again.
	advance(2 * time.Minute)
	panicking.Store(true)
	errs := concurrently(4)
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "the client broke") {
		t.Errorf("the call whose read panicked: %v", errs[0])
	}
	for i, err := range errs[1:] {
		if !errors.Is(err, store.ErrUnavailable) && (err == nil || !strings.Contains(err.Error(), "the client broke")) {
			t.Errorf("call %d waiting on a read that panicked: %v, want unavailable", i+1, err)
		}
	}
	panicking.Store(false)
	before = reads.Load()
	if err := check(t, tn, want); err != nil || reads.Load()-before != 1 {
		t.Fatalf("the call after a read that panicked: %v, %d reads, want one that succeeds", err, reads.Load()-before)
	}
}

// check calls Tenant and compares the token digest it found.
func check(t *testing.T, tn *Tenants, want [32]byte) error {
	t.Helper()
	// A call left waiting for a read that never ends fails, not hangs.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cfg, err := tn.Tenant(ctx, "ns", "okta")
	if err != nil {
		return err
	}
	if len(cfg.TokenDigests) != 1 || cfg.TokenDigests[0] != want {
		t.Errorf("token digests %x, want the Secret's token", cfg.TokenDigests)
	}
	return nil
}
