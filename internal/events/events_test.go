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

package events

import (
	"context"
	"errors"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"
)

var t0 = time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)

// listEvents returns the Events of tenant-a in the fake clientset.
func listEvents(t *testing.T, c *fake.Clientset) []eventsv1.Event {
	t.Helper()
	list, err := c.EventsV1().Events("tenant-a").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// writes counts the fake clientset's create and patch calls on Events.
func writes(c *fake.Clientset) (creates, patches int) {
	for _, a := range c.Actions() {
		switch a.GetVerb() {
		case "create":
			creates++
		case "patch":
			patches++
		}
	}
	return creates, patches
}

func TestEventLands(t *testing.T) {
	c := fake.NewClientset()
	opts := testOptions(t)
	clk := clocktesting.NewFakePassiveClock(t0)
	opts.Clock = clk
	b := New(c.EventsV1(), testScheme(t), opts)
	start(t, b)

	u := user("alice")
	pool := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-a", Name: "pool", UID: "uid-pool"}}
	b.Recorder("scimuser-controller").Eventf(u, pool, corev1.EventTypeNormal, "UserCreated", "CreateUser",
		"Created Lightrun user %s (id %d)", "alice@example.com", 42)

	eventually(t, "the Event", func() bool { return len(listEvents(t, c)) == 1 })
	ev := listEvents(t, c)[0]
	if !strings.HasPrefix(ev.Name, "alice.") || len(ev.Name) <= len("alice.") {
		t.Errorf("name %q: want alice.<hex>", ev.Name)
	}
	if ev.Namespace != "tenant-a" {
		t.Errorf("namespace %q", ev.Namespace)
	}
	want := corev1.ObjectReference{
		Kind: "ScimUser", APIVersion: "identity.lightrun.com/v1alpha1",
		Namespace: "tenant-a", Name: "alice", UID: "uid-alice", ResourceVersion: "7",
	}
	if ev.Regarding != want {
		t.Errorf("regarding %+v, want %+v", ev.Regarding, want)
	}
	if ev.Related == nil || ev.Related.Kind != "ConfigMap" || ev.Related.Name != "pool" {
		t.Errorf("related %+v", ev.Related)
	}
	if ev.ReportingController != "scimuser-controller" || ev.ReportingInstance != "scimuser-controller-host-1" {
		t.Errorf("reporting %q %q", ev.ReportingController, ev.ReportingInstance)
	}
	if ev.Type != corev1.EventTypeNormal || ev.Reason != "UserCreated" || ev.Action != "CreateUser" {
		t.Errorf("type %q reason %q action %q", ev.Type, ev.Reason, ev.Action)
	}
	if ev.Note != "Created Lightrun user alice@example.com (id 42)" {
		t.Errorf("note %q", ev.Note)
	}
	if !ev.EventTime.Time.Equal(t0) || ev.Series != nil {
		t.Errorf("eventTime %v series %+v", ev.EventTime, ev.Series)
	}
}

func TestEventNamesAreUnique(t *testing.T) {
	b := New(&sink{}, testScheme(t), testOptions(t))
	seen := map[string]bool{}
	for range 1000 {
		n := b.eventName("alice", t0)
		if seen[n] {
			t.Fatalf("%s twice", n)
		}
		seen[n] = true
	}
	if n := b.eventName(strings.Repeat("x", 260), t0); len(n) != 36 {
		t.Errorf("an invalid name should be replaced by a UUID, got %q", n)
	}
}

func TestRepeatBecomesSeries(t *testing.T) {
	c := fake.NewClientset()
	opts := testOptions(t)
	clk := clocktesting.NewFakePassiveClock(t0)
	opts.Clock = clk
	b := New(c.EventsV1(), testScheme(t), opts)
	start(t, b)
	rec := b.Recorder("scimuser-controller")
	u := user("bob")
	record := func(note string) {
		rec.Eventf(u, nil, corev1.EventTypeWarning, "DriftReverted", "RevertUser", note)
	}

	record("first")
	eventually(t, "the first Event", func() bool { return len(listEvents(t, c)) == 1 })
	clk.SetTime(t0.Add(time.Minute))
	record("second")
	eventually(t, "a series of 2", func() bool {
		evs := listEvents(t, c)
		return len(evs) == 1 && evs[0].Series != nil && evs[0].Series.Count == 2
	})
	ev := listEvents(t, c)[0]
	if !ev.Series.LastObservedTime.Time.Equal(t0.Add(time.Minute)) || ev.Note != "first" || !ev.EventTime.Time.Equal(t0) {
		t.Errorf("series %+v note %q eventTime %v: want lastObservedTime %v, the first note and eventTime", ev.Series, ev.Note, ev.EventTime, t0.Add(time.Minute))
	}

	// Within 6 minutes of the last observation, not of the first.
	clk.SetTime(t0.Add(6*time.Minute + 30*time.Second))
	record("third")
	eventually(t, "a series of 3", func() bool {
		evs := listEvents(t, c)
		return len(evs) == 1 && evs[0].Series != nil && evs[0].Series.Count == 3
	})
	if creates, patches := writes(c); creates != 1 || patches != 2 {
		t.Errorf("%d creates and %d patches, want 1 and 2", creates, patches)
	}

	// Another reason, action or object is another Event.
	rec.Eventf(u, nil, corev1.EventTypeWarning, "DriftReverted", "RevertGroup", "other action")
	rec.Eventf(user("carol"), nil, corev1.EventTypeWarning, "DriftReverted", "RevertUser", "other user")
	eventually(t, "three Events", func() bool { return len(listEvents(t, c)) == 3 })

	// Over 6 minutes after the last observation: a new Event.
	clk.SetTime(t0.Add(12*time.Minute + 31*time.Second))
	record("later")
	eventually(t, "a new Event", func() bool { return len(listEvents(t, c)) == 4 })
}

func TestSeriesOfADeletedEventIsCreated(t *testing.T) {
	c := fake.NewClientset()
	b := New(c.EventsV1(), testScheme(t), testOptions(t))
	start(t, b)
	rec := b.Recorder("scimuser-controller")
	u := user("dave")
	rec.Eventf(u, nil, corev1.EventTypeNormal, "UserUpdated", "UpdateUser", "first")
	eventually(t, "the Event", func() bool { return len(listEvents(t, c)) == 1 })
	name := listEvents(t, c)[0].Name
	if err := c.EventsV1().Events("tenant-a").Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	rec.Eventf(u, nil, corev1.EventTypeNormal, "UserUpdated", "UpdateUser", "second")
	eventually(t, "the series created again", func() bool {
		evs := listEvents(t, c)
		return len(evs) == 1 && evs[0].Name == name && evs[0].Series != nil && evs[0].Series.Count == 2 && evs[0].Note == "first"
	})
}

func TestFullQueueDrops(t *testing.T) {
	s := &sink{block: make(chan struct{})}
	opts := testOptions(t)
	opts.QueueLength, opts.Workers = 4, 1
	b := New(s, testScheme(t), opts)
	rec := b.Recorder("scimuser-controller")
	dropped := metricDropped.WithLabelValues(dropQueueFull)
	before := testutil.ToFloat64(dropped)

	// Not started: the queue holds 4, the other 6 are dropped, and Eventf
	// never blocks.
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		for i := range 10 {
			rec.Eventf(user("u"+string(rune('a'+i))), nil, corev1.EventTypeNormal, "UserCreated", "CreateUser", "n")
		}
	}()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("Eventf blocks when the queue is full")
	}
	if got := testutil.ToFloat64(dropped) - before; got != 6 {
		t.Errorf("dropped %v, want 6", got)
	}
	if n := len(b.workers[0].queue); n != 4 {
		t.Errorf("%d queued, want 4", n)
	}

	// Started against a blocked API server: one Event in the worker's hands,
	// the queue refills to 4 and no more.
	start(t, b)
	eventually(t, "the worker to block", func() bool { return s.waiting.Load() == 1 })
	for i := range 10 {
		rec.Eventf(user("v"+string(rune('a'+i))), nil, corev1.EventTypeNormal, "UserCreated", "CreateUser", "n")
	}
	if got := testutil.ToFloat64(dropped) - before; got != 6+9 {
		t.Errorf("dropped %v, want 15", got)
	}
	close(s.block)
	eventually(t, "the queue written", func() bool { return s.creates.Load() == 5 })
}

