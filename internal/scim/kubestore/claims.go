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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;create;patch;delete

// Uniqueness of userName and displayName per tenant is enforced by the
// Kubernetes API server, not by a cache lookup.
//
// A new user is named after its tenant and its folded userName
// (derivedName): the API server's name uniqueness is the claim, and the
// create is one API write. A name is held either by the object named after
// it whose userName still folds to it, or by a live claim: a Lease whose
// object name is derived from the tenant and the folded name, and whose
// holderIdentity is the holder's SCIM id. Claims are taken by renames (a
// renamed user keeps its object name), by a create whose derived name a
// renamed user occupies, by every group, and were by every user of earlier
// versions. Whoever takes a name one way reads the other way after its
// write (a create reads the claim, a rename or claimed create reads the
// object), so of two that race for a name at least one sees the other and
// gives way. Create is atomic across every replica, so of twenty concurrent
// POSTs of "Alice", "alice" and "ALICE" exactly one gets the name.
//
// A claimed create costs two API writes: the claim and the object. The
// claim is not made owned by the object (a third write): it is released by
// the store when it deletes or renames the object, and otherwise judged when
// a later create finds it: a claim whose holder is gone is abandoned once
// its holder was seen deleting (the store marks the claim when a DELETE
// leaves the object to its finalizers), or once it is older than the grace
// period (a create that crashed between claim and object, or an object
// deleted outside SCIM). Claims made by earlier versions are owned by their
// object; those count as abandoned as soon as the owner is gone.

// claimKind tells user claims from group claims.
type claimKind string

const (
	claimUser  claimKind = "user"
	claimGroup claimKind = "group"

	// LabelClaim marks a Lease as a SCIM uniqueness claim; its value is the kind.
	LabelClaim = "identity.lightrun.com/scim-claim"
	// LabelClaimOccupies, "true" on a user claim, says its holder occupies
	// the name's derived object name before relying on the claim (see
	// occupy): claims without it were taken by earlier versions.
	LabelClaimOccupies = "identity.lightrun.com/scim-claim-occupies"
	// labelTrue is the value of the labels that are flags.
	labelTrue = "true"
	// annotationClaimKey keeps the claimed name readable for people.
	annotationClaimKey = "identity.lightrun.com/claimed-name"
	// annotationHolderDeleting marks a claim whose holder was deleted
	// through SCIM and waits on finalizers: once the holder is gone the
	// claim is free at once, without the grace period.
	annotationHolderDeleting = "identity.lightrun.com/holder-deleting"
)

// claims creates and releases uniqueness claims.
type claims struct {
	client client.Client
	live   client.Reader
	// grace is how long a claim without an owner is presumed to belong to
	// a create still in flight before it counts as abandoned.
	grace time.Duration
	now   func() time.Time
}

func claimName(kind claimKind, t store.Tenant, name string) string {
	sum := sha256.Sum256([]byte(t.IdentityConfig + "\x00" + fold.String(name)))
	return fmt.Sprintf("scim-%s-%s", kind, hex.EncodeToString(sum[:16]))
}

// acquire claims name for holder (a SCIM id). It is idempotent for the same
// holder and returns store.ErrUniqueness when another live object holds it.
func (c *claims) acquire(ctx context.Context, kind claimKind, t store.Tenant, name, holder string) error {
	for range 3 {
		labels := map[string]string{LabelClaim: string(kind), v1.LabelIdentityConfig: t.IdentityConfig}
		if kind == claimUser {
			labels[LabelClaimOccupies] = labelTrue
		}
		lease := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name:        claimName(kind, t, name),
				Namespace:   t.Namespace,
				Labels:      labels,
				Annotations: map[string]string{annotationClaimKey: truncate(name, 1024)},
			},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity: new(holder),
				AcquireTime:    &metav1.MicroTime{Time: c.now()},
			},
		}
		err := c.client.Create(ctx, lease)
		if err == nil {
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return classify(err, "claiming "+string(kind)+" name")
		}
		existing := &coordinationv1.Lease{}
		if err := c.live.Get(ctx, client.ObjectKeyFromObject(lease), existing); err != nil {
			if apierrors.IsNotFound(err) {
				continue // released meanwhile; try again
			}
			return classify(err, "reading "+string(kind)+" name claim")
		}
		current := ptr.Deref(existing.Spec.HolderIdentity, "")
		if current == holder {
			return nil
		}
		abandoned, err := c.abandoned(ctx, kind, t, existing)
		if err != nil {
			return err
		}
		if !abandoned {
			return fmt.Errorf("%s %q is already taken in %s/%s: %w", kind, name, t.Namespace, t.IdentityConfig, store.ErrUniqueness)
		}
		// Delete only the claim we judged: the precondition makes two
		// replicas racing to clean up the same claim harmless.
		err = c.client.Delete(ctx, existing, client.Preconditions{UID: &existing.UID, ResourceVersion: &existing.ResourceVersion})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return classify(err, "removing abandoned "+string(kind)+" name claim")
		}
	}
	return fmt.Errorf("%s %q: claim contended: %w", kind, name, store.ErrUniqueness)
}

