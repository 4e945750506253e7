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

package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/client-go/util/workqueue"
	ctrlcontroller "sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/connect"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/userindex"
)

// Options configure the controllers. The zero value of each field means its
// documented default.
type Options struct {
	// SCIMEnabled says whether this manager serves the SCIM endpoint, for
	// the IdentityConfig's EndpointReady condition.
	SCIMEnabled bool
	// SCIMBasePath is the path the SCIM endpoint serves IdentityConfigs
	// under; each one's endpoint is <SCIMBasePath>/<namespace>/<name>.
	SCIMBasePath string
	// SCIMPublicURL is the base URL identity providers reach the SCIM
	// endpoint at; IdentityConfig status publishes
	// <SCIMPublicURL><SCIMBasePath>/<namespace>/<name>.
	SCIMPublicURL string

	// Lightrun is the template of every Lightrun client (BaseURL and APIKey
	// come from each IdentityConfig): its rate limit is the token bucket
	// toward one Lightrun, its retries and Retry-After handling apply per call.
	Lightrun lightrun.Options

	// MaxConcurrentReconciles of the ScimUser and AgentPool controllers;
	// default 12. A new user's reconcile is mostly waiting: its write-ahead
	// record (a write shared with other users' creates), its status write
	// and a Lightrun call, about 40 ms on a busy control
	// plane at 10,000 users and 90 ms at 100,000, so 8 workers kept up
	// with 0.88–0.92 of a Lightrun that takes 100 calls a second, 12 with
	// 0.93 (docs/sizing.md).
	MaxConcurrentReconciles int
	// RetryBaseDelay and RetryMaxDelay shape the per-object exponential
	// backoff of failed reconciles; defaults 1s and 5m.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// RetryQPS and RetryBurst are the global token bucket that paces the
	// retries of all controllers together; defaults 10 and 100.
	RetryQPS   float64
	RetryBurst int
	// BackendCheckInterval is how often a healthy IdentityConfig re-checks
	// Lightrun's reachability, login method and built-in SCIM; default 1m.
	BackendCheckInterval time.Duration
	// MemberBatchSize is how many emails one group member call carries;
	// default 100.
	MemberBatchSize int
	// StatusDelay coalesces the many ScimUser changes of a bulk push into
	// one recount of the IdentityConfig and one membership pass of each
	// AgentPool; default 1s.
	StatusDelay time.Duration
	// MaxResyncUsers bounds the Lightrun users one resync lists; past it the
	// resync stops with a Warning ResyncIncomplete Event. Default
	// connect.MaxListedUsers.
	MaxResyncUsers int
	// ReconcileTimeout is the deadline of every reconcile of every
	// controller (its context ends then, and the object is retried with
	// backoff); default 10m, long enough for a resync that lists a large
	// company at a low --lightrun-qps.
	ReconcileTimeout time.Duration
	// CreateAttemptsMinAge is the age from which a ScimUser's Lightrun
	// create is recorded in its IdentityConfig's status.createAttempts
	// rather than in its own status; default v1.CreateAttemptsMinAge,
	// which must stay above v1.CreateUndoWindow (tests lower it).
	CreateAttemptsMinAge time.Duration
	// GuardRecheck is how often a deleted ScimUser the SCIM endpoint's name
	// guard keeps (another user holds the userName its object name is
	// derived from) is looked at again; default 1m.
	GuardRecheck time.Duration

	// SecretWatchNamespaces are the namespaces whose Secrets labelled
	// identity.lightrun.com/watch=true the manager's cache holds (metadata
	// only); empty means every namespace. The manager's cache must be
	// restricted the same way (operator.NewManager does it).
	SecretWatchNamespaces []string
	// SecretWatchDisabled turns the Secret watch off: every Secret is read
	// by name and re-read at most once per BackendCheckInterval, and the
	// manager needs no list or watch permission on Secrets.
	SecretWatchDisabled bool

	// Recorders returns the event recorder of each controller, by its
	// reportingController name; nil means the manager's
	// (mgr.GetEventRecorder, client-go's broadcaster, which keeps a copy of
	// every Event for 6 to 12 minutes). operator.NewManager passes
	// internal/events', whose memory does not grow with the users.
	Recorders func(name string) recorder.EventRecorder
}

// secretWatched says whether the manager's cache holds the labelled Secrets
// of a namespace.
func (o *Options) secretWatched(namespace string) bool {
	if o.SecretWatchDisabled {
		return false
	}
	return len(o.SecretWatchNamespaces) == 0 || slices.Contains(o.SecretWatchNamespaces, namespace)
}

