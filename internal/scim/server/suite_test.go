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
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// These specs drive the SCIM endpoint over real HTTP, backed by the local
// control plane: every request is what an IdP would send.

var (
	ctx       context.Context
	cancel    context.CancelFunc
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	endpoint  *tenantEndpoint // the shared tenant "okta" in its own namespace
)

func TestSCIMEndpoint(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "SCIM endpoint suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx, cancel = context.WithCancel(context.Background())
	var err error
	testEnv, err = testenv.New()
	Expect(err).NotTo(HaveOccurred())
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: operator.NewScheme()})
	Expect(err).NotTo(HaveOccurred())

	srv := startServer(cfg, server.Options{})
	endpoint = srv.newTenant("okta", "okta-token")
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// replica is one running SCIM endpoint.
type replica struct {
	url    string
	client client.Client // to the API server this replica uses
}

// startServer runs a manager with the SCIM endpoint on a free loopback port.
func startServer(cfg *rest.Config, opts server.Options) *replica {
	GinkgoHelper()
	return startServerWith(cfg, opts, nil)
}

// startServerWith lets wrap replace the users store the endpoint sees.
func startServerWith(cfg *rest.Config, opts server.Options, wrap func(store.Users) store.Users) *replica {
	GinkgoHelper()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 operator.NewScheme(),
		Cache:                  operator.StoreCacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(index.Setup(ctx, mgr.GetFieldIndexer())).To(Succeed())
	st, err := kubestore.New(ctx, mgr, kubestore.Options{})
	Expect(err).NotTo(HaveOccurred())
	opts.Addr = "127.0.0.1:0"
	if opts.AuthFailureBurst == 0 {
		// The specs send many 401s from the one loopback address (waiting
		// for a new IdentityConfig to reach the cache is one); the
		// per-address limit of failed authentications has its own tests.
		opts.AuthFailureBurst = 1 << 20
	}
	var users store.Users = st
	if wrap != nil {
		users = wrap(st)
	}
	srv := server.NewServer(opts, users, st, kubestore.NewTenants(mgr.GetClient(), mgr.GetAPIReader(), 200*time.Millisecond), logf.Log.WithName("scim"))
	Expect(mgr.Add(srv)).To(Succeed())
	mctx, stop := context.WithCancel(ctx)
	DeferCleanup(stop)
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(mctx)).To(Succeed())
	}()
	var addr string
	Eventually(srv.Listening()).WithTimeout(30 * time.Second).Should(Receive(&addr))
	c, err := client.New(cfg, client.Options{Scheme: operator.NewScheme()})
	Expect(err).NotTo(HaveOccurred())
	return &replica{url: "http://" + addr, client: c}
}

// tenantEndpoint is one IdentityConfig's SCIM base URL and token.
type tenantEndpoint struct {
	base      string
	token     string
	namespace string
	name      string
}

// newTenant creates a namespace with an IdentityConfig and its token Secret.
func (s *replica) newTenant(name, token string) *tenantEndpoint {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "scim-"}}
	Expect(s.client.Create(ctx, ns)).To(Succeed())
	return s.tenantIn(ns.Name, name, token)
}

// tok makes a readable test token long enough to be accepted (the endpoint
// refuses tokens shorter than v1.MinBearerTokenLength).
func tok(name string) string { return name + "-0123456789abcdef0123456789abcdef" }

// tenantIn creates an IdentityConfig and its token Secret holding tok(token).
func (s *replica) tenantIn(namespace, name, token string) *tenantEndpoint {
	GinkgoHelper()
	s.tenantSecretAndConfig(namespace, name, tok(token))
	return s.existing(&tenantEndpoint{token: tok(token), namespace: namespace, name: name})
}

// newTenantWithSecret is newTenant with the Secret's value given as is.
func (s *replica) newTenantWithSecret(name, token, secretValue string) *tenantEndpoint {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "scim-"}}
	Expect(s.client.Create(ctx, ns)).To(Succeed())
	s.tenantSecretAndConfig(ns.Name, name, secretValue)
	return s.existing(&tenantEndpoint{token: token, namespace: ns.Name, name: name})
}

