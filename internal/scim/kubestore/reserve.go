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
	"errors"
	"fmt"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// A create of a userName is one write of the object name derived from it
// and reads nothing: it must fail on that write whenever someone holds the
// userName. The user named after a userName holds it by its object. Every
// other holder (a renamed user, a create that found the derived name
// occupied by a user renamed away from it) holds it by a claim Lease, and
// while it does, it occupies the derived name too:
//
//   - If the derived name is free, with a reservation: a ScimUser labelled
//     v1.LabelReservation, of no tenant (v1.ReservationIdentityConfig),
//     which the manager's cache leaves out.
//   - If a user renamed away from the userName is there, by marking that
//     user (v1.AnnotationNameHeldBy) and guarding it with
//     v1.FinalizerNameGuard, so that deleting it does not free the name.
//
// The holder takes its claim, then occupies the derived name, and only then
// relies on the name (writes its userName, creates its object); a create
// racing it either fails on the reservation or mark, or wins the derived
// name first, and then the holder's occupy finds a user of the userName
// there and gives way. A holder letting the name go releases its claim,
// then removes its reservation or mark, each only while it still names the
// holder (resourceVersion preconditions), so a newer holder's stays.
//
// A reservation or mark a holder left behind (a crash, a holder deleted
// through its finalizers) names a holder that no longer holds the claim:
// a create of the name then takes the claim (see claims.acquire) and the
// reservation or mark over. The ScimUser controller lets a guarded user go
// once its mark names no live claim (GuardStale).

// reservationFor is the reservation of name's derived object name for holder.
func reservationFor(t store.Tenant, name, holder string) *v1.ScimUser {
	return &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{
			Name:      derivedName(t, name),
			Namespace: t.Namespace,
			Labels:    map[string]string{v1.LabelReservation: labelTrue},
			Annotations: map[string]string{
				v1.AnnotationNameHeldBy: holder,
				v1.AnnotationNameClaim:  claimName(claimUser, t, name),
			},
		},
		Spec: v1.ScimUserSpec{
			UserName:          name,
			IdentityConfigRef: v1.IdentityConfigReference{Name: v1.ReservationIdentityConfig},
		},
	}
}

// IsReservation reports whether u is a reservation rather than a user.
func IsReservation(u *v1.ScimUser) bool {
	_, ok := u.Labels[v1.LabelReservation]
	return ok
}

// occupyAttempts bounds how often occupy and vacate re-read an object that
// changed under them.
const occupyAttempts = 5

// occupy makes name's derived object name occupied for holder, which holds
// name's claim. It returns store.ErrUniqueness if a user of name is there
// (the holder must give the claim back), and store.ErrUnavailable if a user
// renamed away from name is there and being deleted without a guard (it
// can take no new finalizer; the name is free once it is gone).
func (s *Store) occupy(ctx context.Context, t store.Tenant, name, holder string) error {
	key := client.ObjectKey{Namespace: t.Namespace, Name: derivedName(t, name)}
	for range occupyAttempts {
		err := s.cached.Create(ctx, reservationFor(t, name, holder))
		if err == nil {
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return classify(err, "reserving user name")
		}
		d := &v1.ScimUser{}
		if err := s.live.Get(ctx, key, d); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return classify(err, "reading ScimUser "+key.Name)
		}
		switch {
		case d.SCIMID() == holder:
			// The holder's own object (renamed back to the name it was
			// created with): it occupies the name itself.
			err = s.unmark(ctx, d, "")
		case !IsReservation(d) && d.Spec.IdentityConfigRef.Name == t.IdentityConfig && fold.Equal(d.Spec.UserName, name):
			return fmt.Errorf("user %q is already taken in %s/%s: %w", name, t.Namespace, t.IdentityConfig, store.ErrUniqueness)
		case d.Annotations[v1.AnnotationNameHeldBy] == holder && (IsReservation(d) || controllerutil.ContainsFinalizer(d, v1.FinalizerNameGuard)):
			return nil
		case !IsReservation(d) && d.DeletionTimestamp != nil && !controllerutil.ContainsFinalizer(d, v1.FinalizerNameGuard):
			// A user renamed away and being deleted takes no new
			// finalizer; its name is free once it is gone.
			if !s.waitGone(ctx, d) {
				return fmt.Errorf("user %q: the user renamed away from it is still being deleted: %w", name, store.ErrUnavailable)
			}
			continue
		default:
			// Someone else's reservation or mark, left by a holder whose
			// claim this holder has since taken, or no mark at all.
			err = s.mark(ctx, t, d, name, holder)
		}
		if err == nil {
			return nil
		}
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			return classify(err, "reserving user name")
		}
	}
	return fmt.Errorf("user %q: reserving its name contended: %w", name, store.ErrUnavailable)
}

