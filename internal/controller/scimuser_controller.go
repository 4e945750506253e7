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
	"strings"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/connect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// ScimUserReconciler makes each ScimUser a Lightrun user keyed by its email:
// created or adopted (Lightrun rule 5), with the roles of its agent pools or
// the default role (Lightrun rule 4), enabled while active, deprovisioned per
// the IdentityConfig's policy when the IdP deletes it, and put back when
// someone changes it in Lightrun (Lightrun rule 3).
type ScimUserReconciler struct {
	*shared
	client.Client
	recorder recorder.EventRecorder
	now      func() time.Time
	versions *versions
}

// +kubebuilder:rbac:groups=identity.lightrun.com,resources=scimusers,verbs=get;list;watch;patch;update
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=scimusers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=scimusers/finalizers,verbs=update
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=identityconfigs;agentpools;scimgroups,verbs=get;list;watch

// Reconcile implements reconcile.Reconciler.
func (r *ScimUserReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	start := time.Now()
	u := &v1.ScimUser{}
	defer func() {
		outcome := ""
		if c := meta.FindStatusCondition(u.Status.Conditions, v1.ConditionSynced); c != nil {
			outcome = c.Reason
		}
		observeReconcile("scimuser", start, outcome)
	}()
	if err := r.versions.get(ctx, r.Client, req.NamespacedName, u); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	defer r.versions.record(u)
	ic, err := r.identityConfig(ctx, u)
	if err != nil {
		return ctrl.Result{}, err
	}
	before := u.Status.DeepCopy()
	var res ctrl.Result
	if u.DeletionTimestamp != nil {
		var done bool
		res, done, err = r.finalize(ctx, u, ic)
		if done {
			return res, err
		}
	} else {
		if err := ensureFinalizer(ctx, r.Client, u); err != nil {
			return ctrl.Result{}, err
		}
		res, err = r.sync(ctx, u, ic)
	}
	u.Status.ObservedGeneration = u.Generation
	base := u.DeepCopy()
	base.Status = *before
	if werr := writeStatus(ctx, r.Client, u, base, *before, u.Status); werr != nil {
		return ctrl.Result{}, errors.Join(err, werr)
	}
	return res, err
}

func (r *ScimUserReconciler) identityConfig(ctx context.Context, u *v1.ScimUser) (*v1.IdentityConfig, error) {
	ic := &v1.IdentityConfig{}
	err := r.Get(ctx, client.ObjectKey{Namespace: u.Namespace, Name: u.Spec.IdentityConfigRef.Name}, ic)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading IdentityConfig %s: %w", u.Spec.IdentityConfigRef.Name, err)
	}
	return ic, nil
}

func (r *ScimUserReconciler) setSynced(u *v1.ScimUser, status metav1.ConditionStatus, reason, format string, args ...any) {
	setCondition(&u.Status.Conditions, u.Generation, v1.ConditionSynced, status, reason, fmt.Sprintf(format, args...))
}

// fail records a failed Lightrun call on the user and says how to retry.
func (r *ScimUserReconciler) fail(u *v1.ScimUser, ic *v1.IdentityConfig, what string, err error) (ctrl.Result, error) {
	f := classify(err)
	if f.Unreachable {
		r.connections.ReportUnreachable(ic)
	}
	msg := fmt.Sprintf("%s: %v", what, err)
	if f.Terminal {
		msg += ". Lightrun refuses this request; it is retried when the user, its pools or the IdentityConfig change, and once per resync."
		eventf(r.recorder, u, true, v1.ReasonLightrunRejected, "Provision", "%s", msg)
	}
	r.setSynced(u, metav1.ConditionFalse, f.Reason, "%s", msg)
	return f.result()
}

// managedEmail is the email of the Lightrun user this ScimUser manages, or
// "" when it manages none: the one recorded in status once created or
// adopted, else the one the write-ahead annotation names (a create may have
// reached Lightrun before a crash kept the status from being written).
func managedEmail(u *v1.ScimUser) string {
	if u.Status.Email != "" && (u.Status.LightrunUserID != "" || u.Status.Adopted) {
		return u.Status.Email
	}
	return u.Annotations[v1.AnnotationLightrunUser]
}

// owns reports whether the Lightrun user with this email is the operator's
// for u: created for it (write-ahead annotation) or adopted by it.
func owns(u *v1.ScimUser, email string) bool {
	return u.Annotations[v1.AnnotationLightrunUser] == email ||
		(u.Status.Email == email && (u.Status.LightrunUserID != "" || u.Status.Adopted))
}