// tenantSecretAndConfig creates the token Secret, holding secretValue under
// "token", and the IdentityConfig.
func (s *replica) tenantSecretAndConfig(namespace, name, secretValue string) {
	GinkgoHelper()
	Expect(s.client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-scim", Namespace: namespace},
		StringData: map[string]string{"token": secretValue},
	})).To(Succeed())
	Expect(s.client.Create(ctx, &v1.IdentityConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1.IdentityConfigSpec{
			Lightrun: v1.LightrunConnection{
				URL: "https://app.lightrun.com", CompanyID: "acme-" + name,
				APIKeySecretRef: v1.SecretKeyReference{Name: "lightrun", Key: "apiKey"},
			},
			SCIM: v1.ScimEndpointSpec{Enabled: true, BearerTokenSecretRef: &v1.BearerTokenSecretReference{Name: name + "-scim", Key: "token", PreviousKey: "previous"}},
		},
	})).To(Succeed())
}

// existing is the endpoint of a tenant another replica made, on this replica.
func (s *replica) existing(t *tenantEndpoint) *tenantEndpoint {
	GinkgoHelper()
	out := *t
	out.base = s.url + server.BasePath + "/" + t.namespace + "/" + t.name
	// The IdentityConfig reaches this replica's cache shortly.
	Eventually(func() int { return out.do("GET", "/ServiceProviderConfig", nil).status }).Should(Equal(http.StatusOK))
	return &out
}

// response is one HTTP exchange, decoded.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r response) String() string {
	return http.StatusText(r.status) + ": " + string(r.raw)
}

// scimType returns the scimType of an error body.
func (r response) scimType() string {
	s, _ := r.body["scimType"].(string)
	return s
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// resources returns a ListResponse's Resources.
func (r response) resources() []map[string]any {
	list, _ := r.body["Resources"].([]any)
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i], _ = e.(map[string]any)
	}
	return out
}

// do sends a request with the tenant's token. body may be a string (sent
// verbatim), nil, or anything JSON-encodable. headers are key, value pairs.
func (t *tenantEndpoint) do(method, path string, body any, headers ...string) response {
	GinkgoHelper()
	return send(method, t.base+path, "Bearer "+t.token, body, headers...)
}

func send(method, target, authorization string, body any, headers ...string) response {
	GinkgoHelper()
	if body != nil {
		headers = append([]string{"Content-Type", "application/scim+json"}, headers...)
	}
	return sendExactly(method, target, authorization, body, headers...)
}

// noRedirects shows the endpoint's answer as it is, redirects included.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// sendExactly is send without a default Content-Type: only the given headers.
func sendExactly(method, target, authorization string, body any, headers ...string) response {
	GinkgoHelper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		Expect(err).NotTo(HaveOccurred())
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	Expect(err).NotTo(HaveOccurred())
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := noRedirects.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		Expect(json.Unmarshal(raw, &out.body)).To(Succeed(), "response body is not JSON: %s", raw)
		Expect(resp.Header.Get("Content-Type")).To(Equal("application/scim+json"))
	}
	return out
}

// createUser POSTs a minimal user and returns its id.
func (t *tenantEndpoint) createUser(userName string) string {
	GinkgoHelper()
	r := t.do("POST", "/Users", map[string]any{
		"schemas":  []string{scim.UserSchemaURN},
		"userName": userName,
		"name":     map[string]any{"givenName": "Test", "familyName": "User"},
		"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":   true,
	})
	Expect(r.status).To(Equal(http.StatusCreated), r.String())
	return r.str("id")
}

func escape(s string) string { return url.QueryEscape(s) }

func itoa(n int) string { return strconv.Itoa(n) }

// setSCIMEnabled flips an IdentityConfig's spec.scim.enabled.
func setSCIMEnabled(t *tenantEndpoint, enabled bool) {
	GinkgoHelper()
	ic := &v1.IdentityConfig{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: t.namespace, Name: t.name}, ic)).To(Succeed())
	ic.Spec.SCIM.Enabled = enabled
	Expect(k8sClient.Update(ctx, ic)).To(Succeed())
}
