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
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// linkedGroupPrefix names the Lightrun user group the operator links to each
// AgentPool's pool; the prefix keeps it apart from groups people create.
const linkedGroupPrefix = "lightrun-identity/"

func linkedGroupName(p *v1.AgentPool) string { return linkedGroupPrefix + p.Spec.PoolName }

// AgentPoolReconciler keeps a Lightrun agent pool as declared and one Lightrun
// user group linked to it (agentPoolIds=[pool], roles=[access level]) whose
// members are exactly the selected users the operator manages.
type AgentPoolReconciler struct {
	*shared
	client.Client
	recorder recorder.EventRecorder
	versions *versions
}

// +kubebuilder:rbac:groups=identity.lightrun.com,resources=agentpools,verbs=get;list;watch;patch;update
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=agentpools/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=agentpools/finalizers,verbs=update

// Reconcile implements reconcile.Reconciler.
func (r *AgentPoolReconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, err error) {
	start := time.Now()
	p := &v1.AgentPool{}
	defer func() { observeReconcile("agentpool", start, conditionReason(p.Status.Conditions, v1.ConditionReady)) }()
	if err := r.versions.get(ctx, r.Client, req.NamespacedName, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	defer r.versions.wrote(p, p.ResourceVersion)
	ic := &v1.IdentityConfig{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: p.Spec.IdentityConfigRef.Name}, ic); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
		ic = nil
	}
	s := openScope(r.Client, p, agentPoolStatus)
	defer func() { res, err = s.close(ctx, res, err) }()
	if p.DeletionTimestamp != nil {
		return r.finalize(ctx, s, ic)
	}
	if err := s.ensureFinalizer(ctx); err != nil {
		return ctrl.Result{}, err
	}
	return r.sync(ctx, p, ic)
}

func (r *AgentPoolReconciler) set(p *v1.AgentPool, typ string, status metav1.ConditionStatus, reason, format string, args ...any) {
	setCondition(&p.Status.Conditions, p.Generation, typ, status, reason, fmt.Sprintf(format, args...))
}

// waiting marks every condition False for the same reason.
func (r *AgentPoolReconciler) waiting(p *v1.AgentPool, reason, msg string) {
	for _, typ := range []string{v1.ConditionPoolReady, v1.ConditionMembersSynced, v1.ConditionReady} {
		r.set(p, typ, metav1.ConditionFalse, reason, "%s", msg)
	}
}

func (r *AgentPoolReconciler) fail(p *v1.AgentPool, ic *v1.IdentityConfig, typ, what string, err error) (ctrl.Result, error) {
	f := classify(err)
	if f.Unreachable {
		r.connections.ReportUnreachable(ic)
	}
	msg := fmt.Sprintf("%s: %v", what, err)
	if f.Terminal {
		eventf(r.recorder, p, true, v1.ReasonLightrunRejected, "Provision", "%s", msg)
	}
	r.set(p, typ, metav1.ConditionFalse, f.Reason, "%s", msg)
	r.set(p, v1.ConditionReady, metav1.ConditionFalse, f.Reason, "%s", msg)
	return f.result()
}