func TestStopEndsWorkers(t *testing.T) {
	s := &sink{block: make(chan struct{})}
	opts := testOptions(t)
	opts.Workers = 3
	b := New(s, testScheme(t), opts)
	stop := start(t, b)
	rec := b.Recorder("scimuser-controller")
	for i := range 50 {
		rec.Eventf(user("u"+string(rune('a'+i))), nil, corev1.EventTypeNormal, "UserCreated", "CreateUser", "n")
	}
	eventually(t, "the workers to block", func() bool { return s.waiting.Load() > 0 })
	begun := time.Now()
	stop()
	// Against a blocked API server: the write in progress is abandoned.
	if d := time.Since(begun); d > 5*time.Second {
		t.Errorf("Start took %v to return", d)
	}
	if n := workerGoroutines(); n != 0 {
		t.Errorf("%d worker goroutines left after Start returned", n)
	}
	if err := b.Start(context.Background()); err == nil {
		t.Error("a second Start should fail")
	}
	// After the stop, Events are discarded without counting them as drops.
	before := testutil.ToFloat64(metricDropped.WithLabelValues(dropQueueFull))
	for range 100 {
		rec.Eventf(user("late"), nil, corev1.EventTypeNormal, "UserCreated", "CreateUser", "n")
	}
	if got := testutil.ToFloat64(metricDropped.WithLabelValues(dropQueueFull)) - before; got != 0 {
		t.Errorf("%v Events counted as dropped after the stop", got)
	}
}