func (o *Options) defaults() {
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 12
	}
	if o.CreateAttemptsMinAge <= 0 {
		o.CreateAttemptsMinAge = v1.CreateAttemptsMinAge
	}
	if o.RetryBaseDelay <= 0 {
		o.RetryBaseDelay = time.Second
	}
	if o.RetryMaxDelay <= 0 {
		o.RetryMaxDelay = 5 * time.Minute
	}
	if o.RetryQPS <= 0 {
		o.RetryQPS = 10
	}
	if o.RetryBurst <= 0 {
		o.RetryBurst = 100
	}
	if o.BackendCheckInterval <= 0 {
		o.BackendCheckInterval = time.Minute
	}
	if o.MemberBatchSize <= 0 {
		o.MemberBatchSize = 100
	}
	if o.MaxResyncUsers <= 0 {
		o.MaxResyncUsers = connect.MaxListedUsers
	}
	if o.GuardRecheck <= 0 {
		o.GuardRecheck = time.Minute
	}
	if o.StatusDelay <= 0 {
		o.StatusDelay = time.Second
	}
	if o.ReconcileTimeout <= 0 {
		o.ReconcileTimeout = 10 * time.Minute
	}
}

// shared is what the controllers of one manager share.
type shared struct {
	opts Options
	// connections are the Lightrun of each IdentityConfig, and their health.
	connections *connect.Connections
	// userResync and poolResync carry the IdentityConfig's resync
	// (Lightrun rule 3) to the ScimUser and AgentPool controllers.
	userResync chan event.GenericEvent
	poolResync chan event.GenericEvent
	// retryBucket is the one token bucket behind every controller's retries.
	retryBucket *rate.Limiter
	// directory is what the IdentityConfigs' resyncs learned of who exists
	// in Lightrun, so that new users cost one request.
	directory *directory
}

// rateLimiter is the worse of per-object exponential backoff and the global
// bucket: one failing user backs off on its own, and a Lightrun outage that
// fails everything cannot turn into a retry storm.
func (s *shared) rateLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](s.opts.RetryBaseDelay, s.opts.RetryMaxDelay),
		&workqueue.TypedBucketRateLimiter[reconcile.Request]{Limiter: s.retryBucket},
	)
}

func (s *shared) controllerOptions(workers int) ctrlcontroller.Options {
	return ctrlcontroller.Options{
		MaxConcurrentReconciles: workers,
		RateLimiter:             s.rateLimiter(),
		ReconciliationTimeout:   s.opts.ReconcileTimeout,
	}
}

// Setup registers the four controllers with mgr. The field indexes they look
// objects up by (index.Setup) must be registered already; the ScimUser index
// (userindex) is registered here if it is not.
func Setup(ctx context.Context, mgr manager.Manager, opts Options) error {
	opts.defaults()
	if opts.Recorders == nil {
		opts.Recorders = mgr.GetEventRecorder
	}
	if _, err := userindex.For(ctx, mgr.GetCache()); err != nil {
		return fmt.Errorf("setting up the ScimUser index: %w", err)
	}
	s := &shared{
		opts: opts,
		// Secret metadata comes from the cache itself: the manager's client
		// reads Secrets from the API server (operator.NewManager).
		connections: connect.New(mgr.GetCache(), mgr.GetAPIReader(), connect.Options{
			Lightrun:      opts.Lightrun,
			CheckInterval: opts.BackendCheckInterval,
			CheckBackoff:  opts.RetryBaseDelay,
			SecretWatched: opts.secretWatched,
		}),
		userResync:  make(chan event.GenericEvent, 1024),
		poolResync:  make(chan event.GenericEvent, 256),
		retryBucket: rate.NewLimiter(rate.Limit(opts.RetryQPS), opts.RetryBurst),
		directory:   newDirectory(),
	}
	setups := []struct {
		name  string
		setup func(manager.Manager) error
	}{
		{"IdentityConfig", (&IdentityConfigReconciler{shared: s}).SetupWithManager},
		{"ScimUser", (&ScimUserReconciler{shared: s}).SetupWithManager},
		{"AgentPool", (&AgentPoolReconciler{shared: s}).SetupWithManager},
		{"ScimGroup", (&ScimGroupReconciler{shared: s}).SetupWithManager},
	}
	for _, c := range setups {
		if err := c.setup(mgr); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", c.name, err)
		}
	}
	return nil
}
