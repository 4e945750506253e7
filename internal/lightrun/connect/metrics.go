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

package connect

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// Every call the reconcilers make to Lightrun is counted and timed, served
// with controller-runtime's metrics on the manager's metrics endpoint.
var (
	metricLightrunCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lightrun_identity_lightrun_requests_total",
		Help: "Lightrun API calls by operation and status: 2xx, the HTTP status of a failure, or network/canceled. A call includes the client's retries.",
	}, []string{"operation", "status"})
	metricLightrunCallDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "lightrun_identity_lightrun_request_duration_seconds",
		Help:    "Time a Lightrun API call took, retries and Retry-After waits included, by operation.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"operation"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(metricLightrunCalls, metricLightrunCallDuration)
}

// observe records one call's outcome and duration.
func observe(op string, start time.Time, err error) {
	metricLightrunCalls.WithLabelValues(op, callStatus(err)).Inc()
	metricLightrunCallDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

// callStatus is the status label of a call: "2xx" on success, the HTTP
// status Lightrun answered, or what stopped the call from getting an answer.
func callStatus(err error) string {
	if err == nil {
		return "2xx"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "canceled"
	}
	if lerr, ok := errors.AsType[*lightrun.Error](err); ok {
		if lerr.StatusCode != 0 {
			return strconv.Itoa(lerr.StatusCode)
		}
		if lerr.Kind == lightrun.KindNotFound {
			// A name lookup that walked the list without a match.
			return strconv.Itoa(http.StatusNotFound)
		}
		if lerr.Kind == lightrun.KindUnavailable {
			return "network"
		}
		return strings.ToLower(lerr.Kind.String())
	}
	return "error"
}
