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

package kubestore

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/userindex"
)

// The list order and the user index are fed by handlers of their own, which
// run independently: a write waits for both. Here the order has the write
// and the index gets it a moment later; the lookup right after the wait
// must see it.
func TestWaitForCacheWaitsForTheUserIndex(t *testing.T) {
	s := &Store{
		opts:      Options{CacheWait: time.Minute},
		userOrder: newOrder(func(u *v1.ScimUser) string { return u.Spec.IdentityConfigRef.Name }),
		userIndex: userindex.New(),
	}
	u := &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "u1", ResourceVersion: "7", CreationTimestamp: metav1.Now()},
		Spec:       v1.ScimUserSpec{IdentityConfigRef: v1.IdentityConfigReference{Name: "okta"}, UserName: "a@example.com", ExternalID: "00uA"},
	}
	late := func(apply func()) {
		s.userOrder.set(u)
		go func() {
			time.Sleep(100 * time.Millisecond)
			apply()
		}()
	}
	ctx := context.Background()

	late(func() { s.userIndex.Update(nil, u) })
	s.waitForCache(ctx, u, u.ResourceVersion)
	if got := s.userIndex.Lookup("ns", "okta", userindex.ExternalID, "00uA"); len(got) != 1 {
		t.Fatalf("the write's answer came before the index held it: %v", got)
	}

	gone := u.DeepCopy()
	gone.ResourceVersion = "8"
	gone.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	s.userOrder.set(gone) // leaves the order at once
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.userIndex.Update(u, gone)
	}()
	s.waitForCache(ctx, u, "")
	if got := s.userIndex.Lookup("ns", "okta", userindex.ExternalID, "00uA"); len(got) != 1 || got[0].DeletionTimestamp == nil {
		t.Fatalf("the delete's answer came before the index held the user as being deleted: %v", got)
	}
}
