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
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1/index"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/userindex"
)

// kindOf describes how ScimUsers and ScimGroups differ for the operations
// they share: which name is unique, and how to reach their spec and lists.
type kindOf[T client.Object] struct {
	claim  claimKind
	kind   string // the Kubernetes kind, for owner references and messages
	newObj func() T
	// id is an object's SCIM id; nameOf the object name an id names.
	id     func(T) string
	nameOf func(id string) string
	// derived says whether a new object is named after its tenant and
	// folded unique name (derivedName), the API server's name uniqueness
	// being its claim; otherwise it takes a claim and a random name.
	derived bool
	// finalizers are set on a new object in its create, so the
	// controllers need not write them.
	finalizers []string
	// provisioned reports whether the controllers may have acted on obj
	// outside the cluster, so that only their finalizer may let it go.
	provisioned func(obj T) bool
	unique      func(T) string // the name that must be unique per tenant
	setSpec     func(dst, src T)
	tenant      func(T) *v1.IdentityConfigReference
	list        func(ctx context.Context, r client.Reader, opts ...client.ListOption) ([]T, error)
	indexes     map[store.Index]index.TenantField // store index -> cache field (IndexNone: the tenant)
	// lookup serves the store indexes that are not cache fields (ok false:
	// sel is not one of them); nil for kinds without such indexes. ScimUsers
	// have no cache field at all: it serves every user lookup.
	lookup func(ctx context.Context, s *Store, t store.Tenant, sel store.Selector) (found []T, ok bool, err error)
	// hasEmail says whether obj holds email (folded); nil for kinds
	// without emails.
	hasEmail func(obj T, email string) bool
}

var users = kindOf[*v1.ScimUser]{
	claim:      claimUser,
	kind:       "ScimUser",
	newObj:     func() *v1.ScimUser { return &v1.ScimUser{} },
	id:         (*v1.ScimUser).SCIMID,
	nameOf:     v1.ScimUserNameOf,
	derived:    true,
	finalizers: []string{v1.FinalizerLightrun},
	provisioned: func(u *v1.ScimUser) bool {
		return u.Status.CreateAttempt != nil || u.Status.LightrunUserID != "" || u.Status.Adopted ||
			u.Annotations[v1.AnnotationLightrunUser] != "" // the record of earlier versions
	},
	unique:  func(u *v1.ScimUser) string { return u.Spec.UserName },
	setSpec: func(dst, src *v1.ScimUser) { dst.Spec = src.Spec },
	tenant:  func(u *v1.ScimUser) *v1.IdentityConfigReference { return &u.Spec.IdentityConfigRef },
	list: func(ctx context.Context, r client.Reader, opts ...client.ListOption) ([]*v1.ScimUser, error) {
		var l v1.ScimUserList
		if err := r.List(ctx, &l, opts...); err != nil {
			return nil, err
		}
		out := make([]*v1.ScimUser, len(l.Items))
		for i := range l.Items {
			out[i] = &l.Items[i]
		}
		return out, nil
	},
	lookup: lookupUsers,
	hasEmail: func(u *v1.ScimUser, email string) bool {
		return slices.ContainsFunc(u.Spec.Emails, func(e v1.ScimMultiValue) bool { return fold.Equal(e.Value, email) })
	},
}

var groups = kindOf[*v1.ScimGroup]{
	claim:   claimGroup,
	kind:    "ScimGroup",
	newObj:  func() *v1.ScimGroup { return &v1.ScimGroup{} },
	id:      func(g *v1.ScimGroup) string { return g.GetName() },
	nameOf:  func(id string) string { return id },
	unique:  func(g *v1.ScimGroup) string { return g.Spec.DisplayName },
	setSpec: func(dst, src *v1.ScimGroup) { dst.Spec = src.Spec },
	tenant:  func(g *v1.ScimGroup) *v1.IdentityConfigReference { return &g.Spec.IdentityConfigRef },
	list: func(ctx context.Context, r client.Reader, opts ...client.ListOption) ([]*v1.ScimGroup, error) {
		var l v1.ScimGroupList
		if err := r.List(ctx, &l, opts...); err != nil {
			return nil, err
		}
		out := make([]*v1.ScimGroup, len(l.Items))
		for i := range l.Items {
			out[i] = &l.Items[i]
		}
		return out, nil
	},
	indexes: map[store.Index]index.TenantField{
		store.IndexDisplayName: index.ScimGroupDisplayName,
		store.IndexExternalID:  index.ScimGroupExternalID,
		store.IndexParent:      index.ScimGroupParent,
	},
}

