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

// Package events records Kubernetes Events through the events.k8s.io/v1 API
// in memory that does not grow with the number of objects they are about.
//
// client-go's tools/events broadcaster (behind controller-runtime's
// GetEventRecorder) keeps a copy of every Event it recorded for 6 to 12
// minutes, to merge repeats into series: a bulk push of 100,000 users leaves
// tens of thousands of copies in the heap. Here an Event waits in a queue of
// fixed length (one when full is dropped and counted in
// lightrun_identity_events_dropped_total), and only the most recent Events,
// a fixed number of them, are remembered to merge repeats into series.
//
// Series follow events.k8s.io: Events with the same regarding and related
// objects, type, reason, action, reporting controller and instance are
// isomorphic; a repeat within 6 minutes of the last one becomes a series
// (count 2, then 3…, and lastObservedTime), written with a PATCH of the
// first Event, whose name, eventTime and note it keeps.
package events

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	typedeventsv1 "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/tools/reference"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
)

// Limits of the events.k8s.io/v1 API (the API server refuses more).
const (
	// NoteLimit is the longest note, in bytes.
	NoteLimit = 1024
	// instanceLimit is the longest reportingInstance.
	instanceLimit = 128
	// SeriesWindow is how long after an Event's last observation a repeat
	// still joins its series, as client-go's broadcaster does (there a
	// series ends 6 to 12 minutes after it was last seen).
	SeriesWindow = 6 * time.Minute
)

// Options configure a Broadcaster. The zero value of each field means its
// documented default.
type Options struct {
	// QueueLength bounds the Events waiting to be written, all workers
	// together; an Event that finds its worker's queue full is dropped.
	// Default 1024.
	QueueLength int
	// SeriesKeys bounds the recent Events remembered to merge repeats into
	// series, all workers together; the least recently seen is forgotten
	// first. Default 2048.
	SeriesKeys int
	// Workers write Events concurrently. The Events about one object all go
	// through the same worker, so a series is written in order. Default 8:
	// an initial sync records an Event a user, about 100 a second against a
	// Lightrun that takes 100 calls a second, and a write takes 20 ms and
	// more on a busy API server; with 2 workers, 1,949 Events had found the
	// queue full by two thirds of the benchmark's 100,000-user sync.
	Workers int
	// Retries is how many times a write that failed for a reason that may
	// pass (the API server unreachable, overloaded or timing out) is tried
	// again, RetryDelay after the first failure and twice as long after each
	// next one. Defaults 2 and 1s.
	Retries    int
	RetryDelay time.Duration
	// WriteTimeout bounds each API call; default 10s.
	WriteTimeout time.Duration
	// Hostname makes each recorder's reportingInstance (<name>-<hostname>,
	// as client-go does); default os.Hostname().
	Hostname string
	// Logger logs the Events (V(1)) and failures to write them.
	Logger logr.Logger
	// Clock stamps the Events; default the real clock.
	Clock clock.PassiveClock
}

