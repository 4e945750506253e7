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
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// userCounts keeps every IdentityConfig's status.users up to date from the
// ScimUser events the IdentityConfig controller watches, so a count costs a
// map read. Listing the users for each count (once a second during a sync,
// coalesced over StatusDelay) took a fifth of the manager's CPU at 100,000
// users. Each event changes the counts before it enqueues the
// IdentityConfig, so the reconcile it causes sees them.
type userCounts struct {
	mu       sync.Mutex
	byConfig map[types.NamespacedName]v1.UserCounts
}

func newUserCounts() *userCounts {
	return &userCounts{byConfig: map[types.NamespacedName]v1.UserCounts{}}
}

// get returns the counts of the IdentityConfig key.
func (c *userCounts) get(key types.NamespacedName) v1.UserCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byConfig[key]
}

// apply adds u to (sign 1) or takes it from (sign -1) its IdentityConfig's
// counts: synced when Synced is True, failed when its reason is one retrying
// cannot fix, pending otherwise (no condition yet included).
func (c *userCounts) apply(u *v1.ScimUser, sign int32) {
	key := tenantOf(u)
	cond := meta.FindStatusCondition(u.Status.Conditions, v1.ConditionSynced)
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.byConfig[key]
	n.Total += sign
	switch {
	case cond != nil && cond.Status == metav1.ConditionTrue:
		n.Synced += sign
	case cond != nil && failedReason(cond.Reason):
		n.Failed += sign
	default:
		n.Pending += sign
	}
	if n == (v1.UserCounts{}) {
		delete(c.byConfig, key)
		return
	}
	c.byConfig[key] = n
}

// counting wraps next, the handler of the ScimUser watch, counting every
// event before next sees it.
func (c *userCounts) counting(next handler.EventHandler) handler.EventHandler {
	user := func(o any) (*v1.ScimUser, bool) {
		u, ok := o.(*v1.ScimUser)
		return u, ok
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if u, ok := user(e.Object); ok {
				c.apply(u, 1)
			}
			next.Create(ctx, e, q)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			o, okOld := user(e.ObjectOld)
			n, okNew := user(e.ObjectNew)
			if okOld && okNew {
				c.apply(o, -1)
				c.apply(n, 1)
			}
			next.Update(ctx, e, q)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if u, ok := user(e.Object); ok {
				c.apply(u, -1)
			}
			next.Delete(ctx, e, q)
		},
		GenericFunc: func(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			next.Generic(ctx, e, q)
		},
	}
}