// workerGoroutines counts the goroutines running this package's workers.
func workerGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := goruntime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Count(string(buf), "internal/events.(*worker).run")
}

func TestNoteTruncated(t *testing.T) {
	c := fake.NewClientset()
	b := New(c.EventsV1(), testScheme(t), testOptions(t))
	start(t, b)
	// 3-byte runes, so 1024 bytes falls inside one.
	long := strings.Repeat("é€", 400)
	b.Recorder("scimuser-controller").Eventf(user("erin"), nil, corev1.EventTypeNormal, "UserUpdated", "UpdateUser", "%s", long)
	eventually(t, "the Event", func() bool { return len(listEvents(t, c)) == 1 })
	note := listEvents(t, c)[0].Note
	if len(note) > NoteLimit || len(note) < NoteLimit-3 || !utf8.ValidString(note) || !strings.HasPrefix(long, note) {
		t.Errorf("note of %d bytes (valid UTF-8 %v): want a prefix of the note, at most %d bytes", len(note), utf8.ValidString(note), NoteLimit)
	}
	if got := truncate("short", NoteLimit); got != "short" {
		t.Errorf("truncate(short) = %q", got)
	}
}

func TestReportingInstanceTruncated(t *testing.T) {
	opts := testOptions(t)
	opts.Hostname = strings.Repeat("h", 200)
	b := New(&sink{}, testScheme(t), opts)
	r := b.Recorder("scimuser-controller").(*namedRecorder)
	if len(r.instance) != 128 || !strings.HasPrefix(r.instance, "scimuser-controller-hhh") {
		t.Errorf("reportingInstance %q (%d)", r.instance, len(r.instance))
	}
}

func TestInvalidEventsAreNotRecorded(t *testing.T) {
	b := New(&sink{}, testScheme(t), testOptions(t))
	rec := b.Recorder("scimuser-controller")
	rec.Eventf(user("frank"), nil, "Bogus", "UserCreated", "CreateUser", "n")
	// A type the scheme does not know cannot be referenced.
	rec.Eventf(&unknown{}, nil, corev1.EventTypeNormal, "UserCreated", "CreateUser", "n")
	rec.Eventf(nil, nil, corev1.EventTypeNormal, "UserCreated", "CreateUser", "n")
	if n := len(b.workers[0].queue) + len(b.workers[1].queue); n != 0 {
		t.Errorf("%d invalid Events queued", n)
	}
}

type unknown struct{ corev1.ConfigMap }

func (u *unknown) DeepCopyObject() runtime.Object { return &unknown{} }