// mark makes d, a reservation or a user renamed away from name, occupy
// name for holder, on d's resourceVersion.
func (s *Store) mark(ctx context.Context, t store.Tenant, d *v1.ScimUser, name, holder string) error {
	patch := client.MergeFromWithOptions(d.DeepCopy(), client.MergeFromWithOptimisticLock{})
	metav1.SetMetaDataAnnotation(&d.ObjectMeta, v1.AnnotationNameHeldBy, holder)
	metav1.SetMetaDataAnnotation(&d.ObjectMeta, v1.AnnotationNameClaim, claimName(claimUser, t, name))
	if !IsReservation(d) {
		controllerutil.AddFinalizer(d, v1.FinalizerNameGuard)
	}
	return s.cached.Patch(ctx, d, patch)
}

// unmark removes d's mark, on d's resourceVersion, if it names holder (or
// any holder, with holder ""): a reservation is deleted, a user loses its
// mark and guard.
func (s *Store) unmark(ctx context.Context, d *v1.ScimUser, holder string) error {
	by, marked := d.Annotations[v1.AnnotationNameHeldBy]
	if holder != "" && by != holder {
		return nil
	}
	if IsReservation(d) {
		return s.cached.Delete(ctx, d, client.Preconditions{UID: new(d.UID), ResourceVersion: new(d.ResourceVersion)})
	}
	if !marked && !controllerutil.ContainsFinalizer(d, v1.FinalizerNameGuard) {
		return nil
	}
	return ReleaseGuard(ctx, s.cached, d)
}

// vacate removes holder's reservation or mark from name's derived object
// name, after the holder released name's claim. A failure leaves the name
// occupied, never free: the next create of the name takes it over.
func (s *Store) vacate(ctx context.Context, t store.Tenant, name, holder string) error {
	key := client.ObjectKey{Namespace: t.Namespace, Name: derivedName(t, name)}
	for range occupyAttempts {
		d := &v1.ScimUser{}
		if err := s.live.Get(ctx, key, d); err != nil {
			return client.IgnoreNotFound(classify(err, "reading ScimUser "+key.Name))
		}
		if d.SCIMID() == holder {
			return nil
		}
		err := s.unmark(ctx, d, holder)
		if err == nil || apierrors.IsNotFound(err) {
			return nil
		}
		if !apierrors.IsConflict(err) {
			return classify(err, "freeing user name")
		}
	}
	return fmt.Errorf("freeing user name %q: contended: %w", name, store.ErrUnavailable)
}

// release lets holder's claim on a user name go, then what occupies the
// name for it.
func (s *Store) releaseUserName(ctx context.Context, t store.Tenant, name, holder string) {
	_ = s.claims.release(ctx, claimUser, t, name, holder)
	_ = s.vacate(ctx, t, name, holder)
}

