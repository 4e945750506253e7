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
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// createJournal keeps the write-ahead records of Lightrun user creates
// (Lightrun rule 6) for many ScimUsers in one list, the IdentityConfig's
// status.createAttempts, so that a batch of creates costs one write ahead
// of the calls instead of one per user: a new user then costs the API
// server one write of its own (the status that records it), not two. At
// 10,000 users on a 2-core machine the second write halved the sync
// (docs/benchmarks.md).
//
// Writes are group commits: a reconcile that needs a record joins the batch
// being gathered and waits until the write carrying it has succeeded. One
// write per IdentityConfig is in flight at a time; what gathers meanwhile
// goes in the next. Each write also drops the entries that have served
// (settled): their ScimUser's status records the Lightrun user, or the
// ScimUser is gone.
//
// The list is read from the API server once, and again after a failed
// write, and written with optimistic locking on the IdentityConfig's
// version: the leader's journal is the list's only writer, but a former
// leader still finishing must not overwrite it, and any other status write
// (user counts, tombstones) makes the next write re-read.
type createJournal struct {
	client client.Client // the cache for ScimUsers; writes go to the API server
	reader client.Reader // the API server
	max    int
	// pruneAfter is how long after a write that left entries the list is
	// written again to drop those that have served by then.
	pruneAfter time.Duration

	mu    sync.Mutex
	books map[client.ObjectKey]*journalBook
}

// journalBook is the journal of one IdentityConfig.
type journalBook struct {
	// stored is the list as last read or written, at version; stale says
	// the next write must read it again first.
	stored  []v1.UserCreateAttempt
	version string
	loaded  bool
	stale   bool
	// gathering is the batch the next write carries; writing says a
	// write is in flight; pruning says a prune-only write is scheduled.
	gathering *journalBatch
	writing   bool
	pruning   bool
}

// journalBatch is what one write adds and removes.
type journalBatch struct {
	add  map[string]v1.UserCreateAttempt // by ScimUser UID
	drop map[string]bool                 // ScimUser UIDs
	done chan struct{}
	err  error
	// full names the additions that did not fit (MaxCreateAttempts).
	full map[string]bool
}

func newCreateJournal(c client.Client, reader client.Reader, maxEntries int) *createJournal {
	return &createJournal{client: c, reader: reader, max: maxEntries, pruneAfter: 5 * time.Second, books: map[client.ObjectKey]*journalBook{}}
}

// tenantOf is the IdentityConfig whose journal holds u's record.
func tenantOf(u *v1.ScimUser) client.ObjectKey {
	return client.ObjectKey{Namespace: u.Namespace, Name: u.Spec.IdentityConfigRef.Name}
}

func (j *createJournal) book(key client.ObjectKey) *journalBook {
	b := j.books[key]
	if b == nil {
		b = &journalBook{}
		j.books[key] = b
	}
	return b
}

// load reads the IdentityConfig's list from the API server unless it is
// known already: attempt answers from memory.
func (j *createJournal) load(ctx context.Context, key client.ObjectKey) error {
	j.mu.Lock()
	loaded := j.book(key).loaded
	j.mu.Unlock()
	if loaded {
		return nil
	}
	return j.read(ctx, key)
}

// read reads the list as stored.
func (j *createJournal) read(ctx context.Context, key client.ObjectKey) error {
	// A missing IdentityConfig reads as an empty list at no version, which
	// commit refuses to write.
	ic := &v1.IdentityConfig{}
	if err := j.reader.Get(ctx, key, ic); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading the create records of IdentityConfig %s: %w", key.Name, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	b := j.book(key)
	b.stored, b.version, b.loaded, b.stale = ic.Status.CreateAttempts, ic.ResourceVersion, true, false
	return nil
}

// attempt returns the journal's record of a create for u, or nil.
func (j *createJournal) attempt(u *v1.ScimUser) *v1.LightrunCreateAttempt {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.find(u)
}

// find is attempt with j.mu held.
func (j *createJournal) find(u *v1.ScimUser) *v1.LightrunCreateAttempt {
	b := j.books[tenantOf(u)]
	if b == nil {
		return nil
	}
	for _, e := range b.stored {
		if e.UID == string(u.UID) && e.User == u.Name {
			return &v1.LightrunCreateAttempt{Email: e.Email, Time: e.Time}
		}
	}
	return nil
}

// record stores the record of a create of email for u, made at at, and
// returns once it is written. It reports false when the list is full: the
// caller records the create elsewhere.
func (j *createJournal) record(ctx context.Context, u *v1.ScimUser, email string, at metav1.Time) (bool, error) {
	uid := string(u.UID)
	batch, err := j.submit(ctx, tenantOf(u), func(b *journalBatch) {
		delete(b.drop, uid)
		b.add[uid] = v1.UserCreateAttempt{User: u.Name, UID: uid, Email: email, Time: at}
	})
	if err != nil {
		return false, err
	}
	return !batch.full[uid], nil
}

// forget removes u's record and returns once that is written. Nothing is
// written when the journal holds none.
func (j *createJournal) forget(ctx context.Context, u *v1.ScimUser) error {
	if j.attempt(u) == nil {
		return nil
	}
	uid := string(u.UID)
	_, err := j.submit(ctx, tenantOf(u), func(b *journalBatch) {
		delete(b.add, uid)
		b.drop[uid] = true
	})
	return err
}

// settle asks for a write soon that drops the records that have served,
// when the journal holds one for u: u's status now records its user.
func (j *createJournal) settle(u *v1.ScimUser) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.find(u) != nil {
		j.schedulePrune(tenantOf(u))
	}
}