// lookup returns the objects of tenant t that sel selects, possibly
// including objects of other tenants or being deleted (list filters them):
// from k.lookup when it serves sel, else from the cache's field indexes.
func lookup[T client.Object](ctx context.Context, s *Store, k kindOf[T], t store.Tenant, sel store.Selector) ([]T, error) {
	if k.lookup != nil {
		found, ok, err := k.lookup(ctx, s, t, sel)
		if err != nil {
			return nil, classify(err, "listing "+k.kind)
		}
		if ok {
			slices.SortFunc(found, func(a, b T) int { return strings.Compare(a.GetName(), b.GetName()) })
			return found, nil
		}
	}
	match := index.ScimTenant.Is(t.IdentityConfig)
	if sel.Index != store.IndexNone {
		field, ok := k.indexes[sel.Index]
		if !ok {
			return nil, fmt.Errorf("%s has no index %q", k.kind, sel.Index)
		}
		match = field.Is(t.IdentityConfig, sel.Value)
	}
	found, err := k.list(ctx, s.cached, client.InNamespace(t.Namespace), match, client.UnsafeDisableDeepCopy)
	if err != nil {
		return nil, classify(err, "listing "+k.kind)
	}
	return found, nil
}

// userFields are the store indexes userindex serves by Lookup.
var userFields = map[store.Index]userindex.Field{
	store.IndexUserName:   userindex.UserName,
	store.IndexExternalID: userindex.ExternalID,
	store.IndexEmail:      userindex.Email,
	store.IndexGroup:      userindex.Group,
}

// lookupUsers serves every user lookup (by userName, externalId, email,
// group, or the whole tenant) from the store's userindex, or, until the
// index has seen every user, by filtering the namespace's users. Either way
// the users are the cache's own objects, not copies: callers only read
// them. A write waits for the index to hold it (waitForCache), so that
// these lookups on this replica see it.
func lookupUsers(ctx context.Context, s *Store, t store.Tenant, sel store.Selector) ([]*v1.ScimUser, bool, error) {
	if sel.Index == store.IndexNone {
		found, err := s.userIndex.Users(ctx, s.cached, t.Namespace, t.IdentityConfig)
		return found, true, err
	}
	field, ok := userFields[sel.Index]
	if !ok {
		return nil, false, nil
	}
	found, err := s.userIndex.Find(ctx, s.cached, t.Namespace, t.IdentityConfig, field, sel.Value)
	return found, true, err
}

// visible reports whether obj is a live object of tenant t: objects being
// deleted are gone as far as SCIM is concerned (RFC 7644 §3.6: after DELETE,
// the resource is no longer returned).
func visible[T client.Object](k kindOf[T], t store.Tenant, obj T) bool {
	return k.tenant(obj).Name == t.IdentityConfig && obj.GetDeletionTimestamp() == nil
}

func create[T client.Object](ctx context.Context, s *Store, k kindOf[T], t store.Tenant, in T) (T, error) {
	obj := in.DeepCopyObject().(T)
	obj.SetNamespace(t.Namespace)
	obj.SetResourceVersion("")
	obj.SetUID("")
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[v1.LabelIdentityConfig] = t.IdentityConfig
	obj.SetLabels(labels)
	for _, f := range k.finalizers {
		controllerutil.AddFinalizer(obj, f)
	}
	k.tenant(obj).Name = t.IdentityConfig
	// No last-modified annotation: a new object's meta.lastModified is its
	// creation time (store.LastModified), and at 100,000 users an
	// annotation map of each user's own costs 0.3 KiB of the manager's heap
	// a user.
	if k.derived {
		return createDerived(ctx, s, k, t, obj)
	}
	return createClaimed(ctx, s, k, t, obj)
}

