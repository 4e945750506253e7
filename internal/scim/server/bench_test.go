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

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// BenchmarkLargeGroup grows one group to SCIM_BENCH_MEMBERS members
// (default 100,000) through PATCH batches of 1,000, as an IdP's group push
// does, then measures one more 1,000-member PATCH and the GETs that must not
// touch the member list. Run it with 'make bench' (it needs the local
// control plane and takes minutes); results are in docs/benchmarks.md.
func BenchmarkLargeGroup(b *testing.B) {
	members := 100_000
	if s := os.Getenv("SCIM_BENCH_MEMBERS"); s != "" {
		var err error
		if members, err = strconv.Atoi(s); err != nil {
			b.Fatalf("SCIM_BENCH_MEMBERS: %v", err)
		}
	}
	const batch = 1000
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	bctx := b.Context()

	env, err := testenv.New()
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := env.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	// The benchmark's own writes would otherwise be throttled client-side.
	cfg.QPS, cfg.Burst = 5000, 10000

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: operator.NewScheme(), Cache: operator.StoreCacheOptions(), Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	if err != nil {
		b.Fatal(err)
	}
	if err := index.Setup(bctx, mgr.GetFieldIndexer()); err != nil {
		b.Fatal(err)
	}
	st, err := kubestore.New(bctx, mgr, kubestore.Options{MemberWorkers: 32})
	if err != nil {
		b.Fatal(err)
	}
	srv := server.NewServer(server.Options{Addr: "127.0.0.1:0", RateLimit: 1e6, RateBurst: 1e6, MaxBodyBytes: 4 << 20},
		st, st, kubestore.NewTenants(mgr.GetClient(), mgr.GetAPIReader(), 0), ctrl.Log.WithName("scim"))
	if err := mgr.Add(srv); err != nil {
		b.Fatal(err)
	}
	go func() { _ = mgr.Start(bctx) }()
	addr := <-srv.Listening()

	c := mgr.GetClient()
	ns := "bench"
	must(b, c.Create(bctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	must(b, c.Create(bctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "token", Namespace: ns}, StringData: map[string]string{"token": benchToken}}))
	must(b, c.Create(bctx, &v1.IdentityConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "idp", Namespace: ns},
		Spec: v1.IdentityConfigSpec{
			Lightrun: v1.LightrunConnection{URL: "https://app.lightrun.com", CompanyID: "bench", APIKeySecretRef: v1.SecretKeyReference{Name: "k", Key: "k"}},
			SCIM:     v1.ScimEndpointSpec{Enabled: true, BearerTokenSecretRef: &v1.BearerTokenSecretReference{Name: "token", Key: "token"}},
		},
	}))
	base := "http://" + addr + server.BasePath + "/" + ns + "/idp"

	// The users exist before the push; creating them is not what is measured.
	start := time.Now()
	ids := make([]string, members+batch)
	createUsers(b, bctx, c, ns, ids)
	b.Logf("created %d ScimUsers in %s", len(ids), time.Since(start).Round(time.Second))

	var group map[string]any
	call(b, base, "POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchemaURN}, "displayName": "Everyone"}, http.StatusCreated, &group)
	gid := group["id"].(string)

	patch := func(op string, ids []string) {
		values := make([]any, len(ids))
		for i, id := range ids {
			values[i] = map[string]any{"value": id}
		}
		body := map[string]any{"schemas": []string{scim.PatchOpURN}, "Operations": []any{map[string]any{"op": op, "path": "members", "value": values}}}
		call(b, base, "PATCH", "/Groups/"+gid, body, http.StatusNoContent, nil)
	}
	start = time.Now()
	for lo := 0; lo < members; lo += batch {
		patch("add", ids[lo:min(lo+batch, members)])
	}
	grow := time.Since(start)
	b.Logf("grew the group to %d members in %d PATCHes of %d in %s (%.0f ms per PATCH)",
		members, members/batch, batch, grow.Round(time.Second), float64(grow.Milliseconds())/float64(members/batch))

	extra := ids[members:]
	b.Run(fmt.Sprintf("PATCH_add_%d_members_at_%d", batch, members), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			// Alternate add and remove of the same 1,000 users, so every
			// iteration changes 1,000 memberships at the group's full size.
			op := "add"
			if i%2 == 1 {
				op = "remove"
			}
			patch(op, extra)
		}
	})
	b.Run(fmt.Sprintf("GET_group_excludedAttributes_members_at_%d", members), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			call(b, base, "GET", "/Groups/"+gid+"?excludedAttributes=members", nil, http.StatusOK, nil)
		}
	})
	b.Run(fmt.Sprintf("GET_groups_filter_displayName_excludedAttributes_members_at_%d", members), func(b *testing.B) {
		q := "/Groups?excludedAttributes=members&filter=" + url.QueryEscape(`displayName eq "Everyone"`)
		for i := 0; i < b.N; i++ {
			call(b, base, "GET", q, nil, http.StatusOK, nil)
		}
	})
	b.Run(fmt.Sprintf("GET_user_by_userName_among_%d", members+batch), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			q := "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "user-%d@example.com"`, i%members))
			call(b, base, "GET", q, nil, http.StatusOK, nil)
		}
	})
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// createUsers creates len(ids) ScimUsers straight through the API, 64 at a time.
func createUsers(b *testing.B, ctx context.Context, c client.Client, ns string, ids []string) {
	b.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	next := make(chan int)
	for range 64 {
		wg.Go(func() {
			for i := range next {
				u := &v1.ScimUser{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("u-%07d", i), Namespace: ns, Labels: map[string]string{v1.LabelIdentityConfig: "idp"}},
					Spec: v1.ScimUserSpec{
						IdentityConfigRef: v1.IdentityConfigReference{Name: "idp"},
						UserName:          fmt.Sprintf("user-%d@example.com", i),
						Active:            new(true),
						Emails:            []v1.ScimMultiValue{{Value: fmt.Sprintf("user-%d@example.com", i), Type: "work", Primary: new(true)}},
					},
				}
				if err := c.Create(ctx, u); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
				ids[i] = u.Name
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	must(b, firstErr)
}

// benchToken is the bench tenant's bearer token (at least 32 bytes).
const benchToken = "bench-token-0123456789abcdef0123456789"

func call(b *testing.B, base, method, path string, body any, want int, out any) {
	b.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		must(b, err)
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, reader)
	must(b, err)
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	must(b, err)
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	must(b, err)
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		must(b, json.Unmarshal(data, out))
	}
}