// sync brings Lightrun in line with a live ScimUser.
func (r *ScimUserReconciler) sync(ctx context.Context, u *v1.ScimUser, ic *v1.IdentityConfig) (ctrl.Result, error) {
	key, why := emailKey(u.Spec)
	if key == "" {
		msg := why + "; Lightrun keys users by email."
		if prev := managedEmail(u); prev != "" {
			msg += fmt.Sprintf(" The Lightrun user %s is left as it was.", prev)
		}
		r.setSynced(u, metav1.ConditionFalse, v1.ReasonNoEmail, "%s", msg)
		return ctrl.Result{}, nil
	}
	if ic == nil {
		r.setSynced(u, metav1.ConditionFalse, v1.ReasonIdentityConfigNotReady, "IdentityConfig %s not found; the user waits for it.", u.Spec.IdentityConfigRef.Name)
		return ctrl.Result{}, nil
	}
	if hold := provisioningHold(ic); hold != "" {
		// Woken by the IdentityConfig's watch when the hold is lifted.
		r.setSynced(u, metav1.ConditionFalse, v1.ReasonIdentityConfigNotReady, "Provisioning is held: %s", hold)
		return ctrl.Result{}, nil
	}
	owner, err := r.emailOwner(ctx, u, key)
	if err != nil {
		return ctrl.Result{}, err
	}
	if owner != nil {
		r.setSynced(u, metav1.ConditionFalse, v1.ReasonEmailInUse,
			"ScimUser %s (userName %s) of the same IdentityConfig already uses %s as its Lightrun key; Lightrun keys users by email, so this user waits until that one changes its email or is deleted.",
			owner.Name, owner.Spec.UserName, key)
		return ctrl.Result{}, nil
	}
	backend, err := r.connections.For(ctx, ic)
	if err != nil {
		var serr *connect.SecretError
		if errors.As(err, &serr) {
			r.setSynced(u, metav1.ConditionFalse, v1.ReasonIdentityConfigNotReady, "IdentityConfig %s: %s", ic.Name, serr.Message)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}

	// What the user must be in Lightrun (Lightrun rule 4).
	sel, err := newSelection(ctx, r.Client, ic)
	if err != nil {
		return ctrl.Result{}, err
	}
	defaultPool := ic.Spec.DefaultAgentPool
	if defaultPool == "" {
		p, err := backend.DefaultAgentPool(ctx)
		if err != nil {
			return r.fail(u, ic, "Finding Lightrun's default agent pool", err)
		}
		defaultPool = p.Name
	}
	pools, roles, err := sel.effective(ctx, u, defaultPool)
	if err != nil {
		return ctrl.Result{}, err
	}
	first, last := lightrunNames(u.Spec, key)
	want := connect.User{Email: key, FirstName: first, LastName: last, Roles: roles, Enabled: active(u.Spec)}

	// A difference found while nothing changed on our side since the last
	// sync was made in Lightrun: drift, reverted with a Warning (rule 3).
	steady := conditionIs(u.Status.Conditions, v1.ConditionSynced, metav1.ConditionTrue) &&
		u.Status.ObservedGeneration == u.Generation && u.Status.Email == key &&
		u.Status.LightrunUserID != "" && slices.Equal(u.Status.EffectiveRoles, roles)

	var notes []string
	if prev := managedEmail(u); prev != "" && prev != key {
		note, refused, err := r.changeEmail(ctx, u, ic, backend, prev, key)
		if err != nil {
			return r.fail(u, ic, "Changing the user's email from "+prev+" to "+key, err)
		}
		if refused {
			return ctrl.Result{}, nil
		}
		notes = append(notes, note)
		steady = false
	}

	lu, changed, refused, err := r.ensureUser(ctx, u, ic, backend, want)
	if err != nil {
		return r.fail(u, ic, "Provisioning Lightrun user "+key, err)
	}
	if refused {
		return ctrl.Result{}, nil
	}
	converged, err := r.converge(ctx, u, backend, lu, want, steady)
	if err != nil {
		return r.fail(u, ic, "Updating Lightrun user "+key, err)
	}
	changed = changed || converged

	wasSynced := conditionIs(u.Status.Conditions, v1.ConditionSynced, metav1.ConditionTrue)
	u.Status.LightrunUserID = lu.ID
	u.Status.Email = key
	u.Status.EffectiveAgentPools = pools
	u.Status.EffectiveRoles = roles
	if changed || !wasSynced || u.Status.LastSyncTime == nil {
		u.Status.LastSyncTime = &metav1.Time{Time: r.now()}
	}
	reason, state := v1.ReasonReconciled, "enabled"
	if !want.Enabled {
		reason, state = v1.ReasonDeprovisioned, "disabled (the IdP marked the user inactive)"
	}
	msg := fmt.Sprintf("Lightrun user %s is %s with roles %v in agent pools %v.", key, state, roles, pools)
	if u.Status.Adopted {
		msg += " It existed in Lightrun before and was adopted (provisionExistingUsers)."
	}
	for _, n := range notes {
		msg += " " + n
	}
	r.setSynced(u, metav1.ConditionTrue, reason, "%s", msg)
	return ctrl.Result{}, nil
}

// emailOwner returns another ScimUser of the same IdentityConfig that holds
// key as its Lightrun key and wins it over u: the one that already manages
// the Lightrun user (even while it is being deleted: its finalizer is about
// to deprovision that user), else the older live one (then the first by name).
func (r *ScimUserReconciler) emailOwner(ctx context.Context, u *v1.ScimUser, key string) (*v1.ScimUser, error) {
	ic := u.Spec.IdentityConfigRef.Name
	seen := map[string]bool{u.Name: true}
	var rivals []*v1.ScimUser
	for _, field := range []index.TenantField{index.ScimUserEmail, index.ScimUserName} {
		var l v1.ScimUserList
		if err := r.List(ctx, &l, client.InNamespace(u.Namespace), field.Is(ic, key)); err != nil {
			return nil, fmt.Errorf("listing ScimUsers with email %s: %w", key, err)
		}
		for i := range l.Items {
			o := &l.Items[i]
			if seen[o.Name] {
				continue
			}
			seen[o.Name] = true
			if k, _ := emailKey(o.Spec); k == key || managedEmail(o) == key {
				rivals = append(rivals, o)
			}
		}
	}
	if managedEmail(u) == key {
		return nil, nil
	}
	for _, o := range rivals {
		if managedEmail(o) == key {
			return o, nil
		}
	}
	for _, o := range rivals {
		if o.DeletionTimestamp != nil {
			continue
		}
		if o.CreationTimestamp.Before(&u.CreationTimestamp) ||
			(o.CreationTimestamp.Equal(&u.CreationTimestamp) && o.Name < u.Name) {
			return o, nil
		}
	}
	return nil, nil
}

// changeEmail handles an email change. Lightrun keys users by email and has
// no rename, so the Lightrun user of the old email is deprovisioned per the
// IdentityConfig's deprovisionPolicy and the new email is provisioned as a
// user of its own (created, or adopted under provisionExistingUsers). When
// the new email belongs to a Lightrun user the operator may not adopt, the
// change is refused and the old user is left untouched.
func (r *ScimUserReconciler) changeEmail(ctx context.Context, u *v1.ScimUser, ic *v1.IdentityConfig, backend connect.Lightrun, prev, key string) (string, bool, error) {
	if !ic.Spec.ProvisionExistingUsers && !owns(u, key) {
		_, err := backend.User(ctx, key)
		switch {
		case err == nil:
			r.setSynced(u, metav1.ConditionFalse, v1.ReasonExistingUnmanagedUser,
				"The user's email changed from %s to %s, but %s already belongs to a Lightrun user the operator does not manage and provisionExistingUsers is false (Lightrun rule 5). The Lightrun user %s is left as it was.",
				prev, key, key, prev)
			return "", true, nil
		case !lightrun.IsNotFound(err):
			return "", false, err
		}
	}
	done, err := r.deprovision(ctx, backend, ic, prev)
	if err != nil {
		return "", false, err
	}
	note := fmt.Sprintf("The email changed from %s: Lightrun keys users by email and cannot rename one, so %s was %s (deprovisionPolicy %s) and %s is a Lightrun user of its own.",
		prev, prev, done, policyOf(ic), key)
	eventf(r.recorder, u, false, EventEmailChanged, "ChangeEmail", "%s", note)
	u.Status.LightrunUserID = ""
	u.Status.Adopted = false
	u.Status.Email = ""
	return note, false, nil
}

func policyOf(ic *v1.IdentityConfig) v1.DeprovisionPolicy {
	if ic.Spec.DeprovisionPolicy == "" {
		return v1.DeprovisionDisable
	}
	return ic.Spec.DeprovisionPolicy
}

// deprovision applies the IdentityConfig's deprovisionPolicy to a Lightrun
// user and says what it did. A user already gone is fine.
func (r *ScimUserReconciler) deprovision(ctx context.Context, backend connect.Lightrun, ic *v1.IdentityConfig, email string) (string, error) {
	var err error
	done := "disabled"
	if policyOf(ic) == v1.DeprovisionDelete {
		done = "deleted"
		err = backend.DeleteUser(ctx, email)
	} else {
		err = backend.SetUserEnabled(ctx, email, false)
	}
	if lightrun.IsNotFound(err) {
		return "already absent from Lightrun", nil
	}
	return done, err
}

// ensureUser finds or creates the Lightrun user. Creation is idempotent: the
// user is looked up first, the write-ahead annotation is recorded before the
// create call, and a Conflict on a user the annotation names is the
// operator's own earlier create (a retry, or a crash before the status was
// written), so it is taken over, not refused.
func (r *ScimUserReconciler) ensureUser(ctx context.Context, u *v1.ScimUser, ic *v1.IdentityConfig, backend connect.Lightrun, want connect.User) (*connect.User, bool, bool, error) {
	lu, err := backend.User(ctx, want.Email)
	switch {
	case err == nil:
		if owns(u, want.Email) {
			return lu, false, false, nil
		}
		if !ic.Spec.ProvisionExistingUsers {
			u.Status.Email = want.Email
			u.Status.LightrunUserID = ""
			r.setSynced(u, metav1.ConditionFalse, v1.ReasonExistingUnmanagedUser,
				"A Lightrun user with email %s already exists and the operator does not manage it; set provisionExistingUsers: true on IdentityConfig %s to adopt it (Lightrun rule 5).",
				want.Email, ic.Name)
			return nil, false, true, nil
		}
		// Lightrun rule 5: migrate the existing user under management.
		u.Status.Adopted = true
		eventf(r.recorder, u, false, EventUserAdopted, "AdoptUser",
			"Adopted the existing Lightrun user %s (provisionExistingUsers); the operator manages it from now on.", want.Email)
		return lu, true, false, nil
	case !lightrun.IsNotFound(err):
		return nil, false, false, err
	}

	deletedInLightrun := u.Status.LightrunUserID != "" && u.Status.Email == want.Email
	if u.Annotations[v1.AnnotationLightrunUser] != want.Email {
		base := u.DeepCopy()
		if u.Annotations == nil {
			u.Annotations = map[string]string{}
		}
		u.Annotations[v1.AnnotationLightrunUser] = want.Email
		// The patch answers with the stored object; the status this
		// reconcile is computing must survive it.
		status := u.Status.DeepCopy()
		if err := r.Patch(ctx, u, client.MergeFrom(base)); err != nil {
			return nil, false, false, fmt.Errorf("recording the create of %s: %w", want.Email, err)
		}
		u.Status = *status
	}
	lu, err = backend.CreateUser(ctx, want)
	if lightrun.IsConflict(err) {
		// Our own earlier create (the annotation was written before it).
		lu, err = backend.User(ctx, want.Email)
	}
	if err != nil {
		return nil, false, false, err
	}
	if deletedInLightrun {
		metricDriftReverted.WithLabelValues(driftUserDeleted).Inc()
		eventf(r.recorder, u, true, EventDriftReverted, "RecreateUser",
			"Lightrun user %s was deleted in Lightrun; re-created it (SCIM-managed users are read-only, Lightrun rule 3).", want.Email)
	} else {
		eventf(r.recorder, u, false, EventUserCreated, "CreateUser", "Created Lightrun user %s with roles %v.", want.Email, want.Roles)
	}
	return lu, true, false, nil
}

// converge updates the names, roles and enabled state of an existing user.
func (r *ScimUserReconciler) converge(ctx context.Context, u *v1.ScimUser, backend connect.Lightrun, lu *connect.User, want connect.User, drift bool) (bool, error) {
	changed := false
	var diffs []string
	if lu.FirstName != want.FirstName {
		diffs = append(diffs, fmt.Sprintf("first name %q → %q", lu.FirstName, want.FirstName))
	}
	if lu.LastName != want.LastName {
		diffs = append(diffs, fmt.Sprintf("last name %q → %q", lu.LastName, want.LastName))
	}
	if have := normalRoles(lu.Roles); !slices.Equal(have, want.Roles) {
		diffs = append(diffs, fmt.Sprintf("roles %v → %v", have, want.Roles))
	}
	if len(diffs) > 0 {
		updated, err := backend.UpdateUser(ctx, want)
		if err != nil {
			return false, err
		}
		*lu = *updated
		changed = true
		if drift {
			metricDriftReverted.WithLabelValues(driftUserEdited).Inc()
			eventf(r.recorder, u, true, EventDriftReverted, "RevertUser", "Lightrun user %s was edited in Lightrun; reverted %s (Lightrun rule 3).", want.Email, strings.Join(diffs, ", "))
		} else {
			eventf(r.recorder, u, false, EventUserUpdated, "UpdateUser", "Updated Lightrun user %s: %s.", want.Email, strings.Join(diffs, ", "))
		}
	}
	if lu.Enabled != want.Enabled {
		if err := backend.SetUserEnabled(ctx, want.Email, want.Enabled); err != nil {
			return changed, err
		}
		lu.Enabled = want.Enabled
		changed = true
		state, reason := "disabled", EventUserDisabled
		if want.Enabled {
			state, reason = "enabled", EventUserEnabled
		}
		if drift {
			metricDriftReverted.WithLabelValues(driftUserDisabled).Inc()
			eventf(r.recorder, u, true, EventDriftReverted, "RevertUserState", "Lightrun user %s was %s in Lightrun; %s it again (Lightrun rule 3).", want.Email, map[bool]string{true: "disabled", false: "enabled"}[want.Enabled], state)
		} else {
			eventf(r.recorder, u, false, reason, "SetUserState", "Lightrun user %s %s (SCIM active=%t).", want.Email, state, want.Enabled)
		}
	}
	return changed, nil
}

// finalize deprovisions the Lightrun user of a deleted ScimUser per the
// IdentityConfig's deprovisionPolicy, then lets the object go. done is true
// when the object needs no status write (the finalizer is gone).
func (r *ScimUserReconciler) finalize(ctx context.Context, u *v1.ScimUser, ic *v1.IdentityConfig) (ctrl.Result, bool, error) {
	if !controllerutil.ContainsFinalizer(u, v1.FinalizerLightrun) {
		return ctrl.Result{}, true, nil
	}
	email := managedEmail(u)
	switch {
	case email == "":
		// Never provisioned (refused, or still waiting): nothing in Lightrun.
		return ctrl.Result{}, true, removeFinalizer(ctx, r.Client, u)
	case ic == nil:
		eventf(r.recorder, u, true, EventLeftInLightrun, "LeaveUser",
			"IdentityConfig %s is gone, so Lightrun cannot be reached for this user; Lightrun user %s is left as it is.", u.Spec.IdentityConfigRef.Name, email)
		return ctrl.Result{}, true, removeFinalizer(ctx, r.Client, u)
	}
	if hold := provisioningHold(ic); hold != "" {
		r.setSynced(u, metav1.ConditionFalse, v1.ReasonDeleting, "Deprovisioning Lightrun user %s is held: %s", email, hold)
		return ctrl.Result{}, false, nil
	}
	backend, err := r.connections.For(ctx, ic)
	if err != nil {
		return ctrl.Result{}, false, err
	}
	done, err := r.deprovision(ctx, backend, ic, email)
	if err != nil {
		res, err := r.fail(u, ic, "Deprovisioning Lightrun user "+email, err)
		return res, false, err
	}
	reason := EventUserDisabled
	if policyOf(ic) == v1.DeprovisionDelete {
		reason = EventUserDeleted
	}
	eventf(r.recorder, u, false, reason, "Deprovision", "The IdP deleted the user: Lightrun user %s %s (deprovisionPolicy %s).", email, done, policyOf(ic))
	return ctrl.Result{}, true, removeFinalizer(ctx, r.Client, u)
}

// SetupWithManager registers the controller and its watches.
func (r *ScimUserReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Client = mgr.GetClient()
	r.recorder = mgr.GetEventRecorder("scimuser-controller")
	r.now = time.Now
	r.versions = newVersions(mgr.GetAPIReader())
	return ctrl.NewControllerManagedBy(mgr).
		Named("scimuser").
		For(&v1.ScimUser{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1.IdentityConfig{}, r.configChanges()).
		Watches(&v1.AgentPool{}, handler.EnqueueRequestsFromMapFunc(r.usersOfPool),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1.ScimGroup{}, handler.EnqueueRequestsFromMapFunc(r.membersOfGroup),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// A user whose email another user holds waits for that one.
		Watches(&v1.ScimUser{}, handler.EnqueueRequestsFromMapFunc(r.sharingEmail),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.userResync, &handler.EnqueueRequestForObject{})).
		WithOptions(r.controllerOptions(r.opts.MaxConcurrentReconciles)).
		Complete(r)
}

func (r *ScimUserReconciler) listUsers(ctx context.Context, ns string, match client.MatchingFields) []v1.ScimUser {
	var l v1.ScimUserList
	if err := r.List(ctx, &l, client.InNamespace(ns), match); err != nil {
		logf.FromContext(ctx).Error(err, "Listing ScimUsers", "match", match)
		return nil
	}
	return l.Items
}

func requestsFor(users []v1.ScimUser, keep func(*v1.ScimUser) bool) []reconcile.Request {
	out := make([]reconcile.Request, 0, len(users))
	for i := range users {
		if keep == nil || keep(&users[i]) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&users[i])})
		}
	}
	return out
}

