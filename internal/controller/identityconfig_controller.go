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

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/connect"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"
)

// defaultResyncPeriod applies when an IdentityConfig has no resyncPeriod
// (the CRD defaults it to the same value).
const defaultResyncPeriod = 10 * time.Minute

// IdentityConfigReconciler checks that an IdentityConfig can provision into
// its Lightrun company — Secrets, reachability, SSO (Lightrun rule 2), one
// IdP per company (Lightrun rule 1) — publishes the SCIM URL and the user
// counts, and runs the periodic resync that reverts drift (Lightrun rule 3).
type IdentityConfigReconciler struct {
	*shared
	client.Client
	recorder recorder.EventRecorder
	now      func() time.Time
	// userCounts are status.users of every IdentityConfig, kept from the
	// ScimUser events.
	userCounts *userCounts
}

// +kubebuilder:rbac:groups=identity.lightrun.com,resources=identityconfigs,verbs=get;list;watch
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=identityconfigs/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=scimusers;scimgroups;agentpools,verbs=get;list;watch
// Secret data is read by name only; list and watch on Secrets are granted per
// namespace by the chart where the labelled Secret watch is on (docs/security.md).
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile implements reconcile.Reconciler.
func (r *IdentityConfigReconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, err error) {
	start := time.Now()
	ic := &v1.IdentityConfig{}
	defer func() {
		observeReconcile("identityconfig", start, conditionReason(ic.Status.Conditions, v1.ConditionReady))
	}()
	log := logf.FromContext(ctx)

	if err := r.Get(ctx, req.NamespacedName, ic); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if ic.DeletionTimestamp != nil {
		// Nothing in Lightrun belongs to the IdentityConfig itself; its
		// users and pools hold their own finalizers.
		return ctrl.Result{}, nil
	}
	s := openScope(r.Client, ic, identityConfigStatus)
	defer func() {
		r.announce(ic, &s.before)
		res, err = s.close(ctx, res, err)
	}()
	now := r.now()
	st := &ic.Status
	gen := ic.Generation
	st.ScimBaseURL = r.scimBaseURL(ic)

	winner, err := r.companyWinner(ctx, ic)
	if err != nil {
		return ctrl.Result{}, err
	}
	var duplicateMsg string
	if winner.Namespace != ic.Namespace || winner.Name != ic.Name {
		duplicateMsg = fmt.Sprintf("Lightrun company %s at %s is already fed by IdentityConfig %s/%s; Lightrun integrates one identity provider per company (Lightrun rule 1), so this one provisions nothing and its SCIM endpoint refuses requests. Delete it, or point it at another company.",
			ic.Spec.Lightrun.CompanyID, ic.Spec.Lightrun.URL, winner.Namespace, winner.Name)
	}
	if err := r.setEndpoint(ctx, ic, duplicateMsg); err != nil {
		return ctrl.Result{}, err
	}

	requeue := r.opts.BackendCheckInterval
	backend, berr := r.connections.For(ctx, ic)
	var serr *connect.SecretError
	switch {
	case errors.As(berr, &serr):
		msg := "Lightrun cannot be called: " + serr.Message
		setCondition(&st.Conditions, gen, v1.ConditionBackendReachable, metav1.ConditionUnknown, serr.Reason, msg)
		setCondition(&st.Conditions, gen, v1.ConditionSSOEnabled, metav1.ConditionUnknown, serr.Reason, msg)
		setCondition(&st.Conditions, gen, v1.ConditionBuiltInSCIMDisabled, metav1.ConditionUnknown, serr.Reason, msg)
	case berr != nil:
		return ctrl.Result{}, berr
	default:
		if due, _ := resyncDue(ic, now); due {
			r.connections.Recheck(req.NamespacedName)
		}
		check := r.connections.Check(ctx, ic, backend, now)
		requeue = max(check.Next.Sub(now), time.Second)
		r.setBackendConditions(ic, check)
	}

	ready := r.setReady(ic, serr, duplicateMsg)
	if err := r.count(ctx, ic); err != nil {
		return ctrl.Result{}, err
	}

	var resyncErr error
	if ready {
		next, err := r.maybeResync(ctx, ic, backend, now)
		if err != nil {
			resyncErr = err
			if classify(err).Unreachable {
				r.connections.ReportUnreachable(ic) // the retry re-checks Lightrun first
			}
			log.Info("Resync failed; retrying", "error", err.Error())
		} else if next > 0 {
			requeue = min(requeue, next)
		}
	}

	if resyncErr != nil {
		return classify(resyncErr).result()
	}
	return ctrl.Result{RequeueAfter: requeue}, nil
}

