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
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// metricDropped counts the Events that were not written: the queue was full
// (the API server is slow, or a bulk push records faster than it writes),
// the API server refused them (invalid, or their namespace is being
// deleted), or writing failed after the retries.
var metricDropped = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "lightrun_identity_events_dropped_total",
	Help: "Events not written, by reason (queue_full, rejected, failed).",
}, []string{"reason"})

func init() {
	ctrlmetrics.Registry.MustRegister(metricDropped)
	// Every reason is served from the start, at zero, so that a rate over it
	// is defined before the first drop.
	for _, r := range []string{dropQueueFull, dropRejected, dropFailed} {
		metricDropped.WithLabelValues(r)
	}
}