// schedulePrune arms one prune-only write of key's list. j.mu is held.
func (j *createJournal) schedulePrune(key client.ObjectKey) {
	b := j.book(key)
	if b.pruning || len(b.stored) == 0 {
		return
	}
	b.pruning = true
	time.AfterFunc(j.pruneAfter, func() {
		j.mu.Lock()
		j.book(key).pruning = false
		j.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), journalWriteTimeout)
		defer cancel()
		_, _ = j.submit(ctx, key, func(*journalBatch) {})
	})
}

// journalWriteTimeout bounds one write of a list, retries included.
const journalWriteTimeout = 30 * time.Second

// submit adds a change to the batch being gathered, starts a write when
// none is in flight, and waits for the write that carries the change.
func (j *createJournal) submit(ctx context.Context, key client.ObjectKey, change func(*journalBatch)) (*journalBatch, error) {
	j.mu.Lock()
	b := j.book(key)
	if b.gathering == nil {
		b.gathering = &journalBatch{add: map[string]v1.UserCreateAttempt{}, drop: map[string]bool{}, done: make(chan struct{})}
	}
	batch := b.gathering
	change(batch)
	if !b.writing {
		b.writing = true
		go j.writeBatches(key)
	}
	j.mu.Unlock()
	select {
	case <-batch.done:
		return batch, batch.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// writeBatches writes the gathered batches of key one after the other
// until none is left.
func (j *createJournal) writeBatches(key client.ObjectKey) {
	for {
		j.mu.Lock()
		b := j.book(key)
		batch := b.gathering
		b.gathering = nil
		if batch == nil {
			b.writing = false
			j.mu.Unlock()
			return
		}
		j.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), journalWriteTimeout)
		batch.err = j.commit(ctx, key, batch)
		cancel()
		close(batch.done)
	}
}

// journalConflictBackoff retries a write another status write of the
// IdentityConfig got ahead of: the user counts change every few seconds
// during a sync.
var journalConflictBackoff = wait.Backoff{Steps: 10, Duration: 5 * time.Millisecond, Factor: 2, Jitter: 0.5, Cap: time.Second}

// commit writes the list with batch applied, the entries that have served
// dropped.
func (j *createJournal) commit(ctx context.Context, key client.ObjectKey, batch *journalBatch) error {
	err := retry.RetryOnConflict(journalConflictBackoff, func() error {
		j.mu.Lock()
		b := j.book(key)
		fresh := b.loaded && !b.stale
		stored, version := b.stored, b.version
		j.mu.Unlock()
		if !fresh {
			if err := j.read(ctx, key); err != nil {
				return err
			}
			j.mu.Lock()
			stored, version = b.stored, b.version
			j.mu.Unlock()
		}
		if version == "" {
			return fmt.Errorf("IdentityConfig %s not found", key.Name)
		}
		next, full := j.plan(ctx, key.Namespace, stored, batch)
		batch.full = full
		if slices.EqualFunc(next, stored, sameAttempt) {
			return nil
		}
		base := &v1.IdentityConfig{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, ResourceVersion: version}}
		base.Status.CreateAttempts = stored
		ic := base.DeepCopy()
		ic.Status.CreateAttempts = next
		if err := j.client.Status().Patch(ctx, ic, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			j.mu.Lock()
			b.stale = true
			j.mu.Unlock()
			return err
		}
		j.mu.Lock()
		defer j.mu.Unlock()
		b.stored, b.version = ic.Status.CreateAttempts, ic.ResourceVersion
		j.schedulePrune(key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("writing the create records of IdentityConfig %s: %w", key.Name, err)
	}
	return nil
}

// plan is the list after batch: the stored entries that have not served
// and are not replaced, then the additions that fit.
func (j *createJournal) plan(ctx context.Context, namespace string, stored []v1.UserCreateAttempt, batch *journalBatch) ([]v1.UserCreateAttempt, map[string]bool) {
	next := make([]v1.UserCreateAttempt, 0, len(stored)+len(batch.add))
	for _, e := range stored {
		if _, replaced := batch.add[e.UID]; replaced || batch.drop[e.UID] || j.served(ctx, namespace, e) {
			continue
		}
		next = append(next, e)
	}
	added := make([]v1.UserCreateAttempt, 0, len(batch.add))
	for _, e := range batch.add {
		added = append(added, e)
	}
	slices.SortFunc(added, func(a, b v1.UserCreateAttempt) int { return a.Time.Compare(b.Time.Time) })
	full := map[string]bool{}
	for _, e := range added {
		if len(next) >= j.max {
			full[e.UID] = true
			continue
		}
		next = append(next, e)
	}
	return next, full
}

// served reports whether an entry is no longer needed: its ScimUser is gone
// (its finalizer ran, reading the record) or is another object of the same
// name, or its status records the Lightrun user the entry names, which
// every ownership check reads first. The cache is enough: it shows the
// status only once it is written.
func (j *createJournal) served(ctx context.Context, namespace string, e v1.UserCreateAttempt) bool {
	u := &v1.ScimUser{}
	if err := j.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: e.User}, u); err != nil {
		return apierrors.IsNotFound(err)
	}
	return string(u.UID) != e.UID || owns(u, e.Email)
}

func sameAttempt(a, b v1.UserCreateAttempt) bool {
	return a.User == b.User && a.UID == b.UID && a.Email == b.Email && a.Time.Equal(&b.Time)
}