// derivedName is the object name of a new object whose unique name is name:
// the API server refuses a second object of that name, in any case or
// Unicode normalisation, within the tenant's namespace.
func derivedName(t store.Tenant, name string) string {
	sum := sha256.Sum256([]byte(t.IdentityConfig + "\x00" + fold.String(name)))
	return hex.EncodeToString(sum[:v1.DerivedNameLen/2])
}

// createDerived creates obj under derivedName, one API write. A name holds
// its userName either as the object named after it whose userName still
// folds to it, or as a live claim (a renamed user, or an object of an older
// version): after its write, the create reads the claim, as a rename reads
// the object after taking the claim, so that of a create and a rename to the
// same name at least one sees the other and gives way.
func createDerived[T client.Object](ctx context.Context, s *Store, k kindOf[T], t store.Tenant, obj T) (T, error) {
	var zero T
	name := k.unique(obj)
	obj.SetName(derivedName(t, name))
	// Asked before the write: claims of an earlier version are occupied
	// first, so that the write fails on them.
	occupied := s.claimsOccupy(ctx, t)
	for range 3 {
		err := s.cached.Create(ctx, obj)
		if err == nil {
			break
		}
		if !apierrors.IsAlreadyExists(err) {
			if definite(err) {
				return zero, classify(err, "creating "+k.kind)
			}
			// The API server may have stored the object before the answer
			// was lost. Its name does not tell whether the object there is
			// this create's or a concurrent one's, so nothing is undone:
			// the IdP's retry finds the name taken and looks the user up.
			return zero, fmt.Errorf("creating %s: the API server's answer was lost: %w: %w", k.kind, store.ErrUnavailable, err)
		}
		existing, holds, exists, err := holdsName(ctx, s, k, t, name)
		if err != nil {
			return zero, err
		}
		switch {
		case !exists:
			continue // deleted meanwhile: try again
		case holds:
			return zero, fmt.Errorf("%s %q is already taken in %s/%s: %w", k.claim, name, t.Namespace, t.IdentityConfig, store.ErrUniqueness)
		}
		if u, ok := any(existing).(*v1.ScimUser); ok {
			dropped, err := s.dropStaleReservation(ctx, u)
			if err != nil {
				return zero, err
			}
			if dropped {
				continue // a reservation no one holds any longer: try again
			}
		}
		// The object named after the name was renamed since, or reserves
		// the name for a holder of its claim: the claim decides, taken as
		// a rename takes one.
		obj.SetName(newID())
		return createClaimed(ctx, s, k, t, obj)
	}
	if obj.GetUID() == "" {
		return zero, fmt.Errorf("%s %q: name contended: %w", k.claim, name, store.ErrUniqueness)
	}
	if occupied {
		// Every holder of a name by claim occupies the name's derived
		// object name (see occupy): the write alone was the check.
		s.waitForCache(ctx, obj, obj.GetResourceVersion())
		return obj, nil
	}
	// Claims of an earlier version may hold names without occupying them:
	// the claim is read while the cache catches up with the write, the
	// create's latency being the write and the slower of the two.
	wctx, stopWait := context.WithCancel(ctx)
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		s.waitForCache(wctx, obj, obj.GetResourceVersion())
	}()
	held, err := s.claims.heldByOther(ctx, k.claim, t, name, k.id(obj))
	if err != nil || held {
		stopWait()
		<-waited
		// Give the name back: a claim holds it (or whether one does cannot
		// be read now).
		if derr := undoCreate(ctx, s, k, obj); derr != nil {
			return zero, errors.Join(derr, err)
		}
		if err != nil {
			return zero, err
		}
		return zero, fmt.Errorf("%s %q is already taken in %s/%s: %w", k.claim, name, t.Namespace, t.IdentityConfig, store.ErrUniqueness)
	}
	<-waited
	stopWait()
	return obj, nil
}

