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
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/connect"
)

// Tombstones: the Lightrun users the operator disabled because the IdP
// deleted them (Lightrun rule 3). Once a ScimUser is gone nothing else in the
// cluster remembers its Lightrun user, so the IdentityConfig's
// status.deprovisionedUsers does: the ScimUser finalizer adds an entry, the
// resync disables again an entry's user re-enabled in Lightrun, and an entry
// goes when the IdP provisions the email again (the ScimUser controller) or
// when its Lightrun user is gone or was made again by hand (the resync). The
// list holds at most v1.MaxDeprovisionedUsers entries, newest last.
//
// The list is written only by editDeprovisioned, a read-modify-write with
// optimistic locking: the finalizers of many users and the IdentityConfig's
// resync may edit it at once, and a merge patch of a list replaces it whole.

// deprovisioned returns the entry of ic for email, or nil.
func deprovisioned(ic *v1.IdentityConfig, email string) *v1.DeprovisionedUser {
	for i := range ic.Status.DeprovisionedUsers {
		if strings.EqualFold(ic.Status.DeprovisionedUsers[i].Email, email) {
			return &ic.Status.DeprovisionedUsers[i]
		}
	}
	return nil
}

// isDeprovisioned reports whether lu is the Lightrun user an entry of ic
// names: the same email and, when the entry recorded one, the same id.
func isDeprovisioned(ic *v1.IdentityConfig, lu *connect.User) bool {
	e := deprovisioned(ic, lu.Email)
	return e != nil && (e.LightrunUserID == "" || e.LightrunUserID == lu.ID)
}

// editDeprovisioned applies edit to the IdentityConfig's deprovisionedUsers
// and writes the result when it changed, retrying on conflicts.
func editDeprovisioned(ctx context.Context, c client.Client, key client.ObjectKey, edit func([]v1.DeprovisionedUser) []v1.DeprovisionedUser) error {
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		ic := &v1.IdentityConfig{}
		if err := c.Get(ctx, key, ic); err != nil {
			return client.IgnoreNotFound(err)
		}
		next := edit(slices.Clone(ic.Status.DeprovisionedUsers))
		if len(next) > v1.MaxDeprovisionedUsers {
			next = next[len(next)-v1.MaxDeprovisionedUsers:]
		}
		if slices.EqualFunc(next, ic.Status.DeprovisionedUsers, func(a, b v1.DeprovisionedUser) bool {
			return a.Email == b.Email && a.LightrunUserID == b.LightrunUserID && a.DisabledAt.Equal(&b.DisabledAt)
		}) {
			return nil
		}
		base := ic.DeepCopy()
		ic.Status.DeprovisionedUsers = next
		return c.Status().Patch(ctx, ic, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	})
	if err != nil {
		return fmt.Errorf("recording the users the IdP deleted on IdentityConfig %s: %w", key.Name, err)
	}
	return nil
}

// rememberDeprovisioned adds (or renews) the entry for a Lightrun user the
// operator just disabled because the IdP deleted it.
func rememberDeprovisioned(ctx context.Context, c client.Client, key client.ObjectKey, email, id string, at time.Time) error {
	return editDeprovisioned(ctx, c, key, func(list []v1.DeprovisionedUser) []v1.DeprovisionedUser {
		list = slices.DeleteFunc(list, func(e v1.DeprovisionedUser) bool { return strings.EqualFold(e.Email, email) })
		return append(list, v1.DeprovisionedUser{Email: email, LightrunUserID: id, DisabledAt: metav1.Time{Time: at}})
	})
}

// forgetDeprovisioned removes the entries of these emails.
func forgetDeprovisioned(ctx context.Context, c client.Client, key client.ObjectKey, emails ...string) error {
	if len(emails) == 0 {
		return nil
	}
	return editDeprovisioned(ctx, c, key, func(list []v1.DeprovisionedUser) []v1.DeprovisionedUser {
		return slices.DeleteFunc(list, func(e v1.DeprovisionedUser) bool {
			return slices.ContainsFunc(emails, func(x string) bool { return strings.EqualFold(e.Email, x) })
		})
	})
}
