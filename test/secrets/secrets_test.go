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

package secrets

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/common/expfmt"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/devenv"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

func TestSecrets(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Secrets suite")
}

const patchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// secret returns a recognisable random secret: hex, so that no JSON or log
// encoding escapes any of its characters.
func secret(kind string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return kind + "-" + hex.EncodeToString(b)
}

var _ = Describe("Secrets in the operator's output", Ordered, func() {
	var (
		env      *devenv.Env
		logs     *capture
		secrets  map[string]string // what it is -> the secret
		stop     context.CancelFunc
		runDone  chan error
		userID   string
		userName = "okta.user@example.com"
	)

	BeforeAll(func() {
		assets := os.Getenv("KUBEBUILDER_ASSETS")
		if assets == "" {
			assets = filepath.Join("..", "..", "bin")
		}
		secrets = map[string]string{
			"the Lightrun API key":                secret("apikey"),
			"the rotated Lightrun API key":        secret("apikey2"),
			"a password sent on create":           secret("Pa55-create"),
			"a password sent in a PATCH":          secret("Pa55-patch"),
			"a password sent in a PUT":            secret("Pa55-put"),
			"a password sent in a Bulk create":    secret("Pa55-bulk"),
			"a bearer token the endpoint refuses": secret("wrong-token-0123456789abcdef"),
		}
		// Everything the operator logs, at every verbosity, klog included.
		logs = &capture{}
		logger := logr.New(&captureSink{c: logs})
		ctrl.SetLogger(logger)
		klog.SetLogger(logger)

		scimAddr, err := devenv.FreeAddr()
		Expect(err).NotTo(HaveOccurred())
		lightrunAddr, err := devenv.FreeAddr()
		Expect(err).NotTo(HaveOccurred())
		env, err = devenv.Start(context.Background(), devenv.Config{
			Assets: assets, StateDir: GinkgoT().TempDir(),
			Samples: filepath.Join("..", "..", "config", "samples"), CRDs: filepath.Join("..", "..", "config", "crd", "bases"),
			SCIMAddr: scimAddr, LightrunAddr: lightrunAddr, Log: logger.WithName("devenv"),
			Emulator: func(o *emulator.Options) {
				o.APIKeys = []string{secrets["the Lightrun API key"], secrets["the rotated Lightrun API key"]}
				o.Logger = logr.Discard() // the emulator's logs are not the operator's
			},
			Manager: func(o *operator.Options) { o.SecretWatchNamespaces = []string{"*"} },
		})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(env.Stop()).To(Succeed()) })
		secrets["the SCIM bearer token"] = env.Token

		// The sample's API key Secret holds this run's key (labelled, so
		// that the rotation below is watched).
		setAPIKey(env.Client, secrets["the Lightrun API key"])

		var ctx context.Context
		ctx, stop = context.WithCancel(context.Background())
		runDone = make(chan error, 1)
		go func() { runDone <- env.Run(ctx) }()
		DeferCleanup(func() {
			stop()
			Eventually(runDone).WithTimeout(time.Minute).Should(Receive(BeNil()))
		})
		Eventually(func() int {
			return scimDo(env, env.Token, "GET", "/ServiceProviderConfig", "").status
		}).WithTimeout(time.Minute).Should(Equal(http.StatusOK))
	})

	It("provisions users the way Okta does", func() {
		// Okta's create (developer.okta.com, "Okta and SCIM Version 2.0",
		// "Create the user") sends the password with the user.
		oktaUser := func(name, given, family, password string) map[string]any {
			return map[string]any{
				"schemas": []string{scim.UserSchemaURN}, "userName": name,
				"name":   map[string]any{"givenName": given, "familyName": family},
				"emails": []any{map[string]any{"primary": true, "value": name, "type": "work"}},
				"active": true, "password": password,
			}
		}
		create := oktaUser(userName, "Okta", "User", secrets["a password sent on create"])
		create["groups"] = []any{}
		r := scimDo(env, env.Token, "POST", "/Users", mustJSON(create))
		Expect(r.status).To(Equal(http.StatusCreated), r.raw)
		userID = r.body["id"].(string)
		Expect(r.raw).NotTo(ContainSubstring(secrets["a password sent on create"]))

		// Okta changes a password with a PATCH replace without path.
		patch := func(op map[string]any) string {
			return mustJSON(map[string]any{"schemas": []string{patchOpURN}, "Operations": []any{op}})
		}
		r = scimDo(env, env.Token, "PATCH", "/Users/"+userID,
			patch(map[string]any{"op": "replace", "value": map[string]any{"password": secrets["a password sent in a PATCH"]}}))
		Expect(r.status).To(Equal(http.StatusOK), r.raw)
		r = scimDo(env, env.Token, "PATCH", "/Users/"+userID,
			patch(map[string]any{"op": "replace", "path": "password", "value": secrets["a password sent in a PATCH"]}))
		Expect(r.status).To(BeNumerically("<", 500), r.raw)

		// And a PUT of the whole user, password included.
		r = scimDo(env, env.Token, "PUT", "/Users/"+userID,
			mustJSON(oktaUser(userName, "Okta", "Renamed", secrets["a password sent in a PUT"])))
		Expect(r.status).To(Equal(http.StatusOK), r.raw)

		r = scimDo(env, env.Token, "POST", "/Bulk", mustJSON(map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
			"Operations": []any{map[string]any{"method": "POST", "path": "/Users", "bulkId": "b1",
				"data": oktaUser("bulk.user@example.com", "Bulk", "User", secrets["a password sent in a Bulk create"])}},
		}))
		Expect(r.status).To(Equal(http.StatusOK), r.raw)

		r = scimDo(env, env.Token, "POST", "/Groups", fmt.Sprintf(`{"schemas":["%s"],"displayName":"okta-engineers",
			"members":[{"value":%q}]}`, scim.GroupSchemaURN, userID))
		Expect(r.status).To(Equal(http.StatusCreated), r.raw)

		// A token the endpoint refuses: it must not be logged either.
		r = scimDo(env, secrets["a bearer token the endpoint refuses"], "GET", "/Users", "")
		Expect(r.status).To(Equal(http.StatusUnauthorized), r.raw)

		// The users reach Lightrun.
		Eventually(func() []string {
			state, err := env.Emulator.State()
			Expect(err).NotTo(HaveOccurred())
			var emails []string
			for _, u := range state.Users {
				emails = append(emails, u.Email)
			}
			return emails
		}).WithTimeout(2 * time.Minute).Should(ContainElements(userName, "bulk.user@example.com"))

		// The API key is rotated (the Secret is watched, so the operator
		// reads the new key at once; the emulator accepts both, so which
		// one the calls below use is not asserted).
		setAPIKey(env.Client, secrets["the rotated Lightrun API key"])
		// A deactivation, so the deprovisioning path logs too.
		r = scimDo(env, env.Token, "PATCH", "/Users/"+userID,
			patch(map[string]any{"op": "replace", "value": map[string]any{"active": false}}))
		Expect(r.status).To(Equal(http.StatusOK), r.raw)
		Eventually(func() bool {
			state, err := env.Emulator.State()
			Expect(err).NotTo(HaveOccurred())
			for _, u := range state.Users {
				if u.Email == userName {
					return u.Enabled
				}
			}
			return true
		}).WithTimeout(2 * time.Minute).Should(BeFalse())
	})

	It("finds none of the secrets, nor their base64, in logs, Events, objects or metrics", func() {
		outputs := map[string]string{
			"the manager's logs": logs.String(),
			"the Events":         events(env.Client),
			"the objects":        objects(env.Client),
			"the metrics":        metricsText(),
		}
		Expect(outputs["the manager's logs"]).To(ContainSubstring("Reconcil"), "the log capture caught nothing")
		Expect(outputs["the objects"]).To(ContainSubstring(userName), "the object dump is empty")
		Expect(outputs["the metrics"]).To(ContainSubstring("controller_runtime_reconcile_total"), "the metrics dump is empty")
		for what, s := range secrets {
			for form, needle := range encodings(s) {
				for where, text := range outputs {
					Expect(strings.Contains(text, needle)).To(BeFalse(),
						"%s (%s) is in %s:\n%s", what, form, where, around(text, needle))
				}
			}
		}
	})
})

