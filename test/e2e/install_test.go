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

package e2e_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// The install as README.md tells users to do it: this release name and
// namespace make the ServiceAccount lightrun-identity-operator.
const (
	release          = "lightrun-identity-operator"
	releaseNamespace = "lightrun-identity-system"
	operatorUser     = "system:serviceaccount:" + releaseNamespace + ":" + release
	leaderLease      = "lightrun-identity-operator.identity.lightrun.com"
	claimLabel       = "identity.lightrun.com/scim-claim"
	// The identity provider's advice in every refusal of the scim-objects policy.
	policyAdvice = "change the user or group in your identity provider"
)

// ports are the manager's listeners. In a pod they would be the container's
// own; beside the API server the manager shares the machine's network, so
// it binds free ports on the loopback.
type ports struct{ scim, health, metrics int }

// chartValues are the values the test installs with; upgraded adds the
// changes `helm upgrade` makes.
func chartValues(p ports, upgraded bool) map[string]any {
	values := map[string]any{
		// One process: every replica would need ports of its own.
		"replicaCount":            1,
		"gracefulShutdownTimeout": "10s",
		"scim":                    map[string]any{"publicURL": fmt.Sprintf("http://127.0.0.1:%d", p.scim)},
		// The emulators listen on 127.0.0.1: the host allow-list must name it.
		"lightrun": map[string]any{"allowedHosts": []string{"127.0.0.1"}},
		"metrics": map[string]any{
			"readerServiceAccounts": []any{map[string]any{"name": "prometheus", "namespace": "monitoring"}},
		},
		// The flags a user adds to the Deployment; given after the chart's,
		// they win.
		"extraArgs": []string{
			fmt.Sprintf("--scim-bind-address=127.0.0.1:%d", p.scim),
			fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", p.health),
			fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", p.metrics),
		},
	}
	if upgraded {
		values["scim"] = map[string]any{"publicURL": "https://scim.acme.example"}
		values["lightrun"] = map[string]any{"allowedHosts": []string{"127.0.0.1", "*.lightrun.example.com"}}
		values["secretWatch"] = map[string]any{"namespaces": []string{oktaNamespace, entraNamespace}}
	}
	return values
}

const (
	oktaNamespace  = "acme-okta"
	entraNamespace = "acme-entra"
)

