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

	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/userindex"
)

// ScimGroupReconciler keeps a ScimGroup's status: how many users are members
// (membership is stored on the users, so it is counted through the
// userindex's Group lookup) and which AgentPools select the group. A group's
// effect on Lightrun goes through those AgentPools; the ScimUser and
// AgentPool controllers watch ScimGroups for renames themselves.
type ScimGroupReconciler struct {
	*shared
	client.Client
}

// +kubebuilder:rbac:groups=identity.lightrun.com,resources=scimgroups,verbs=get;list;watch
// +kubebuilder:rbac:groups=identity.lightrun.com,resources=scimgroups/status,verbs=get;update;patch

// Reconcile implements reconcile.Reconciler.
func (r *ScimGroupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, err error) {
	start := time.Now()
	defer func() { observeReconcile("scimgroup", start, v1.ReasonReconciled) }()
	g := &v1.ScimGroup{}
	if err := r.Get(ctx, req.NamespacedName, g); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	s := openScope(r.Client, g, scimGroupStatus)
	defer func() { res, err = s.close(ctx, res, err) }()
	ic := g.Spec.IdentityConfigRef.Name

	members, err := lookupUsers(ctx, r.Client, g.Namespace, ic, userindex.Group, g.Name)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("finding the members: %w", err)
	}
	count := int32(0)
	for _, u := range members {
		if u.DeletionTimestamp == nil {
			count++
		}
	}
	sel, err := selectionOf(ctx, r.Client, g.Namespace, ic)
	if err != nil {
		return ctrl.Result{}, err
	}
	var names []string
	for _, p := range sel.poolsOfGroup(g) {
		names = append(names, p.Name)
	}
	slices.Sort(names)

	g.Status.MemberCount = count
	g.Status.AgentPools = names
	return ctrl.Result{}, nil
}

// SetupWithManager registers the controller and its watches.
func (r *ScimGroupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Client = withCache(mgr.GetClient(), mgr.GetCache())
	return ctrl.NewControllerManagedBy(mgr).
		Named("scimgroup").
		For(&v1.ScimGroup{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// Membership lives on the users: a user joining or leaving changes the count.
		Watches(&v1.ScimUser{}, r.userGroups()).
		Watches(&v1.AgentPool{}, handler.EnqueueRequestsFromMapFunc(r.groupsOfPool),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(r.controllerOptions(1)).
		Complete(r)
}

// userGroups requeues the groups a user joined or left, after StatusDelay so
// that a bulk push recounts each group once.
func (r *ScimGroupReconciler) userGroups() handler.EventHandler {
	add := func(u *v1.ScimUser, q workqueue.TypedRateLimitingInterface[reconcile.Request], only func(string) bool) {
		for _, id := range u.Spec.Groups {
			if only == nil || only(id) {
				q.AddAfter(reconcile.Request{NamespacedName: client.ObjectKey{Namespace: u.Namespace, Name: id}}, r.opts.StatusDelay)
			}
		}
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.Object.(*v1.ScimUser), q, nil)
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			o, n := e.ObjectOld.(*v1.ScimUser), e.ObjectNew.(*v1.ScimUser)
			changed := func(id string) bool {
				return slices.Contains(o.Spec.Groups, id) != slices.Contains(n.Spec.Groups, id) ||
					(o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil)
			}
			add(o, q, changed)
			add(n, q, changed)
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.Object.(*v1.ScimUser), q, nil)
		},
	}
}

// groupsOfPool maps an AgentPool to the ScimGroups it selects by name.
func (r *ScimGroupReconciler) groupsOfPool(ctx context.Context, o client.Object) []reconcile.Request {
	p := o.(*v1.AgentPool)
	sel, err := selectionOf(ctx, r.Client, p.Namespace, p.Spec.IdentityConfigRef.Name)
	var groups []v1.ScimGroup
	if err == nil {
		groups, err = sel.groupsOf(ctx, p)
	}
	if err != nil {
		logf.FromContext(ctx).Error(err, "Finding the ScimGroups of an AgentPool", "agentPool", p.Name)
		return nil
	}
	out := make([]reconcile.Request, 0, len(groups))
	for i := range groups {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&groups[i])})
	}
	return out
}