// waitGone waits, at most CacheWait, until d is gone from the API server.
func (s *Store) waitGone(ctx context.Context, d *v1.ScimUser) bool {
	ctx, cancel := context.WithTimeout(ctx, s.opts.CacheWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		live := &v1.ScimUser{}
		err := s.live.Get(ctx, client.ObjectKeyFromObject(d), live)
		if apierrors.IsNotFound(err) || (err == nil && live.UID != d.UID) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// GuardStale reports whether u's name guard protects no one any longer: the
// claim its mark names is gone, held by another than the mark names, or
// abandoned (its holder gone, by the default ClaimGrace). live reads the
// API server. A user without a guard has none to be stale.
func GuardStale(ctx context.Context, live client.Reader, u *v1.ScimUser) (bool, error) {
	if !controllerutil.ContainsFinalizer(u, v1.FinalizerNameGuard) {
		return false, nil
	}
	return markStale(ctx, live, u, defaultClaimGrace)
}

// markStale reports whether the reservation or mark on u names a holder
// that no longer holds the claim it names.
func markStale(ctx context.Context, live client.Reader, u *v1.ScimUser, grace time.Duration) (bool, error) {
	holder, claim := u.Annotations[v1.AnnotationNameHeldBy], u.Annotations[v1.AnnotationNameClaim]
	if holder == "" || claim == "" {
		return true, nil
	}
	lease := &coordinationv1.Lease{}
	if err := live.Get(ctx, client.ObjectKey{Namespace: u.Namespace, Name: claim}, lease); err != nil {
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, fmt.Errorf("reading name claim %s: %w", claim, err)
	}
	if ptr.Deref(lease.Spec.HolderIdentity, "") != holder {
		return true, nil
	}
	c := claims{live: live, grace: grace, now: time.Now}
	return c.abandoned(ctx, claimUser, store.Tenant{Namespace: u.Namespace, IdentityConfig: lease.Labels[v1.LabelIdentityConfig]}, lease)
}

// dropStaleReservation deletes d, the object a create found at its derived
// object name, if d is a reservation that names a holder no longer holding
// the name, so that the create can have the name again; it reports whether
// it did (or d was gone meanwhile).
func (s *Store) dropStaleReservation(ctx context.Context, d *v1.ScimUser) (bool, error) {
	if !IsReservation(d) {
		return false, nil
	}
	stale, err := markStale(ctx, s.live, d, s.opts.ClaimGrace)
	if err != nil || !stale {
		return false, classify(err, "judging a user name reservation")
	}
	err = s.cached.Delete(ctx, d, client.Preconditions{UID: new(d.UID), ResourceVersion: new(d.ResourceVersion)})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return false, classify(err, "removing a stale user name reservation")
	}
	return err == nil || apierrors.IsNotFound(err), nil
}

// ReleaseGuard removes u's name guard and mark, on u's resourceVersion.
func ReleaseGuard(ctx context.Context, c client.Client, u *v1.ScimUser) error {
	patch := client.MergeFromWithOptions(u.DeepCopy(), client.MergeFromWithOptimisticLock{})
	delete(u.Annotations, v1.AnnotationNameHeldBy)
	delete(u.Annotations, v1.AnnotationNameClaim)
	controllerutil.RemoveFinalizer(u, v1.FinalizerNameGuard)
	return c.Patch(ctx, u, patch)
}

// claimsOccupy reports whether every user claim in t's namespace occupies
// its name's derived object name, so that a create need not read the claim
// of its name. Claims of this version do (LabelClaimOccupies); the first
// create in a namespace on this replica occupies, and then labels, those an
// earlier version took. Until that succeeds (a claim it cannot place, an
// API error), creates there read the claim as earlier versions did, and it
// is tried again at most every ClaimGrace.
//
// A replica of an earlier version that still serves during a rolling
// upgrade would take claims without occupying: the chart's admission
// policy refuses user claims without the label, so its renames fail and the
// IdP's retry reaches a replica of this version.
func (s *Store) claimsOccupy(ctx context.Context, t store.Tenant) bool {
	now := s.opts.Now()
	if v, ok := s.occupied.Load(t.Namespace); ok {
		retry, _ := v.(time.Time)
		if retry.IsZero() || now.Before(retry) {
			return retry.IsZero()
		}
	}
	ok := s.occupyEarlierClaims(ctx, t.Namespace) == nil
	if ok {
		s.occupied.Store(t.Namespace, time.Time{})
	} else {
		s.occupied.Store(t.Namespace, now.Add(s.opts.ClaimGrace))
	}
	return ok
}

// occupyEarlierClaims occupies the derived object name of every user claim
// in namespace that does not say it does, then labels the claim.
func (s *Store) occupyEarlierClaims(ctx context.Context, namespace string) error {
	var leases coordinationv1.LeaseList
	sel := client.MatchingLabels{LabelClaim: string(claimUser)}
	if err := s.live.List(ctx, &leases, client.InNamespace(namespace), sel); err != nil {
		return classify(err, "listing user name claims")
	}
	for i := range leases.Items {
		lease := &leases.Items[i]
		if lease.Labels[LabelClaimOccupies] == labelTrue {
			continue
		}
		t := store.Tenant{Namespace: namespace, IdentityConfig: lease.Labels[v1.LabelIdentityConfig]}
		if t.IdentityConfig == "" {
			return fmt.Errorf("user name claim %s names no IdentityConfig", lease.Name)
		}
		name, err := s.claimedName(ctx, t, lease)
		if err != nil {
			return err
		}
		if name != "" {
			err := s.occupy(ctx, t, name, ptr.Deref(lease.Spec.HolderIdentity, ""))
			if err != nil && !errors.Is(err, store.ErrUniqueness) {
				// ErrUniqueness: the user named after the name holds it,
				// and a create of it fails on that user.
				return err
			}
		}
		patch := client.MergeFromWithOptions(lease.DeepCopy(), client.MergeFromWithOptimisticLock{})
		lease.Labels[LabelClaimOccupies] = labelTrue
		if err := s.cached.Patch(ctx, lease, patch); client.IgnoreNotFound(err) != nil {
			return classify(err, "labelling user name claim "+lease.Name)
		}
	}
	return nil
}

// claimedName returns the user name lease claims: its annotation, or its
// holder's userName, whichever the lease's name is derived from. It is ""
// for a claim whose holder is gone or holds another name now (no one holds
// the name by it); an error if the name cannot be told.
func (s *Store) claimedName(ctx context.Context, t store.Tenant, lease *coordinationv1.Lease) (string, error) {
	if name := lease.Annotations[annotationClaimKey]; name != "" && claimName(claimUser, t, name) == lease.Name {
		return name, nil
	}
	holder := ptr.Deref(lease.Spec.HolderIdentity, "")
	u := &v1.ScimUser{}
	err := s.live.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: v1.ScimUserNameOf(holder)}, u)
	switch {
	case apierrors.IsNotFound(err) || (err == nil && u.SCIMID() != holder):
		if s.opts.Now().Sub(lease.CreationTimestamp.Time) <= s.opts.ClaimGrace {
			// A create of an earlier version may be about to make it.
			return "", fmt.Errorf("user name claim %s: its holder %s does not exist yet: %w", lease.Name, holder, store.ErrUnavailable)
		}
		return "", nil
	case err != nil:
		return "", classify(err, "reading the holder of user name claim "+lease.Name)
	case claimName(claimUser, t, u.Spec.UserName) == lease.Name:
		return u.Spec.UserName, nil
	default:
		return "", nil
	}
}

// ReleaseNames lets go of the userName a deleted user u held by a claim
// (its object is not named after its userName): the claim, then what
// occupies the name for it. The ScimUser controller calls it once u's
// Lightrun user is deprovisioned, so that no claim or reservation of a
// deleted user is left for a later create of the name to clear. c writes,
// live reads the API server.
func ReleaseNames(ctx context.Context, c client.Client, live client.Reader, u *v1.ScimUser) error {
	t := store.Tenant{Namespace: u.Namespace, IdentityConfig: u.Spec.IdentityConfigRef.Name}
	if IsReservation(u) || u.Name == derivedName(t, u.Spec.UserName) {
		return nil
	}
	s := storeOn(c, live, Options{})
	if err := s.claims.release(ctx, claimUser, t, u.Spec.UserName, u.SCIMID()); err != nil {
		return err
	}
	return s.vacate(ctx, t, u.Spec.UserName, u.SCIMID())
}
