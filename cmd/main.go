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

// Command manager runs the lightrun-identity-operator: the controllers that
// reconcile identity resources into Lightrun and the SCIM 2.0 endpoint that
// identity providers push users and groups into.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/api/resource"

	// Mozilla's CA roots compiled in, used only when the system has none (the
	// manager's image is an empty base), so TLS to Lightrun verifies anyway.
	_ "golang.org/x/crypto/x509roots/fallback"

	// All Kubernetes client auth plugins (Azure, GCP, OIDC...), so that the
	// manager can run from a developer's kubeconfig too.
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
)

func main() {
	var opts operator.Options
	flag.StringVar(&opts.MetricsBindAddress, "metrics-bind-address", "0",
		"Address the metrics endpoint binds to, e.g. :8443 (HTTPS) or :8080 (HTTP); 0 disables it.")
	flag.BoolVar(&opts.SecureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS behind Kubernetes authentication and authorization.")
	flag.StringVar(&opts.HealthProbeBindAddress, "health-probe-bind-address", ":8081",
		"Address the /healthz and /readyz endpoints bind to.")
	flag.StringVar(&opts.PprofBindAddress, "pprof-bind-address", "0",
		"Address Go's /debug/pprof profiles are served on, without authentication, e.g. 127.0.0.1:6060; 0 disables them.")
	flag.BoolVar(&opts.LeaderElection, "leader-elect", false,
		"Run controllers on one replica at a time (every replica serves SCIM).")
	flag.StringVar(&opts.LeaderElectionNamespace, "leader-election-namespace", "",
		"Namespace of the leader election Lease; defaults to the manager's own namespace.")
	flag.StringVar(&opts.SCIMBindAddress, "scim-bind-address", ":8443",
		"Address the SCIM 2.0 endpoint binds to.")
	flag.StringVar(&opts.SCIMCertDir, "scim-cert-dir", "",
		"Directory with tls.crt and tls.key for the SCIM endpoint; empty serves plain HTTP (behind a TLS ingress).")
	flag.StringVar(&opts.SCIMPublicURL, "scim-public-url", "",
		"Base URL identity providers use to reach the SCIM endpoint, e.g. https://scim.example.com.")
	flag.Float64Var(&opts.SCIMRateLimit, "scim-rate-limit", 100,
		"Sustained SCIM requests per second allowed per bearer token; beyond it the endpoint answers 429 with Retry-After.")
	flag.IntVar(&opts.SCIMRateBurst, "scim-rate-burst", 200,
		"SCIM requests per bearer token allowed in a burst above --scim-rate-limit.")
	flag.IntVar(&opts.SCIMMaxInFlight, "scim-max-in-flight", 64,
		"SCIM requests of one IdentityConfig served at once; more are answered 429 with Retry-After.")
	flag.BoolVar(&opts.SCIMTrustForwardedFor, "scim-trust-forwarded-for", false,
		"Count failed SCIM authentications against the last X-Forwarded-For entry instead of the connecting address; "+
			"set only when every request comes through a proxy that appends it (an ingress controller).")
	flag.BoolVar(&opts.EnableHTTP2, "enable-http2", false,
		"Allow HTTP/2 on the metrics endpoint (off because of CVE-2023-44487).")
	flag.DurationVar(&opts.GracefulShutdownTimeout, "graceful-shutdown-timeout", 30*time.Second,
		"How long in-flight work gets to finish when the manager is stopped.")
	var lightrunQPS float64
	flag.Float64Var(&lightrunQPS, "lightrun-qps", 10,
		"Requests per second the operator sends to one Lightrun (API key and URL), retries included.")
	flag.IntVar(&opts.Controllers.Lightrun.Burst, "lightrun-burst", 20,
		"Burst of requests above --lightrun-qps.")
	flag.IntVar(&opts.Controllers.MaxConcurrentReconciles, "max-concurrent-reconciles", 12,
		"ScimUsers and AgentPools reconciled in parallel.")
	flag.DurationVar(&opts.Controllers.BackendCheckInterval, "backend-check-interval", time.Minute,
		"How often each IdentityConfig re-checks Lightrun's reachability, login method and built-in SCIM.")
	var secretWatch string
	flag.StringVar(&secretWatch, "secret-watch-namespaces", "*",
		"Namespaces (comma-separated) in which Secrets labelled identity.lightrun.com/watch=true are watched, so a rotated "+
			"API key or bearer token takes effect at once; '*' means every namespace (needs list and watch on Secrets "+
			"cluster-wide), empty turns the watch off (rotations take effect within --backend-check-interval).")
	memoryLimit := flag.String("memory-limit", "",
		"The container's memory limit (a quantity such as 1Gi, or bytes); Go's garbage collector then keeps the heap "+
			"within 90% of it. The Helm chart passes limits.memory. Ignored when GOMEMLIMIT is set; empty sets nothing.")
	printVersion := flag.Bool("version", false, "Print the version and exit.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	if *printVersion {
		fmt.Println(lightrun.Version)
		return
	}
	opts.Controllers.Lightrun.RateLimit = rate.Limit(lightrunQPS)
	switch secretWatch = strings.TrimSpace(secretWatch); secretWatch {
	case "*":
	case "":
		opts.SecretWatchDisabled = true
	default:
		for ns := range strings.SplitSeq(secretWatch, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				opts.SecretWatchNamespaces = append(opts.SecretWatchNamespaces, ns)
			}
		}
	}

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")
	if soft, err := softMemoryLimit(*memoryLimit, os.Getenv("GOMEMLIMIT")); err != nil {
		log.Error(err, "Bad --memory-limit")
		os.Exit(2)
	} else if soft > 0 {
		debug.SetMemoryLimit(soft)
		log.Info("Go memory limit set", "limit", *memoryLimit, "softLimitBytes", soft)
	}

	mgr, err := operator.NewManager(ctrl.GetConfigOrDie(), opts)
	if err != nil {
		log.Error(err, "Failed to set up the manager")
		os.Exit(1)
	}
	log.Info("Starting manager", "scimBindAddress", opts.SCIMBindAddress)
	// SIGTERM or SIGINT cancels the context; the manager then stops its
	// runnables, waiting up to the graceful shutdown timeout.
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "Manager stopped with an error")
		os.Exit(1)
	}
	log.Info("Manager stopped")
}

// softLimitShare is the share of the container's memory limit Go's garbage
// collector keeps the heap within: the rest is for the runtime's own memory,
// stacks and what the collector has not returned yet.
const softLimitShare = 0.9

// softMemoryLimit is the Go memory limit for a container limited to limit
// (a resource quantity): 0 when limit is empty or GOMEMLIMIT (gomemlimit)
// already sets one, which wins.
func softMemoryLimit(limit, gomemlimit string) (int64, error) {
	if limit == "" || gomemlimit != "" {
		return 0, nil
	}
	q, err := resource.ParseQuantity(limit)
	if err != nil {
		return 0, fmt.Errorf("parsing %q: %w", limit, err)
	}
	bytes, ok := q.AsInt64()
	if !ok || bytes <= 0 {
		return 0, fmt.Errorf("%q is not a positive number of bytes", limit)
	}
	return int64(float64(bytes) * softLimitShare), nil
}
