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

package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/devenv"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/manifest"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
)

const (
	// Namespace holds the IdentityConfig, its Secrets, the AgentPool, the
	// pushed users and the leader election Lease.
	Namespace = "bench"
	// BareNamespace holds the bare baseline's ScimUsers. No IdentityConfig
	// lives there, and they are deleted before the controllers start, so
	// the operator never acts on them (its cache holds them meanwhile).
	BareNamespace = "bench-bare"
	// leaseName is the manager's leader election Lease
	// (LeaderElectionID in internal/operator). The harness holds it while
	// the IdP pushes, so the controllers start only when it lets go.
	leaseName   = "lightrun-identity-operator.identity.lightrun.com"
	leaseHolder = "lightrun-identity-bench"
	fieldOwner  = "lightrun-identity-bench"
)

// env is what one run starts: the emulator, the control plane and the
// manager subprocess.
type env struct {
	cfg  Config
	work string
	logf func(format string, args ...any)

	emu     *emulator.Emulator
	emuSrv  *http.Server
	emuURL  string
	counter *apiCounter

	testEnv *envtest.Environment
	rest    *rest.Config
	// apiClient carries the harness's credentials to kube-apiserver's
	// non-resource paths (/metrics, /debug/pprof).
	apiClient  *http.Client
	k8s        client.Client
	kubeconfig string

	identityConfig string
	token          string
	mgr            *managerProc
	scim           *scimClient
	// cpu reads the CPU time of the control plane, the manager and the
	// harness, for each phase's CPU.
	cpu cpuMeter
}

// startEnv starts everything but the manager.
func startEnv(ctx context.Context, cfg Config, work string, logf func(string, ...any)) (e *env, err error) {
	e = &env{cfg: cfg, work: work, logf: logf}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.stop())
			e = nil
		}
	}()
	if err := e.startEmulator(); err != nil {
		return e, err
	}
	logf("starting the local control plane (%s)", cfg.Assets)
	e.testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{cfg.CRDs},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: cfg.Assets,
		ControlPlane:          envtest.ControlPlane{Etcd: &envtest.Etcd{DataDir: filepath.Join(work, "etcd")}},
	}
	// 100,000 users, their claims, the baseline and every status write
	// outgrow etcd's default 2 GiB quota between compactions.
	e.testEnv.ControlPlane.Etcd.Configure().Set("quota-backend-bytes", fmt.Sprint(8<<30))
	// Deleting the bare baseline's 100,000 ScimUsers in one call must end
	// within the API server's request timeout: one deleting worker does not.
	e.testEnv.ControlPlane.GetAPIServer().Configure().Set("delete-collection-workers", "16")
	if e.rest, err = e.testEnv.Start(); err != nil {
		e.testEnv = nil
		return e, fmt.Errorf("starting the local control plane: %w", err)
	}
	// The harness's own client is not throttled client-side: the bare
	// baseline must measure the API server, not a token bucket.
	e.rest.QPS, e.rest.Burst = -1, -1
	if e.apiClient, err = rest.HTTPClientFor(e.rest); err != nil {
		return e, fmt.Errorf("a client for kube-apiserver: %w", err)
	}
	if e.k8s, err = client.New(e.rest, client.Options{Scheme: operator.NewScheme()}); err != nil {
		return e, fmt.Errorf("creating a client: %w", err)
	}
	if err := e.writeKubeconfig(); err != nil {
		return e, err
	}
	if err := e.applyObjects(ctx); err != nil {
		return e, err
	}
	return e, nil
}

// startEmulator serves the emulator on loopback behind a counter of the
// calls it answers.
func (e *env) startEmulator() error {
	emu, err := emulator.New(emulator.Options{
		CompanyID:   devenv.CompanyID,
		APIKeys:     []string{devenv.APIKey},
		LoginMethod: emulator.LoginMethodSSO,
		RBAC:        true,
		RateLimit:   e.cfg.EmulatorRate,
		RateBurst:   e.cfg.EmulatorBurst,
		Logger:      logr.Discard(),
	})
	if err != nil {
		return fmt.Errorf("creating the Lightrun emulator: %w", err)
	}
	e.emu = emu
	e.counter = newAPICounter()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for the Lightrun emulator: %w", err)
	}
	e.emuURL = "http://" + ln.Addr().String()
	e.emuSrv = &http.Server{Handler: e.counter.wrap(emu.Handler()), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.emuSrv.Serve(ln) }()
	return nil
}