// configChanges requeues an IdentityConfig's users: all of them when its spec
// changes (roles, policies), and those still waiting when a hold is lifted
// (SSO turned on, Lightrun back after an outage, the duplicate removed).
func (r *ScimUserReconciler) configChanges() handler.EventHandler {
	all := func(ctx context.Context, o client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request], keep func(*v1.ScimUser) bool) {
		for _, req := range requestsFor(r.listUsers(ctx, o.GetNamespace(), index.ScimTenant.Is(o.GetName())), keep) {
			q.Add(req)
		}
	}
	waiting := func(u *v1.ScimUser) bool {
		return u.DeletionTimestamp != nil || !conditionIs(u.Status.Conditions, v1.ConditionSynced, metav1.ConditionTrue)
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			all(ctx, e.Object, q, nil)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			o, n := e.ObjectOld.(*v1.IdentityConfig), e.ObjectNew.(*v1.IdentityConfig)
			switch {
			case o.Generation != n.Generation:
				all(ctx, n, q, nil)
			case provisioningHold(o) != "" && provisioningHold(n) == "":
				all(ctx, n, q, waiting)
			}
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			all(ctx, e.Object, q, nil)
		},
	}
}

// usersOfPool maps an AgentPool to the users whose pools or roles it decides.
func (r *ScimUserReconciler) usersOfPool(ctx context.Context, o client.Object) []reconcile.Request {
	p := o.(*v1.AgentPool)
	sel, err := selectionOf(ctx, r.Client, p.Namespace, p.Spec.IdentityConfigRef.Name)
	if err == nil {
		var users []v1.ScimUser
		if users, err = sel.usersOf(ctx, p); err == nil {
			return requestsFor(users, nil)
		}
	}
	logf.FromContext(ctx).Error(err, "Finding the users of an AgentPool", "agentPool", p.Name)
	return nil
}

// membersOfGroup maps a ScimGroup (renamed, created, deleted) to its members.
func (r *ScimUserReconciler) membersOfGroup(ctx context.Context, o client.Object) []reconcile.Request {
	g := o.(*v1.ScimGroup)
	return requestsFor(r.listUsers(ctx, g.Namespace, index.ScimUserGroup.Is(g.Spec.IdentityConfigRef.Name, g.Name)), nil)
}

// sharingEmail maps a ScimUser to the other users with the same Lightrun key.
func (r *ScimUserReconciler) sharingEmail(ctx context.Context, o client.Object) []reconcile.Request {
	u := o.(*v1.ScimUser)
	key, _ := emailKey(u.Spec)
	if key == "" {
		return nil
	}
	ic := u.Spec.IdentityConfigRef.Name
	var out []reconcile.Request
	for _, field := range []index.TenantField{index.ScimUserEmail, index.ScimUserName} {
		out = append(out, requestsFor(r.listUsers(ctx, u.Namespace, field.Is(ic, key)), func(other *v1.ScimUser) bool {
			return other.Name != u.Name
		})...)
	}
	return out
}
