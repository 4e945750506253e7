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

package bench

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100) of samples by the
// nearest-rank method: the smallest sample such that at least p percent of
// the samples are less than or equal to it. It sorts samples in place and
// returns 0 for no samples.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	slices.Sort(samples)
	return sortedPercentile(samples, p)
}

func sortedPercentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// unmeasured stands in a table or a log line for what a run did not measure.
const unmeasured = "not measured"

// Latency summarises a set of request durations, in milliseconds.
type Latency struct {
	Count  int     `json:"count"`
	MeanMs float64 `json:"meanMs"`
	P50Ms  float64 `json:"p50Ms"`
	P99Ms  float64 `json:"p99Ms"`
	MaxMs  float64 `json:"maxMs"`
	// ManagerGCs is how many garbage collections the manager ran while the
	// samples were taken, when they were read from its metrics: a
	// collection of a heap of hundreds of MiB on two cores is the usual
	// cause of a tail among requests that take the same path.
	ManagerGCs *int `json:"managerGCs,omitempty"`
	// ManagerOver5ms is how many of the samples the manager itself took
	// more than 5 ms to serve, by its request-duration histogram (from the
	// handler's start to its end): beside P99Ms, it says whether a slow
	// tail was spent in the manager's handler or before and after it (the
	// request waiting for a thread, the harness for a core).
	ManagerOver5ms *int `json:"managerOver5ms,omitempty"`
}

// Summarize returns the Latency of samples (which it sorts in place).
func Summarize(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	slices.Sort(samples)
	var total time.Duration
	for _, d := range samples {
		total += d
	}
	return Latency{
		Count:  len(samples),
		MeanMs: ms(total / time.Duration(len(samples))),
		P50Ms:  ms(sortedPercentile(samples, 50)),
		P99Ms:  ms(sortedPercentile(samples, 99)),
		MaxMs:  ms(samples[len(samples)-1]),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