// undoCreate deletes obj, which this create made (its UID says so). The
// controllers may have seen it already: if they have not acted on it in
// Lightrun, its finalizers are removed at once, with the version read as
// precondition, so that a write of theirs in between wins and their
// finalizer cleans up; the name is then free when they are done.
func undoCreate[T client.Object](ctx context.Context, s *Store, k kindOf[T], obj T) error {
	what := "undoing the create of " + k.kind + " " + obj.GetName()
	err := s.cached.Delete(ctx, obj, client.Preconditions{UID: new(obj.GetUID())})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return classify(err, what)
	}
	live := k.newObj()
	if err := s.live.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
		return client.IgnoreNotFound(classify(err, what))
	}
	if live.GetUID() != obj.GetUID() || len(live.GetFinalizers()) == 0 || k.provisioned(live) {
		return nil
	}
	if s.opts.Now().Sub(live.GetCreationTimestamp().Time) > v1.CreateUndoWindow {
		// The controllers may have recorded a Lightrun create for it where
		// its version does not show (the IdentityConfig's
		// status.createAttempts): their finalizer cleans up.
		return nil
	}
	patch := client.MergeFromWithOptions(live.DeepCopyObject().(T), client.MergeFromWithOptimisticLock{})
	for _, f := range k.finalizers {
		controllerutil.RemoveFinalizer(live, f)
	}
	if err := s.cached.Patch(ctx, live, patch); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return classify(err, what)
	}
	return nil
}

// holdsName reads, from the API server, the object named after name in t,
// and reports whether it holds name: its userName still folds to name,
// whether or not it is being deleted (a user still being deprovisioned
// keeps its name). exists says whether there is such an object at all.
func holdsName[T client.Object](ctx context.Context, s *Store, k kindOf[T], t store.Tenant, name string) (existing T, holds, exists bool, err error) {
	key := client.ObjectKey{Namespace: t.Namespace, Name: derivedName(t, name)}
	existing = k.newObj()
	if err := s.live.Get(ctx, key, existing); err != nil {
		if apierrors.IsNotFound(err) {
			return existing, false, false, nil
		}
		return existing, false, false, classify(err, "reading "+k.kind+" "+key.Name)
	}
	return existing, k.tenant(existing).Name == t.IdentityConfig && fold.Equal(k.unique(existing), name), true, nil
}

// definite reports errors after which the API server certainly did not
// store the object.
func definite(err error) bool {
	return apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsRequestEntityTooLargeError(err) ||
		apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsNotFound(err)
}

// releaseName lets holder's claim on name go, and for users what occupies
// the name's derived object name for it.
func releaseName[T client.Object](ctx context.Context, s *Store, k kindOf[T], t store.Tenant, name, holder string) {
	if k.derived {
		s.releaseUserName(ctx, t, name, holder)
		return
	}
	_ = s.claims.release(ctx, k.claim, t, name, holder)
}

// createClaimed creates obj under a fresh random name after claiming its
// unique name with a Lease: groups always, users whose derived name another
// user (renamed since) occupies.
func createClaimed[T client.Object](ctx context.Context, s *Store, k kindOf[T], t store.Tenant, obj T) (T, error) {
	var zero T
	obj.SetName(newID())
	name := k.unique(obj)
	started := s.opts.Now()
	if err := s.claims.acquire(ctx, k.claim, t, name, obj.GetName()); err != nil {
		return zero, err
	}
	if k.derived {
		// The name's derived object name is occupied for the claim, so
		// that a create of the name fails on it; a user of the name
		// already there (a rename back to it) keeps the name.
		if err := s.occupy(ctx, t, name, obj.GetName()); err != nil {
			releaseName(ctx, s, k, t, name, obj.GetName())
			return zero, err
		}
	}
	// A claim whose object does not exist yet counts as abandoned after
	// the grace period: a create this slow gives up rather than race a
	// later create that takes the name over.
	if s.opts.Now().Sub(started) > s.opts.ClaimGrace/2 {
		releaseName(ctx, s, k, t, name, obj.GetName())
		return zero, fmt.Errorf("creating %s: claiming its name took longer than %s: %w", k.kind, s.opts.ClaimGrace/2, store.ErrUnavailable)
	}
	if err := s.cached.Create(ctx, obj); err != nil {
		// The API server may have stored the object before the answer was
		// lost (a timeout, a reset connection, a 5xx from a proxy): the
		// claim is released only once the object is known not to exist.
		// The name is a fresh id, so an object by it is this create's.
		stored := k.newObj()
		switch gerr := s.live.Get(ctx, client.ObjectKeyFromObject(obj), stored); {
		case gerr == nil:
			obj = stored
		case apierrors.IsNotFound(gerr):
			releaseName(ctx, s, k, t, name, obj.GetName())
			return zero, classify(err, "creating "+k.kind)
		default:
			// Unknown: the claim stays, and counts as abandoned after the
			// grace period if no object appeared.
			return zero, classify(err, "creating "+k.kind)
		}
	}
	s.waitForCache(ctx, obj, obj.GetResourceVersion())
	return obj, nil
}

