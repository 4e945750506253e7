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
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/userindex"
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
	journal  *createJournal
	// live reads the API server: the name claim a guard names.
	live client.Reader
}

// +kubebuilder:rbac:groups=identity.lightrun.com,resources=scimusers,verbs=get;list;watch;patch;update
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=scimusers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=scimusers/finalizers,verbs=update
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=identityconfigs;agentpools;scimgroups,verbs=get;list;watch
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=identityconfigs/status,verbs=get;update;patch

// Reconcile implements reconcile.Reconciler.
func (r *ScimUserReconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, err error) {
	start := time.Now()
	u := &v1.ScimUser{}
	defer func() { observeReconcile("scimuser", start, conditionReason(u.Status.Conditions, v1.ConditionSynced)) }()
	if err := r.versions.get(ctx, r.Client, req.NamespacedName, u); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	defer r.versions.wrote(u, u.ResourceVersion)
	ic, err := r.identityConfig(ctx, u)
	if err != nil {
		return ctrl.Result{}, err
	}
	if ic != nil {
		if err := r.journal.load(ctx, tenantOf(u)); err != nil {
			return ctrl.Result{}, err
		}
	}
	s := openScope(r.Client, u, scimUserStatus)
	defer func() { res, err = s.close(ctx, res, err) }()
	if err := r.migrateCreateRecord(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if u.DeletionTimestamp != nil {
		res, err := r.finalize(ctx, s, ic)
		if finished(res, err) && !controllerutil.ContainsFinalizer(u, v1.FinalizerLightrun) {
			// Deprovisioned: the userName it held by a claim is free.
			if err := kubestore.ReleaseNames(ctx, r.Client, r.live, u); err != nil {
				return ctrl.Result{}, fmt.Errorf("releasing the userName of a deleted user: %w", err)
			}
			return r.releaseStaleGuard(ctx, u)
		}
		return res, err
	}
	if err := s.ensureFinalizer(ctx); err != nil {
		return ctrl.Result{}, err
	}
	return r.sync(ctx, s, ic)
}

func (r *ScimUserReconciler) identityConfig(ctx context.Context, u *v1.ScimUser) (*v1.IdentityConfig, error) {
	ic := &v1.IdentityConfig{}
	err := r.Get(ctx, tenantOf(u), ic)
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
// adopted, else the one the write-ahead record names (a create may have
// reached Lightrun before a crash kept the status from being written).
func (r *ScimUserReconciler) managedEmail(u *v1.ScimUser) string {
	if u.Status.Email != "" && (u.Status.LightrunUserID != "" || u.Status.Adopted) {
		return u.Status.Email
	}
	if a := r.createAttempt(u); a != nil {
		return a.Email
	}
	return ""
}

// createAttempt is the write-ahead record of u's last create call, or nil:
// the one in the IdentityConfig's journal or the one in u's status,
// whichever is newer.
func (r *ScimUserReconciler) createAttempt(u *v1.ScimUser) *v1.LightrunCreateAttempt {
	a := u.Status.CreateAttempt
	if e := r.journal.attempt(u); e != nil && (a == nil || e.Time.After(a.Time.Time)) {
		return e
	}
	return a
}

// owns reports whether the status records the Lightrun user with this email
// as the operator's for u: created for it or adopted by it.
func owns(u *v1.ScimUser, email string) bool {
	return u.Status.Email == email && (u.Status.LightrunUserID != "" || u.Status.Adopted)
}

// Bounds of "created by our own create call": Lightrun's clock may be this
// far from the operator's, and a create call (with the client's retries and
// Retry-After waits) may take this long to land.
const (
	clockSkew    = time.Minute
	createWindow = 5 * time.Minute
)

// createdByUs reports whether the existing Lightrun user is the one the
// operator's last create call for u made (a call whose answer was lost to a
// timeout, a crash or a 5xx after the write): the write-ahead record
// (status.createAttempt) names its email, and Lightrun created it within the
// window of that call. Ownership is proven by what Lightrun holds, never
// assumed from the record alone: a user someone made by hand later is not
// the operator's.
func (r *ScimUserReconciler) createdByUs(u *v1.ScimUser, existing *connect.User) bool {
	a := r.createAttempt(u)
	if a == nil || a.Email != existing.Email || a.Time.IsZero() || existing.CreatedAt.IsZero() {
		return false
	}
	attempt := a.Time.Time
	return !existing.CreatedAt.Before(attempt.Add(-clockSkew)) && existing.CreatedAt.Before(attempt.Add(createWindow+clockSkew))
}

// sync brings Lightrun in line with a live ScimUser.
func (r *ScimUserReconciler) sync(ctx context.Context, s *scope[*v1.ScimUser, v1.ScimUserStatus], ic *v1.IdentityConfig) (ctrl.Result, error) {
	u := s.obj
	key, why := emailKey(u.Spec)
	if key == "" {
		msg := why + "; Lightrun keys users by email."
		if prev := r.managedEmail(u); prev != "" {
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
		if serr, ok := errors.AsType[*connect.SecretError](err); ok {
			r.setSynced(u, metav1.ConditionFalse, v1.ReasonIdentityConfigNotReady, "IdentityConfig %s: %s", ic.Name, serr.Message)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}

	want, pools, err := r.desired(ctx, u, ic, backend, key)
	if _, fromLightrun := errors.AsType[*lightrun.Error](err); fromLightrun {
		return r.fail(u, ic, "Finding Lightrun's default agent pool", err)
	} else if err != nil {
		return ctrl.Result{}, err
	}
	roles := want.Roles

	// A difference found while nothing changed on our side since the last
	// sync was made in Lightrun: drift, reverted with a Warning (rule 3).
	steady := conditionIs(u.Status.Conditions, v1.ConditionSynced, metav1.ConditionTrue) &&
		u.Status.ObservedGeneration == u.Generation && u.Status.Email == key &&
		u.Status.LightrunUserID != "" && slices.Equal(u.Status.EffectiveRoles, roles)

	var notes []string
	if prev := r.managedEmail(u); prev != "" && prev != key {
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

	res, err := r.ensureUser(ctx, s, ic, backend, want, steady)
	if err != nil {
		return r.fail(u, ic, "Provisioning Lightrun user "+key, err)
	}
	if res.found == foundRefused {
		return ctrl.Result{}, nil
	}
	lu := res.obj
	enabledChanged, err := r.setEnabled(ctx, u, backend, lu, want, steady)
	if err != nil {
		return r.fail(u, ic, "Updating Lightrun user "+key, err)
	}
	changed := res.changed() || enabledChanged

	wasSynced := conditionIs(u.Status.Conditions, v1.ConditionSynced, metav1.ConditionTrue)
	u.Status.LightrunUserID = lu.ID
	// The status now records the user: the write-ahead record has served.
	u.Status.CreateAttempt = nil
	r.journal.settle(u)
	u.Status.Email = key
	u.Status.EffectiveAgentPools = pools
	u.Status.EffectiveRoles = roles
	if changed || !wasSynced || u.Status.LastSyncTime == nil {
		u.Status.LastSyncTime = &metav1.Time{Time: r.now()}
	}
	reason, state := v1.ReasonReconciled, stateWord(true)
	if !want.Enabled {
		reason, state = v1.ReasonDeprovisioned, "disabled (the IdP marked the user inactive)"
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "Lightrun user %s is %s with roles %v in agent pools %v.", key, state, roles, pools)
	if u.Status.Adopted {
		msg.WriteString(" It existed in Lightrun before and was adopted (provisionExistingUsers).")
	}
	for _, n := range notes {
		msg.WriteString(" " + n)
	}
	r.setSynced(u, metav1.ConditionTrue, reason, "%s", msg.String())
	return ctrl.Result{}, nil
}

// desired is what the user must be in Lightrun (Lightrun rule 4), and the
// agent pools it is in. Errors from Lightrun are *lightrun.Error.
func (r *ScimUserReconciler) desired(ctx context.Context, u *v1.ScimUser, ic *v1.IdentityConfig, backend connect.Lightrun, key string) (connect.User, []string, error) {
	sel, err := newSelection(ctx, r.Client, ic)
	if err != nil {
		return connect.User{}, nil, err
	}
	defaultPool := ic.Spec.DefaultAgentPool
	if defaultPool == "" {
		p, err := backend.DefaultAgentPool(ctx)
		if err != nil {
			return connect.User{}, nil, err
		}
		defaultPool = p.Name
	}
	pools, roles, err := sel.effective(ctx, u, defaultPool)
	if err != nil {
		return connect.User{}, nil, err
	}
	first, last := lightrunNames(u.Spec, key)
	return connect.User{Email: key, FirstName: first, LastName: last, Roles: roles, Enabled: active(u.Spec)}, pools, nil
}

// stateWord names an enabled state in messages.
func stateWord(enabled bool) string {
	if enabled {
		return "enabled"
	}
	return "disabled"
}

// emailOwner returns another ScimUser of the same IdentityConfig that holds
// key as its Lightrun key and wins it over u: the one that already manages
// the Lightrun user (even while it is being deleted: its finalizer is about
// to deprovision that user), else the older live one (then the first by name).
func (r *ScimUserReconciler) emailOwner(ctx context.Context, u *v1.ScimUser, key string) (*v1.ScimUser, error) {
	ic := u.Spec.IdentityConfigRef.Name
	seen := map[string]bool{u.Name: true}
	var rivals []*v1.ScimUser
	candidates, err := lookupUsers(ctx, r.Client, u.Namespace, ic, userindex.Email, key)
	if err != nil {
		return nil, fmt.Errorf("finding the ScimUsers with email %s: %w", key, err)
	}
	for _, o := range candidates {
		if seen[o.Name] {
			continue
		}
		seen[o.Name] = true
		if k, _ := emailKey(o.Spec); k == key || r.managedEmail(o) == key {
			rivals = append(rivals, o)
		}
	}
	if r.managedEmail(u) == key {
		return nil, nil
	}
	for _, o := range rivals {
		if r.managedEmail(o) == key {
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
	done := stateWord(false)
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

// ensureUser finds or creates the Lightrun user and keeps its names and
// roles. Creation is idempotent: the user is looked up first (unless the
// last listing of Lightrun showed it absent), the write-ahead record
// (status.createAttempt) is written before the create call, and a Conflict
// on a user the record names is the operator's own earlier create (a retry,
// or a crash before the status was written), so it is taken over, not
// refused. A user that exists and is not the operator's is adopted
// under provisionExistingUsers, and refused otherwise.
func (r *ScimUserReconciler) ensureUser(ctx context.Context, s *scope[*v1.ScimUser, v1.ScimUserStatus], ic *v1.IdentityConfig, backend connect.Lightrun, want connect.User, steady bool) (ensured[connect.User], error) {
	res, err := r.ensureLightrunUser(ctx, s, ic, backend, want, steady)
	if err == nil && (res.found == foundCreated || res.found == foundRecreated) {
		r.directory.created(client.ObjectKeyFromObject(ic), want.Email)
	}
	if err == nil && res.found != foundRefused && deprovisioned(ic, want.Email) != nil {
		// The IdP provisions the email again: the resync must not disable
		// it (status.deprovisionedUsers, rule 3).
		err = forgetDeprovisioned(ctx, r.Client, client.ObjectKeyFromObject(ic), want.Email)
	}
	if refused(err) || res.found == foundRefused {
		// No user of the operator's exists under this email: the record
		// must not make one found later look like the operator's. The
		// status written when the reconcile ends drops it; the journal's
		// goes at once.
		s.obj.Status.CreateAttempt = nil
		if ferr := r.journal.forget(ctx, s.obj); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	return res, err
}

func (r *ScimUserReconciler) ensureLightrunUser(ctx context.Context, s *scope[*v1.ScimUser, v1.ScimUserStatus], ic *v1.IdentityConfig, backend connect.Lightrun, want connect.User, steady bool) (ensured[connect.User], error) {
	u := s.obj
	// The lookup is skipped only for a user no earlier create was attempted
	// for: then a refused create proves the existing user is not the
	// operator's, whatever the time the record of this attempt says.
	absent := r.createAttempt(u) == nil && r.directory.absent(client.ObjectKeyFromObject(ic), want.Email)
	return ensure(ctx, r.recorder, u, lightrunObject[connect.User]{
		kind: userKind, name: want.Email, detail: fmt.Sprintf(" with roles %v", want.Roles),
		find:   func(ctx context.Context) (*connect.User, error) { return backend.User(ctx, want.Email) },
		absent: absent,
		claim: func(existing *connect.User) found {
			switch {
			case owns(u, want.Email) || (!absent && r.createdByUs(u, existing)):
				return foundKept
			case isDeprovisioned(ic, existing):
				// The operator's own user, disabled when the IdP deleted it
				// (status.deprovisionedUsers): the IdP provisions it again.
				return foundKept
			case managedElsewhere(existing):
				u.Status.Email = want.Email
				u.Status.LightrunUserID = ""
				r.setSynced(u, metav1.ConditionFalse, v1.ReasonManagedByAnotherIdP,
					"A Lightrun user with email %s already exists and is managed by another identity provider (Lightrun's userManagementType is %s). It is never adopted, whatever provisionExistingUsers says: one identity provider per company (Lightrun rule 1).",
					want.Email, existing.ManagementType)
				return foundRefused
			case !ic.Spec.ProvisionExistingUsers:
				u.Status.Email = want.Email
				u.Status.LightrunUserID = ""
				r.setSynced(u, metav1.ConditionFalse, v1.ReasonExistingUnmanagedUser,
					"A Lightrun user with email %s already exists and the operator does not manage it; set provisionExistingUsers: true on IdentityConfig %s to adopt it (Lightrun rule 5).",
					want.Email, ic.Name)
				return foundRefused
			}
			// Lightrun rule 5: migrate the existing user under management.
			u.Status.Adopted = true
			return foundAdopted
		},
		create: func(ctx context.Context) (*connect.User, error) {
			if err := r.markCreate(ctx, s, want.Email, r.now()); err != nil {
				return nil, err
			}
			return backend.CreateUser(ctx, want)
		},
		known: u.Status.LightrunUserID != "" && u.Status.Email == want.Email,
		diff: func(have *connect.User) []string {
			var d differences
			d.add("first name", have.FirstName, want.FirstName, have.FirstName != want.FirstName)
			d.add("last name", have.LastName, want.LastName, have.LastName != want.LastName)
			roles := normalRoles(have.Roles)
			d.add("roles", roles, want.Roles, !slices.Equal(roles, want.Roles))
			return d
		},
		update: func(ctx context.Context, have *connect.User) (*connect.User, error) {
			updated, err := backend.UpdateUser(ctx, want)
			if err != nil {
				return nil, err
			}
			updated.Enabled = have.Enabled // names and roles only
			return updated, nil
		},
		steady: steady,
		idOf:   func(o *connect.User) string { return o.ID },
	})
}

// managedElsewhere reports whether Lightrun says another identity provider
// manages the user: Lightrun's own SCIM endpoint or an LDAP directory.
// SYSTEM users (created in the portal or through the API) and SAML_JIT users
// (created at their first SSO login) are Lightrun's own and may be adopted.
func managedElsewhere(u *connect.User) bool {
	switch u.ManagementType {
	case "SCIM", "LDAP":
		return true
	}
	return false
}

// markCreate writes the write-ahead record of a create call before it is
// made: the email of the Lightrun user about to be created for the
// ScimUser and the time of the attempt, so that a create that reached
// Lightrun before its answer was lost is recognised as the operator's own
// (createdByUs). The record goes into the IdentityConfig's journal, one
// write for the creates of many users (createJournal), when the ScimUser
// is older than CreateAttemptsMinAge (v1.CreateAttemptsMinAge); else, or when the journal is full
// or cannot be written, it is written at once, alone, into the ScimUser's
// status.createAttempt. The status written when the reconcile ends, which
// records the user, drops it.
func (r *ScimUserReconciler) markCreate(ctx context.Context, s *scope[*v1.ScimUser, v1.ScimUserStatus], email string, at time.Time) error {
	u := s.obj
	stamp := metav1.NewTime(at.UTC().Truncate(time.Second))
	if a := r.createAttempt(u); a != nil && a.Email == email && a.Time.Equal(&stamp) {
		return nil // already written
	}
	if at.Sub(u.CreationTimestamp.Time) >= r.opts.CreateAttemptsMinAge {
		recorded, err := r.journal.record(ctx, u, email, stamp)
		switch {
		case recorded:
			return nil
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("recording the create of %s: %w", email, err)
		case err != nil:
			logf.FromContext(ctx).Info("The IdentityConfig's create records could not be written; recording the create on the ScimUser", "error", err.Error())
		}
	}
	err := s.record(ctx, func(st *v1.ScimUserStatus) {
		st.CreateAttempt = &v1.LightrunCreateAttempt{Email: email, Time: stamp}
	})
	if err != nil {
		return fmt.Errorf("recording the create of %s: %w", email, err)
	}
	return nil
}

// migrateCreateRecord moves the write-ahead record that versions before
// status.createAttempt kept in two annotations into the status (written
// first: a crash between the two writes loses nothing), then removes the
// annotations. Only objects written by those versions carry them.
func (r *ScimUserReconciler) migrateCreateRecord(ctx context.Context, s *scope[*v1.ScimUser, v1.ScimUserStatus]) error {
	u := s.obj
	email, hasEmail := u.Annotations[v1.AnnotationLightrunUser]
	stamp, hasStamp := u.Annotations[v1.AnnotationLightrunUserCreateAttempt]
	if !hasEmail && !hasStamp {
		return nil
	}
	if email != "" && s.before.CreateAttempt == nil {
		// An unreadable time proves nothing (createdByUs): the epoch is
		// outside any create window, as a failed parse was before.
		at, err := time.Parse(time.RFC3339, stamp)
		if err != nil {
			at = time.Unix(0, 0)
		}
		if err := s.record(ctx, func(st *v1.ScimUserStatus) {
			st.CreateAttempt = &v1.LightrunCreateAttempt{Email: email, Time: metav1.NewTime(at.UTC())}
		}); err != nil {
			return fmt.Errorf("moving the write-ahead annotations of %s into status: %w", u.Name, err)
		}
	}
	base := u.DeepCopy()
	delete(u.Annotations, v1.AnnotationLightrunUser)
	delete(u.Annotations, v1.AnnotationLightrunUserCreateAttempt)
	// The patch answers with the stored object; the status this reconcile
	// is computing must survive it.
	status := u.Status.DeepCopy()
	if err := r.Patch(ctx, u, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("removing the write-ahead annotations of %s: %w", u.Name, err)
	}
	u.Status = *status
	return nil
}

// setEnabled enables or disables the Lightrun user as SCIM active says.
func (r *ScimUserReconciler) setEnabled(ctx context.Context, u *v1.ScimUser, backend connect.Lightrun, lu *connect.User, want connect.User, drift bool) (bool, error) {
	if lu.Enabled == want.Enabled {
		return false, nil
	}
	if err := backend.SetUserEnabled(ctx, want.Email, want.Enabled); err != nil {
		return false, err
	}
	lu.Enabled = want.Enabled
	state, reason := stateWord(want.Enabled), EventUserDisabled
	if want.Enabled {
		reason = EventUserEnabled
	}
	if drift {
		metricDriftReverted.WithLabelValues(driftUserDisabled).Inc()
		eventf(r.recorder, u, true, EventDriftReverted, "RevertUserState", "Lightrun user %s was %s in Lightrun; %s it again (Lightrun rule 3).", want.Email, stateWord(!want.Enabled), state)
	} else {
		eventf(r.recorder, u, false, reason, "SetUserState", "Lightrun user %s %s (SCIM active=%t).", want.Email, state, want.Enabled)
	}
	return true, nil
}

// finalize deprovisions the Lightrun user of a deleted ScimUser per the
// IdentityConfig's deprovisionPolicy, then lets the object go.
func (r *ScimUserReconciler) finalize(ctx context.Context, s *scope[*v1.ScimUser, v1.ScimUserStatus], ic *v1.IdentityConfig) (ctrl.Result, error) {
	u := s.obj
	if !controllerutil.ContainsFinalizer(u, v1.FinalizerLightrun) {
		s.released = true
		return ctrl.Result{}, nil
	}
	email := r.managedEmail(u)
	switch {
	case email == "":
		// Never provisioned (refused, or still waiting): nothing in Lightrun.
		return ctrl.Result{}, s.removeFinalizer(ctx)
	case ic == nil:
		eventf(r.recorder, u, true, EventLeftInLightrun, "LeaveUser",
			"IdentityConfig %s is gone, so Lightrun cannot be reached for this user; Lightrun user %s is left as it is.", u.Spec.IdentityConfigRef.Name, email)
		return ctrl.Result{}, s.removeFinalizer(ctx)
	}
	if hold := provisioningHold(ic); hold != "" {
		r.setSynced(u, metav1.ConditionFalse, v1.ReasonDeleting, "Deprovisioning Lightrun user %s is held: %s", email, hold)
		return ctrl.Result{}, nil
	}
	backend, err := r.connections.For(ctx, ic)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !owns(u, email) {
		// Only the write-ahead marker names the user: deprovision it only
		// when Lightrun shows the operator's create made it.
		lu, err := backend.User(ctx, email)
		switch {
		case lightrun.IsNotFound(err) || (err == nil && !r.createdByUs(u, lu)):
			return ctrl.Result{}, s.removeFinalizer(ctx)
		case err != nil:
			return r.fail(u, ic, "Looking up Lightrun user "+email, err)
		}
	}
	done, err := r.deprovision(ctx, backend, ic, email)
	if err != nil {
		return r.fail(u, ic, "Deprovisioning Lightrun user "+email, err)
	}
	if policyOf(ic) == v1.DeprovisionDisable && done == stateWord(false) {
		// Rule 3 outlives the ScimUser: the resync disables the user again
		// if someone re-enables it in Lightrun.
		if err := rememberDeprovisioned(ctx, r.Client, client.ObjectKeyFromObject(ic), email, u.Status.LightrunUserID, r.now()); err != nil {
			return ctrl.Result{}, err
		}
	}
	reason := EventUserDisabled
	if policyOf(ic) == v1.DeprovisionDelete {
		reason = EventUserDeleted
	}
	eventf(r.recorder, u, false, reason, "Deprovision", "The IdP deleted the user: Lightrun user %s %s (deprovisionPolicy %s).", email, done, policyOf(ic))
	return ctrl.Result{}, s.removeFinalizer(ctx)
}

// releaseStaleGuard lets a deleted user go once the SCIM endpoint's name
// guard on it protects no one: the holder it names let the userName go
// without removing the guard (a crash), or was deleted itself.
func (r *ScimUserReconciler) releaseStaleGuard(ctx context.Context, u *v1.ScimUser) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(u, v1.FinalizerNameGuard) {
		return ctrl.Result{}, nil
	}
	stale, err := kubestore.GuardStale(ctx, r.live, u)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !stale {
		return ctrl.Result{RequeueAfter: r.opts.GuardRecheck}, nil
	}
	if err := kubestore.ReleaseGuard(ctx, r.Client, u); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(fmt.Errorf("removing the name guard: %w", err))
	}
	return ctrl.Result{}, nil
}

// SetupWithManager registers the controller and its watches.
func (r *ScimUserReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Client = withCache(mgr.GetClient(), mgr.GetCache())
	r.recorder = r.opts.Recorders("scimuser-controller")
	r.now = time.Now
	r.live = mgr.GetAPIReader()
	r.versions = newVersions(mgr.GetAPIReader())
	r.journal = newCreateJournal(r.Client, mgr.GetAPIReader(), v1.MaxCreateAttempts)
	if err := r.versions.follow(context.Background(), mgr.GetCache(), &v1.ScimUser{}); err != nil {
		return err
	}
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

func requestsFor(users []*v1.ScimUser, keep func(*v1.ScimUser) bool) []reconcile.Request {
	out := make([]reconcile.Request, 0, len(users))
	for _, u := range users {
		if keep == nil || keep(u) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(u)})
		}
	}
	return out
}

// configChanges requeues an IdentityConfig's users: all of them when its spec
// changes (roles, policies), and those still waiting when a hold is lifted
// (SSO turned on, Lightrun back after an outage, the duplicate removed).
func (r *ScimUserReconciler) configChanges() handler.EventHandler {
	all := func(ctx context.Context, o client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request], keep func(*v1.ScimUser) bool) {
		users, err := usersOfTenant(ctx, r.Client, o.GetNamespace(), o.GetName())
		if err != nil {
			logf.FromContext(ctx).Error(err, "Listing the users of an IdentityConfig", "identityConfig", o.GetName())
			return
		}
		for _, req := range requestsFor(users, keep) {
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
		var users []*v1.ScimUser
		if users, err = sel.usersOf(ctx, p); err == nil {
			return requestsFor(users, nil)
		}
	}
	logf.FromContext(ctx).Error(err, "Finding the users of an AgentPool", "agentPool", p.Name)
	return nil
}

// membersOfGroup maps a ScimGroup (renamed, created, deleted, or moved in
// the nesting) to its users and the users of every group nested in it, whose
// pools may change with it.
func (r *ScimUserReconciler) membersOfGroup(ctx context.Context, o client.Object) []reconcile.Request {
	g := o.(*v1.ScimGroup)
	ic := g.Spec.IdentityConfigRef.Name
	sel, err := selectionOf(ctx, r.Client, g.Namespace, ic)
	var groups []v1.ScimGroup
	if err == nil {
		groups, err = sel.descendants(ctx, []v1.ScimGroup{*g})
	}
	if err != nil {
		logf.FromContext(ctx).Error(err, "Finding the groups nested in a ScimGroup", "scimGroup", g.Name)
		groups = []v1.ScimGroup{*g}
	}
	users := make([]*v1.ScimUser, 0, len(groups))
	for i := range groups {
		members, err := lookupUsers(ctx, r.Client, g.Namespace, ic, userindex.Group, groups[i].Name)
		if err != nil {
			logf.FromContext(ctx).Error(err, "Finding the members of a ScimGroup", "scimGroup", groups[i].Name)
			continue
		}
		users = append(users, members...)
	}
	return requestsFor(users, nil)
}

// sharingEmail maps a ScimUser to the other users with the same Lightrun key.
func (r *ScimUserReconciler) sharingEmail(ctx context.Context, o client.Object) []reconcile.Request {
	u := o.(*v1.ScimUser)
	key, _ := emailKey(u.Spec)
	if key == "" {
		return nil
	}
	ic := u.Spec.IdentityConfigRef.Name
	others, err := lookupUsers(ctx, r.Client, u.Namespace, ic, userindex.Email, key)
	if err != nil {
		logf.FromContext(ctx).Error(err, "Finding the ScimUsers with an email", "email", key)
		return nil
	}
	return requestsFor(others, func(other *v1.ScimUser) bool { return other.Name != u.Name })
}
