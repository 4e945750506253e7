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

// Package kubestore stores the SCIM endpoint's users and groups as ScimUser
// and ScimGroup custom resources. Reads come from the manager's informer
// cache through field indexes, and users by userName, externalId and email
// through internal/userindex; writes go to the API server, which also
// enforces uniqueness (see claims.go); every write waits until the cache has
// seen it, so that a read right after a write sees the write.
package kubestore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/google/uuid"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/userindex"
)

// Options tunes a Store; zero values mean the defaults.
type Options struct {
	// CacheWait bounds how long a write waits for the cache to see it (default 2s).
	CacheWait time.Duration
	// ClaimGrace is how old an unowned uniqueness claim must be before it
	// counts as abandoned by a crashed create (default 30s).
	ClaimGrace time.Duration
	// MemberWorkers is how many users a membership change updates at once (default 16).
	MemberWorkers int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Store implements store.Users and store.Groups on the Kubernetes API.
type Store struct {
	// cached reads from the informer cache, writes to the API server.
	cached client.Client
	// live reads from the API server directly.
	live   client.Reader
	claims claims
	opts   Options
	// userOrder and groupOrder keep each tenant's objects in list order.
	userOrder  *order[*v1.ScimUser]
	groupOrder *order[*v1.ScimGroup]
	// userIndex finds users by userName, externalId and email.
	userIndex *userindex.Index
	// cacheSignal wakes the writes waiting for the orders and the index;
	// they look again every recheck (default cacheRecheck) besides.
	cacheSignal signal
	recheck     time.Duration
	// occupied holds, per namespace, the zero time once every user claim
	// there occupies its name (claimsOccupy), else when to look again.
	occupied sync.Map
}

var (
	_ store.Users  = &Store{}
	_ store.Groups = &Store{}
)

// Cluster is what a Store runs on: a manager (or cluster) whose cache has
// the indexes of index.Setup.
type Cluster interface {
	// GetClient reads from the informer cache and writes to the API server.
	GetClient() client.Client
	// GetAPIReader reads the API server directly.
	GetAPIReader() client.Reader
	// GetCache is the informer cache the list order is fed from.
	GetCache() cache.Cache
}

// defaultCacheWait and defaultClaimGrace are Options.CacheWait and
// Options.ClaimGrace when they are zero.
const (
	defaultCacheWait  = 2 * time.Second
	defaultClaimGrace = 30 * time.Second
)

// DefaultMemberWorkers is Options.MemberWorkers when it is zero.
const DefaultMemberWorkers = 16

// New returns a Store on cl. It registers handlers on cl's ScimUser and
// ScimGroup informers, so call it before cl starts.
func New(ctx context.Context, cl Cluster, opts Options) (*Store, error) {
	s := storeOn(cl.GetClient(), cl.GetAPIReader(), opts)
	s.userOrder = newOrder(func(u *v1.ScimUser) string { return u.Spec.IdentityConfigRef.Name })
	s.groupOrder = newOrder(func(g *v1.ScimGroup) string { return g.Spec.IdentityConfigRef.Name })
	s.userOrder.observed = s.cacheSignal.notify
	s.groupOrder.observed = s.cacheSignal.notify
	if err := s.userOrder.watch(ctx, cl.GetCache(), &v1.ScimUser{}); err != nil {
		return nil, err
	}
	users, err := userindex.For(ctx, cl.GetCache())
	if err != nil {
		return nil, err
	}
	users.Observe(s.cacheSignal.notify)
	s.userIndex = users
	if err := s.groupOrder.watch(ctx, cl.GetCache(), &v1.ScimGroup{}); err != nil {
		return nil, err
	}
	return s, nil
}

// storeOn returns a Store that writes with c and reads the API server with
// live, opts defaulted, without the cache's orders and index (New adds
// them): enough for the claims and the name occupation.
func storeOn(c client.Client, live client.Reader, opts Options) *Store {
	if opts.CacheWait == 0 {
		opts.CacheWait = defaultCacheWait
	}
	if opts.ClaimGrace == 0 {
		opts.ClaimGrace = defaultClaimGrace
	}
	if opts.MemberWorkers == 0 {
		opts.MemberWorkers = DefaultMemberWorkers
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{
		cached: c,
		live:   live,
		claims: claims{client: c, live: live, grace: opts.ClaimGrace, now: opts.Now},
		opts:   opts,
	}
}

// newID returns a SCIM id: a random UUID, stable for the resource's life
// (RFC 7643 §3.1: "id" is assigned by the service provider and never reassigned).
func newID() string { return uuid.NewString() }

// classify maps an API server error to the store's sentinel errors, keeping
// the original for its message.
func classify(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%s: %w: %w", what, store.ErrNotFound, err)
	case apierrors.IsConflict(err):
		return fmt.Errorf("%s: %w: %w", what, store.ErrPrecondition, err)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err), apierrors.IsRequestEntityTooLargeError(err):
		return fmt.Errorf("%s: %w: %w", what, store.ErrInvalid, err)
	case unavailable(err):
		return fmt.Errorf("%s: %w: %w", what, store.ErrUnavailable, err)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}

// unavailable reports errors that mean the API server cannot serve now:
// the caller should retry later (503 + Retry-After), not give up.
func unavailable(err error) bool {
	if apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsServiceUnavailable(err) ||
		apierrors.IsTooManyRequests(err) || apierrors.IsInternalError(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, context.DeadlineExceeded)
}

// waitForCache blocks until this replica's list order and, for a ScimUser,
// its userindex (both fed by the informer, after the cache's own indexes, by
// handlers that run independently) hold obj at resourceVersion rv or later
// (or, with rv empty, no longer hold it live), so that the next read on this replica
// sees the write. It gives up quietly after CacheWait: the read paths fall
// back to the API server for the lookups IdPs make right after a write, so a
// slow cache costs consistency only for list queries.
func (s *Store) waitForCache(ctx context.Context, obj client.Object, rv string) {
	key := types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
	var seen func() bool
	switch o := obj.(type) {
	case *v1.ScimUser:
		seen = func() bool { return s.userOrder.has(key, rv, atLeast) && s.userIndex.Holds(o, rv, atLeast) }
	case *v1.ScimGroup:
		seen = func() bool { return s.groupOrder.has(key, rv, atLeast) }
	default:
		return
	}
	if seen() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CacheWait)
	defer cancel()
	// A look every cacheRecheck besides the wake-ups, should a change
	// ever reach the cache without its handlers passing it on.
	every := s.recheck
	if every == 0 {
		every = cacheRecheck
	}
	recheck := time.NewTicker(every)
	defer recheck.Stop()
	for {
		woken, stop := s.cacheSignal.subscribe(key)
		if seen() {
			stop()
			return
		}
		select {
		case <-woken:
		case <-recheck.C:
		case <-ctx.Done():
		}
		stop()
		if ctx.Err() != nil {
			return
		}
	}
}

// cacheRecheck is how often a write waiting for the cache looks again
// without being woken.
const cacheRecheck = 100 * time.Millisecond

// atLeast reports whether resourceVersion got is want or later.
func atLeast(got, want string) bool {
	cmp, err := resourceversion.CompareResourceVersion(got, want)
	return err == nil && cmp >= 0
}

// stampModified records a change of obj for SCIM meta.lastModified in its
// lastModified field, a few bytes of the manager's cache where an
// annotation map of each object's own cost about 330 (every user a group
// push touches changes). The annotation earlier versions wrote goes.
func (s *Store) stampModified(obj client.Object) {
	now := metav1.NewMicroTime(s.opts.Now().UTC())
	switch o := obj.(type) {
	case *v1.ScimUser:
		o.LastModified = &now
	case *v1.ScimGroup:
		o.LastModified = &now
	}
	delete(obj.GetAnnotations(), store.AnnotationLastModified)
}
