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
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// proxied is a Cluster whose writes go through a proxy in front of the API
// server; reads come from the manager's cache and, live, straight from the
// API server.
type proxied struct {
	writes client.Client
	live   client.Reader
	cache  cache.Cache
}

func (p proxied) GetClient() client.Client    { return p.writes }
func (p proxied) GetAPIReader() client.Reader { return p.live }
func (p proxied) GetCache() cache.Cache       { return p.cache }

var _ = Describe("a create whose answer is lost after the API server committed it", func() {
	It("answers 503 and leaves what was stored, so the IdP's retry finds the name taken", func() {
		// The proxy forwards every request; while lose is set, it answers a
		// ScimUser create with 504 after the API server has stored it, as a
		// timeout or a reset connection would.
		var lose, lost atomic.Bool
		target, err := url.Parse(cfg.Host)
		Expect(err).NotTo(HaveOccurred())
		transport, err := rest.TransportFor(cfg)
		Expect(err).NotTo(HaveOccurred())
		forward := httputil.NewSingleHostReverseProxy(target)
		forward.Transport = transport
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if lose.Load() && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/scimusers") {
				rec := httptest.NewRecorder()
				forward.ServeHTTP(rec, r)
				if rec.Code == http.StatusCreated {
					lost.Store(true)
				}
				http.Error(w, "upstream timed out", http.StatusGatewayTimeout)
				return
			}
			forward.ServeHTTP(w, r)
		}))
		DeferCleanup(proxy.Close)

		mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: operator.NewScheme(), Cache: operator.StoreCacheOptions(), Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
		Expect(err).NotTo(HaveOccurred())
		Expect(index.Setup(ctx, mgr.GetFieldIndexer())).To(Succeed())
		writes, err := client.New(&rest.Config{Host: proxy.URL}, client.Options{
			Scheme: operator.NewScheme(),
			Cache:  &client.CacheOptions{Reader: mgr.GetCache()},
		})
		Expect(err).NotTo(HaveOccurred())
		s, err := kubestore.New(ctx, proxied{writes: writes, live: mgr.GetAPIReader(), cache: mgr.GetCache()}, kubestore.Options{})
		Expect(err).NotTo(HaveOccurred())
		mctx, stop := context.WithCancel(ctx)
		DeferCleanup(stop)
		go func() {
			defer GinkgoRecover()
			Expect(mgr.Start(mctx)).To(Succeed())
		}()
		Expect(mgr.GetCache().WaitForCacheSync(mctx)).To(BeTrue())
		t := newTenant()

		lose.Store(true)
		_, err = s.CreateUser(ctx, t, user("kim@example.com"))
		lose.Store(false)
		Expect(lost.Load()).To(BeTrue(), "the API server stored the user and the answer was lost")
		Expect(err).To(MatchError(store.ErrUnavailable), "the object's name cannot tell whose create stored it")

		_, err = s.CreateUser(ctx, t, user("Kim@Example.com"))
		Expect(err).To(MatchError(store.ErrUniqueness), "the retry finds the name taken")
		var all v1.ScimUserList
		Expect(mgr.GetAPIReader().List(ctx, &all, client.InNamespace(t.Namespace))).To(Succeed())
		Expect(all.Items).To(HaveLen(1))
		Expect(all.Items[0].Name).To(Equal(kubestore.DerivedName(t, "kim@example.com")))
		found, err := s.ListUsers(ctx, t, store.Selector{Index: store.IndexUserName, Value: "KIM@example.com"})
		Expect(err).NotTo(HaveOccurred())
		Expect(ids(found)).To(Equal([]string{all.Items[0].SCIMID()}), "the IdP's lookup after its 409 finds the user")
	})
})