func (o *Options) defaults() {
	if o.QueueLength <= 0 {
		o.QueueLength = 1024
	}
	if o.SeriesKeys <= 0 {
		o.SeriesKeys = 2048
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Retries <= 0 {
		o.Retries = 2
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
}

// Broadcaster writes the Events of its recorders through the events.k8s.io/v1
// API. It is a manager Runnable: its workers run from Start until the
// manager stops. Events recorded before Start wait in the queue; Events
// still queued or recorded after the workers stopped are discarded.
type Broadcaster struct {
	client  typedeventsv1.EventsV1Interface
	scheme  *runtime.Scheme
	opts    Options
	log     logr.Logger
	workers []*worker
	seed    maphash.Seed

	started  atomic.Bool
	stopped  atomic.Bool
	lastNano atomic.Int64
	// lastDropLog rate-limits the log line about a full queue (UnixNano).
	lastDropLog atomic.Int64
}

// New returns a Broadcaster writing through client; scheme resolves the kind
// and API version of the objects Events are about.
func New(client typedeventsv1.EventsV1Interface, scheme *runtime.Scheme, opts Options) *Broadcaster {
	opts.defaults()
	b := &Broadcaster{client: client, scheme: scheme, opts: opts, log: opts.Logger, seed: maphash.MakeSeed()}
	perQueue := max(1, opts.QueueLength/opts.Workers)
	perLRU := max(1, opts.SeriesKeys/opts.Workers)
	for range opts.Workers {
		b.workers = append(b.workers, &worker{b: b, queue: make(chan *eventsv1.Event, perQueue), series: newLRU(perLRU)})
	}
	return b
}

// Recorder returns the recorder of one controller: name is the Events'
// reportingController, and name-<hostname> their reportingInstance.
func (b *Broadcaster) Recorder(name string) recorder.EventRecorder {
	instance := name + "-" + b.opts.Hostname
	if len(instance) > instanceLimit {
		instance = instance[:instanceLimit]
	}
	return &namedRecorder{b: b, controller: name, instance: instance}
}

// NeedLeaderElection is false: a replica that is not the leader may record
// Events too, and they must not wait in its queue until it leads.
func (b *Broadcaster) NeedLeaderElection() bool { return false }

// Start runs the workers until ctx ends and returns once they have all
// returned. The Events still queued then are not written: the manager stops
// this runnable before the controllers, and waiting for the API server here
// would hold their shutdown (and a new leader) back.
func (b *Broadcaster) Start(ctx context.Context) error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("the event broadcaster was already started")
	}
	var wg sync.WaitGroup
	for _, w := range b.workers {
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
	b.stopped.Store(true)
	return nil
}

// namedRecorder is the recorder of one reporting controller.
type namedRecorder struct {
	b          *Broadcaster
	controller string
	instance   string
}

var _ recorder.EventRecorder = (*namedRecorder)(nil)

func (r *namedRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	r.record(regarding, related, nil, eventtype, reason, action, note, args...)
}

func (r *namedRecorder) AnnotatedEventf(regarding, related runtime.Object, annotations map[string]string, eventtype, reason, action, note string, args ...any) {
	r.record(regarding, related, annotations, eventtype, reason, action, note, args...)
}

func (r *namedRecorder) record(regarding, related runtime.Object, annotations map[string]string, eventtype, reason, action, note string, args ...any) {
	b := r.b
	// client-go's recorder refuses other types the same way.
	if eventtype != corev1.EventTypeNormal && eventtype != corev1.EventTypeWarning {
		b.log.Error(nil, "Unsupported event type, the Event is not recorded", "type", eventtype, "reason", reason, "action", action)
		return
	}
	ref, err := reference.GetReference(b.scheme, regarding)
	if err != nil {
		b.log.Error(err, "Could not reference the object an Event is about, the Event is not recorded", "reason", reason, "action", action)
		return
	}
	var relatedRef *corev1.ObjectReference
	if related != nil {
		if relatedRef, err = reference.GetReference(b.scheme, related); err != nil {
			// As client-go does: the Event is still worth recording.
			b.log.V(1).Info("Could not reference an Event's related object", "reason", reason, "error", err.Error())
			relatedRef = nil
		}
	}
	now := b.opts.Clock.Now()
	namespace := ref.Namespace
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	ev := &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:        b.eventName(ref.Name, now),
			Namespace:   namespace,
			Annotations: maps.Clone(annotations),
		},
		EventTime:           metav1.MicroTime{Time: now},
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
		Action:              action,
		Reason:              reason,
		Regarding:           *ref,
		Related:             relatedRef,
		Note:                truncate(fmt.Sprintf(note, args...), NoteLimit),
		Type:                eventtype,
	}
	if log := b.log.V(1); log.Enabled() {
		log.Info("Event occurred", "kind", ref.Kind, "namespace", ref.Namespace, "name", ref.Name,
			"type", eventtype, "reason", reason, "action", action, "note", ev.Note)
	}
	b.enqueue(ev)
}

// eventName is client-go's: the object's name and a hex timestamp, made
// unique within the process (two Events in the same nanosecond would
// otherwise collide); a UUID when that is not a valid name.
func (b *Broadcaster) eventName(object string, now time.Time) string {
	var n int64
	for {
		last := b.lastNano.Load()
		n = max(now.UnixNano(), last+1)
		if b.lastNano.CompareAndSwap(last, n) {
			break
		}
	}
	name := fmt.Sprintf("%s.%x", object, n)
	if len(apivalidation.NameIsDNSSubdomain(name, false)) > 0 {
		return uuid.NewString()
	}
	return name
}

// truncate cuts s to at most limit bytes, at a rune boundary.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// enqueue hands ev to the worker of its object, or drops it when that
// worker's queue is full: the recorder never blocks a reconcile and never
// holds more than QueueLength Events.
func (b *Broadcaster) enqueue(ev *eventsv1.Event) {
	if b.stopped.Load() {
		b.log.V(1).Info("Event recorded after the manager stopped, not written", "reason", ev.Reason, "name", ev.Regarding.Name)
		return
	}
	w := b.shard(&ev.Regarding)
	select {
	case w.queue <- ev:
	default:
		metricDropped.WithLabelValues(dropQueueFull).Inc()
		b.logDrop()
	}
}

// logDrop says, at most once a minute, that Events are being dropped; the
// counter has the number.
func (b *Broadcaster) logDrop() {
	now := time.Now().UnixNano()
	last := b.lastDropLog.Load()
	if now-last < int64(time.Minute) || !b.lastDropLog.CompareAndSwap(last, now) {
		return
	}
	b.log.Info("The Event queue is full, Events are dropped (lightrun_identity_events_dropped_total counts them)")
}

// shard picks the worker of an object, by its namespace, name and UID.
func (b *Broadcaster) shard(ref *corev1.ObjectReference) *worker {
	var h maphash.Hash
	h.SetSeed(b.seed)
	h.WriteString(ref.Namespace)
	h.WriteByte(0)
	h.WriteString(ref.Name)
	h.WriteByte(0)
	h.WriteString(string(ref.UID))
	return b.workers[h.Sum64()%uint64(len(b.workers))]
}
