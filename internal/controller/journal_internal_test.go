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
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// journalFixture is an IdentityConfig and its ScimUsers in a fake API
// server that counts (and may hold) the writes of the create records.
type journalFixture struct {
	client client.WithWatch
	ic     client.ObjectKey
	users  []*v1.ScimUser
	writes atomic.Int32
	// hold, when set, is waited on by every write of the records.
	hold chan struct{}
}

func newJournalFixture(t *testing.T, users int) *journalFixture {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	f := &journalFixture{ic: client.ObjectKey{Namespace: "ns", Name: "okta"}}
	objs := []client.Object{&v1.IdentityConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "okta"}}}
	for i := range users {
		u := &v1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("user-%d", i), UID: types.UID(fmt.Sprintf("uid-%d", i))}}
		u.Spec.IdentityConfigRef.Name = "okta"
		f.users = append(f.users, u)
		objs = append(objs, u)
	}
	f.client = fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&v1.IdentityConfig{}, &v1.ScimUser{}).
		WithInterceptorFuncs(interceptor.Funcs{
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
				if _, ok := obj.(*v1.IdentityConfig); ok {
					f.writes.Add(1)
					if f.hold != nil {
						<-f.hold
					}
				}
				return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
			},
		}).Build()
	return f
}

func (f *journalFixture) journal(maxEntries int) *createJournal {
	j := newCreateJournal(f.client, f.client, maxEntries)
	j.pruneAfter = time.Hour // the tests write on their own
	return j
}

// stored is the list as the API server holds it: ScimUser name → email.
func (f *journalFixture) stored(t *testing.T) map[string]string {
	t.Helper()
	ic := &v1.IdentityConfig{}
	if err := f.client.Get(context.Background(), f.ic, ic); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ic.Status.CreateAttempts {
		out[e.User] = e.Email
	}
	return out
}

func emailOf(u *v1.ScimUser) string { return u.Name + "@example.com" }

func recordAll(t *testing.T, j *createJournal, users []*v1.ScimUser) []bool {
	t.Helper()
	ok := make([]bool, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			var err error
			ok[i], err = j.record(context.Background(), u, emailOf(u), metav1.NewTime(time.Unix(int64(1000+i), 0)))
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	return ok
}

// A batch of creates costs one write: the records that gather while one
// write is in flight all go in the next.
func TestJournalGroupCommit(t *testing.T) {
	f := newJournalFixture(t, 6)
	j := f.journal(v1.MaxCreateAttempts)
	if err := j.load(context.Background(), f.ic); err != nil {
		t.Fatal(err)
	}
	f.hold = make(chan struct{})
	first := make(chan bool)
	go func() {
		ok, err := j.record(context.Background(), f.users[0], emailOf(f.users[0]), metav1.Now())
		if err != nil {
			t.Error(err)
		}
		first <- ok
	}()
	for f.writes.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// Five more gather while the first write is held.
	rest := make(chan []bool)
	go func() { rest <- recordAll(t, j, f.users[1:]) }()
	time.Sleep(100 * time.Millisecond)
	close(f.hold)
	if !<-first || slices.Contains(<-rest, false) {
		t.Fatal("a record did not fit in an empty journal")
	}
	if got := f.writes.Load(); got != 2 {
		t.Errorf("6 records took %d writes, want 2 (one, then the five that gathered meanwhile)", got)
	}
	if got := f.stored(t); len(got) != 6 {
		t.Errorf("stored %v, want the 6 users", got)
	}
	for _, u := range f.users {
		a := j.attempt(u)
		if a == nil || a.Email != emailOf(u) {
			t.Errorf("attempt(%s) = %v, want %s", u.Name, a, emailOf(u))
		}
	}
}

// Past MaxCreateAttempts a record does not fit, and record says so: the
// caller writes it on the ScimUser instead.
func TestJournalFull(t *testing.T) {
	f := newJournalFixture(t, 3)
	j := f.journal(2)
	ok := recordAll(t, j, f.users[:2])
	if slices.Contains(ok, false) {
		t.Fatalf("two records in a journal of two: %v", ok)
	}
	fits, err := j.record(context.Background(), f.users[2], emailOf(f.users[2]), metav1.Now())
	if err != nil {
		t.Fatal(err)
	}
	if fits {
		t.Error("a third record fitted in a journal of two")
	}
	if got := f.stored(t); len(got) != 2 || got[f.users[2].Name] != "" {
		t.Errorf("stored %v, want the first two users only", got)
	}
	if j.attempt(f.users[2]) != nil {
		t.Error("the record that did not fit is reported as written")
	}
}

// A record goes once it has served: its user's status records the Lightrun
// user, or the user is gone or is another object of the same name; a
// record of a user still waiting stays. Forgetting a record writes at once.
func TestJournalDropsServedRecords(t *testing.T) {
	ctx := context.Background()
	f := newJournalFixture(t, 5)
	j := f.journal(v1.MaxCreateAttempts)
	recordAll(t, j, f.users[:4])

	owner := f.users[0].DeepCopy()
	owner.Status.Email, owner.Status.LightrunUserID = emailOf(owner), "lr-0"
	if err := f.client.Status().Update(ctx, owner); err != nil {
		t.Fatal(err)
	}
	if err := f.client.Delete(ctx, f.users[1]); err != nil {
		t.Fatal(err)
	}
	if err := f.client.Delete(ctx, f.users[2]); err != nil {
		t.Fatal(err)
	}
	again := &v1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: f.users[2].Name, UID: "another"}}
	if err := f.client.Create(ctx, again); err != nil {
		t.Fatal(err)
	}
	// Another email's user owned: the record of a create of this email
	// has not served.
	waiting := f.users[3].DeepCopy()
	waiting.Status.Email, waiting.Status.LightrunUserID = "old@example.com", "lr-3"
	if err := f.client.Status().Update(ctx, waiting); err != nil {
		t.Fatal(err)
	}

	recordAll(t, j, f.users[4:])
	want := map[string]string{f.users[3].Name: emailOf(f.users[3]), f.users[4].Name: emailOf(f.users[4])}
	if got := f.stored(t); !maps.Equal(got, want) {
		t.Errorf("after the next write: %v, want %v", got, want)
	}

	writes := f.writes.Load()
	if err := j.forget(ctx, f.users[3]); err != nil {
		t.Fatal(err)
	}
	if got := f.stored(t); len(got) != 1 || got[f.users[4].Name] == "" {
		t.Errorf("after forgetting %s: %v", f.users[3].Name, got)
	}
	if err := j.forget(ctx, f.users[3]); err != nil {
		t.Fatal(err)
	}
	if got := f.writes.Load(); got != writes+1 {
		t.Errorf("forgetting wrote %d times, want once (nothing to forget the second time)", got-writes)
	}
}

// Two journals of one IdentityConfig (a former leader still finishing, and
// the new one) never overwrite each other's records: each write is
// conditioned on the version it read.
func TestJournalTwoWriters(t *testing.T) {
	ctx := context.Background()
	f := newJournalFixture(t, 2)
	old, next := f.journal(v1.MaxCreateAttempts), f.journal(v1.MaxCreateAttempts)
	for _, j := range []*createJournal{old, next} {
		if err := j.load(ctx, f.ic); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := old.record(ctx, f.users[0], emailOf(f.users[0]), metav1.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := next.record(ctx, f.users[1], emailOf(f.users[1]), metav1.Now()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{f.users[0].Name: emailOf(f.users[0]), f.users[1].Name: emailOf(f.users[1])}
	if got := f.stored(t); !maps.Equal(got, want) {
		t.Errorf("stored %v, want both writers' records %v", got, want)
	}
}