func (r *AgentPoolReconciler) sync(ctx context.Context, p *v1.AgentPool, ic *v1.IdentityConfig) (ctrl.Result, error) {
	if ic == nil {
		r.waiting(p, v1.ReasonIdentityConfigNotReady, fmt.Sprintf("IdentityConfig %s not found.", p.Spec.IdentityConfigRef.Name))
		return ctrl.Result{}, nil
	}
	if hold := provisioningHold(ic); hold != "" {
		r.waiting(p, v1.ReasonIdentityConfigNotReady, "Provisioning is held: "+hold)
		return ctrl.Result{}, nil
	}
	backend, err := r.connections.For(ctx, ic)
	if err != nil {
		if serr, ok := errors.AsType[*connect.SecretError](err); ok {
			r.waiting(p, v1.ReasonIdentityConfigNotReady, "IdentityConfig "+ic.Name+": "+serr.Message)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	// A difference found while the spec is as last reconciled was made in
	// Lightrun: drift, reverted with a Warning (Lightrun rule 3).
	steady := conditionIs(p.Status.Conditions, v1.ConditionPoolReady, metav1.ConditionTrue) && p.Status.ObservedGeneration == p.Generation

	pool, err := r.ensurePool(ctx, p, backend, steady)
	if err != nil {
		return r.fail(p, ic, v1.ConditionPoolReady, "Ensuring Lightrun agent pool "+p.Spec.PoolName, err)
	}
	group, err := r.ensureGroup(ctx, p, backend, pool, steady)
	if err != nil {
		return r.fail(p, ic, v1.ConditionPoolReady, "Ensuring the Lightrun group linked to agent pool "+p.Spec.PoolName, err)
	}
	r.set(p, v1.ConditionPoolReady, metav1.ConditionTrue, v1.ReasonReconciled,
		"Lightrun agent pool %s (%s) exists; group %s (%s) gives its members %s access.", pool.Name, pool.ID, group.Name, group.ID, accessOf(p))

	sel, err := newSelection(ctx, r.Client, ic)
	if err != nil {
		return ctrl.Result{}, err
	}
	desired, err := sel.members(ctx, p)
	if err != nil {
		return ctrl.Result{}, err
	}
	return r.syncMembers(ctx, p, ic, backend, group, desired)
}

func accessOf(p *v1.AgentPool) v1.AccessLevel {
	if p.Spec.AccessLevel == "" {
		return v1.AccessLevelStandard
	}
	return p.Spec.AccessLevel
}

// ensurePool finds the pool (by the id in status, else by name, adopting an
// existing one) or creates it, and keeps its name and description.
func (r *AgentPoolReconciler) ensurePool(ctx context.Context, p *v1.AgentPool, backend connect.Lightrun, steady bool) (*connect.AgentPool, error) {
	want := connect.AgentPool{Name: p.Spec.PoolName, Description: p.Spec.Description}
	res, err := ensure(ctx, r.recorder, p, lightrunObject[connect.AgentPool]{
		kind: poolKind, name: want.Name,
		id: p.Status.PoolID, get: backend.AgentPool,
		find: func(ctx context.Context) (*connect.AgentPool, error) { return backend.AgentPoolByName(ctx, want.Name) },
		claim: func(*connect.AgentPool) found {
			if p.Status.PoolID == "" {
				return foundAdopted
			}
			return foundKept
		},
		create: func(ctx context.Context) (*connect.AgentPool, error) { return backend.CreateAgentPool(ctx, want) },
		known:  p.Status.PoolID != "",
		diff: func(have *connect.AgentPool) []string {
			var d differences
			d.add("name", have.Name, want.Name, have.Name != want.Name)
			d.add("description", have.Description, want.Description, have.Description != want.Description)
			return d
		},
		update: func(ctx context.Context, have *connect.AgentPool) (*connect.AgentPool, error) {
			w := want
			w.ID = have.ID
			return backend.UpdateAgentPool(ctx, w)
		},
		steady: steady,
		idOf:   func(o *connect.AgentPool) string { return o.ID },
	})
	if err != nil {
		return nil, err
	}
	if res.found == foundAdopted {
		p.Status.Adopted = true
	}
	p.Status.PoolID = res.obj.ID
	return res.obj, nil
}

// ensureGroup finds or creates the group linked to the pool and keeps its
// link and access level.
func (r *AgentPoolReconciler) ensureGroup(ctx context.Context, p *v1.AgentPool, backend connect.Lightrun, pool *connect.AgentPool, steady bool) (*connect.Group, error) {
	want := connect.Group{Name: linkedGroupName(p), AgentPoolIDs: []string{pool.ID}, Access: []v1.AccessLevel{accessOf(p)}}
	res, err := ensure(ctx, r.recorder, p, lightrunObject[connect.Group]{
		kind: groupKind, name: want.Name,
		detail: fmt.Sprintf(" linked to agent pool %s with %s access", pool.Name, accessOf(p)),
		id:     p.Status.GroupID, get: backend.Group,
		find:   func(ctx context.Context) (*connect.Group, error) { return backend.GroupByName(ctx, want.Name) },
		create: func(ctx context.Context) (*connect.Group, error) { return backend.CreateGroup(ctx, want) },
		known:  p.Status.GroupID != "",
		diff: func(have *connect.Group) []string {
			var d differences
			d.add("name", have.Name, want.Name, have.Name != want.Name)
			d.add("agent pools", have.AgentPoolIDs, want.AgentPoolIDs, !slices.Equal(have.AgentPoolIDs, want.AgentPoolIDs))
			d.add("access", have.Access, want.Access, !slices.Equal(have.Access, want.Access))
			return d
		},
		update: func(ctx context.Context, have *connect.Group) (*connect.Group, error) {
			w := want
			w.ID = have.ID
			updated, err := backend.UpdateGroup(ctx, w)
			if err != nil {
				return nil, err
			}
			// The update answers without members.
			updated.Members, updated.Privileged = have.Members, have.Privileged
			return updated, nil
		},
		steady: steady,
		idOf:   func(o *connect.Group) string { return o.ID },
	})
	if err != nil {
		return nil, err
	}
	p.Status.GroupID = res.obj.ID
	return res.obj, nil
}

// membersDigest fingerprints a member set for status.membersDigest.
func membersDigest(emails []string) string {
	h := sha256.New()
	for _, e := range emails {
		h.Write([]byte(e))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// syncMembers applies the difference between the selected users and the
// group's members, in batches of MemberBatchSize emails.
func (r *AgentPoolReconciler) syncMembers(ctx context.Context, p *v1.AgentPool, ic *v1.IdentityConfig, backend connect.Lightrun, g *connect.Group, desired map[string]bool) (ctrl.Result, error) {
	want := make([]string, 0, len(desired))
	for e := range desired {
		want = append(want, e)
	}
	slices.Sort(want)
	digest := membersDigest(want)
	have := map[string]bool{}
	for _, e := range g.Members {
		have[e] = true
	}
	var add, remove []string
	for _, e := range want {
		if !have[e] {
			add = append(add, e)
		}
	}
	for e := range have {
		if !desired[e] {
			remove = append(remove, e)
		}
	}
	slices.Sort(remove)
	// The selection is what it was at the last successful pass: whatever
	// differs was changed in Lightrun.
	drift := conditionIs(p.Status.Conditions, v1.ConditionMembersSynced, metav1.ConditionTrue) &&
		p.Status.ObservedGeneration == p.Generation && p.Status.MembersDigest == digest

	var failed []string
	count := len(have)
	for batch := range slices.Chunk(add, r.opts.MemberBatchSize) {
		failures, err := backend.AddMembers(ctx, g.ID, batch)
		if err != nil {
			return r.fail(p, ic, v1.ConditionMembersSynced, fmt.Sprintf("Adding %d members to Lightrun group %s", len(batch), g.Name), err)
		}
		count += len(batch)
		for _, f := range failures {
			if lightrun.IsConflict(f.Err) {
				continue // already a member: the goal is met
			}
			count--
			failed = append(failed, f.Err.Error())
		}
	}
	for batch := range slices.Chunk(remove, r.opts.MemberBatchSize) {
		failures, err := backend.RemoveMembers(ctx, g.ID, batch)
		if err != nil {
			return r.fail(p, ic, v1.ConditionMembersSynced, fmt.Sprintf("Removing %d members from Lightrun group %s", len(batch), g.Name), err)
		}
		count -= len(batch)
		for _, f := range failures {
			if lightrun.IsNotFound(f.Err) {
				continue // not a member any more: the goal is met
			}
			count++
			failed = append(failed, f.Err.Error())
		}
	}
	p.Status.MemberCount = int32(count)
	if len(add)+len(remove) > 0 {
		r.announceMembers(p, g, add, remove, drift)
	}
	if len(failed) > 0 {
		msg := fmt.Sprintf("%d membership changes of Lightrun group %s failed: %s", len(failed), g.Name, strings.Join(failed[:min(len(failed), 5)], "; "))
		r.set(p, v1.ConditionMembersSynced, metav1.ConditionFalse, v1.ReasonReconciling, "%s", msg)
		r.set(p, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonReconciling, "%s", msg)
		// A member Lightrun does not know yet is usually a user still being
		// provisioned: retry with the per-object backoff.
		return ctrl.Result{}, errors.New(msg)
	}
	if res, err := r.resetPrivileges(ctx, p, ic, backend, g, desired); !finished(res, err) {
		return res, err
	}
	p.Status.MembersDigest = digest
	r.set(p, v1.ConditionMembersSynced, metav1.ConditionTrue, v1.ReasonReconciled, "Lightrun group %s has the %d selected users as members.", g.Name, count)
	r.set(p, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonReconciled, "Agent pool %s and its %d members are in Lightrun as declared.", p.Spec.PoolName, count)
	return ctrl.Result{}, nil
}

// resetPrivileges makes every member of the linked group an ordinary member
// again: the group's access level comes from the AgentPool alone, so a
// group admin flag or elevated roles given in the Lightrun portal are drift
// (Lightrun rule 3), reverted with a Warning.
func (r *AgentPoolReconciler) resetPrivileges(ctx context.Context, p *v1.AgentPool, ic *v1.IdentityConfig, backend connect.Lightrun, g *connect.Group, desired map[string]bool) (ctrl.Result, error) {
	var reset []string
	for _, email := range g.Privileged {
		if !desired[email] {
			continue // removed above
		}
		err := backend.ResetMember(ctx, g.ID, email)
		switch {
		case lightrun.IsNotFound(err):
			continue // not a member any more
		case err != nil:
			return r.fail(p, ic, v1.ConditionMembersSynced, fmt.Sprintf("Resetting the privileges of %s in Lightrun group %s", email, g.Name), err)
		}
		reset = append(reset, email)
	}
	if len(reset) > 0 {
		metricDriftReverted.WithLabelValues(driftMembers).Add(float64(len(reset)))
		eventf(r.recorder, p, true, EventDriftReverted, "RevertMemberPrivileges",
			"Members of Lightrun group %s were made group admins or given elevated roles in Lightrun; made them ordinary members again (%s): access comes from the AgentPool (Lightrun rule 3).",
			g.Name, strings.Join(reset, ", "))
	}
	return ctrl.Result{}, nil
}

// announceMembers records what changed in the group's membership.
func (r *AgentPoolReconciler) announceMembers(p *v1.AgentPool, g *connect.Group, add, remove []string, drift bool) {
	list := func(emails []string) string {
		const shown = 10
		if len(emails) > shown {
			return strings.Join(emails[:shown], ", ") + fmt.Sprintf(" and %d more", len(emails)-shown)
		}
		return strings.Join(emails, ", ")
	}
	var parts []string
	if drift {
		metricDriftReverted.WithLabelValues(driftMembers).Add(float64(len(add) + len(remove)))
		if len(remove) > 0 {
			parts = append(parts, fmt.Sprintf("removed %d members added in Lightrun (%s)", len(remove), list(remove)))
		}
		if len(add) > 0 {
			parts = append(parts, fmt.Sprintf("re-added %d members removed in Lightrun (%s)", len(add), list(add)))
		}
		eventf(r.recorder, p, true, EventDriftReverted, "RevertMembers", "Membership of Lightrun group %s was changed in Lightrun; %s (Lightrun rule 3).", g.Name, strings.Join(parts, "; "))
		return
	}
	if len(add) > 0 {
		parts = append(parts, fmt.Sprintf("added %d (%s)", len(add), list(add)))
	}
	if len(remove) > 0 {
		parts = append(parts, fmt.Sprintf("removed %d (%s)", len(remove), list(remove)))
	}
	eventf(r.recorder, p, false, EventMembersChanged, "UpdateMembers", "Lightrun group %s: %s.", g.Name, strings.Join(parts, "; "))
}

// finalize removes the linked group and, with deletionPolicy Delete, the pool
// (never Lightrun's default pool), then lets the object go.
func (r *AgentPoolReconciler) finalize(ctx context.Context, s *scope[*v1.AgentPool, v1.AgentPoolStatus], ic *v1.IdentityConfig) (ctrl.Result, error) {
	p := s.obj
	if !controllerutil.ContainsFinalizer(p, v1.FinalizerLightrun) {
		s.released = true
		return ctrl.Result{}, nil
	}
	if ic == nil {
		eventf(r.recorder, p, true, EventLeftInLightrun, "LeavePool",
			"IdentityConfig %s is gone, so Lightrun cannot be reached; agent pool %s and group %s are left as they are.", p.Spec.IdentityConfigRef.Name, p.Spec.PoolName, linkedGroupName(p))
		return ctrl.Result{}, s.removeFinalizer(ctx)
	}
	if hold := provisioningHold(ic); hold != "" {
		r.waiting(p, v1.ReasonDeleting, "Removing the agent pool from Lightrun is held: "+hold)
		return ctrl.Result{}, nil
	}
	backend, err := r.connections.For(ctx, ic)
	if err != nil {
		return ctrl.Result{}, err
	}
	if res, err := r.deleteGroup(ctx, p, ic, backend); !finished(res, err) {
		return res, err
	}
	if p.Spec.DeletionPolicy == v1.AgentPoolDelete {
		if res, err := r.deletePool(ctx, p, ic, backend); !finished(res, err) {
			return res, err
		}
	}
	return ctrl.Result{}, s.removeFinalizer(ctx)
}

// deleteGroup deletes the group linked to the pool. It is finished when it
// returns no error and a zero result.
func (r *AgentPoolReconciler) deleteGroup(ctx context.Context, p *v1.AgentPool, ic *v1.IdentityConfig, backend connect.Lightrun) (ctrl.Result, error) {
	groupID := p.Status.GroupID
	if groupID == "" {
		g, err := backend.GroupByName(ctx, linkedGroupName(p))
		switch {
		case err == nil:
			groupID = g.ID
		case lightrun.IsNotFound(err):
			return ctrl.Result{}, nil
		default:
			return r.fail(p, ic, v1.ConditionPoolReady, "Finding the linked group", err)
		}
	}
	err := backend.DeleteGroup(ctx, groupID)
	switch {
	case err == nil:
		eventf(r.recorder, p, false, EventGroupDeleted, "DeleteGroup", "Deleted Lightrun group %s.", linkedGroupName(p))
	case !lightrun.IsNotFound(err):
		return r.fail(p, ic, v1.ConditionPoolReady, "Deleting the linked group "+linkedGroupName(p), err)
	}
	p.Status.GroupID = ""
	p.Status.MemberCount = 0
	return ctrl.Result{}, nil
}

// deletePool deletes the Lightrun pool, unless it is Lightrun's default pool
// or Lightrun refuses. It is finished when it returns no error and a zero
// result; while agents are connected it is not.
func (r *AgentPoolReconciler) deletePool(ctx context.Context, p *v1.AgentPool, ic *v1.IdentityConfig, backend connect.Lightrun) (ctrl.Result, error) {
	poolID := p.Status.PoolID
	if poolID == "" {
		found, err := backend.AgentPoolByName(ctx, p.Spec.PoolName)
		switch {
		case lightrun.IsNotFound(err):
			return ctrl.Result{}, nil
		case err != nil:
			return r.fail(p, ic, v1.ConditionPoolReady, "Finding agent pool "+p.Spec.PoolName, err)
		}
		poolID = found.ID
	}
	def, err := backend.DefaultAgentPool(ctx)
	if err != nil {
		return r.fail(p, ic, v1.ConditionPoolReady, "Finding Lightrun's default agent pool", err)
	}
	if poolID == def.ID {
		eventf(r.recorder, p, false, EventPoolKept, "KeepPool", "Agent pool %s is Lightrun's default pool, which is never deleted.", p.Spec.PoolName)
		return ctrl.Result{}, nil
	}
	err = backend.DeleteAgentPool(ctx, poolID)
	switch {
	case err == nil, lightrun.IsNotFound(err):
		eventf(r.recorder, p, false, EventPoolDeleted, "DeletePool", "Deleted Lightrun agent pool %s (deletionPolicy Delete).", p.Spec.PoolName)
		return ctrl.Result{}, nil
	case lightrun.IsForbidden(err):
		eventf(r.recorder, p, true, EventPoolKept, "KeepPool", "Lightrun refuses to delete agent pool %s (%v); it is kept.", p.Spec.PoolName, err)
		return ctrl.Result{}, nil
	case lightrun.IsConflict(err):
		msg := fmt.Sprintf("Agent pool %s still has live agents; Lightrun deletes a pool only without them. Retrying with backoff.", p.Spec.PoolName)
		r.waiting(p, v1.ReasonDeleting, msg)
		return ctrl.Result{}, errors.New(msg)
	default:
		return r.fail(p, ic, v1.ConditionPoolReady, "Deleting agent pool "+p.Spec.PoolName, err)
	}
}

// SetupWithManager registers the controller and its watches.
func (r *AgentPoolReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Client = withCache(mgr.GetClient(), mgr.GetCache())
	r.recorder = r.opts.Recorders("agentpool-controller")
	r.versions = newVersions(mgr.GetAPIReader())
	if err := r.versions.follow(context.Background(), mgr.GetCache(), &v1.AgentPool{}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("agentpool").
		For(&v1.AgentPool{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1.IdentityConfig{}, r.configChanges()).
		Watches(&v1.ScimUser{}, r.userChanges()).
		Watches(&v1.ScimGroup{}, r.groupChanges()).
		WatchesRawSource(source.Channel(r.poolResync, &handler.EnqueueRequestForObject{})).
		WithOptions(r.controllerOptions(r.opts.MaxConcurrentReconciles)).
		Complete(r)
}

func (r *AgentPoolReconciler) pools(ctx context.Context, ns string, match client.MatchingFields) []reconcile.Request {
	var l v1.AgentPoolList
	if err := r.List(ctx, &l, client.InNamespace(ns), match); err != nil {
		logf.FromContext(ctx).Error(err, "Listing AgentPools", "match", match)
		return nil
	}
	out := make([]reconcile.Request, 0, len(l.Items))
	for i := range l.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&l.Items[i])})
	}
	return out
}

// configChanges requeues an IdentityConfig's pools when its spec changes or a
// hold on provisioning is lifted.
func (r *AgentPoolReconciler) configChanges() handler.EventHandler {
	all := func(ctx context.Context, o client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		for _, req := range r.pools(ctx, o.GetNamespace(), index.AgentPoolIdentityConfig.Is(o.GetName())) {
			q.Add(req)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			all(ctx, e.Object, q)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			o, n := e.ObjectOld.(*v1.IdentityConfig), e.ObjectNew.(*v1.IdentityConfig)
			if o.Generation != n.Generation || (provisioningHold(o) != "" && provisioningHold(n) == "") {
				all(ctx, n, q)
			}
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			all(ctx, e.Object, q)
		},
	}
}

// memberKey is what of a ScimUser matters to group membership.
func memberKey(u *v1.ScimUser) string {
	return fmt.Sprintf("%t|%s|%v|%s", u.DeletionTimestamp != nil, fold.String(u.Spec.UserName), u.Spec.Groups, memberEmail(u))
}

// poolsOfUser maps a ScimUser to the AgentPools whose members it may change.
func (r *AgentPoolReconciler) poolsOfUser(ctx context.Context, u *v1.ScimUser) []reconcile.Request {
	sel, err := selectionOf(ctx, r.Client, u.Namespace, u.Spec.IdentityConfigRef.Name)
	if err == nil {
		var pools []*v1.AgentPool
		if pools, err = sel.poolsAffectedBy(ctx, u); err == nil {
			return poolRequests(pools)
		}
	}
	logf.FromContext(ctx).Error(err, "Finding the AgentPools of a ScimUser", "scimUser", u.Name)
	return nil
}

func poolRequests(pools []*v1.AgentPool) []reconcile.Request {
	out := make([]reconcile.Request, 0, len(pools))
	for _, p := range pools {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(p)})
	}
	return out
}

