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
	"errors"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// object is an API object a reconciler writes the status of.
type object[T any] interface {
	client.Object
	DeepCopy() T
}

// statusOf reaches the status of one kind of object and its
// observedGeneration.
type statusOf[T, S any] func(obj T) (status *S, observedGeneration *int64)

var (
	identityConfigStatus statusOf[*v1.IdentityConfig, v1.IdentityConfigStatus] = func(o *v1.IdentityConfig) (*v1.IdentityConfigStatus, *int64) {
		return &o.Status, &o.Status.ObservedGeneration
	}
	agentPoolStatus statusOf[*v1.AgentPool, v1.AgentPoolStatus] = func(o *v1.AgentPool) (*v1.AgentPoolStatus, *int64) {
		return &o.Status, &o.Status.ObservedGeneration
	}
	scimUserStatus statusOf[*v1.ScimUser, v1.ScimUserStatus] = func(o *v1.ScimUser) (*v1.ScimUserStatus, *int64) {
		return &o.Status, &o.Status.ObservedGeneration
	}
	scimGroupStatus statusOf[*v1.ScimGroup, v1.ScimGroupStatus] = func(o *v1.ScimGroup) (*v1.ScimGroupStatus, *int64) {
		return &o.Status, &o.Status.ObservedGeneration
	}
)

// scope is one reconcile of one object, with Cluster API's patch-helper
// discipline: it keeps the status as it was read, and when the reconcile
// ends (close, deferred) it writes the status once, as a merge patch of the
// status subresource carrying the generation it was computed from, and only
// when it changed; a reconcile that changes nothing writes nothing. The
// finalizer is added and removed through the scope, with merge patches (no
// read-modify-write race with the SCIM endpoint's writes of the spec).
type scope[T object[T], S any] struct {
	client client.Client
	obj    T
	status statusOf[T, S]
	before S
	// released says the finalizer was removed: the object may be gone, and
	// its status is not written any more.
	released bool
}

// openScope starts the reconcile of obj, just read.
func openScope[T object[T], S any](c client.Client, obj T, status statusOf[T, S]) *scope[T, S] {
	s := &scope[T, S]{client: c, obj: obj, status: status}
	st, _ := status(obj.DeepCopy())
	s.before = *st
	return s
}

// close writes the status when it changed, and returns what Reconcile
// returns: a failed status write is an error to retry (with the per-object
// backoff), whatever the reconcile decided.
func (s *scope[T, S]) close(ctx context.Context, res ctrl.Result, err error) (ctrl.Result, error) {
	if s.released {
		return res, err
	}
	st, observed := s.status(s.obj)
	*observed = s.obj.GetGeneration()
	if equality.Semantic.DeepEqual(s.before, *st) {
		return res, err
	}
	base := s.obj.DeepCopy()
	baseStatus, _ := s.status(base)
	*baseStatus = s.before
	if werr := s.client.Status().Patch(ctx, s.obj, client.MergeFrom(base)); werr != nil {
		if werr = client.IgnoreNotFound(werr); werr != nil {
			return ctrl.Result{}, errors.Join(err, fmt.Errorf("writing status: %w", werr))
		}
	}
	return res, err
}

// record writes one change of the status at once, ahead of the rest of the
// reconcile: a write-ahead record that must be stored before the reconcile
// acts on the world. set is applied to the status as last written and to
// the status being computed; the patch carries only what set changed, never
// the rest of the status the reconcile has computed so far. set must make
// the values it stores (no pointer shared between the two statuses).
func (s *scope[T, S]) record(ctx context.Context, set func(*S)) error {
	base := s.obj.DeepCopy()
	baseStatus, _ := s.status(base)
	*baseStatus = s.before
	next := base.DeepCopy()
	nextStatus, _ := s.status(next)
	set(nextStatus)
	if err := s.client.Status().Patch(ctx, next, client.MergeFrom(base)); err != nil {
		return err
	}
	set(&s.before)
	st, _ := s.status(s.obj)
	set(st)
	s.obj.SetResourceVersion(next.GetResourceVersion())
	return nil
}

// ensureFinalizer adds the operator's finalizer.
func (s *scope[T, S]) ensureFinalizer(ctx context.Context) error {
	if controllerutil.ContainsFinalizer(s.obj, v1.FinalizerLightrun) {
		return nil
	}
	// On the version read: a merge patch replaces the whole list, and
	// the SCIM endpoint may have added its name guard since.
	patch := client.MergeFromWithOptions(s.obj.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.AddFinalizer(s.obj, v1.FinalizerLightrun)
	if err := s.client.Patch(ctx, s.obj, patch); err != nil {
		return fmt.Errorf("adding finalizer: %w", err)
	}
	return nil
}

// removeFinalizer lets the object go: its work in Lightrun is done.
func (s *scope[T, S]) removeFinalizer(ctx context.Context) error {
	s.released = true
	if !controllerutil.ContainsFinalizer(s.obj, v1.FinalizerLightrun) {
		return nil
	}
	// Only this finalizer, by its index, tested: a merge patch would write
	// back the whole list as read, and with it a finalizer someone removed
	// since (the SCIM endpoint's name guard), which the API server refuses
	// on an object being deleted.
	i := slices.Index(s.obj.GetFinalizers(), v1.FinalizerLightrun)
	patch := fmt.Sprintf(`[{"op":"test","path":"/metadata/finalizers/%d","value":%q},{"op":"remove","path":"/metadata/finalizers/%d"}]`,
		i, v1.FinalizerLightrun, i)
	if err := s.client.Patch(ctx, s.obj, client.RawPatch(types.JSONPatchType, []byte(patch))); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("removing finalizer: %w", err))
	}
	return nil
}

// finished reports whether a phase that returned res and err is done: a
// phase that is not returns an error or a result that says when to retry.
func finished(res ctrl.Result, err error) bool {
	return err == nil && res.IsZero()
}

// observeReconcile records a reconcile's duration and outcome.
func observeReconcile(controller string, start time.Time, outcome string) {
	if outcome == "" {
		outcome = "None"
	}
	metricReconcileDuration.WithLabelValues(controller, outcome).Observe(time.Since(start).Seconds())
}