// abandoned reports whether a claim's holder is gone: an owned claim whose
// owner no longer exists (the garbage collector may not have run yet, or
// there is none, as under envtest), or an unowned claim older than the
// grace period (a create that crashed between claim and object).
func (c *claims) abandoned(ctx context.Context, kind claimKind, t store.Tenant, lease *coordinationv1.Lease) (bool, error) {
	holder := ptr.Deref(lease.Spec.HolderIdentity, "")
	var (
		obj  client.Object = &v1.ScimGroup{}
		name               = holder
	)
	if kind == claimUser {
		obj, name = &v1.ScimUser{}, v1.ScimUserNameOf(holder)
	}
	err := c.live.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: name}, obj)
	if u, ok := obj.(*v1.ScimUser); ok && err == nil && u.SCIMID() != holder {
		// Another user of the derived name (the holder was deleted and
		// its name taken again): the holder is gone.
		err = apierrors.NewNotFound(v1.GroupVersion.WithResource("scimusers").GroupResource(), name)
	}
	switch {
	case err == nil:
		return false, nil
	case !apierrors.IsNotFound(err):
		return false, classify(err, "checking "+string(kind)+" name claim holder")
	case len(lease.OwnerReferences) > 0, lease.Annotations[annotationHolderDeleting] == holder:
		return true, nil
	default:
		return c.now().Sub(lease.CreationTimestamp.Time) > c.grace, nil
	}
}

// heldByOther reports whether a live claim on name is held by another than
// holder, reading the API server: a create under the derived name reads it
// after its write, so that a rename to the name (which claims it, then
// reads the object) and the create never both win.
func (c *claims) heldByOther(ctx context.Context, kind claimKind, t store.Tenant, name, holder string) (bool, error) {
	lease := &coordinationv1.Lease{}
	key := client.ObjectKey{Namespace: t.Namespace, Name: claimName(kind, t, name)}
	if err := c.live.Get(ctx, key, lease); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, classify(err, "reading "+string(kind)+" name claim")
	}
	if ptr.Deref(lease.Spec.HolderIdentity, "") == holder {
		return false, nil
	}
	abandoned, err := c.abandoned(ctx, kind, t, lease)
	return !abandoned, err
}

// holderDeleting marks holder's claim on name as held by an object being
// deleted, so that the name is free as soon as the object is gone.
func (c *claims) holderDeleting(ctx context.Context, kind claimKind, t store.Tenant, name, holder string) error {
	lease := &coordinationv1.Lease{}
	key := client.ObjectKey{Namespace: t.Namespace, Name: claimName(kind, t, name)}
	if err := c.live.Get(ctx, key, lease); err != nil {
		return client.IgnoreNotFound(err)
	}
	if ptr.Deref(lease.Spec.HolderIdentity, "") != holder {
		return nil
	}
	patch := client.MergeFromWithOptions(lease.DeepCopy(), client.MergeFromWithOptimisticLock{})
	metav1.SetMetaDataAnnotation(&lease.ObjectMeta, annotationHolderDeleting, holder)
	if err := c.client.Patch(ctx, lease, patch); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return classify(err, "marking "+string(kind)+" name claim")
	}
	return nil
}

// release drops holder's claim on name; someone else's claim is left alone.
// A claim changed since it was read (marked as its holder deleting, by
// another replica) is read again.
func (c *claims) release(ctx context.Context, kind claimKind, t store.Tenant, name, holder string) error {
	key := client.ObjectKey{Namespace: t.Namespace, Name: claimName(kind, t, name)}
	for range 3 {
		lease := &coordinationv1.Lease{}
		if err := c.live.Get(ctx, key, lease); err != nil {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return classify(err, "reading "+string(kind)+" name claim")
		}
		if ptr.Deref(lease.Spec.HolderIdentity, "") != holder {
			return nil
		}
		err := c.client.Delete(ctx, lease, client.Preconditions{UID: &lease.UID, ResourceVersion: &lease.ResourceVersion})
		if !apierrors.IsConflict(err) {
			if err != nil && !apierrors.IsNotFound(err) {
				return classify(err, "releasing "+string(kind)+" name claim")
			}
			return nil
		}
	}
	return fmt.Errorf("releasing %s name claim %s: changed three times while read: %w", kind, key.Name, store.ErrUnavailable)
}

// holderOf returns the SCIM id holding name, reading the API server directly:
// this is how a replica whose cache has not yet seen another replica's write
// still finds the user an IdP just created. A user name is held by the user
// named after it (derivedName) while its userName folds to it, otherwise by
// a claim.
func (c *claims) holderOf(ctx context.Context, kind claimKind, t store.Tenant, name string) (string, error) {
	if kind == claimUser {
		u := &v1.ScimUser{}
		err := c.live.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: derivedName(t, name)}, u)
		switch {
		case err == nil && u.Spec.IdentityConfigRef.Name == t.IdentityConfig && fold.Equal(u.Spec.UserName, name):
			return u.SCIMID(), nil
		case err != nil && !apierrors.IsNotFound(err):
			return "", classify(err, "reading "+string(kind)+" "+derivedName(t, name))
		}
	}
	lease := &coordinationv1.Lease{}
	key := client.ObjectKey{Namespace: t.Namespace, Name: claimName(kind, t, name)}
	if err := c.live.Get(ctx, key, lease); err != nil {
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		return "", classify(err, "reading "+string(kind)+" name claim")
	}
	return ptr.Deref(lease.Spec.HolderIdentity, ""), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