// userChanges requeues the pools of a user whose membership may have
// changed, after StatusDelay: the users of a bulk push become one pass per
// pool, with the membership changes batched.
func (r *AgentPoolReconciler) userChanges() handler.EventHandler {
	add := func(ctx context.Context, u *v1.ScimUser, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		for _, req := range r.poolsOfUser(ctx, u) {
			q.AddAfter(req, r.opts.StatusDelay)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, e.Object.(*v1.ScimUser), q)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			o, n := e.ObjectOld.(*v1.ScimUser), e.ObjectNew.(*v1.ScimUser)
			if memberKey(o) != memberKey(n) {
				add(ctx, o, q)
				add(ctx, n, q)
			}
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, e.Object.(*v1.ScimUser), q)
		},
	}
}

// poolsOfGroup maps a ScimGroup to the AgentPools that select it by name or
// select a group it is nested in, to any depth: those whose members its
// users (and the users of the groups nested in it) may be.
func (r *AgentPoolReconciler) poolsOfGroup(ctx context.Context, g *v1.ScimGroup) []reconcile.Request {
	sel, err := selectionOf(ctx, r.Client, g.Namespace, g.Spec.IdentityConfigRef.Name)
	var pools []*v1.AgentPool
	if err == nil {
		pools, err = sel.poolsThrough(ctx, g)
	}
	if err != nil {
		logf.FromContext(ctx).Error(err, "Finding the AgentPools of a ScimGroup", "scimGroup", g.Name)
		return nil
	}
	return poolRequests(pools)
}

// groupChanges requeues the pools of a ScimGroup created, deleted, renamed
// or moved in the nesting (spec.groups): on an update both the pools through
// the old parents and those through the new ones, since a link removed
// takes users out of the pools above it.
func (r *AgentPoolReconciler) groupChanges() handler.EventHandler {
	add := func(ctx context.Context, g *v1.ScimGroup, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		for _, req := range r.poolsOfGroup(ctx, g) {
			q.Add(req)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, e.Object.(*v1.ScimGroup), q)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() {
				add(ctx, e.ObjectOld.(*v1.ScimGroup), q)
				add(ctx, e.ObjectNew.(*v1.ScimGroup), q)
			}
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, e.Object.(*v1.ScimGroup), q)
		},
	}
}