// tenant is one Lightrun company (an emulator) fed by one identity provider
// through one IdentityConfig.
type tenant struct {
	ns, name string
	idp      v1.IdentityProviderKind
	apiKey   string
	token    string
	// group is the displayName of the SCIM group the IdP's documented
	// Create Group request makes; the tenant's AgentPool selects it.
	group    string
	poolName string
	emu      *emulator.Emulator
	scim     scimClient
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var _ = Describe("Installing the chart and running the operator", Ordered, func() {
	var (
		ctx        context.Context
		workDir    string
		env        *envtest.Environment
		admin      client.Client
		clientset  kubernetes.Interface
		helm       helmRunner
		chartDir   string
		managerBin string
		listen     ports
		okta       *tenant
		entra      *tenant
		manager    *managerProcess
	)

	// asUser is a client of the API server as this user, impersonated by the
	// cluster admin.
	asUser := func(name string, groups ...string) client.Client {
		GinkgoHelper()
		cfg := rest.CopyConfig(env.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: name, Groups: groups}
		c, err := client.New(cfg, client.Options{Scheme: operator.NewScheme()})
		Expect(err).NotTo(HaveOccurred())
		return c
	}

	writeValues := func(upgraded bool) string {
		GinkgoHelper()
		data, err := yaml.Marshal(chartValues(listen, upgraded))
		Expect(err).NotTo(HaveOccurred())
		path := filepath.Join(workDir, fmt.Sprintf("values-%t.yaml", upgraded))
		Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
		return path
	}

	deployedPod := func() pod {
		GinkgoHelper()
		dep := &appsv1.Deployment{}
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: release}, dep)).To(Succeed())
		p, err := podOf(dep)
		Expect(err).NotTo(HaveOccurred())
		return p
	}

	// checkLogs fails on every line of the manager's logs that says forbidden.
	checkLogs := func() {
		GinkgoHelper()
		lines, err := forbiddenLines(managerLogs...)
		Expect(err).NotTo(HaveOccurred())
		Expect(lines).To(BeEmpty(), "the manager was refused a request: the chart's RBAC or admission policies are wrong")
	}

	// runPod does what the kubelet does for the Deployment's pod: a token
	// for its ServiceAccount through the TokenRequest API, the container's
	// arguments and environment, then the readiness probe until it passes.
	runPod := func(p pod) *managerProcess {
		GinkgoHelper()
		n := len(managerLogs) + 1
		kubeconfig := filepath.Join(workDir, fmt.Sprintf("pod-%d.kubeconfig", n))
		Expect(serviceAccountKubeconfig(ctx, clientset, env.Config, releaseNamespace, p.serviceAccount, kubeconfig)).
			To(Succeed())
		tmp := filepath.Join(workDir, fmt.Sprintf("pod-%d-tmp", n))
		Expect(os.Mkdir(tmp, 0o700)).To(Succeed())
		environ := append([]string{"KUBECONFIG=" + kubeconfig, "HOME=" + tmp, "TMPDIR=" + tmp}, p.env...)
		logPath := filepath.Join(workDir, fmt.Sprintf("manager-%d.log", n))
		m, err := startManager(managerBin, p.args, environ, tmp, logPath)
		Expect(err).NotTo(HaveOccurred())
		managerLogs = append(managerLogs, logPath)

		probe := fmt.Sprintf("http://127.0.0.1:%d%s", listen.health, p.readinessPath)
		Eventually(func() (int, error) {
			if done, err := m.exited(); done {
				out, _ := os.ReadFile(logPath)
				StopTrying(fmt.Sprintf("the manager exited (%v):\n%s", err, out)).Now()
			}
			return probeStatus(ctx, probe)
		}).Should(Equal(http.StatusOK), "the readiness probe %s never passed", probe)
		return m
	}

	stopPod := func() {
		GinkgoHelper()
		if manager == nil {
			return
		}
		m := manager
		manager = nil
		Expect(m.stop(30*time.Second)).To(Succeed(), "the manager did not stop cleanly on SIGTERM")
	}

	condition := func(obj client.Object, typ string) metav1.Condition {
		if err := admin.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return metav1.Condition{Reason: "get: " + err.Error()}
		}
		var conds []metav1.Condition
		switch o := obj.(type) {
		case *v1.IdentityConfig:
			conds = o.Status.Conditions
		case *v1.AgentPool:
			conds = o.Status.Conditions
		case *v1.ScimUser:
			conds = o.Status.Conditions
		}
		if c := meta.FindStatusCondition(conds, typ); c != nil {
			return *c
		}
		return metav1.Condition{}
	}
	// fresh re-reads obj, keeping what it had when the read fails.
	fresh := func(obj client.Object) {
		_ = admin.Get(ctx, client.ObjectKeyFromObject(obj), obj)
	}
	haveCondition := func(status metav1.ConditionStatus, reason string) OmegaMatcher {
		return And(HaveField("Status", status), HaveField("Reason", reason))
	}

	lightrunUser := func(t *tenant, email string) *emulator.User {
		GinkgoHelper()
		st, err := t.emu.State()
		Expect(err).NotTo(HaveOccurred())
		for _, u := range st.Users {
			if u.Email == strings.ToLower(email) {
				return u
			}
		}
		return nil
	}
	// poolMembers returns the member emails of the Lightrun group linked to
	// the tenant's pool, and whether that group grants the pool.
	poolMembers := func(t *tenant) ([]string, bool) {
		GinkgoHelper()
		pool := &v1.AgentPool{}
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: t.ns, Name: "engineers"}, pool)).To(Succeed())
		st, err := t.emu.State()
		Expect(err).NotTo(HaveOccurred())
		for _, g := range st.Groups {
			if g.ID == pool.Status.GroupID && g.ID != "" {
				var members []string
				for email := range g.Members {
					members = append(members, email)
				}
				slices.Sort(members)
				return members, slices.Contains(g.AgentPoolIDs, pool.Status.PoolID)
			}
		}
		return nil, false
	}

	scimGet := func(t *tenant, path string) scimResponse {
		GinkgoHelper()
		r, err := t.scim.do(ctx, http.MethodGet, path, nil, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		return r
	}
	scimSend := func(t *tenant, method, path string, body any, want int) scimResponse {
		GinkgoHelper()
		r, err := t.scim.do(ctx, method, path, body, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.status).To(Equal(want), r.String())
		return r
	}
	replay := func(t *tenant, fixture string) scimResponse {
		GinkgoHelper()
		req, err := readIdPRequest(fixture)
		Expect(err).NotTo(HaveOccurred())
		r, err := t.scim.replay(ctx, req)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.status).To(Equal(http.StatusCreated), "%s: %s", fixture, r)
		return r
	}
	// synced waits until the ScimUser with this SCIM id is in Lightrun, in
	// the tenant's pool, and returns it.
	synced := func(t *tenant, id string) *v1.ScimUser {
		GinkgoHelper()
		u := &v1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: t.ns, Name: v1.ScimUserNameOf(id)}}
		Eventually(func() metav1.Condition { return condition(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonReconciled))
		Eventually(func() []string { fresh(u); return u.Status.EffectiveAgentPools }).Should(ConsistOf(t.poolName))
		return u
	}

	BeforeAll(func() {
		ctx = context.Background()
		workDir = GinkgoT().TempDir()
		chartDir = filepath.Join(testenv.RepoRoot(), "charts", "lightrun-identity-operator")
		helmBin, err := helmBinary()
		Expect(err).NotTo(HaveOccurred())
		Expect(readInputs(chartDir)).To(Succeed())

		// The manager builds while the control plane starts.
		type built struct {
			bin string
			err error
		}
		build := make(chan built, 1)
		go func() {
			bin, err := buildManager(ctx, workDir)
			build <- built{bin, err}
		}()

		// The control plane without CRDs: the chart installs them.
		env, err = testenv.New()
		Expect(err).NotTo(HaveOccurred())
		env.CRDDirectoryPaths, env.ErrorIfCRDPathMissing = nil, false
		_, err = env.Start()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(env.Stop()).To(Succeed()) })

		// helm talks to it as a cluster admin.
		adminUser, err := env.AddUser(envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, nil)
		Expect(err).NotTo(HaveOccurred())
		adminKubeconfig, err := adminUser.KubeConfig()
		Expect(err).NotTo(HaveOccurred())
		helm = helmRunner{bin: helmBin, kubeconfig: filepath.Join(workDir, "admin.kubeconfig"), home: workDir}
		Expect(os.WriteFile(helm.kubeconfig, adminKubeconfig, 0o600)).To(Succeed())
		admin, err = client.New(adminUser.Config(), client.Options{Scheme: operator.NewScheme()})
		Expect(err).NotTo(HaveOccurred())
		Expect(apiextensionsv1.AddToScheme(admin.Scheme())).To(Succeed())
		clientset, err = kubernetes.NewForConfig(adminUser.Config())
		Expect(err).NotTo(HaveOccurred())

		for _, p := range []*int{&listen.scim, &listen.health, &listen.metrics} {
			*p, err = freePort()
			Expect(err).NotTo(HaveOccurred())
		}

		// Two Lightrun companies with SSO on (Lightrun rules 1 and 2: one
		// identity provider per company, SSO first).
		okta = &tenant{ns: oktaNamespace, name: "okta", idp: v1.IdentityProviderOkta,
			group: "Test SCIMv2", poolName: "okta-engineers"}
		entra = &tenant{ns: entraNamespace, name: "entra", idp: v1.IdentityProviderEntraID,
			group: "displayName", poolName: "entra-engineers"}
		for _, t := range []*tenant{okta, entra} {
			t.apiKey, t.token = "lightrun-key-"+randomHex(16), randomHex(32)
			t.emu, err = emulator.Start(emulator.Options{
				APIKeys: []string{t.apiKey}, LoginMethod: emulator.LoginMethodSSO, RBAC: true,
			})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(t.emu.Close)
		}

		res := <-build
		Expect(res.err).NotTo(HaveOccurred())
		managerBin = res.bin

		// Cleanup runs in reverse: the manager stops before the control plane.
		DeferCleanup(func() {
			if manager != nil {
				_ = manager.stop(30 * time.Second)
			}
		})
	})

	// Every spec fails on a refused request of the manager, whatever it
	// waited for; a failed spec carries the manager's logs.
	AfterEach(func() {
		if CurrentSpecReport().Failed() {
			for _, l := range managerLogs {
				out, _ := os.ReadFile(l)
				AddReportEntry(filepath.Base(l), string(out))
			}
		}
		checkLogs()
	})

	It("installs with helm: CRDs, RBAC, the ServiceAccount, the Deployment and the admission policies", func() {
		out, err := helm.run(ctx, "install", release, chartDir, "--namespace", releaseNamespace, "--create-namespace",
			"-f", writeValues(false))
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(ContainSubstring("STATUS: deployed"))

		for _, plural := range []string{"identityconfigs", "agentpools", "scimusers", "scimgroups"} {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			crd.Name = plural + ".identity.lightrun.com"
			Eventually(func() bool {
				if admin.Get(ctx, client.ObjectKeyFromObject(crd), crd) != nil {
					return false
				}
				return slices.ContainsFunc(crd.Status.Conditions, func(c apiextensionsv1.CustomResourceDefinitionCondition) bool {
					return c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue
				})
			}).Should(BeTrue(), "CRD %s is not established", crd.Name)
			Expect(crd.Annotations).To(HaveKeyWithValue("helm.sh/resource-policy", "keep"))
		}
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: release}, &corev1.ServiceAccount{})).
			To(Succeed())
		Expect(admin.Get(ctx, client.ObjectKey{Name: release + "-manager"}, &rbacv1.ClusterRoleBinding{})).To(Succeed())
		policies := clientset.AdmissionregistrationV1().ValidatingAdmissionPolicies()
		for _, suffix := range []string{"-scim-objects", "-scim-claims", "-lightrun-hosts"} {
			Expect(policies.Get(ctx, release+suffix, metav1.GetOptions{})).Error().NotTo(HaveOccurred())
		}
	})

	It("runs the built manager as the chart's ServiceAccount with the flags its Deployment renders", func() {
		p := deployedPod()
		Expect(p.serviceAccount).To(Equal(release))
		// The chart's own flags agree with the pod it declares: each listener's
		// port is the container port of its name, and the probes use it.
		for flag, port := range map[string]string{
			"scim-bind-address": "scim", "health-probe-bind-address": "probes", "metrics-bind-address": "metrics",
		} {
			values := flagValues(p.args, flag)
			Expect(len(values)).To(BeNumerically(">=", 2), "--%s is rendered by the chart and set again by extraArgs", flag)
			Expect(values[0]).To(Equal(fmt.Sprintf(":%d", containerPort(p.container, port))),
				"--%s does not listen on the container port %q", flag, port)
		}
		Expect(p.container.ReadinessProbe.HTTPGet.Port.String()).To(Equal("probes"))
		Expect(p.container.LivenessProbe.HTTPGet.Port.String()).To(Equal("probes"))
		Expect(flagValues(p.args, "scim-public-url")).To(Equal([]string{fmt.Sprintf("http://127.0.0.1:%d", listen.scim)}))
		Expect(flagValues(p.args, "leader-election-namespace")).To(Equal([]string{releaseNamespace}))

		manager = runPod(p)

		// The manager's credentials are the ServiceAccount's, nothing more.
		sa, err := clientcmd.BuildConfigFromFlags("", filepath.Join(workDir, "pod-1.kubeconfig"))
		Expect(err).NotTo(HaveOccurred())
		saClient, err := kubernetes.NewForConfig(sa)
		Expect(err).NotTo(HaveOccurred())
		review, err := saClient.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{},
			metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(review.Status.UserInfo.Username).To(Equal(operatorUser))

		// It leads (its controllers run) through the leader-election Role.
		lease := &coordinationv1.Lease{}
		Eventually(func() string {
			if admin.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: leaderLease}, lease) != nil ||
				lease.Spec.HolderIdentity == nil {
				return ""
			}
			return *lease.Spec.HolderIdentity
		}).ShouldNot(BeEmpty())
	})

	It("reconciles the IdentityConfigs and AgentPools an identityconfig-admin creates into Lightrun", func() {
		platform := asUser("platform-lead@acme.example")
		for _, t := range []*tenant{okta, entra} {
			Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: t.ns}})).To(Succeed())
			Expect(admin.Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Namespace: t.ns, Name: "platform-team"},
				RoleRef: rbacv1.RoleRef{
					APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: release + "-identityconfig-admin",
				},
				Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "platform-lead@acme.example"}},
			})).To(Succeed())
			for name, data := range map[string]map[string]string{
				"lightrun-api-key":  {"apiKey": t.apiKey},
				"scim-bearer-token": {"token": t.token},
			} {
				Expect(admin.Create(ctx, &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Namespace: t.ns, Name: name, Labels: map[string]string{v1.LabelWatch: "true"}},
					StringData: data,
				})).To(Succeed())
			}
			Expect(platform.Create(ctx, &v1.IdentityConfig{
				ObjectMeta: metav1.ObjectMeta{Namespace: t.ns, Name: t.name},
				Spec: v1.IdentityConfigSpec{
					Lightrun: v1.LightrunConnection{
						URL: t.emu.URL(), CompanyID: t.emu.CompanyID(),
						APIKeySecretRef: v1.SecretKeyReference{Name: "lightrun-api-key", Key: "apiKey"},
					},
					SCIM: v1.ScimEndpointSpec{Enabled: true, IdPKind: t.idp, BearerTokenSecretRef: &v1.BearerTokenSecretReference{
						Name: "scim-bearer-token", Key: "token", PreviousKey: "token.previous",
					}},
					DeprovisionPolicy: v1.DeprovisionDisable,
					DefaultRoles:      []v1.LightrunUserRole{v1.RoleDeveloper},
					ResyncPeriod:      &metav1.Duration{Duration: 10 * time.Minute},
				},
			})).To(Succeed())
			Expect(platform.Create(ctx, &v1.AgentPool{
				ObjectMeta: metav1.ObjectMeta{Namespace: t.ns, Name: "engineers"},
				Spec: v1.AgentPoolSpec{
					IdentityConfigRef: v1.IdentityConfigReference{Name: t.name},
					PoolName:          t.poolName,
					Description:       "Agents the " + string(t.idp) + " engineers debug",
					AccessLevel:       v1.AccessLevelStandard,
					Roles:             []v1.LightrunUserRole{v1.RoleDeveloper, v1.RoleIncidentResponder},
					Members:           v1.AgentPoolMembers{Groups: []string{t.group}},
					DeletionPolicy:    v1.AgentPoolRetain,
				},
			})).To(Succeed())
		}

		for _, t := range []*tenant{okta, entra} {
			ic := &v1.IdentityConfig{ObjectMeta: metav1.ObjectMeta{Namespace: t.ns, Name: t.name}}
			Eventually(func() metav1.Condition { return condition(ic, v1.ConditionReady) }).
				Should(HaveField("Status", metav1.ConditionTrue), "IdentityConfig %s/%s", t.ns, t.name)
			Expect(ic.Status.ScimBaseURL).To(Equal(fmt.Sprintf("http://127.0.0.1:%d/scim/v2/%s/%s", listen.scim, t.ns, t.name)))
			// The identity provider is given the published base URL and the token.
			t.scim = scimClient{base: ic.Status.ScimBaseURL, token: t.token}

			pool := &v1.AgentPool{ObjectMeta: metav1.ObjectMeta{Namespace: t.ns, Name: "engineers"}}
			Eventually(func() metav1.Condition { return condition(pool, v1.ConditionReady) }).
				Should(HaveField("Status", metav1.ConditionTrue), "AgentPool %s/engineers", t.ns)
			st, err := t.emu.State()
			Expect(err).NotTo(HaveOccurred())
			Expect(st.AgentPools).To(ContainElement(And(
				HaveField("ID", pool.Status.PoolID), HaveField("Name", t.poolName))))
		}
	})

	It("provisions an Okta run through the SCIM endpoint: the user in Lightrun, in the group's pool", func() {
		okta.scim.header = http.Header{"User-Agent": {"Okta SCIM Client 1.0.0"}}
		// Okta looks the user up before it creates it, and the group before
		// it pushes it.
		found := scimGet(okta, "/Users?filter="+url.QueryEscape(`userName eq "test.user@okta.local"`)+
			"&startIndex=1&count=100")
		Expect(found.body).To(HaveKeyWithValue("totalResults", BeEquivalentTo(0)))
		user := replay(okta, "okta_create_user.http")
		Expect(user.body).NotTo(HaveKey("password"))
		found = scimGet(okta, "/Groups?filter="+url.QueryEscape(`displayName eq "Test SCIMv2"`)+"&startIndex=1&count=100")
		Expect(found.body).To(HaveKeyWithValue("totalResults", BeEquivalentTo(0)))
		group := replay(okta, "okta_create_group.http")
		scimSend(okta, http.MethodPatch, "/Groups/"+group.id(), patchOp(map[string]any{
			"op": "add", "path": "members",
			"value": []any{map[string]any{"value": user.id(), "display": "test.user@okta.local"}},
		}), http.StatusNoContent)

		u := synced(okta, user.id())
		Expect(u.Spec.UserName).To(Equal("test.user@okta.local"))
		Expect(u.Spec.Groups).To(ConsistOf(group.id()))
		Expect(u.Status.EffectiveRoles).To(ConsistOf(v1.RoleDeveloper, v1.RoleIncidentResponder))
		Eventually(func() *emulator.User { return lightrunUser(okta, "test.user@okta.local") }).Should(And(
			Not(BeNil()), HaveField("FirstName", "Test"), HaveField("LastName", "User"), HaveField("Enabled", true),
			HaveField("Roles", ConsistOf("DEVELOPER", "INCIDENT_RESPONDER"))))
		Eventually(func() []string { m, _ := poolMembers(okta); return m }).Should(Equal([]string{"test.user@okta.local"}))
		_, grants := poolMembers(okta)
		Expect(grants).To(BeTrue(), "the pool's Lightrun group does not grant the agent pool")
	})

	It("provisions an Entra ID run through the SCIM endpoint: both users in Lightrun, in the group's pool", func() {
		const first = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
		found := scimGet(entra, "/Users?filter="+url.QueryEscape(`userName eq "`+first+`"`))
		Expect(found.body).To(HaveKeyWithValue("totalResults", BeEquivalentTo(0)))
		user := replay(entra, "entra_create_user.http")
		// A second user, in the same documented shape.
		req, err := readIdPRequest("entra_create_user.http")
		Expect(err).NotTo(HaveOccurred())
		req.body = strings.NewReplacer(
			"ab6490ee-1e48-479e-a20b-2d77186b5dd1", "5c7e0f3a-21d4-4b8e-9a6f-0e3d2c1b4a59",
			"fd0ea19b-0777-472c-9f96-4f70d2226f2e", "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4",
			"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", "1b32e1e3-9e3b-4f9f-8c09-8474d5bfe5f0",
		).Replace(req.body)
		second, err := entra.scim.replay(ctx, req)
		Expect(err).NotTo(HaveOccurred())
		Expect(second.status).To(Equal(http.StatusCreated), second.String())

		found = scimGet(entra, "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "displayName"`))
		Expect(found.body).To(HaveKeyWithValue("totalResults", BeEquivalentTo(0)))
		group := replay(entra, "entra_create_group.http")
		// Entra ID adds members with a capitalised op and a null $ref.
		scimSend(entra, http.MethodPatch, "/Groups/"+group.id(), patchOp(map[string]any{
			"name": "addMember", "op": "Add", "path": "members",
			"value": []any{map[string]any{"$ref": nil, "value": user.id()}, map[string]any{"$ref": nil, "value": second.id()}},
		}), http.StatusNoContent)

		emails := []string{
			"test_user_9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4@testuser.com",
			"test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com",
		}
		for _, id := range []string{user.id(), second.id()} {
			u := synced(entra, id)
			Expect(u.Spec.Groups).To(ConsistOf(group.id()))
			Expect(emails).To(ContainElement(strings.ToLower(u.Status.Email)))
		}
		for _, email := range emails {
			Eventually(func() *emulator.User { return lightrunUser(entra, email) }).Should(And(
				Not(BeNil()), HaveField("FirstName", "givenName"), HaveField("LastName", "familyName"),
				HaveField("Enabled", true), HaveField("Roles", ConsistOf("DEVELOPER", "INCIDENT_RESPONDER"))),
				"Lightrun user %s", email)
		}
		Eventually(func() []string { m, _ := poolMembers(entra); return m }).Should(Equal(emails))
		_, grants := poolMembers(entra)
		Expect(grants).To(BeTrue(), "the pool's Lightrun group does not grant the agent pool")
	})

	It("refuses a namespace editor's update and delete of a ScimUser, and lets the operator's writes through", func() {
		// An editor with every RBAC right in the namespace: what stops them is
		// the admission policy, not RBAC.
		const editorName = "jane@acme.example"
		Expect(admin.Create(ctx, &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Namespace: okta.ns, Name: "namespace-editor"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
		})).To(Succeed())
		Expect(admin.Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: okta.ns, Name: "namespace-editor"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "namespace-editor"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: editorName}},
		})).To(Succeed())
		editor := asUser(editorName)

		var users v1.ScimUserList
		Expect(admin.List(ctx, &users, client.InNamespace(okta.ns))).To(Succeed())
		Expect(users.Items).To(HaveLen(1))
		u := users.Items[0].DeepCopy()
		written := u.Spec.DeepCopy()

		u.Spec.DisplayName = "Edited by hand"
		err := editor.Update(ctx, u)
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "update: %v", err)
		Expect(err.Error()).To(ContainSubstring(policyAdvice))
		Expect(err.Error()).To(ContainSubstring(editorName + " may not update scimusers"))
		err = editor.Delete(ctx, u)
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "delete: %v", err)
		Expect(err.Error()).To(ContainSubstring(editorName + " may not delete scimusers"))
		// Cluster administrators too: the chart exempts no group by default.
		err = admin.Delete(ctx, u)
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "delete as cluster admin: %v", err)

		// Nor may the editor free the user's userName by deleting its claim.
		var claims coordinationv1.LeaseList
		Expect(admin.List(ctx, &claims, client.InNamespace(okta.ns), client.HasLabels{claimLabel})).To(Succeed())
		Expect(claims.Items).NotTo(BeEmpty(), "the SCIM endpoint made no uniqueness claims")
		err = editor.Delete(ctx, &claims.Items[0])
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "claim delete: %v", err)
		Expect(err.Error()).To(ContainSubstring("SCIM uniqueness claims"))

		// What the editor may write, they can: the refusals are the policy's.
		Expect(editor.Patch(ctx, &v1.AgentPool{ObjectMeta: metav1.ObjectMeta{Namespace: okta.ns, Name: "engineers"}},
			client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"team":"payments"}}}`)))).To(Succeed())

		kept := &v1.ScimUser{}
		Expect(admin.Get(ctx, client.ObjectKeyFromObject(u), kept)).To(Succeed())
		Expect(kept.Spec).To(Equal(*written), "a refused write changed the ScimUser")

		// The operator's writes pass: Okta deactivates with a path-less replace...
		r := scimSend(okta, http.MethodPatch, "/Users/"+u.SCIMID(),
			patchOp(map[string]any{"op": "replace", "value": map[string]any{"active": false}}), http.StatusOK)
		Expect(r.body).To(HaveKeyWithValue("active", false))
		Eventually(func() metav1.Condition { return condition(kept, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonDeprovisioned))
		Expect(lightrunUser(okta, "test.user@okta.local").Enabled).To(BeFalse())

		// ...and Entra ID soft-deletes (active "False"), then deletes.
		var entraUsers v1.ScimUserList
		Expect(admin.List(ctx, &entraUsers, client.InNamespace(entra.ns))).To(Succeed())
		idx := slices.IndexFunc(entraUsers.Items, func(u v1.ScimUser) bool {
			return strings.Contains(u.Spec.UserName, "5c7e0f3a-21d4-4b8e-9a6f-0e3d2c1b4a59")
		})
		Expect(idx).NotTo(Equal(-1))
		gone := entraUsers.Items[idx].DeepCopy()
		scimSend(entra, http.MethodPatch, "/Users/"+gone.SCIMID(),
			patchOp(map[string]any{"op": "Replace", "path": "active", "value": "False"}), http.StatusOK)
		Eventually(func() metav1.Condition { return condition(gone, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonDeprovisioned))
		scimSend(entra, http.MethodDelete, "/Users/"+gone.SCIMID(), nil, http.StatusNoContent)
		Eventually(func() bool { return apierrors.IsNotFound(admin.Get(ctx, client.ObjectKeyFromObject(gone), gone)) }).
			Should(BeTrue(), "the operator did not finish deleting the ScimUser")
		lu := lightrunUser(entra, "test_user_9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4@testuser.com")
		Expect(lu).NotTo(BeNil(), "deprovisionPolicy Disable keeps the Lightrun user")
		Expect(lu.Enabled).To(BeFalse())
	})

	It("renames a user as the chart runs the operator: the new userName reserved, the old one free, "+
		"nothing left once both are deleted", func() {
		newUser := func(userName string, want int) scimResponse {
			GinkgoHelper()
			return scimSend(entra, http.MethodPost, "/Users", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName, "active": true,
			}, want)
		}
		reservations := func() []v1.ScimUser {
			GinkgoHelper()
			var l v1.ScimUserList
			Expect(admin.List(ctx, &l, client.InNamespace(entra.ns), client.HasLabels{v1.LabelReservation})).To(Succeed())
			return l.Items
		}
		renamed := newUser("before.rename@entra.local", http.StatusCreated)
		rename := map[string]any{"op": "replace", "path": "userName", "value": "after.rename@entra.local"}
		scimSend(entra, http.MethodPatch, "/Users/"+renamed.id(), patchOp(rename), http.StatusOK)
		heldBy := HaveKeyWithValue(v1.AnnotationNameHeldBy, renamed.id())
		Expect(reservations()).To(ConsistOf(HaveField("ObjectMeta.Annotations", heldBy)),
			"the new userName's derived object name is reserved for the renamed user")
		newUser("AFTER.rename@entra.local", http.StatusConflict)
		found := scimGet(entra, "/Users?filter="+url.QueryEscape(`userName eq "after.rename@entra.local"`))
		Expect(found.body).To(HaveKeyWithValue("totalResults", BeEquivalentTo(1)), "a reservation is no user")

		again := newUser("before.rename@entra.local", http.StatusCreated)
		occupied := &v1.ScimUser{}
		key := client.ObjectKey{Namespace: entra.ns, Name: v1.ScimUserNameOf(renamed.id())}
		Expect(admin.Get(ctx, key, occupied)).To(Succeed())
		Expect(occupied.Finalizers).To(ContainElement(v1.FinalizerNameGuard),
			"the renamed user's object keeps the old name occupied for the new user")

		scimSend(entra, http.MethodDelete, "/Users/"+renamed.id(), nil, http.StatusNoContent)
		scimSend(entra, http.MethodDelete, "/Users/"+again.id(), nil, http.StatusNoContent)
		Eventually(func() []string {
			var l v1.ScimUserList
			Expect(admin.List(ctx, &l, client.InNamespace(entra.ns))).To(Succeed())
			var left []string
			for _, u := range l.Items {
				if strings.Contains(u.Spec.UserName, "rename@entra.local") {
					left = append(left, u.Name)
				}
			}
			return left
		}).Should(BeEmpty(), "the users, the guard and the reservation are gone")
		var claims coordinationv1.LeaseList
		userClaims := client.MatchingLabels{claimLabel: "user"}
		Expect(admin.List(ctx, &claims, client.InNamespace(entra.ns), userClaims)).To(Succeed())
		Expect(claims.Items).To(BeEmpty(), "no user claim is left")
	})

	It("serves metrics to the ServiceAccount metrics.readerServiceAccounts names, and to no other", func() {
		Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}})).To(Succeed())
		scrape := func(sa string) (int, string) {
			GinkgoHelper()
			Expect(client.IgnoreAlreadyExists(admin.Create(ctx, &corev1.ServiceAccount{
				ObjectMeta: metav1.ObjectMeta{Namespace: "monitoring", Name: sa},
			}))).To(Succeed())
			expiry := int64(600)
			tr, err := clientset.CoreV1().ServiceAccounts("monitoring").CreateToken(ctx, sa,
				&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}},
				metav1.CreateOptions{})
			Expect(err).NotTo(HaveOccurred())
			target := fmt.Sprintf("https://127.0.0.1:%d/metrics", listen.metrics)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			Expect(err).NotTo(HaveOccurred())
			req.Header.Set("Authorization", "Bearer "+tr.Status.Token)
			// The chart's ServiceMonitor skips verification too: the
			// certificate is the manager's self-signed one.
			insecure := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
				TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			}}
			resp, err := insecure.Do(req)
			Expect(err).NotTo(HaveOccurred())
			defer func() { _ = resp.Body.Close() }()
			body, err := io.ReadAll(resp.Body)
			Expect(err).NotTo(HaveOccurred())
			return resp.StatusCode, string(body)
		}
		status, body := scrape("prometheus")
		Expect(status).To(Equal(http.StatusOK), body)
		Expect(body).To(ContainSubstring(`lightrun_identity_users{`))
		status, _ = scrape("intruder")
		Expect(status).To(Equal(http.StatusForbidden))
	})

	It("upgrades with changed values: new flags, the secret-watch Roles, the new host allow-list", func() {
		platform := asUser("platform-lead@acme.example")
		elsewhere := func() *v1.IdentityConfig {
			ic := &v1.IdentityConfig{}
			Expect(admin.Get(ctx, client.ObjectKey{Namespace: okta.ns, Name: okta.name}, ic)).To(Succeed())
			return &v1.IdentityConfig{
				ObjectMeta: metav1.ObjectMeta{Namespace: okta.ns, Name: "elsewhere"},
				Spec:       *ic.Spec.DeepCopy(),
			}
		}
		other := elsewhere()
		other.Spec.Lightrun.URL = "https://acme.lightrun.example.com"
		// A server-side dry run: admission runs, nothing is stored, nothing is called.
		err := platform.Create(ctx, other, client.DryRunAll)
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "before the upgrade: %v", err)
		Expect(err.Error()).To(ContainSubstring("is not a Lightrun host this cluster allows"))
		before := deployedPod()

		out, err := helm.run(ctx, "upgrade", release, chartDir, "--namespace", releaseNamespace, "-f", writeValues(true))
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(ContainSubstring("REVISION: 2"))

		for _, ns := range []string{okta.ns, entra.ns} {
			Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: release + "-secret-watch"}, &rbacv1.Role{})).
				To(Succeed(), "no secret-watch Role in %s", ns)
		}
		Eventually(func() error {
			other := elsewhere()
			other.Spec.Lightrun.URL = "https://acme.lightrun.example.com"
			return platform.Create(ctx, other, client.DryRunAll)
		}).Should(Succeed(), "the upgraded allow-list does not admit *.lightrun.example.com")

		// The rollout: the pod template changed, so the old pod stops and a
		// new one starts with the new flags.
		after := deployedPod()
		Expect(after.args).NotTo(Equal(before.args))
		Expect(flagValues(after.args, "secret-watch-namespaces")).To(Equal([]string{oktaNamespace + "," + entraNamespace}))
		Expect(flagValues(after.args, "scim-public-url")).To(Equal([]string{"https://scim.acme.example"}))
		stopPod()
		manager = runPod(after)

		ic := &v1.IdentityConfig{ObjectMeta: metav1.ObjectMeta{Namespace: okta.ns, Name: okta.name}}
		Eventually(func() string { fresh(ic); return ic.Status.ScimBaseURL }).
			Should(Equal("https://scim.acme.example/scim/v2/" + okta.ns + "/" + okta.name))
		Eventually(func() metav1.Condition { return condition(ic, v1.ConditionReady) }).
			Should(HaveField("Status", metav1.ConditionTrue))
		found := scimGet(okta, "/Users?filter="+url.QueryEscape(`userName eq "test.user@okta.local"`))
		Expect(found.body).To(HaveKeyWithValue("totalResults", BeEquivalentTo(1)))

		// The labelled Secrets are watched now: a rotated API key takes effect
		// at once, not after the minute of --backend-check-interval.
		setKey := func(key string) {
			GinkgoHelper()
			Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
				s := &corev1.Secret{}
				if err := admin.Get(ctx, client.ObjectKey{Namespace: okta.ns, Name: "lightrun-api-key"}, s); err != nil {
					return err
				}
				s.Data = map[string][]byte{"apiKey": []byte(key)}
				return admin.Update(ctx, s)
			})).To(Succeed())
		}
		setKey("revoked-" + randomHex(16))
		Eventually(func() metav1.Condition { return condition(ic, v1.ConditionBackendReachable) }).
			WithTimeout(20 * time.Second).Should(haveCondition(metav1.ConditionFalse, v1.ReasonUnauthorized))
		setKey(okta.apiKey)
		Eventually(func() metav1.Condition { return condition(ic, v1.ConditionBackendReachable) }).
			WithTimeout(20 * time.Second).Should(HaveField("Status", metav1.ConditionTrue))
	})

	It("uninstalls, leaving the CRDs and every ScimUser and ScimGroup in place", func() {
		var users v1.ScimUserList
		Expect(admin.List(ctx, &users)).To(Succeed())
		Expect(users.Items).To(HaveLen(2), "the Okta user and Entra ID's first user (the second was deleted)")
		var groups v1.ScimGroupList
		Expect(admin.List(ctx, &groups)).To(Succeed())
		Expect(groups.Items).To(HaveLen(2))

		// The kubelet stops the pod when its Deployment goes; the manager is
		// stopped first so that the RBAC it loses cannot be blamed on it.
		stopPod()
		checkLogs()
		out, err := helm.run(ctx, "uninstall", release, "--namespace", releaseNamespace)
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(ContainSubstring("uninstalled"))

		// Gone: what the chart owns...
		Expect(apierrors.IsNotFound(admin.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: release},
			&appsv1.Deployment{}))).To(BeTrue())
		Expect(apierrors.IsNotFound(admin.Get(ctx, client.ObjectKey{Name: release + "-manager"}, &rbacv1.ClusterRole{}))).
			To(BeTrue())
		_, err = clientset.AdmissionregistrationV1().ValidatingAdmissionPolicies().
			Get(ctx, release+"-scim-objects", metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue())
		// ...kept: the CRDs and, with them, the identity provider's data.
		for _, plural := range []string{"identityconfigs", "agentpools", "scimusers", "scimgroups"} {
			Expect(admin.Get(ctx, client.ObjectKey{Name: plural + ".identity.lightrun.com"},
				&apiextensionsv1.CustomResourceDefinition{})).To(Succeed())
		}
		var usersAfter v1.ScimUserList
		Expect(admin.List(ctx, &usersAfter)).To(Succeed())
		Expect(uids(usersAfter.Items)).To(Equal(uids(users.Items)))
		var groupsAfter v1.ScimGroupList
		Expect(admin.List(ctx, &groupsAfter)).To(Succeed())
		Expect(uids(groupsAfter.Items)).To(Equal(uids(groups.Items)))
	})

	It("installs again over what the uninstall kept, and the operator takes the kept users back", func() {
		lightrunUsers := func(t *tenant) []string {
			st, err := t.emu.State()
			Expect(err).NotTo(HaveOccurred())
			out := make([]string, 0, len(st.Users))
			for _, u := range st.Users {
				out = append(out, fmt.Sprintf("%s %s enabled=%t", u.ID, u.Email, u.Enabled))
			}
			slices.Sort(out)
			return out
		}
		before := map[string][]string{okta.name: lightrunUsers(okta), entra.name: lightrunUsers(entra)}

		// The kept CRDs still carry this release's ownership, so Helm adopts them.
		out, err := helm.run(ctx, "install", release, chartDir, "--namespace", releaseNamespace, "-f", writeValues(false))
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(ContainSubstring("STATUS: deployed"))
		manager = runPod(deployedPod())

		platform := asUser("platform-lead@acme.example")
		for _, t := range []*tenant{okta, entra} {
			// A resync compares every kept user with Lightrun.
			request := randomHex(8)
			ic := &v1.IdentityConfig{ObjectMeta: metav1.ObjectMeta{Namespace: t.ns, Name: t.name}}
			Expect(platform.Patch(ctx, ic, client.RawPatch(types.MergePatchType, fmt.Appendf(nil,
				`{"metadata":{"annotations":{%q:%q}}}`, v1.AnnotationResyncRequestedAt, request)))).To(Succeed())
			Eventually(func() string { fresh(ic); return ic.Status.LastHandledResyncRequest }).Should(Equal(request))
			Expect(meta.IsStatusConditionTrue(ic.Status.Conditions, v1.ConditionReady)).To(BeTrue(), "%v", ic.Status.Conditions)
			Expect(ic.Status.Users.Failed).To(BeZero())

			var users v1.ScimUserList
			Expect(admin.List(ctx, &users, client.InNamespace(t.ns))).To(Succeed())
			Expect(users.Items).To(HaveLen(1))
			Expect(meta.FindStatusCondition(users.Items[0].Status.Conditions, v1.ConditionSynced)).
				To(HaveField("Status", metav1.ConditionTrue))
			found := scimGet(t, "/Users/"+users.Items[0].SCIMID())
			Expect(found.body).To(HaveKeyWithValue("userName", users.Items[0].Spec.UserName))
			Expect(lightrunUsers(t)).To(Equal(before[t.name]), "the reinstalled operator changed Lightrun's users")
		}
		stopPod()

		// Every request the operator made is one Lightrun's OpenAPI document declares.
		for _, t := range []*tenant{okta, entra} {
			Expect(t.emu.CheckClean()).To(Succeed(), "%s's Lightrun", t.name)
		}
	})
})

// uids returns the sorted "namespace/name uid" of objects.
func uids[T any, PT interface {
	*T
	client.Object
}](items []T) []string {
	out := make([]string, 0, len(items))
	for i := range items {
		o := PT(&items[i])
		out = append(out, o.GetNamespace()+"/"+o.GetName()+" "+string(o.GetUID()))
	}
	slices.Sort(out)
	return out
}
