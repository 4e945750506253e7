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
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	clientevents "k8s.io/client-go/tools/events"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

// The heap that recording Events for a bulk push leaves behind: 100,000
// Events about 100,000 distinct ScimUsers (the ScimUser controller's
// UserCreated, one per user), recorded through this package's recorder and
// through client-go's events.k8s.io broadcaster (what controller-runtime's
// GetEventRecorder uses), into a fake API server that either answers at
// once and keeps nothing ("fast") or never answers ("blocked"). The heap is
// measured after a forced collection, once the recorder is done with what it
// can do, with the recorder still running.
//
//	go test ./internal/events -run '^$' -bench RetainedHeap -benchtime=1x

const heapEvents = 100_000

type heapResult struct {
	retained int64 // HeapAlloc after the Events less before the recorder, after GC
	written  int64 // writes the fake API server answered or holds
	// dropped are the Events that never reached the API server: the queue
	// was full (internal/events), or client-go's watch.Broadcaster, which
	// drops what its watcher's channel of 1,000 cannot take.
	dropped int64
}

func heapAlloc() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// recordUsers records the ScimUser controller's Event for n distinct users.
func recordUsers(n int, eventf func(regarding *v1.ScimUser, note string, args ...any)) {
	for i := range n {
		name := fmt.Sprintf("user-%06d", i)
		eventf(user(name), "Created Lightrun user %s (%s).", name+"@example.com", fmt.Sprintf("lr-%08x", i))
	}
}

// ours runs this package's recorder.
func ours(tb testing.TB, blocked bool) heapResult {
	s := &sink{}
	if blocked {
		s.block = make(chan struct{})
	}
	dropped := metricDropped.WithLabelValues(dropQueueFull)
	droppedBefore := testutil.ToFloat64(dropped)
	before := heapAlloc()

	b := New(s, testScheme(tb), Options{Hostname: "host-1", Logger: logr.Discard()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = b.Start(ctx)
	}()
	rec := b.Recorder("scimuser-controller")
	recordUsers(heapEvents, func(u *v1.ScimUser, note string, args ...any) {
		rec.Eventf(u, nil, corev1.EventTypeNormal, "UserCreated", "CreateUser", note, args...)
	})
	settled := func() bool {
		d := int64(testutil.ToFloat64(dropped) - droppedBefore)
		if blocked {
			return s.waiting.Load() == int64(len(b.workers))
		}
		return s.creates.Load()+d == heapEvents
	}
	waitFor(tb, settled)
	res := heapResult{
		retained: heapAlloc() - before,
		written:  s.creates.Load() + s.waiting.Load(),
		dropped:  int64(testutil.ToFloat64(dropped) - droppedBefore),
	}
	runtime.KeepAlive(b)
	cancel()
	if blocked {
		close(s.block)
	}
	<-done
	return res
}

// clientGo runs client-go's events.k8s.io broadcaster.
func clientGo(tb testing.TB, blocked bool) heapResult {
	s := &cgSink{}
	if blocked {
		s.block = make(chan struct{})
	}
	before := heapAlloc()

	bc := clientevents.NewBroadcaster(s)
	ctx, cancel := context.WithCancel(context.Background())
	if err := bc.StartRecordingToSinkWithContext(ctx); err != nil {
		tb.Fatal(err)
	}
	rec := bc.NewRecorder(testScheme(tb), "scimuser-controller")
	recordUsers(heapEvents, func(u *v1.ScimUser, note string, args ...any) {
		rec.Eventf(u, nil, corev1.EventTypeNormal, "UserCreated", "CreateUser", note, args...)
	})
	// client-go hands each Event to a goroutine of its own: wait until no
	// more reach the sink.
	last, still := int64(-1), 0
	waitFor(tb, func() bool {
		n := s.calls.Load()
		if n == last {
			still++
		} else {
			last, still = n, 0
		}
		return n == heapEvents || still >= 10
	})
	res := heapResult{retained: heapAlloc() - before, written: s.calls.Load(), dropped: heapEvents - s.calls.Load()}
	runtime.KeepAlive(bc)
	if blocked {
		close(s.block)
	}
	cancel()
	bc.Shutdown()
	return res
}

func waitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatal("timed out waiting for the recorder to settle")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cgSink is client-go's EventSink over a fake API server that keeps nothing.
type cgSink struct {
	block chan struct{}
	calls atomic.Int64
}

func (s *cgSink) answer(ev *eventsv1.Event) (*eventsv1.Event, error) {
	s.calls.Add(1)
	if s.block != nil {
		<-s.block
	}
	return ev, nil
}

func (s *cgSink) Create(_ context.Context, ev *eventsv1.Event) (*eventsv1.Event, error) {
	return s.answer(ev)
}

func (s *cgSink) Update(_ context.Context, ev *eventsv1.Event) (*eventsv1.Event, error) {
	return s.answer(ev)
}

func (s *cgSink) Patch(_ context.Context, ev *eventsv1.Event, _ []byte) (*eventsv1.Event, error) {
	return s.answer(ev)
}

// TestRetainedHeapBounded: 100,000 Events about distinct users leave at most
// a few MiB behind, whether the API server keeps up or not.
func TestRetainedHeapBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("records 100,000 Events")
	}
	const limit = 8 << 20
	for _, blocked := range []bool{false, true} {
		r := ours(t, blocked)
		t.Logf("blocked=%v: retained %d bytes (%.1f B/event), written %d, dropped %d",
			blocked, r.retained, float64(r.retained)/heapEvents, r.written, r.dropped)
		if r.retained > limit {
			t.Errorf("blocked=%v: %d bytes retained after 100,000 Events, want at most %d", blocked, r.retained, limit)
		}
	}
}

func BenchmarkRetainedHeap(b *testing.B) {
	type scenario struct {
		name string
		run  func(testing.TB, bool) heapResult
	}
	results := map[string]heapResult{}
	for _, rec := range []scenario{{"internal-events", ours}, {"client-go", clientGo}} {
		for _, api := range []string{"fast", "blocked"} {
			name := "recorder=" + rec.name + "/api=" + api
			b.Run(name, func(b *testing.B) {
				var r heapResult
				for range b.N {
					r = rec.run(b, api == "blocked")
				}
				results[name] = r
				b.ReportMetric(float64(r.retained), "retained-B")
				b.ReportMetric(float64(r.retained)/heapEvents, "retained-B/event")
				b.ReportMetric(float64(r.dropped), "dropped")
			})
		}
	}
	// Printed rather than logged, so that it shows without -v.
	fmt.Printf("%d Events about distinct ScimUsers, heap retained after GC (Events not written):\n", heapEvents)
	fmt.Printf("%-8s %28s %28s\n", "API", "internal/events", "client-go tools/events")
	for _, api := range []string{"fast", "blocked"} {
		o, c := results["recorder=internal-events/api="+api], results["recorder=client-go/api="+api]
		fmt.Printf("%-8s %10.1f MiB (%6d dropped) %10.1f MiB (%6d dropped)\n", api,
			float64(o.retained)/(1<<20), o.dropped, float64(c.retained)/(1<<20), c.dropped)
	}
}
