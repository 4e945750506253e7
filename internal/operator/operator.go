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

// Package operator assembles the manager: scheme, controllers, the SCIM
// endpoint and health checks. cmd/ (the deployed binary) and cmd/devenv
// (the local development environment) both build their manager here, so
// what runs in development is what runs in a cluster.
package operator

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	eventsv1client "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	identityv1alpha1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/controller"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/events"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	scimserver "github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/userindex"
)

// The manager's permissions. Controllers and the SCIM endpoint add their own
// markers beside the code that needs them.
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=identityconfigs;agentpools;scimusers;scimgroups,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=identityconfigs/status;agentpools/status;scimusers/status;scimgroups/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=identityconfigs/finalizers;agentpools/finalizers;scimusers/finalizers;scimgroups/finalizers,verbs=update
// Secrets are read by name (get) only. The labelled Secret watch needs list
// and watch, which the chart grants per namespace (docs/security.md).
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Options configures the manager. The zero value of each field means its
// documented default.
type Options struct {
	// MetricsBindAddress is where Prometheus metrics are served; "0" disables them.
	MetricsBindAddress string
	// SecureMetrics serves metrics over HTTPS behind Kubernetes authn/authz.
	SecureMetrics bool
	// HealthProbeBindAddress serves /healthz and /readyz.
	HealthProbeBindAddress string
	// PprofBindAddress serves Go's /debug/pprof profiles, unauthenticated;
	// "0" or empty disables them (make bench profiles the manager through it).
	PprofBindAddress string
	// LeaderElection makes only one replica run the controllers; every
	// replica serves the SCIM endpoint.
	LeaderElection bool
	// LeaderElectionNamespace is where the leader election Lease lives; empty
	// means the namespace the manager runs in.
	LeaderElectionNamespace string
	// SCIMBindAddress is where the SCIM endpoint listens; "0" or empty disables it.
	SCIMBindAddress string
	// SCIMCertDir holds tls.crt and tls.key for the SCIM endpoint; empty serves plain HTTP
	// (for use behind a TLS-terminating ingress or in local development).
	SCIMCertDir string
	// SCIMPublicURL is the base URL at which identity providers reach the
	// SCIM endpoint from outside, e.g. https://scim.example.com. It is
	// published in IdentityConfig status and in SCIM meta.location.
	SCIMPublicURL string
	// SCIMRateLimit is the sustained SCIM requests per second allowed per
	// bearer token, SCIMRateBurst the burst; zero means the endpoint's
	// defaults (100 and 200).
	SCIMRateLimit float64
	SCIMRateBurst int
	// SCIMMaxInFlight caps the SCIM requests of one IdentityConfig served
	// at once; zero means the endpoint's default (64).
	SCIMMaxInFlight int
	// SCIMTrustForwardedFor counts failed SCIM authentications against the
	// last X-Forwarded-For entry rather than the TCP peer; only for an
	// endpoint every request reaches through a proxy that sets it.
	SCIMTrustForwardedFor bool
	// EnableHTTP2 allows HTTP/2 on the metrics endpoint; off by default
	// because of the HTTP/2 rapid-reset CVEs (CVE-2023-44487).
	EnableHTTP2 bool
	// GracefulShutdownTimeout bounds how long runnables get to stop.
	GracefulShutdownTimeout time.Duration
	// Controllers configures the reconcilers: the Lightrun client template
	// (rate limit, retries), concurrency, backoff, check intervals. Its
	// SCIMEnabled and SCIMPublicURL are filled from the fields above.
	Controllers controller.Options
	// SecretWatchNamespaces are the namespaces in which the manager watches
	// the metadata of Secrets labelled identity.lightrun.com/watch=true, so
	// a rotated API key or bearer token takes effect at once; empty means
	// every namespace (and needs list and watch on Secrets cluster-wide).
	// The manager's cache never holds any other Secret, nor Secret data.
	SecretWatchNamespaces []string
	// SecretWatchDisabled turns the Secret watch off: the manager needs no
	// list or watch on Secrets, and a rotation takes effect within
	// Controllers.BackendCheckInterval.
	SecretWatchDisabled bool
	// SkipControllerNameValidation lets one process build several managers
	// (tests that restart the manager); controller names are otherwise
	// required to be unique per process.
	SkipControllerNameValidation bool
}

// NewScheme returns a scheme with the built-in Kubernetes types and this operator's API.
func NewScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(identityv1alpha1.AddToScheme(scheme))
	return scheme
}

// secretCache restricts the manager's Secret informer to Secrets labelled
// identity.lightrun.com/watch=true, in the watched namespaces only.
func secretCache(opts Options) cache.ByObject {
	c := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{identityv1alpha1.LabelWatch: "true"})}
	if len(opts.SecretWatchNamespaces) > 0 {
		c.Namespaces = map[string]cache.Config{}
		for _, ns := range opts.SecretWatchNamespaces {
			c.Namespaces[ns] = cache.Config{}
		}
	}
	return c
}

// ScimUserCache keeps the SCIM endpoint's userName reservations out of the
// manager's ScimUser informer: they are no users, and nothing the operator
// serves or provisions reads them (see kubestore's occupy).
func ScimUserCache() cache.ByObject {
	sel, err := labels.Parse("!" + identityv1alpha1.LabelReservation)
	utilruntime.Must(err)
	return cache.ByObject{Label: sel}
}

