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
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

type workqueueOf = workqueue.TypedRateLimitingInterface[reconcile.Request]

func countedUser(name, config string, status metav1.ConditionStatus, reason string) *v1.ScimUser {
	u := &v1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name}}
	u.Spec.IdentityConfigRef.Name = config
	if status != "" {
		u.Status.Conditions = []metav1.Condition{{Type: v1.ConditionSynced, Status: status, Reason: reason}}
	}
	return u
}

// The counts follow creates, updates and deletes, per IdentityConfig, and
// every event reaches the wrapped handler after it is counted.
func TestUserCountsFollowEvents(t *testing.T) {
	c := newUserCounts()
	okta := types.NamespacedName{Namespace: "team-a", Name: "okta"}
	entra := types.NamespacedName{Namespace: "team-a", Name: "entra"}
	var seen []v1.UserCounts
	next := handler.Funcs{
		CreateFunc: func(context.Context, event.CreateEvent, workqueueOf) { seen = append(seen, c.get(okta)) },
		UpdateFunc: func(context.Context, event.UpdateEvent, workqueueOf) { seen = append(seen, c.get(okta)) },
		DeleteFunc: func(context.Context, event.DeleteEvent, workqueueOf) { seen = append(seen, c.get(okta)) },
	}
	h := c.counting(next)
	ctx := context.Background()

	a := countedUser("a", "okta", "", "")
	b := countedUser("b", "okta", metav1.ConditionFalse, v1.ReasonLightrunRejected)
	x := countedUser("x", "entra", metav1.ConditionTrue, v1.ReasonReconciled)
	for _, u := range []*v1.ScimUser{a, b, x} {
		h.Create(ctx, event.CreateEvent{Object: u}, nil)
	}
	if got, want := c.get(okta), (v1.UserCounts{Total: 2, Pending: 1, Failed: 1}); got != want {
		t.Fatalf("after creates: %+v, want %+v", got, want)
	}
	if got, want := c.get(entra), (v1.UserCounts{Total: 1, Synced: 1}); got != want {
		t.Fatalf("the other IdentityConfig: %+v, want %+v", got, want)
	}
	synced := countedUser("a", "okta", metav1.ConditionTrue, v1.ReasonReconciled)
	h.Update(ctx, event.UpdateEvent{ObjectOld: a, ObjectNew: synced}, nil)
	if got, want := c.get(okta), (v1.UserCounts{Total: 2, Synced: 1, Failed: 1}); got != want {
		t.Fatalf("after a user synced: %+v, want %+v", got, want)
	}
	h.Delete(ctx, event.DeleteEvent{Object: b}, nil)
	h.Delete(ctx, event.DeleteEvent{Object: synced}, nil)
	if got := c.get(okta); got != (v1.UserCounts{}) {
		t.Fatalf("after every user left: %+v, want zero", got)
	}
	if len(c.byConfig) != 1 {
		t.Fatalf("an IdentityConfig without users keeps an entry: %v", c.byConfig)
	}
	// The wrapped handler saw each okta event after it was counted.
	want := []v1.UserCounts{{Total: 1, Pending: 1}, {Total: 2, Pending: 1, Failed: 1}, {Total: 2, Pending: 1, Failed: 1},
		{Total: 2, Synced: 1, Failed: 1}, {Total: 1, Synced: 1}, {}}
	if len(seen) != len(want) {
		t.Fatalf("the wrapped handler saw %d events, want %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("event %d: the wrapped handler saw %+v, want %+v", i, seen[i], want[i])
		}
	}
}
