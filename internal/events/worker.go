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
	"encoding/json"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
)

// worker writes the Events of its share of the objects, one at a time, and
// remembers the most recent of them for series. Only its goroutine touches
// series, so it needs no lock.
type worker struct {
	b      *Broadcaster
	queue  chan *eventsv1.Event
	series *lru
}

func (w *worker) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-w.queue:
			w.record(ctx, ev)
		}
	}
}

// record writes ev, or, when an isomorphic Event was seen within
// SeriesWindow, that Event's series one longer. Like client-go, the series
// goes on from what was recorded, whether or not its write succeeded.
func (w *worker) record(ctx context.Context, ev *eventsv1.Event) {
	key := keyOf(ev)
	if first, ok := w.series.get(key); ok && ev.EventTime.Sub(lastObserved(first)) <= SeriesWindow {
		if first.Series == nil {
			first.Series = &eventsv1.EventSeries{Count: 2, LastObservedTime: ev.EventTime}
		} else {
			first.Series.Count++
			first.Series.LastObservedTime = ev.EventTime
		}
		w.b.write(ctx, first)
		return
	}
	w.series.add(key, ev)
	w.b.write(ctx, ev)
}

func lastObserved(ev *eventsv1.Event) time.Time {
	if ev.Series != nil {
		return ev.Series.LastObservedTime.Time
	}
	return ev.EventTime.Time
}

// Reasons of lightrun_identity_events_dropped_total.
const (
	dropQueueFull = "queue_full"
	dropRejected  = "rejected"
	dropFailed    = "failed"
)

// write writes ev, trying again (Retries times at most, with backoff) while
// the failure may pass, and gives up otherwise: an Event is not worth
// holding a worker for long.
func (b *Broadcaster) write(ctx context.Context, ev *eventsv1.Event) {
	delay := b.opts.RetryDelay
	for attempt := 0; ; attempt++ {
		err := b.writeOnce(ctx, ev)
		if err == nil || ctx.Err() != nil {
			return
		}
		log := b.log.WithValues("namespace", ev.Namespace, "event", ev.Name, "reason", ev.Reason, "object", ev.Regarding.Name)
		switch {
		case namespaceGone(err):
			// The object's namespace is being deleted, and its Events with it.
			metricDropped.WithLabelValues(dropRejected).Inc()
			log.V(1).Info("Event not written: its namespace is gone or being deleted")
			return
		case apierrors.IsAlreadyExists(err) && ev.Series == nil:
			// Written already (a name is unique to an Event).
			return
		case !mayPass(err, ev.Series != nil):
			metricDropped.WithLabelValues(dropRejected).Inc()
			log.Error(err, "The API server refused an Event, it is not written")
			return
		case attempt >= b.opts.Retries:
			metricDropped.WithLabelValues(dropFailed).Inc()
			log.Error(err, "Could not write an Event, giving up", "attempts", attempt+1)
			return
		}
		log.V(1).Info("Could not write an Event, trying again", "error", err.Error(), "after", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait.Jitter(delay, 0.25)):
		}
		delay *= 2
	}
}

// writeOnce PATCHes the series of a repeated Event, or creates ev: a
// new Event, or a series whose first Event is gone (expired or deleted).
func (b *Broadcaster) writeOnce(ctx context.Context, ev *eventsv1.Event) error {
	ctx, cancel := context.WithTimeout(ctx, b.opts.WriteTimeout)
	defer cancel()
	events := b.client.Events(ev.Namespace)
	if ev.Series != nil {
		patch, err := json.Marshal(seriesPatch{Series: ev.Series})
		if err != nil {
			return fmt.Errorf("encoding the series patch: %w", err)
		}
		_, err = events.Patch(ctx, ev.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		if !apierrors.IsNotFound(err) {
			return err
		}
	}
	ev.ResourceVersion = ""
	_, err := events.Create(ctx, ev, metav1.CreateOptions{})
	return err
}

// seriesPatch is the strategic merge patch of a series: count and
// lastObservedTime, the rest of the Event as first written.
type seriesPatch struct {
	Series *eventsv1.EventSeries `json:"series"`
}

// namespaceGone says the API server refused an Event because its namespace
// does not exist or is being deleted.
func namespaceGone(err error) bool {
	return apierrors.IsNotFound(err) ||
		(apierrors.IsForbidden(err) && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause))
}

// mayPass says whether trying the same write again may succeed.
func mayPass(err error, series bool) bool {
	var construction *rest.RequestConstructionError
	var status apierrors.APIStatus
	switch {
	case errors.As(err, &construction):
		return false
	case series && apierrors.IsAlreadyExists(err):
		// The first Event was created meanwhile: the PATCH will now find it.
		return true
	case !errors.As(err, &status):
		// The API server was not reached, or did not answer in time.
		return true
	}
	return apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err)
}