// writeKubeconfig provisions a cluster-admin user for the manager.
func (e *env) writeKubeconfig() error {
	user, err := e.testEnv.AddUser(envtest.User{Name: "bench-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("provisioning the bench-admin user: %w", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("rendering the kubeconfig: %w", err)
	}
	e.kubeconfig = filepath.Join(e.work, "kubeconfig")
	if err := os.WriteFile(e.kubeconfig, data, 0o600); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return nil
}

// applyObjects creates the namespaces, the Secrets, the sample
// IdentityConfig and AgentPool (as internal/devenv applies them, in
// Namespace, pointed at the emulator) and the Lease that holds the
// controllers back.
func (e *env) applyObjects(ctx context.Context) error {
	for _, ns := range []string{Namespace, BareNamespace} {
		if err := e.k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return fmt.Errorf("generating the SCIM token: %w", err)
	}
	e.token = hex.EncodeToString(buf)
	files, err := filepath.Glob(filepath.Join(e.cfg.Samples, "*.yaml"))
	if err != nil {
		return fmt.Errorf("listing samples: %w", err)
	}
	var objs []*unstructured.Unstructured
	for _, file := range files {
		read, err := manifest.ReadFile(file)
		if err != nil {
			return err
		}
		for _, obj := range read {
			// The sample ScimUser and ScimGroup are left out: the IdP pushes
			// exactly the users the benchmark counts.
			switch obj.GetKind() {
			case "IdentityConfig":
				e.identityConfig = obj.GetName()
				if err := unstructured.SetNestedField(obj.Object, e.emuURL, "spec", "lightrun", "url"); err != nil {
					return fmt.Errorf("setting the Lightrun URL of %s: %w", obj.GetName(), err)
				}
				if err := unstructured.SetNestedField(obj.Object, devenv.CompanyID, "spec", "lightrun", "companyId"); err != nil {
					return fmt.Errorf("setting the company id of %s: %w", obj.GetName(), err)
				}
			case "AgentPool":
			default:
				continue
			}
			obj.SetNamespace(Namespace)
			objs = append(objs, obj)
		}
	}
	if e.identityConfig == "" {
		return fmt.Errorf("no IdentityConfig among the samples in %s", e.cfg.Samples)
	}
	var ic v1.IdentityConfig
	for _, obj := range objs {
		if obj.GetKind() == "IdentityConfig" {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &ic); err != nil {
				return fmt.Errorf("reading IdentityConfig %s: %w", obj.GetName(), err)
			}
		}
	}
	secrets := []*corev1ac.SecretApplyConfiguration{
		corev1ac.Secret(ic.Spec.Lightrun.APIKeySecretRef.Name, Namespace).
			WithStringData(map[string]string{ic.Spec.Lightrun.APIKeySecretRef.Key: devenv.APIKey}),
	}
	if ref := ic.Spec.SCIM.BearerTokenSecretRef; ref != nil {
		secrets = append(secrets, corev1ac.Secret(ref.Name, Namespace).WithStringData(map[string]string{ref.Key: e.token}))
	}
	for _, s := range secrets {
		s.WithLabels(map[string]string{v1.LabelWatch: "true"})
		if err := e.k8s.Apply(ctx, s, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying Secret %s: %w", *s.Name, err)
		}
	}
	for _, obj := range objs {
		if err := e.k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	now := metav1.NowMicro()
	return e.k8s.Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: leaseName, Namespace: Namespace},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       new(leaseHolder),
			LeaseDurationSeconds: new(int32(24 * 3600)),
			AcquireTime:          &now,
			RenewTime:            &now,
		},
	})
}

// releaseControllers deletes the Lease the harness holds: the manager
// takes it at its next retry (within about two seconds) and starts its
// controllers.
func (e *env) releaseControllers(ctx context.Context) error {
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: leaseName, Namespace: Namespace}}
	if err := e.k8s.Delete(ctx, lease); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("releasing the leader election Lease: %w", err)
	}
	return nil
}

// stop stops what was started, the manager first.
func (e *env) stop() error {
	var errs []error
	if e.mgr != nil {
		if err := e.mgr.stop(20 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if e.testEnv != nil {
		e.logf("stopping the local control plane")
		if err := e.testEnv.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stopping the local control plane: %w", err))
		}
	}
	if e.emuSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.emuSrv.Shutdown(ctx); err != nil {
			_ = e.emuSrv.Close()
		}
	}
	if e.emu != nil {
		if err := e.emu.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// apiCounter counts the Lightrun API calls the emulator answers, by route
// and status, in constant memory whatever their number.
type apiCounter struct {
	total        atomic.Int64
	throttled    atomic.Int64
	usersCreated atomic.Int64
	// nanos is the time the emulator took over every call, added up.
	nanos atomic.Int64

	mu      sync.Mutex
	byRoute map[string]int64
}

func newAPICounter() *apiCounter { return &apiCounter{byRoute: map[string]int64{}} }

func (c *apiCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(sw, r)
		c.nanos.Add(int64(time.Since(start)))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		c.total.Add(1)
		switch {
		case status == http.StatusTooManyRequests:
			c.throttled.Add(1)
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/users" && status/100 == 2:
			c.usersCreated.Add(1)
		}
		key := fmt.Sprintf("%s %s %d", r.Method, route(r.URL.Path), status)
		c.mu.Lock()
		c.byRoute[key]++
		c.mu.Unlock()
	})
}

// counts is a snapshot of an apiCounter.
type counts struct {
	total, throttled, usersCreated, nanos int64
	byRoute                               map[string]int64
}

func (c *apiCounter) snapshot() counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := counts{total: c.total.Load(), throttled: c.throttled.Load(), usersCreated: c.usersCreated.Load(),
		nanos: c.nanos.Load(), byRoute: make(map[string]int64, len(c.byRoute))}
	maps.Copy(out.byRoute, c.byRoute)
	return out
}

// sub returns the calls counted since before.
func (c counts) sub(before counts) counts {
	out := counts{total: c.total - before.total, throttled: c.throttled - before.throttled,
		usersCreated: c.usersCreated - before.usersCreated, nanos: c.nanos - before.nanos, byRoute: map[string]int64{}}
	for k, v := range c.byRoute {
		if d := v - before.byRoute[k]; d != 0 {
			out.byRoute[k] = d
		}
	}
	return out
}

// route replaces the ids and emails in a Lightrun API path by the names of
// the OpenAPI path template, so calls group by operation.
func route(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i := 1; i < len(parts); i++ {
		switch parts[i-1] {
		case "users", "members":
			parts[i] = "{email}"
		case "groups", "agent-pools":
			parts[i] = "{id}"
		}
	}
	return "/" + strings.Join(parts, "/")
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
