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

package kubestore_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// startStore starts a local control plane (stopped when b ends) and a
// manager with the store over it, and returns the manager's client and the
// store once the cache has synced. Neither side throttles its client.
func startStore(b *testing.B) (client.Client, *kubestore.Store) {
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	ctx := b.Context()
	env, err := testenv.New()
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := env.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.Stop() })
	cfg.QPS, cfg.Burst = 5000, 10000
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: operator.NewScheme(), Cache: operator.StoreCacheOptions(), Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	if err != nil {
		b.Fatal(err)
	}
	if err := index.Setup(ctx, mgr.GetFieldIndexer()); err != nil {
		b.Fatal(err)
	}
	st, err := kubestore.New(ctx, mgr, kubestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		b.Fatal("cache did not sync")
	}
	return mgr.GetClient(), st
}

// BenchmarkCreateUser compares, in one run against one local control plane,
// the store's create (uniqueness claim, object, wait for the cache) with
// the bare create of an equivalent ScimUser through the API server, at 1, 8
// and 32 creates in flight. ns/op is wall time per create, so the ratio of
// two ns/op is the ratio of throughputs.
func BenchmarkCreateUser(b *testing.B) {
	bctx := b.Context()
	c, st := startStore(b)
	var seq atomic.Int64
	newNamespace := func() string {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-"}}
		if err := c.Create(bctx, ns); err != nil {
			b.Fatal(err)
		}
		return ns.Name
	}
	user := func(ns string) *v1.ScimUser {
		n := seq.Add(1)
		return &v1.ScimUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Labels: map[string]string{v1.LabelIdentityConfig: "idp"}},
			Spec: v1.ScimUserSpec{
				IdentityConfigRef: v1.IdentityConfigReference{Name: "idp"},
				UserName:          fmt.Sprintf("user-%d@example.com", n),
				Active:            new(true),
				Emails:            []v1.ScimMultiValue{{Value: fmt.Sprintf("user-%d@example.com", n), Type: "work", Primary: new(true)}},
			},
		}
	}
	arms := []struct {
		name   string
		create func(ctx context.Context, ns string) error
	}{
		{"bare", func(ctx context.Context, ns string) error {
			u := user(ns)
			u.Name = fmt.Sprintf("bare-%d", seq.Add(1))
			return c.Create(ctx, u)
		}},
		{"store", func(ctx context.Context, ns string) error {
			_, err := st.CreateUser(ctx, store.Tenant{Namespace: ns, IdentityConfig: "idp"}, user(ns))
			return err
		}},
	}
	for _, inFlight := range []int{1, 8, 32} {
		for _, arm := range arms {
			b.Run(fmt.Sprintf("%s/inflight=%d", arm.name, inFlight), func(b *testing.B) {
				ns := newNamespace()
				var next atomic.Int64
				var wg sync.WaitGroup
				var failed atomic.Pointer[error]
				b.ResetTimer()
				for range inFlight {
					wg.Go(func() {
						for next.Add(1) <= int64(b.N) {
							if err := arm.create(bctx, ns); err != nil {
								failed.Store(&err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				if err := failed.Load(); err != nil {
					b.Fatal(*err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
			})
		}
	}
}

// BenchmarkChangeMembers adds 400 users to a group and removes them again
// through the store, one ChangeMembers of 400 a time (the way an IdP's
// group push does in batches): each membership is a write of the user and
// a wait for the cache. ns/op is one ChangeMembers.
func BenchmarkChangeMembers(b *testing.B) {
	bctx := b.Context()
	c, st := startStore(b)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-"}}
	if err := c.Create(bctx, ns); err != nil {
		b.Fatal(err)
	}
	t := store.Tenant{Namespace: ns.Name, IdentityConfig: "idp"}
	const members = 400
	ids := make([]string, members)
	for i := range ids {
		u, err := st.CreateUser(bctx, t, &v1.ScimUser{Spec: v1.ScimUserSpec{
			IdentityConfigRef: v1.IdentityConfigReference{Name: "idp"},
			UserName:          fmt.Sprintf("member-%d@example.com", i),
		}})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = u.SCIMID()
	}
	g, err := st.CreateGroup(bctx, t, &v1.ScimGroup{Spec: v1.ScimGroupSpec{IdentityConfigRef: v1.IdentityConfigReference{Name: "idp"}, DisplayName: "Everyone"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		change := store.MemberChange{Add: ids}
		if i%2 == 1 {
			change = store.MemberChange{Remove: ids}
		}
		if err := st.ChangeMembers(bctx, t, g.Name, change); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*members)/b.Elapsed().Seconds(), "memberships/s")
}