// isOurs reports whether id can name an object at all: every id this store
// hands out is a Kubernetes object name (a DNS-1123 subdomain, at most 253
// characters). Anything else (path tricks, slashes, control characters, an
// over-long name) names no resource and must not reach the API client,
// which refuses such names with an error that is not NotFound.
func isOurs(id string) bool {
	return len(validation.IsDNS1123Subdomain(id)) == 0
}

func get[T client.Object](ctx context.Context, s *Store, k kindOf[T], t store.Tenant, id string) (T, error) {
	var zero T
	if !isOurs(id) {
		return zero, fmt.Errorf("getting %s %s: %w", k.kind, id, store.ErrNotFound)
	}
	key := client.ObjectKey{Namespace: t.Namespace, Name: k.nameOf(id)}
	obj := k.newObj()
	err := s.cached.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) || (err == nil && k.id(obj) != id) {
		// Another replica may have created it a moment ago (an IdP's POST
		// and GET can land on different replicas), or deleted and made
		// again the object of that name: ask the API server.
		obj = k.newObj()
		err = s.live.Get(ctx, key, obj)
	}
	if err != nil {
		return zero, classify(err, fmt.Sprintf("getting %s %s", k.kind, id))
	}
	// The object of a derived name is the id's only with the id's UID
	// prefix: an earlier user of the same userName had another.
	if k.id(obj) != id || !visible(k, t, obj) {
		return zero, fmt.Errorf("getting %s %s: %w", k.kind, id, store.ErrNotFound)
	}
	return obj, nil
}

func update[T client.Object](ctx context.Context, s *Store, k kindOf[T], t store.Tenant, in T) (T, error) {
	var zero T
	obj := in.DeepCopyObject().(T)
	obj.SetNamespace(t.Namespace)
	k.tenant(obj).Name = t.IdentityConfig
	s.stampModified(obj)

	current := k.newObj()
	if err := s.live.Get(ctx, client.ObjectKeyFromObject(obj), current); err != nil {
		return zero, classify(err, "reading "+k.kind+" "+obj.GetName())
	}
	if !visible(k, t, current) {
		return zero, fmt.Errorf("updating %s %s: %w", k.kind, obj.GetName(), store.ErrNotFound)
	}
	id := k.id(current)
	oldName, newName := k.unique(current), k.unique(obj)
	renamed := !fold.Equal(oldName, newName)
	if renamed {
		// A rename takes a claim on the new name, whatever the object's
		// name, then reads the object named after the new name: of this
		// rename and a create of that object, at least one sees the other.
		if err := s.claims.acquire(ctx, k.claim, t, newName, id); err != nil {
			return zero, err
		}
		if k.derived {
			// Occupying the new name's derived object name finds a user
			// created with it, as a create of it fails on the occupation.
			if err := s.occupy(ctx, t, newName, id); err != nil {
				releaseName(ctx, s, k, t, newName, id)
				return zero, err
			}
		}
	}
	obj, err := writeSpec(ctx, s, k, obj)
	if err != nil {
		if renamed {
			// As for a create: the new name's claim is released only
			// once the object is known not to hold it.
			stored := k.newObj()
			gerr := s.live.Get(ctx, client.ObjectKeyFromObject(obj), stored)
			if gerr == nil && !fold.Equal(k.unique(stored), newName) {
				releaseName(ctx, s, k, t, newName, id)
			}
		}
		return zero, classify(err, "updating "+k.kind+" "+obj.GetName())
	}
	if renamed {
		// A failed release leaves a claim whose holder no longer has that
		// name; acquire treats it as taken until the object is deleted,
		// which errs on the side of uniqueness.
		releaseName(ctx, s, k, t, oldName, id)
		if k.derived && derivedName(t, newName) == obj.GetName() {
			// Renamed back to the name it was created with: its object
			// name holds the name now (a create fails on it, and
			// createClaimed's occupy finds it after its claim, so this
			// release races no create).
			_ = s.claims.release(ctx, k.claim, t, newName, id)
		}
	}
	s.waitForCache(ctx, obj, obj.GetResourceVersion())
	return obj, nil
}