func TestWriteFailures(t *testing.T) {
	gr := schema.GroupResource{Group: "events.k8s.io", Resource: "events"}
	terminating := apierrors.NewForbidden(gr, "x", errors.New("namespace tenant-a is being terminated"))
	terminating.ErrStatus.Details.Causes = append(terminating.ErrStatus.Details.Causes,
		metav1.StatusCause{Type: corev1.NamespaceTerminatingCause})
	for _, tc := range []struct {
		name     string
		errs     []error // answers of the successive creates; then success
		attempts int
		created  bool
		dropped  string
		// logged: an error is logged (a namespace being deleted is quiet).
		logged bool
	}{
		{"unavailable twice", []error{apierrors.NewServiceUnavailable("x"), apierrors.NewServiceUnavailable("x")}, 3, true, "", false},
		{"transport", []error{errors.New("connection refused")}, 2, true, "", false},
		{"unavailable for good", []error{apierrors.NewServiceUnavailable("x"), apierrors.NewServiceUnavailable("x"), apierrors.NewServiceUnavailable("x")}, 3, false, dropFailed, true},
		{"namespace terminating", []error{terminating}, 1, false, dropRejected, false},
		{"namespace gone", []error{apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "tenant-a")}, 1, false, dropRejected, false},
		{"invalid", []error{apierrors.NewBadRequest("note too long")}, 1, false, dropRejected, true},
		{"forbidden by RBAC", []error{apierrors.NewForbidden(gr, "x", errors.New("no"))}, 1, false, dropRejected, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientset()
			attempts := 0
			c.PrependReactor("create", "events", func(clienttesting.Action) (bool, runtime.Object, error) {
				attempts++
				if attempts <= len(tc.errs) {
					return true, nil, tc.errs[attempts-1]
				}
				return false, nil, nil
			})
			counters := map[string]float64{}
			for _, r := range []string{dropRejected, dropFailed} {
				counters[r] = testutil.ToFloat64(metricDropped.WithLabelValues(r))
			}
			opts := testOptions(t)
			var errorLogs atomic.Int64
			opts.Logger = funcr.New(func(_, args string) {
				if strings.Contains(args, `"error"`) || strings.Contains(args, `error=`) {
					errorLogs.Add(1)
				}
			}, funcr.Options{})
			b := New(c.EventsV1(), testScheme(t), opts)
			stop := start(t, b)
			b.Recorder("scimuser-controller").Eventf(user("gina"), nil, corev1.EventTypeNormal, "UserCreated", "CreateUser", "n")
			eventually(t, "the attempts", func() bool {
				d := 0.0
				for r, v := range counters {
					d += testutil.ToFloat64(metricDropped.WithLabelValues(r)) - v
				}
				return len(listEvents(t, c)) == 1 || d > 0
			})
			stop()
			if logged := errorLogs.Load() > 0; logged != tc.logged {
				t.Errorf("error logged %v, want %v", logged, tc.logged)
			}
			if attempts != tc.attempts {
				t.Errorf("%d attempts, want %d", attempts, tc.attempts)
			}
			if created := len(listEvents(t, c)) == 1; created != tc.created {
				t.Errorf("created %v, want %v", created, tc.created)
			}
			for r, v := range counters {
				want := 0.0
				if r == tc.dropped {
					want = 1
				}
				if got := testutil.ToFloat64(metricDropped.WithLabelValues(r)) - v; got != want {
					t.Errorf("dropped{reason=%s} +%v, want +%v", r, got, want)
				}
			}
		})
	}
}

func TestLRUEvicts(t *testing.T) {
	c := newLRU(2)
	evs := []*eventsv1.Event{}
	for _, n := range []string{"a", "b", "c"} {
		ev := &eventsv1.Event{Reason: "R", Regarding: corev1.ObjectReference{Name: n}}
		evs = append(evs, ev)
	}
	c.add(keyOf(evs[0]), evs[0])
	c.add(keyOf(evs[1]), evs[1])
	c.get(keyOf(evs[0])) // a is now more recent than b
	c.add(keyOf(evs[2]), evs[2])
	if c.size() != 2 || len(c.items) != 2 {
		t.Fatalf("size %d, %d keys; want 2", c.size(), len(c.items))
	}
	if _, ok := c.get(keyOf(evs[1])); ok {
		t.Error("b, the least recently seen, should be forgotten")
	}
	for _, ev := range []*eventsv1.Event{evs[0], evs[2]} {
		if got, ok := c.get(keyOf(ev)); !ok || got != ev {
			t.Errorf("%s forgotten", ev.Regarding.Name)
		}
	}
}