// encodings are the forms a secret could leak in.
func encodings(s string) map[string]string {
	return map[string]string{
		"as is":           s,
		"base64":          base64.StdEncoding.EncodeToString([]byte(s)),
		"unpadded base64": base64.RawStdEncoding.EncodeToString([]byte(s)),
		"base64url":       base64.RawURLEncoding.EncodeToString([]byte(s)),
		// "Bearer <token>" in base64 (an Authorization header dumped as bytes).
		"base64 of its header": base64.StdEncoding.EncodeToString([]byte("Bearer " + s)),
	}
}

func around(text, needle string) string {
	i := strings.Index(text, needle)
	lo, hi := max(0, i-300), min(len(text), i+len(needle)+300)
	return text[lo:hi]
}

func setAPIKey(c client.Client, apiKey string) {
	GinkgoHelper()
	s := &corev1.Secret{}
	name := client.ObjectKey{Namespace: devenv.Namespace, Name: "lightrun-api-key"}
	Expect(c.Get(context.Background(), name, s)).To(Succeed())
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	s.Labels["identity.lightrun.com/watch"] = "true"
	s.Data = map[string][]byte{"apiKey": []byte(apiKey)}
	Expect(c.Update(context.Background(), s)).To(Succeed())
}

type response struct {
	status int
	raw    string
	body   map[string]any
}