func (r *IdentityConfigReconciler) forget(key types.NamespacedName) {
	r.connections.Forget(key)
	r.directory.forget(key)
	for _, state := range []string{"synced", "pending", "failed"} {
		metricUsers.DeleteLabelValues(key.Namespace, key.Name, state)
	}
}

// scimPath is the path of ic's SCIM endpoint: <base path>/<namespace>/<name>.
func (r *IdentityConfigReconciler) scimPath(ic *v1.IdentityConfig) string {
	return r.opts.SCIMBasePath + "/" + ic.Namespace + "/" + ic.Name
}

// scimBaseURL is what the IdP is given: <public URL>/scim/v2/<namespace>/<name>.
func (r *IdentityConfigReconciler) scimBaseURL(ic *v1.IdentityConfig) string {
	if r.opts.SCIMPublicURL == "" {
		return ""
	}
	return strings.TrimRight(r.opts.SCIMPublicURL, "/") + r.scimPath(ic)
}

// companyWinner returns the IdentityConfig that feeds ic's Lightrun company
// (Lightrun rule 1): of all live IdentityConfigs with the same Lightrun URL
// and company id, in any namespace, the oldest, then the first by
// namespace/name. The choice is deterministic, so every replica and every
// reconcile agrees, and it is stable: a newcomer never displaces the incumbent.
func (r *IdentityConfigReconciler) companyWinner(ctx context.Context, ic *v1.IdentityConfig) (*v1.IdentityConfig, error) {
	var list v1.IdentityConfigList
	if err := r.List(ctx, &list, index.IdentityConfigCompany.Is(index.CompanyKey(ic.Spec.Lightrun))); err != nil {
		return nil, fmt.Errorf("listing IdentityConfigs of the same company: %w", err)
	}
	winner := ic
	for i := range list.Items {
		other := &list.Items[i]
		if other.DeletionTimestamp == nil && before(other, winner) {
			winner = other
		}
	}
	return winner, nil
}

// incumbent reports whether ic already holds its company: it has been
// reconciled and was not refused as a duplicate.
func incumbent(ic *v1.IdentityConfig) bool {
	c := meta.FindStatusCondition(ic.Status.Conditions, v1.ConditionReady)
	return c != nil && c.Reason != v1.ReasonDuplicateIdentityProvider
}