// writeSpec writes obj. The operator's controllers write the same objects
// (status, finalizers, write-ahead annotations), which changes their
// resourceVersion but never their generation: a conflict with such a write
// is not a conflict with the caller's change, so obj's spec is re-applied
// onto the object as it now is. A changed generation means the spec itself
// changed since the caller read it: that conflict is the caller's.
func writeSpec[T client.Object](ctx context.Context, s *Store, k kindOf[T], obj T) (T, error) {
	for attempt := 0; ; attempt++ {
		err := s.cached.Update(ctx, obj)
		if !apierrors.IsConflict(err) || attempt == conflictRebases {
			return obj, err
		}
		live := k.newObj()
		if gerr := s.live.Get(ctx, client.ObjectKeyFromObject(obj), live); gerr != nil {
			return obj, err
		}
		if live.GetGeneration() != obj.GetGeneration() || live.GetUID() != obj.GetUID() {
			return obj, err
		}
		k.setSpec(live, obj)
		s.stampModified(live)
		obj = live
	}
}

// conflictRebases bounds how often writeSpec re-applies a spec after the
// controllers' writes.
const conflictRebases = 8

func remove[T client.Object](ctx context.Context, s *Store, k kindOf[T], t store.Tenant, id, resourceVersion string) (T, error) {
	obj, err := get(ctx, s, k, t, id)
	if err != nil {
		return obj, err
	}
	pre := client.Preconditions{UID: new(obj.GetUID())}
	if resourceVersion != "" {
		pre.ResourceVersion = &resourceVersion
	}
	if err := s.cached.Delete(ctx, obj, pre); err != nil {
		return obj, classify(err, "deleting "+k.kind+" "+id)
	}
	switch {
	case k.derived && derivedName(t, k.unique(obj)) == obj.GetName():
		// Its object name holds its name, no claim: the name is free
		// once the object is gone (after the controllers' finalizer).
	default:
		// With no finalizer left the object is gone now and its name is
		// free. Otherwise the name stays taken until the controllers have
		// cleaned up in Lightrun and the object is gone; the mark lets the
		// next create of the name take the claim over then, without
		// waiting out the grace.
		gone := k.newObj()
		if err := s.live.Get(ctx, client.ObjectKeyFromObject(obj), gone); apierrors.IsNotFound(err) {
			releaseName(ctx, s, k, t, k.unique(obj), id)
		} else {
			_ = s.claims.holderDeleting(ctx, k.claim, t, k.unique(obj), id)
		}
	}
	s.waitForCache(ctx, obj, "")
	return obj, nil
}

func list[T client.Object](ctx context.Context, s *Store, k kindOf[T], t store.Tenant, sel store.Selector) ([]T, error) {
	items, err := lookup(ctx, s, k, t, sel)
	if err != nil {
		return nil, err
	}
	if sel.Index == store.IndexEmail && k.hasEmail != nil {
		// A lookup by email returns candidates (see userindex.Email).
		items = slices.DeleteFunc(items, func(obj T) bool { return !k.hasEmail(obj, sel.Value) })
	}
	out := items[:0]
	for _, obj := range items {
		if visible(k, t, obj) {
			out = append(out, obj)
		}
	}
	if len(out) == 0 && (sel.Index == store.IndexUserName || sel.Index == store.IndexDisplayName) {
		// The IdP's lookup right after its own POST (Okta does exactly
		// this) may reach a replica whose cache lags: the uniqueness claim,
		// read from the API server, names the holder.
		holder, err := s.claims.holderOf(ctx, k.claim, t, sel.Value)
		if err != nil || holder == "" {
			return nil, err
		}
		obj, err := get(ctx, s, k, t, holder)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil // an abandoned claim: no such object
		}
		if err != nil {
			return nil, err
		}
		if fold.Equal(k.unique(obj), sel.Value) {
			out = append(out, obj)
		}
	}
	return out, nil
}
