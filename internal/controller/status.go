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
	"errors"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/connect"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// maxConditionMessage bounds condition messages (metav1.Condition allows 32768).
const maxConditionMessage = 2048

// setCondition sets a condition with the object's generation; the transition
// time moves only when the status changes.
func setCondition(conds *[]metav1.Condition, generation int64, typ string, status metav1.ConditionStatus, reason, msg string) {
	if len(msg) > maxConditionMessage {
		msg = msg[:maxConditionMessage-3] + "..."
	}
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: generation,
	})
}

// conditionReason is the reason of the condition typ, or "" without one.
func conditionReason(conds []metav1.Condition, typ string) string {
	if c := meta.FindStatusCondition(conds, typ); c != nil {
		return c.Reason
	}
	return ""
}

// conditionIs reports whether the condition typ has this status.
func conditionIs(conds []metav1.Condition, typ string, status metav1.ConditionStatus) bool {
	c := meta.FindStatusCondition(conds, typ)
	return c != nil && c.Status == status
}

// failure is a Lightrun error turned into what a reconciler does about it:
// the condition reason, whether retrying can help, and when to retry.
type failure struct {
	Reason string
	// Terminal failures are rejections retrying cannot fix (reconcile.TerminalError).
	Terminal bool
	// Unreachable failures are reported to the IdentityConfig, which then
	// holds its users' work until Lightrun answers again.
	Unreachable bool
	// RetryAfter is Lightrun's Retry-After, when it sent one.
	RetryAfter time.Duration
	Err        error
}

// classify maps an error from Lightrun (or from the way there) to a failure.
func classify(err error) failure {
	f := failure{Err: err, RetryAfter: lightrun.RetryAfter(err)}
	var serr *connect.SecretError
	switch {
	case errors.As(err, &serr):
		f.Reason = serr.Reason
	case lightrun.IsRateLimited(err):
		f.Reason = v1.ReasonRateLimited
	case lightrun.IsUnauthorized(err):
		f.Reason, f.Unreachable = v1.ReasonUnauthorized, true
	case lightrun.IsForbidden(err):
		f.Reason = v1.ReasonForbidden
	case lightrun.IsInvalid(err):
		// A 400 for a role RBAC forbids, an over-long name...: the same
		// request will be refused again until the spec or Lightrun changes.
		f.Reason, f.Terminal = v1.ReasonLightrunRejected, true
	case lightrun.IsUnavailable(err):
		f.Reason, f.Unreachable = v1.ReasonBackendUnreachable, true
	default:
		// Unknown answers and our own API server errors: retry with backoff.
		f.Reason = v1.ReasonBackendUnreachable
	}
	return f
}

// result turns a failure into what Reconcile returns: Retry-After when
// Lightrun gave one (respected exactly, Lightrun rule of HTTP 429), a
// terminal error for rejections, otherwise the error itself so that the
// per-object exponential backoff (and the global bucket) paces the retry.
func (f failure) result() (ctrl.Result, error) {
	switch {
	case f.RetryAfter > 0:
		return ctrl.Result{RequeueAfter: f.RetryAfter}, nil
	case f.Terminal:
		return ctrl.Result{}, reconcile.TerminalError(f.Err)
	default:
		return ctrl.Result{}, f.Err
	}
}