// before orders IdentityConfigs for Lightrun rule 1: the incumbent first
// (creation times have a one-second resolution, so two can tie, and a
// newcomer must not displace the one already feeding the company), then by
// age, then by namespace/name.
func before(a, b *v1.IdentityConfig) bool {
	if ia, ib := incumbent(a), incumbent(b); ia != ib {
		return ia
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
}

// setEndpoint sets EndpointReady: whether the SCIM endpoint accepts the IdP.
func (r *IdentityConfigReconciler) setEndpoint(ctx context.Context, ic *v1.IdentityConfig, duplicateMsg string) error {
	set := func(status metav1.ConditionStatus, reason, msg string) {
		setCondition(&ic.Status.Conditions, ic.Generation, v1.ConditionEndpointReady, status, reason, msg)
	}
	switch {
	case !r.opts.SCIMEnabled:
		set(metav1.ConditionFalse, v1.ReasonEndpointDisabled, "This operator does not serve the SCIM endpoint (--scim-bind-address=0); stored users still reconcile.")
		return nil
	case !ic.Spec.SCIM.Enabled:
		set(metav1.ConditionFalse, v1.ReasonEndpointDisabled, "spec.scim.enabled is false: SCIM requests are refused; stored users still reconcile.")
		return nil
	case duplicateMsg != "":
		set(metav1.ConditionFalse, v1.ReasonDuplicateIdentityProvider, duplicateMsg)
		return nil
	case ic.Spec.SCIM.BearerTokenSecretRef == nil:
		set(metav1.ConditionFalse, v1.ReasonSecretNotFound, "spec.scim.bearerTokenSecretRef is not set.")
		return nil
	}
	if err := r.connections.CheckBearerToken(ctx, ic); err != nil {
		var serr *connect.SecretError
		if !errors.As(err, &serr) {
			return err
		}
		set(metav1.ConditionFalse, serr.Reason, "The SCIM endpoint refuses every request: "+serr.Message)
		return nil
	}
	where := ic.Status.ScimBaseURL
	if where == "" {
		where = r.scimPath(ic) + " (set --scim-public-url to publish the full URL)"
	}
	set(metav1.ConditionTrue, v1.ReasonServing, "The SCIM endpoint accepts requests at "+where)
	return nil
}

// setBackendConditions turns a check into BackendReachable, SSOEnabled and
// BuiltInSCIMDisabled.
func (r *IdentityConfigReconciler) setBackendConditions(ic *v1.IdentityConfig, check connect.Check) {
	conds, gen := &ic.Status.Conditions, ic.Generation
	if check.Err != nil {
		reason := classify(check.Err).Reason
		msg := fmt.Sprintf("Lightrun at %s did not answer as expected: %v. Provisioning is held until it does; the operator checks again with backoff.", ic.Spec.Lightrun.URL, check.Err)
		if lightrun.IsForbidden(check.Err) {
			reason = v1.ReasonInsufficientPermissions
			msg = fmt.Sprintf("Lightrun at %s refuses the API key access to the company's IdM configuration (%v). Provisioning needs an API key with the COMPANY permission level (users, groups and IdM settings); a DEV key reaches agent pools only. Provisioning is held until the key is replaced.", ic.Spec.Lightrun.URL, check.Err)
		}
		f := failure{Reason: reason}
		setCondition(conds, gen, v1.ConditionBackendReachable, metav1.ConditionFalse, f.Reason, msg)
		setCondition(conds, gen, v1.ConditionSSOEnabled, metav1.ConditionUnknown, f.Reason, "Lightrun's login method cannot be read while Lightrun does not answer.")
		setCondition(conds, gen, v1.ConditionBuiltInSCIMDisabled, metav1.ConditionUnknown, f.Reason, "Lightrun's provisioning settings cannot be read while Lightrun does not answer.")
		return
	}
	setCondition(conds, gen, v1.ConditionBackendReachable, metav1.ConditionTrue, v1.ReasonReconciled,
		fmt.Sprintf("Lightrun at %s answers with the configured API key.", ic.Spec.Lightrun.URL))
	ic.Status.Lightrun = v1.LightrunSettings{
		CompanyID:                  check.Settings.CompanyID,
		LoginMethod:                check.Settings.LoginMethod,
		BuiltInSCIMEnabled:         check.Settings.BuiltInSCIM,
		CreateExistingUsersEnabled: check.Settings.CreateExistingUsers,
	}
	if check.Settings.SSO {
		setCondition(conds, gen, v1.ConditionSSOEnabled, metav1.ConditionTrue, v1.ReasonSSOLoginMethod, "Lightrun's login method is SSO.")
	} else {
		setCondition(conds, gen, v1.ConditionSSOEnabled, metav1.ConditionFalse, v1.ReasonSSONotEnabled,
			fmt.Sprintf("Lightrun's login method is %s, not SSO. SSO is a prerequisite of provisioning (Lightrun rule 2): users are stored and wait until SSO is Lightrun's login method.", check.Settings.LoginMethod))
	}
	switch {
	case check.Settings.BuiltInSCIM && ic.Spec.BuiltInSCIM == v1.BuiltInSCIMRiskConflictingWrites:
		setCondition(conds, gen, v1.ConditionBuiltInSCIMDisabled, metav1.ConditionFalse, v1.ReasonBuiltInSCIMRiskAccepted,
			"Lightrun's built-in SCIM provisioning is enabled for this company, so a second identity provider may be provisioning the same users (Lightrun rule 1). spec.builtInSCIM is RiskConflictingWrites: the operator provisions anyway, and the two identity providers may overwrite, disable or delete each other's users.")
	case check.Settings.BuiltInSCIM:
		setCondition(conds, gen, v1.ConditionBuiltInSCIMDisabled, metav1.ConditionFalse, v1.ReasonBuiltInSCIMEnabled,
			"Lightrun's built-in SCIM provisioning is enabled for this company, so a second identity provider may be provisioning the same users (Lightrun rule 1). Provisioning is held until it is turned off in Lightrun's settings (or spec.builtInSCIM is set to RiskConflictingWrites).")
	default:
		setCondition(conds, gen, v1.ConditionBuiltInSCIMDisabled, metav1.ConditionTrue, v1.ReasonBuiltInSCIMOff, "Lightrun's built-in SCIM provisioning is off.")
	}
}

// setReady summarises: Ready is True when users are provisioned and the
// SCIM endpoint serves (or is off on purpose). It returns whether
// provisioning may proceed, which a failing endpoint does not stop: the
// stored users keep reconciling.
func (r *IdentityConfigReconciler) setReady(ic *v1.IdentityConfig, serr *connect.SecretError, duplicateMsg string) bool {
	conds, gen := &ic.Status.Conditions, ic.Generation
	set := func(status metav1.ConditionStatus, reason, msg string) {
		setCondition(conds, gen, v1.ConditionReady, status, reason, msg)
	}
	if serr != nil {
		set(metav1.ConditionFalse, serr.Reason, "The Lightrun API key cannot be read: "+serr.Message)
		return false
	}
	if duplicateMsg != "" {
		set(metav1.ConditionFalse, v1.ReasonDuplicateIdentityProvider, duplicateMsg)
		return false
	}
	for _, typ := range []string{v1.ConditionBackendReachable, v1.ConditionSSOEnabled} {
		c := meta.FindStatusCondition(*conds, typ)
		switch {
		case c == nil:
			set(metav1.ConditionUnknown, v1.ReasonReconciling, "Lightrun has not been checked yet.")
			return false
		case c.Status != metav1.ConditionTrue:
			set(metav1.ConditionFalse, c.Reason, c.Message)
			return false
		}
	}
	if hold := lightrunHold(ic); hold != nil {
		set(metav1.ConditionFalse, hold.Reason, hold.Message)
		return false
	}
	endpoint := meta.FindStatusCondition(*conds, v1.ConditionEndpointReady)
	if endpoint != nil && endpoint.Status != metav1.ConditionTrue && endpoint.Reason != v1.ReasonEndpointDisabled {
		set(metav1.ConditionFalse, endpoint.Reason, endpoint.Message)
		return true
	}
	msg := "Users are provisioned into Lightrun company " + ic.Spec.Lightrun.CompanyID + "."
	if endpoint != nil && endpoint.Reason == v1.ReasonEndpointDisabled {
		msg += " The SCIM endpoint is disabled."
	}
	if conditionReason(*conds, v1.ConditionBuiltInSCIMDisabled) == v1.ReasonBuiltInSCIMRiskAccepted {
		msg += " Warning: Lightrun's built-in SCIM provisioning is also enabled and spec.builtInSCIM accepts the risk (see BuiltInSCIMDisabled)."
	}
	set(metav1.ConditionTrue, v1.ReasonReconciled, msg)
	return true
}

// lightrunHold is what Lightrun's answers forbid although it answers and SSO
// is on (Lightrun rule 1): the API key belongs to another company than the
// spec names, or Lightrun's built-in SCIM is on and the spec does not accept
// the risk. nil when neither.
func lightrunHold(ic *v1.IdentityConfig) *metav1.Condition {
	if got, want := ic.Status.Lightrun.CompanyID, ic.Spec.Lightrun.CompanyID; got != "" && !strings.EqualFold(got, want) {
		return &metav1.Condition{Reason: v1.ReasonCompanyMismatch, Message: fmt.Sprintf(
			"The API key belongs to Lightrun company %s (as Lightrun's SCIM endpoint and SSO URLs name it), but spec.lightrun.companyId is %s. Nothing is provisioned: an IdentityConfig provisions only the company it names (Lightrun rule 1). Fix spec.lightrun.companyId or the API key.",
			got, want)}
	}
	if c := meta.FindStatusCondition(ic.Status.Conditions, v1.ConditionBuiltInSCIMDisabled); c != nil && c.Reason == v1.ReasonBuiltInSCIMEnabled {
		return &metav1.Condition{Reason: c.Reason, Message: c.Message}
	}
	return nil
}

// announce records Warning Events when a Lightrun rule starts failing.
func (r *IdentityConfigReconciler) announce(ic *v1.IdentityConfig, before *v1.IdentityConfigStatus) {
	// became reports whether condition typ turned False (with reason, when
	// one is given) in this reconcile.
	became := func(typ string, reason string) (*metav1.Condition, bool) {
		now := meta.FindStatusCondition(ic.Status.Conditions, typ)
		if now == nil || now.Status != metav1.ConditionFalse || (reason != "" && now.Reason != reason) {
			return nil, false
		}
		was := meta.FindStatusCondition(before.Conditions, typ)
		return now, was == nil || was.Status != now.Status || was.Reason != now.Reason
	}
	if c, ok := became(v1.ConditionReady, v1.ReasonDuplicateIdentityProvider); ok {
		eventf(r.recorder, ic, true, v1.ReasonDuplicateIdentityProvider, "RefuseDuplicate", "%s", c.Message)
	}
	if c, ok := became(v1.ConditionBuiltInSCIMDisabled, v1.ReasonBuiltInSCIMEnabled); ok {
		eventf(r.recorder, ic, true, v1.ReasonBuiltInSCIMEnabled, "CheckProvisioning", "%s", c.Message)
	}
	if c, ok := became(v1.ConditionBuiltInSCIMDisabled, v1.ReasonBuiltInSCIMRiskAccepted); ok {
		eventf(r.recorder, ic, true, v1.ReasonBuiltInSCIMRiskAccepted, "CheckProvisioning", "%s", c.Message)
	}
	if c, ok := became(v1.ConditionReady, v1.ReasonCompanyMismatch); ok {
		eventf(r.recorder, ic, true, v1.ReasonCompanyMismatch, "CheckCompany", "%s", c.Message)
	}
	if c, ok := became(v1.ConditionSSOEnabled, v1.ReasonSSONotEnabled); ok {
		eventf(r.recorder, ic, true, v1.ReasonSSONotEnabled, "CheckLoginMethod", "%s", c.Message)
	}
	if c, ok := became(v1.ConditionBackendReachable, ""); ok {
		eventf(r.recorder, ic, true, c.Reason, "CheckReachability", "%s", c.Message)
	}
}

// count fills status.users and status.groups, and the users gauge.
func (r *IdentityConfigReconciler) count(ctx context.Context, ic *v1.IdentityConfig) error {
	counts := r.userCounts.get(client.ObjectKeyFromObject(ic))
	var groups v1.ScimGroupList
	if err := r.List(ctx, &groups, client.InNamespace(ic.Namespace), index.ScimTenant.Is(ic.Name), client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing ScimGroups: %w", err)
	}
	ic.Status.Users = counts
	ic.Status.Groups = int32(len(groups.Items))
	metricUsers.WithLabelValues(ic.Namespace, ic.Name, "synced").Set(float64(counts.Synced))
	metricUsers.WithLabelValues(ic.Namespace, ic.Name, "pending").Set(float64(counts.Pending))
	metricUsers.WithLabelValues(ic.Namespace, ic.Name, "failed").Set(float64(counts.Failed))
	return nil
}

func resyncPeriod(ic *v1.IdentityConfig) time.Duration {
	if ic.Spec.ResyncPeriod != nil && ic.Spec.ResyncPeriod.Duration > 0 {
		return ic.Spec.ResyncPeriod.Duration
	}
	return defaultResyncPeriod
}

// resyncDue says whether Lightrun must be re-read now and, if not, how long
// until it must: every resyncPeriod after the last resync, and at once when
// the resync-requested-at annotation carries a value not handled yet.
func resyncDue(ic *v1.IdentityConfig, now time.Time) (bool, time.Duration) {
	if req := ic.Annotations[v1.AnnotationResyncRequestedAt]; req != "" && req != ic.Status.LastHandledResyncRequest {
		return true, 0
	}
	last := ic.Status.LastResyncTime
	if last == nil {
		return true, 0
	}
	next := last.Add(resyncPeriod(ic))
	if !now.Before(next) {
		return true, 0
	}
	return false, next.Sub(now)
}

// maybeResync re-reads Lightrun when a resync is due and hands every user
// and pool whose Lightrun side drifted to its controller, which reverts it
// (Lightrun rule 3). One list of all users is cheaper than a read per user:
// for 100,000 users it is 50 calls. Lightrun's users are streamed page by
// page against the ScimUsers (already in the informer cache), so the resync
// holds one page of Lightrun users however large the company, and a listing
// that never ends is cut off (connect.MaxListedUsers). The emails listed
// become the directory's, so that a user absent from them is created
// without a lookup. It returns the time to the next resync.
func (r *IdentityConfigReconciler) maybeResync(ctx context.Context, ic *v1.IdentityConfig, backend connect.Lightrun, now time.Time) (time.Duration, error) {
	due, wait := resyncDue(ic, now)
	// A process that has not listed this Lightrun yet (a restart, a new
	// leader) lists it now: the listing is what lets new users cost one
	// request each.
	if !due && r.directory.listed(client.ObjectKeyFromObject(ic)) {
		return wait, nil
	}
	// Read only: the cache's own objects (the resync events carry only
	// each user's name).
	users, err := usersOfTenant(ctx, r.Client, ic.Namespace, ic.Name)
	if err != nil {
		return 0, err
	}
	byEmail := make(map[string][]int, len(users))
	for i := range users {
		if e := users[i].Status.Email; e != "" {
			byEmail[e] = append(byEmail[e], i)
		}
	}
	found := make([]bool, len(users))
	revisit := make([]bool, len(users))
	listed := 0
	listing := r.directory.newListing()
	tombs := newTombstoneCheck(ic, users)
	err = backend.EachUser(ctx, func(lu *connect.User) error {
		if listed == r.opts.MaxResyncUsers {
			return errResyncCapped
		}
		listed++
		listing.add(lu.Email)
		tombs.see(lu)
		for _, i := range byEmail[lu.Email] {
			found[i] = true
			revisit[i] = needsResync(users[i], lu)
		}
		return nil
	})
	// A listing cut off at the cap proves nothing about the users it did
	// not reach: none is taken as gone from Lightrun.
	complete := true
	if errors.Is(err, errResyncCapped) || errors.Is(err, connect.ErrListingCutOff) {
		complete, err = false, nil
		eventf(r.recorder, ic, true, EventResyncIncomplete, "Resync",
			"Lightrun listed more than %d users; the resync stopped there: users past them were not compared with their ScimUsers, and none was taken as deleted in Lightrun.", listed)
	}
	if err != nil {
		return 0, fmt.Errorf("listing Lightrun users: %w", err)
	}
	if complete {
		r.directory.replace(client.ObjectKeyFromObject(ic), listing)
	}
	if err := r.revertReenabled(ctx, ic, backend, tombs, complete); err != nil {
		return 0, err
	}
	drifted := 0
	for i := range users {
		u := users[i]
		if !revisit[i] && (found[i] || !complete || !needsResync(u, nil)) {
			continue
		}
		drifted++
		select {
		case r.userResync <- event.GenericEvent{Object: u}:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	var pools v1.AgentPoolList
	if err := r.List(ctx, &pools, client.InNamespace(ic.Namespace), index.AgentPoolIdentityConfig.Is(ic.Name)); err != nil {
		return 0, fmt.Errorf("listing AgentPools: %w", err)
	}
	for i := range pools.Items {
		select {
		case r.poolResync <- event.GenericEvent{Object: &pools.Items[i]}:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	logf.FromContext(ctx).Info("Resynced with Lightrun", "lightrunUsers", listed, "complete", complete, "usersToRevisit", drifted, "agentPools", len(pools.Items))
	ic.Status.LastResyncTime = &metav1.Time{Time: now}
	ic.Status.LastHandledResyncRequest = ic.Annotations[v1.AnnotationResyncRequestedAt]
	return resyncPeriod(ic), nil
}

// errResyncCapped stops a resync's listing at Options.MaxResyncUsers.
var errResyncCapped = errors.New("the resync listed MaxResyncUsers Lightrun users")

// tombstoneCheck sorts the listed Lightrun users against the IdentityConfig's
// deprovisionedUsers: the ones re-enabled in Lightrun, and the entries whose
// user is gone or was made again by hand (another id).
type tombstoneCheck struct {
	ic        *v1.IdentityConfig
	live      map[string]bool // emails a live ScimUser of ic uses or asks for
	reenabled []string
	seen      map[string]bool // entries whose Lightrun user is listed with the recorded id
}

func newTombstoneCheck(ic *v1.IdentityConfig, users []*v1.ScimUser) *tombstoneCheck {
	t := &tombstoneCheck{ic: ic, live: map[string]bool{}, seen: map[string]bool{}}
	if len(ic.Status.DeprovisionedUsers) == 0 {
		return t
	}
	for i := range users {
		if users[i].DeletionTimestamp != nil {
			continue
		}
		if key, _ := emailKey(users[i].Spec); key != "" {
			t.live[key] = true
		}
		if e := users[i].Status.Email; e != "" {
			t.live[e] = true
		}
	}
	return t
}

func (t *tombstoneCheck) see(lu *connect.User) {
	if len(t.ic.Status.DeprovisionedUsers) == 0 || !isDeprovisioned(t.ic, lu) {
		return
	}
	e := deprovisioned(t.ic, lu.Email)
	t.seen[e.Email] = true
	// A user the IdP provisions again is the ScimUser controller's.
	if lu.Enabled && !t.live[e.Email] {
		t.reenabled = append(t.reenabled, lu.Email)
	}
}

// revertReenabled disables again the users the IdP deleted that someone
// re-enabled in Lightrun (Lightrun rule 3), each with a Warning Event, and
// forgets the entries whose Lightrun user the complete listing did not show
// (deleted, or made again by hand under another id) when the listing is complete.
func (r *IdentityConfigReconciler) revertReenabled(ctx context.Context, ic *v1.IdentityConfig, backend connect.Lightrun, t *tombstoneCheck, complete bool) error {
	for _, email := range t.reenabled {
		err := backend.SetUserEnabled(ctx, email, false)
		if lightrun.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("disabling again Lightrun user %s, deleted by the IdP: %w", email, err)
		}
		e := deprovisioned(ic, email)
		metricDriftReverted.WithLabelValues(driftUserDisabled).Inc()
		eventf(r.recorder, ic, true, EventDriftReverted, "RevertUserState",
			"Lightrun user %s, which the IdP deleted and the operator disabled at %s, was re-enabled in Lightrun; disabled it again (Lightrun rule 3).",
			email, e.DisabledAt.UTC().Format(time.RFC3339))
	}
	if !complete {
		return nil
	}
	var gone []string
	for _, e := range ic.Status.DeprovisionedUsers {
		if !t.seen[e.Email] {
			gone = append(gone, e.Email)
		}
	}
	return forgetDeprovisioned(ctx, r.Client, client.ObjectKeyFromObject(ic), gone...)
}

// needsResync compares a ScimUser with what Lightrun holds under its email
// (lu, nil when Lightrun has no such user).
func needsResync(u *v1.ScimUser, lu *connect.User) bool {
	if u.DeletionTimestamp != nil {
		return false
	}
	c := meta.FindStatusCondition(u.Status.Conditions, v1.ConditionSynced)
	if c == nil {
		return false
	}
	switch {
	case c.Status == metav1.ConditionTrue && memberEmail(u) != "":
		if lu == nil || lu.Enabled != active(u.Spec) {
			return true
		}
		first, last := lightrunNames(u.Spec, u.Status.Email)
		return lu.FirstName != first || lu.LastName != last || !slices.Equal(normalRoles(lu.Roles), normalRoles(u.Status.EffectiveRoles))
	case c.Reason == v1.ReasonLightrunRejected:
		// Lightrun may accept now (RBAC turned on, say): one try per resync.
		return true
	case c.Reason == v1.ReasonExistingUnmanagedUser || c.Reason == v1.ReasonManagedByAnotherIdP:
		// The unmanaged user may have been removed from Lightrun since.
		return lu == nil
	}
	return false
}

// SetupWithManager registers the controller and its watches.
func (r *IdentityConfigReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Client = withCache(mgr.GetClient(), mgr.GetCache())
	r.recorder = r.opts.Recorders("identityconfig-controller")
	r.now = time.Now
	r.userCounts = newUserCounts()

	b := ctrl.NewControllerManagedBy(mgr).
		Named("identityconfig").
		For(&v1.IdentityConfig{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// Rule 1: a second IdentityConfig for a company, or the incumbent's
		// departure, changes who wins.
		Watches(&v1.IdentityConfig{}, handler.EnqueueRequestsFromMapFunc(r.sameCompany),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// Counts follow the users' sync state, coalesced over StatusDelay.
		Watches(&v1.ScimUser{}, r.userCounts.counting(r.delayedToConfig(func(o client.Object) string {
			return o.(*v1.ScimUser).Spec.IdentityConfigRef.Name
		}, syncStateChanged))).
		Watches(&v1.ScimGroup{}, r.delayedToConfig(func(o client.Object) string {
			return o.(*v1.ScimGroup).Spec.IdentityConfigRef.Name
		}, func(_, _ client.Object) bool { return false })).
		WatchesRawSource(source.Channel(r.connections.Wakeups(), &handler.EnqueueRequestForObject{})).
		// Several IdentityConfigs at once: one whose Lightrun is slow to
		// answer must not hold up the others (the workqueue never hands
		// one IdentityConfig to two workers).
		WithOptions(r.controllerOptions(r.opts.MaxConcurrentReconciles))
	if !r.opts.SecretWatchDisabled {
		// A rotated API key or bearer token in a Secret labelled
		// identity.lightrun.com/watch=true takes effect at once; the manager's
		// cache holds only those Secrets, metadata only. Others are re-read
		// once per BackendCheckInterval (internal/lightrun/connect).
		b = b.WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.usingSecret))
	}
	return b.Complete(r)
}

// sameCompany maps an IdentityConfig to the others of its Lightrun company.
func (r *IdentityConfigReconciler) sameCompany(ctx context.Context, o client.Object) []reconcile.Request {
	ic := o.(*v1.IdentityConfig)
	var list v1.IdentityConfigList
	if err := r.List(ctx, &list, index.IdentityConfigCompany.Is(index.CompanyKey(ic.Spec.Lightrun))); err != nil {
		logf.FromContext(ctx).Error(err, "Listing IdentityConfigs of a company")
		return nil
	}
	var out []reconcile.Request
	for _, other := range list.Items {
		if other.Namespace != ic.Namespace || other.Name != ic.Name {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&other)})
		}
	}
	return out
}

// usingSecret maps a Secret to the IdentityConfigs of its namespace that use it.
func (r *IdentityConfigReconciler) usingSecret(ctx context.Context, o client.Object) []reconcile.Request {
	var list v1.IdentityConfigList
	if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), index.IdentityConfigSecret.Is(o.GetName())); err != nil {
		logf.FromContext(ctx).Error(err, "Listing IdentityConfigs of a Secret")
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, ic := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&ic)})
	}
	return out
}