func scimDo(env *devenv.Env, token, method, path, body string) response {
	GinkgoHelper()
	req, err := http.NewRequest(method, env.SCIMBaseURL+path, strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{raw: err.Error()}
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	out := response{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// events are every Event of the cluster, both APIs, as JSON.
func events(c client.Client) string {
	GinkgoHelper()
	core := &corev1.EventList{}
	Expect(c.List(context.Background(), core)).To(Succeed())
	ev := &eventsv1.EventList{}
	Expect(c.List(context.Background(), ev)).To(Succeed())
	return mustJSON(core) + mustJSON(ev)
}

// objects are every IdentityConfig, AgentPool, ScimUser, ScimGroup and
// Lease, status included, as JSON.
func objects(c client.Client) string {
	GinkgoHelper()
	var b strings.Builder
	for _, list := range []client.ObjectList{
		&v1.IdentityConfigList{}, &v1.AgentPoolList{}, &v1.ScimUserList{}, &v1.ScimGroupList{}, &coordinationv1.LeaseList{},
	} {
		Expect(c.List(context.Background(), list)).To(Succeed())
		b.WriteString(mustJSON(list))
	}
	return b.String()
}

// metricsText is the controller-runtime registry (which /metrics serves) in
// the Prometheus text format.
func metricsText() string {
	GinkgoHelper()
	families, err := ctrlmetrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		Expect(enc.Encode(mf)).To(Succeed())
	}
	return b.String()
}

func mustJSON(v any) string {
	GinkgoHelper()
	data, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}

// capture keeps everything logged.
type capture struct {
	mu sync.Mutex
	b  strings.Builder
}

func (c *capture) add(parts ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range parts {
		c.b.WriteString(p)
		c.b.WriteByte(' ')
	}
	c.b.WriteByte('\n')
}

func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

// captureSink is a logr.LogSink enabled at every level that records the
// name, message, error and every key and value, each value both as %+v and
// as JSON (so a []byte shows as its text and as its base64).
type captureSink struct {
	c      *capture
	name   string
	values []any
}

func (s *captureSink) Init(logr.RuntimeInfo) {}
func (s *captureSink) Enabled(int) bool      { return true }
func (s *captureSink) Info(_ int, msg string, kv ...any) {
	s.c.add(append([]string{s.name, msg}, render(append(slices.Clip(s.values), kv...))...)...)
}

func (s *captureSink) Error(err error, msg string, kv ...any) {
	parts := []string{s.name, msg}
	if err != nil {
		parts = append(parts, err.Error(), fmt.Sprintf("%+v", err))
	}
	s.c.add(append(parts, render(append(slices.Clip(s.values), kv...))...)...)
}

func (s *captureSink) WithValues(kv ...any) logr.LogSink {
	out := *s
	out.values = append(slices.Clip(s.values), kv...)
	return &out
}

func (s *captureSink) WithName(name string) logr.LogSink {
	out := *s
	out.name = strings.TrimPrefix(s.name+"."+name, ".")
	return &out
}

func render(kv []any) []string {
	out := make([]string, 0, 3*len(kv))
	for _, v := range kv {
		out = append(out, fmt.Sprintf("%+v", v))
		if b, ok := v.([]byte); ok {
			out = append(out, string(b))
		}
		if data, err := json.Marshal(v); err == nil {
			out = append(out, string(data))
		}
	}
	return out
}