// StoreCacheOptions is the cache a manager needs to run the SCIM store
// alone (tests and benchmarks): ScimUserCache, nothing else.
func StoreCacheOptions() cache.Options {
	return cache.Options{ByObject: map[client.Object]cache.ByObject{&identityv1alpha1.ScimUser{}: ScimUserCache()}}
}

// NewManager builds the manager with everything the operator runs.
func NewManager(cfg *rest.Config, opts Options) (manager.Manager, error) {
	var tlsOpts []func(*tls.Config)
	if !opts.EnableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{
		BindAddress:   opts.MetricsBindAddress,
		SecureServing: opts.SecureMetrics,
		TLSOpts:       tlsOpts,
	}
	if opts.SecureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	shutdown := opts.GracefulShutdownTimeout
	if shutdown == 0 {
		shutdown = 30 * time.Second
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  NewScheme(),
		Metrics:                 metricsOpts,
		HealthProbeBindAddress:  opts.HealthProbeBindAddress,
		PprofBindAddress:        opts.PprofBindAddress,
		LeaderElection:          opts.LeaderElection,
		LeaderElectionID:        "lightrun-identity-operator.identity.lightrun.com",
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		// The process exits as soon as the manager stops, so releasing the
		// lease on cancel is safe and lets a new leader take over at once.
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       &shutdown,
		Controller:                    config.Controller{SkipNameValidation: &opts.SkipControllerNameValidation},
		Cache: cache.Options{
			ByObject: map[client.Object]cache.ByObject{
				&corev1.Secret{}:             secretCache(opts),
				&identityv1alpha1.ScimUser{}: ScimUserCache(),
			},
			// Nothing reads managedFields from the cache; at 100,000 users
			// they would be a third of its memory.
			DefaultTransform: shrinkTransform(),
		},
		// Secrets are never read through the cache by the manager's client:
		// their data comes from the API server, by name.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}

	// The SCIM indexes serve the endpoint and the controllers alike, so they
	// are registered once, whether or not this manager serves SCIM.
	if err := index.Setup(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return nil, fmt.Errorf("setting up SCIM indexes: %w", err)
	}
	// So is the index that finds ScimUsers by userName, externalId and email.
	if _, err := userindex.For(context.Background(), mgr.GetCache()); err != nil {
		return nil, fmt.Errorf("setting up the ScimUser index: %w", err)
	}
	scimEnabled := opts.SCIMBindAddress != "" && opts.SCIMBindAddress != "0"
	ctrlOpts := opts.Controllers
	ctrlOpts.SCIMEnabled = scimEnabled
	ctrlOpts.SCIMPublicURL = opts.SCIMPublicURL
	ctrlOpts.SCIMBasePath = scimserver.BasePath
	ctrlOpts.SecretWatchNamespaces = opts.SecretWatchNamespaces
	ctrlOpts.SecretWatchDisabled = opts.SecretWatchDisabled
	if ctrlOpts.Recorders == nil {
		recorders, err := newEventBroadcaster(mgr)
		if err != nil {
			return nil, err
		}
		ctrlOpts.Recorders = recorders.Recorder
	}
	if err := controller.Setup(context.Background(), mgr, ctrlOpts); err != nil {
		return nil, fmt.Errorf("setting up the controllers: %w", err)
	}

	if scimEnabled {
		store, err := kubestore.New(context.Background(), mgr, kubestore.Options{})
		if err != nil {
			return nil, fmt.Errorf("setting up the SCIM store: %w", err)
		}
		server := scimserver.NewServer(scimserver.Options{
			Addr:              opts.SCIMBindAddress,
			CertDir:           opts.SCIMCertDir,
			PublicURL:         opts.SCIMPublicURL,
			RateLimit:         opts.SCIMRateLimit,
			RateBurst:         opts.SCIMRateBurst,
			MaxInFlight:       opts.SCIMMaxInFlight,
			TrustForwardedFor: opts.SCIMTrustForwardedFor,
		}, store, store, kubestore.NewTenants(mgr.GetClient(), mgr.GetAPIReader(), 0), ctrl.Log.WithName("scim"))
		if err := mgr.Add(server); err != nil {
			return nil, fmt.Errorf("adding the SCIM server: %w", err)
		}
		// /readyz says whether this replica's SCIM listener serves.
		if err := mgr.AddReadyzCheck("scim", server.Ready); err != nil {
			return nil, fmt.Errorf("adding the SCIM readiness check: %w", err)
		}
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding readiness check: %w", err)
	}
	return mgr, nil
}

// newEventBroadcaster adds to mgr the recorder of the controllers' Events:
// internal/events rather than the manager's own (client-go's broadcaster),
// which keeps every Event of the last 6 to 12 minutes, half a KiB a user
// during a bulk push.
func newEventBroadcaster(mgr manager.Manager) (*events.Broadcaster, error) {
	eventsClient, err := eventsv1client.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return nil, fmt.Errorf("creating the events.k8s.io client: %w", err)
	}
	b := events.New(eventsClient, mgr.GetScheme(), events.Options{Logger: ctrl.Log.WithName("events")})
	if err := mgr.Add(b); err != nil {
		return nil, fmt.Errorf("adding the event broadcaster: %w", err)
	}
	return b, nil
}