// syncStateChanged reports whether a ScimUser update changes its count.
func syncStateChanged(oldObj, newObj client.Object) bool {
	o, n := oldObj.(*v1.ScimUser), newObj.(*v1.ScimUser)
	oc := meta.FindStatusCondition(o.Status.Conditions, v1.ConditionSynced)
	nc := meta.FindStatusCondition(n.Status.Conditions, v1.ConditionSynced)
	if (oc == nil) != (nc == nil) {
		return true
	}
	return oc != nil && (oc.Status != nc.Status || oc.Reason != nc.Reason)
}

// delayedToConfig enqueues the IdentityConfig of an object after StatusDelay:
// a bulk push of users becomes one recount instead of one per user.
func (r *IdentityConfigReconciler) delayedToConfig(configOf func(client.Object) string, updated func(oldObj, newObj client.Object) bool) handler.EventHandler {
	add := func(o client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		q.AddAfter(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: configOf(o)}}, r.opts.StatusDelay)
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.Object, q)
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if updated(e.ObjectOld, e.ObjectNew) {
				add(e.ObjectNew, q)
			}
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.Object, q)
		},
	}
}

// provisioningHold says why the users and pools of ic must not be
// provisioned now, or "" when they may be: the IdentityConfig must be the one
// IdP of its company (Lightrun rule 1), Lightrun must answer (so that an
// outage holds work instead of every reconciler hammering Lightrun), and SSO
// must be Lightrun's login method (Lightrun rule 2).
func provisioningHold(ic *v1.IdentityConfig) string {
	if ic.DeletionTimestamp != nil {
		return fmt.Sprintf("IdentityConfig %s is being deleted.", ic.Name)
	}
	if c := meta.FindStatusCondition(ic.Status.Conditions, v1.ConditionReady); c != nil && c.Reason == v1.ReasonDuplicateIdentityProvider {
		return fmt.Sprintf("IdentityConfig %s is refused: %s", ic.Name, c.Message)
	}
	for _, typ := range []string{v1.ConditionBackendReachable, v1.ConditionSSOEnabled} {
		c := meta.FindStatusCondition(ic.Status.Conditions, typ)
		if c == nil {
			return fmt.Sprintf("IdentityConfig %s has not checked Lightrun yet.", ic.Name)
		}
		if c.Status != metav1.ConditionTrue {
			return fmt.Sprintf("IdentityConfig %s: %s is %s (%s): %s", ic.Name, typ, c.Status, c.Reason, c.Message)
		}
	}
	if hold := lightrunHold(ic); hold != nil {
		return fmt.Sprintf("IdentityConfig %s (%s): %s", ic.Name, hold.Reason, hold.Message)
	}
	return ""
}
