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
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

var (
	heapUsers   = flag.Int("heap-users", 100_000, "ScimUsers BenchmarkCacheHeapPerUser caches")
	heapProfile = flag.String("heap-profile", "", "file BenchmarkCacheHeapPerUser writes the heap profile to while the cache is full")
)

// BenchmarkCacheHeapPerUser measures the manager's live heap per cached
// ScimUser: the cache NewManager builds (its transform, the field indexes of
// index.Setup, the SCIM store's informer-fed structures) fills from a fake
// API server that serves -heap-users synced users the way kube-apiserver
// does (a watch-list stream of JSON events), then the heap is measured after
// a forced collection. Run it once (-heap-profile=FILE also writes the heap
// profile of the full cache, for go tool pprof -sample_index=inuse_space):
//
//	go test ./internal/operator -run '^$' -bench CacheHeapPerUser -benchtime=1x -heap-users=100000
func BenchmarkCacheHeapPerUser(b *testing.B) {
	n := *heapUsers
	srv := httptest.NewServer(fakeAPIServer(n))
	defer srv.Close()
	for range b.N {
		perUser := cacheHeapPerUser(b, srv.URL, n)
		b.ReportMetric(perUser, "B/user")
	}
}

func cacheHeapPerUser(b *testing.B, url string, n int) float64 {
	b.Helper()
	runtime.GC()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mapper := meta.NewDefaultRESTMapper(nil)
	for _, kind := range kinds {
		mapper.Add(v1.GroupVersion.WithKind(kind), meta.RESTScopeNamespace)
	}
	c, err := cache.New(&rest.Config{Host: url, QPS: -1}, cache.Options{
		Scheme:           NewScheme(),
		Mapper:           mapper,
		DefaultTransform: shrinkTransform(),
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := index.Setup(ctx, c); err != nil {
		b.Fatal(err)
	}
	st, err := kubestore.New(ctx, cacheOnly{c}, kubestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		b.Fatal("cache did not sync")
	}
	tenant := store.Tenant{Namespace: benchNamespace, IdentityConfig: benchTenant}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		p, err := st.UserPage(ctx, tenant, store.PageRequest{})
		if err != nil {
			b.Fatal(err)
		}
		if p.Total == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the list order holds %d users, want %d", p.Total, n)
		}
		time.Sleep(50 * time.Millisecond)
	}

	runtime.GC()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if *heapProfile != "" {
		writeHeapProfile(b, *heapProfile)
	}
	runtime.KeepAlive(c)
	runtime.KeepAlive(st)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

func writeHeapProfile(b *testing.B, path string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// cacheOnly is the part of a manager kubestore.New needs to feed its list
// order; the benchmark never writes.
type cacheOnly struct{ cache.Cache }

func (c cacheOnly) GetCache() cache.Cache       { return c.Cache }
func (c cacheOnly) GetClient() client.Client    { return nil }
func (c cacheOnly) GetAPIReader() client.Reader { return nil }

const (
	benchNamespace = "identity"
	benchTenant    = "okta"
	benchGroups    = 50
)

// kinds are the resources the cache watches, by their path segment.
var kinds = map[string]string{
	"scimusers": "ScimUser", "scimgroups": "ScimGroup", "agentpools": "AgentPool", "identityconfigs": "IdentityConfig",
}

// fakeAPIServer serves n ScimUsers, and no other objects, to list, watch-list
// and watch requests; a watch then stays open with nothing to say.
func fakeAPIServer(n int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := kinds[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]
		users := kind == "ScimUser"
		count := 0
		if users {
			count = n
		}
		q := r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		rv := fmt.Sprint(1000 + n)
		switch {
		case q.Get("watch") == "" || q.Get("watch") == "false":
			_, _ = fmt.Fprintf(w, `{"apiVersion":"identity.lightrun.com/v1alpha1","kind":%q,"metadata":{"resourceVersion":%q},"items":[`, kind+"List", rv)
			for i := range count {
				if i > 0 {
					_, _ = w.Write([]byte{','})
				}
				_ = enc.Encode(benchUser(i))
			}
			_, _ = w.Write([]byte("]}"))
			return
		case q.Get("sendInitialEvents") == "true":
			for i := range count {
				_ = enc.Encode(map[string]any{"type": "ADDED", "object": benchUser(i)})
			}
			_ = enc.Encode(map[string]any{"type": "BOOKMARK", "object": map[string]any{
				"apiVersion": "identity.lightrun.com/v1alpha1", "kind": kind,
				"metadata": map[string]any{"resourceVersion": rv, "annotations": map[string]string{metav1.InitialEventsAnnotationKey: "true"}},
			}})
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		<-r.Context().Done()
	})
}

// benchUser is the i-th user as the API server holds it once synced: pushed
// by the SCIM endpoint (userName, name, a work email equal to the userName,
// for one user in ten a second one, externalId, two group memberships, the
// enterprise extension, the tenant label) and reconciled (finalizer,
// status), then changed through the SCIM endpoint, as a group push changes
// every member (lastModified set). The write-ahead record of the Lightrun
// create (status.createAttempt) is gone once the status records the user.
func benchUser(i int) *v1.ScimUser {
	email := fmt.Sprintf("bench.user%07d@example.com", i)
	given, family := fmt.Sprintf("Given%07d", i), fmt.Sprintf("Family%07d", i)
	created := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	emails := []v1.ScimMultiValue{{Value: email, Type: "work", Primary: new(true)}}
	if i%10 == 0 {
		emails = append(emails, v1.ScimMultiValue{Value: fmt.Sprintf("given.family%07d@home.example.org", i), Type: "home"})
	}
	group := func(g int) string { return fmt.Sprintf("6b1c2d3e-aaaa-bbbb-cccc-%012d", g) }
	return &v1.ScimUser{
		TypeMeta: metav1.TypeMeta{APIVersion: v1.GroupVersion.String(), Kind: "ScimUser"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              fmt.Sprintf("0f8fad5b-d9cb-469f-a165-%012d", i),
			Namespace:         benchNamespace,
			UID:               types.UID(fmt.Sprintf("7c9e6679-7425-40de-944b-%012d", i)),
			ResourceVersion:   fmt.Sprint(1000 + i),
			Generation:        1,
			CreationTimestamp: metav1.NewTime(created),
			Labels:            map[string]string{v1.LabelIdentityConfig: benchTenant},
			Finalizers:        []string{v1.FinalizerLightrun},
			ManagedFields: []metav1.ManagedFieldsEntry{
				{Manager: "lightrun-identity-operator", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: v1.GroupVersion.String(), Time: &metav1.Time{Time: created}},
				{Manager: "lightrun-identity-operator", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: v1.GroupVersion.String(), Time: &metav1.Time{Time: created}, Subresource: "status"},
			},
		},
		LastModified: &metav1.MicroTime{Time: created.Add(time.Hour)},
		Spec: v1.ScimUserSpec{
			IdentityConfigRef: v1.IdentityConfigReference{Name: benchTenant},
			UserName:          email,
			ExternalID:        fmt.Sprintf("00u%017d", i),
			Name:              &v1.ScimName{GivenName: given, FamilyName: family, Formatted: given + " " + family},
			DisplayName:       given + " " + family,
			Active:            new(true),
			Emails:            emails,
			Locale:            "en-US",
			Timezone:          "Europe/London",
			Groups:            []string{group(i % benchGroups), group((i + 7) % benchGroups)},
			Enterprise: &v1.ScimEnterpriseUser{
				EmployeeNumber: fmt.Sprint(100000 + i),
				Department:     fmt.Sprintf("Department %02d", i%20),
			},
		},
		Status: v1.ScimUserStatus{
			Conditions: []metav1.Condition{{
				Type: v1.ConditionSynced, Status: metav1.ConditionTrue, Reason: v1.ReasonReconciled, ObservedGeneration: 1,
				LastTransitionTime: metav1.NewTime(created.Add(time.Second)),
				Message:            fmt.Sprintf("Lightrun user %s is enabled with roles [USER] in agent pools [default].", email),
			}},
			ObservedGeneration:  1,
			LightrunUserID:      fmt.Sprintf("lr-%07d", i),
			Email:               email,
			EffectiveAgentPools: []string{"default"},
			EffectiveRoles:      []v1.LightrunUserRole{"USER"},
			LastSyncTime:        &metav1.Time{Time: created.Add(time.Second)},
		},
	}
}
