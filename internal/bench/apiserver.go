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
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// APIServerWork is what kube-apiserver did during one phase, from its own
// metrics scraped before and after: the requests it served from every
// client, the objects it read for lists, the watch events it sent, and its
// own garbage collections. Where a phase's CPU is more than its operations
// explain, this names the rest (a relist, a watch cache initialised again,
// a watcher dropped for being slow, a collection of a large heap).
type APIServerWork struct {
	// Requests by verb and resource ("POST scimusers", "LIST leases",
	// "WATCH scimusers").
	Requests map[string]float64 `json:"requests,omitempty"`
	// ListFetched are the objects lists read, by resource and where from
	// ("scimusers etcd", "leases watchcache").
	ListFetched map[string]float64 `json:"listFetched,omitempty"`
	// WatchLists are the watches that began by streaming every object
	// (client-go's WatchList: an informer's list), by resource.
	WatchLists map[string]float64 `json:"watchLists,omitempty"`
	// WatchEvents are the events sent to watchers, by resource.
	WatchEvents map[string]float64 `json:"watchEvents,omitempty"`
	// WatchCacheInits are the watch caches (re)initialised, by resource:
	// each lists every object of the resource from etcd.
	WatchCacheInits map[string]float64 `json:"watchCacheInits,omitempty"`
	// TerminatedWatchers are watchers closed for not keeping up, by
	// resource: each client resumes or lists again.
	TerminatedWatchers map[string]float64 `json:"terminatedWatchers,omitempty"`
	// ConsistencyChecks are the watch cache's consistency checks, by
	// resource and outcome: every 5 to 7.5 minutes (the
	// DetectCacheInconsistency feature, on by default since 1.34) the API
	// server lists every object of a cached resource from its cache and
	// from etcd and compares their digests; at 160,000 ScimUsers that costs
	// it some 40 CPU-seconds, in whichever phase it falls.
	ConsistencyChecks map[string]float64 `json:"consistencyChecks,omitempty"`
	// GCs and GCPauseSeconds are kube-apiserver's garbage collections and
	// their stop-the-world pauses; HeapBytes its heap at the end.
	GCs            float64 `json:"gcs"`
	GCPauseSeconds float64 `json:"gcPauseSeconds"`
	HeapBytes      float64 `json:"heapBytes"`
}

// byResource is the label most of kube-apiserver's counters key work by.
const byResource = "resource"

// apiServerCounters are the counters APIServerWork reads (kube-apiserver
// 1.37's names): the metric, the labels that key a count (joined with a
// space), and where it goes.
var apiServerCounters = []struct {
	metric string
	labels []string
	field  func(*APIServerWork) *map[string]float64
}{
	{"apiserver_request_total", []string{"verb", byResource, "subresource"},
		func(w *APIServerWork) *map[string]float64 { return &w.Requests }},
	{"apiserver_storage_list_fetched_objects_total", []string{byResource, "storage"},
		func(w *APIServerWork) *map[string]float64 { return &w.ListFetched }},
	{"apiserver_watch_list_duration_seconds_count", []string{byResource},
		func(w *APIServerWork) *map[string]float64 { return &w.WatchLists }},
	{"apiserver_watch_events_total", []string{byResource},
		func(w *APIServerWork) *map[string]float64 { return &w.WatchEvents }},
	{"apiserver_watch_cache_initializations_total", []string{byResource},
		func(w *APIServerWork) *map[string]float64 { return &w.WatchCacheInits }},
	{"apiserver_terminated_watchers_total", []string{byResource},
		func(w *APIServerWork) *map[string]float64 { return &w.TerminatedWatchers }},
	{"apiserver_storage_consistency_checks_total", []string{byResource, "status"},
		func(w *APIServerWork) *map[string]float64 { return &w.ConsistencyChecks }},
}

// apiServerWork is the work between two scrapes of kube-apiserver's
// metrics.
func apiServerWork(before, after metricSet) *APIServerWork {
	w := &APIServerWork{
		GCs:            after["go_gc_duration_seconds_count"] - before["go_gc_duration_seconds_count"],
		GCPauseSeconds: after["go_gc_duration_seconds_sum"] - before["go_gc_duration_seconds_sum"],
		HeapBytes:      after["go_memstats_heap_alloc_bytes"],
	}
	for key, count := range after {
		base, _, _ := strings.Cut(key, "{")
		for _, c := range apiServerCounters {
			if base != c.metric {
				continue
			}
			n := count - before[key]
			if n <= 0 {
				break
			}
			var parts []string
			for _, l := range c.labels {
				if v := label(key, l); v != "" {
					parts = append(parts, v)
				}
			}
			m := c.field(w)
			if *m == nil {
				*m = map[string]float64{}
			}
			(*m)[strings.Join(parts, " ")] += n
			break
		}
	}
	return w
}

// String names the largest counts: the requests, and every list read,
// watch cache initialisation and dropped watcher.
func (w *APIServerWork) String() string {
	if w == nil {
		return unmeasured
	}
	var b strings.Builder
	fmt.Fprintf(&b, "requests: %s", topCounts(w.Requests, 6))
	for _, m := range []struct {
		name   string
		counts map[string]float64
	}{
		{"objects listed", w.ListFetched},
		{"watch lists", w.WatchLists},
		{"watch events", w.WatchEvents},
		{"watch caches initialised", w.WatchCacheInits},
		{"watchers terminated", w.TerminatedWatchers},
		{"watch cache consistency checks", w.ConsistencyChecks},
	} {
		if len(m.counts) > 0 {
			fmt.Fprintf(&b, "; %s: %s", m.name, topCounts(m.counts, 4))
		}
	}
	fmt.Fprintf(&b, "; %.0f GCs (%.1f ms paused), heap %.0f MiB", w.GCs, w.GCPauseSeconds*1000, w.HeapBytes/(1<<20))
	return b.String()
}

// topCounts lists the n largest counts, largest first.
func topCounts(counts map[string]float64, n int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, n+1)
	for i, k := range keys {
		if i == n {
			parts = append(parts, fmt.Sprintf("%d more", len(keys)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.0f", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}

// apiServerGet fetches a non-resource path of kube-apiserver into w, with
// the harness's credentials (e.apiClient).
func (e *env) apiServerGet(ctx context.Context, path string, w io.Writer) error {
	return httpGet(ctx, e.apiClient, strings.TrimSuffix(e.rest.Host, "/")+path, "fetching kube-apiserver's "+path, w)
}

// apiServerMetrics scrapes kube-apiserver's /metrics.
func (e *env) apiServerMetrics(ctx context.Context) (metricSet, error) {
	var buf bytes.Buffer
	if err := e.apiServerGet(ctx, "/metrics", &buf); err != nil {
		return nil, err
	}
	return parseMetrics(&buf)
}

// apiServerProfileWindow is how long each of the back-to-back CPU profiles
// of kube-apiserver lasts: under its request timeout (a minute), and short
// enough that the window cut off when a phase ends loses little.
const apiServerProfileWindow = 10 * time.Second

// profileAPIServer takes CPU profiles of kube-apiserver back to back into
// ProfileDir (nothing without one) until the returned stop is called, as
// <users>-apiserver-<name>-<k>.cpu.pprof; `go tool pprof` merges the files
// of a phase given together. The window running at stop is dropped, so
// that no profile reaches past the phase.
func (r *runner) profileAPIServer(ctx context.Context, name string) (stop func()) {
	if r.cfg.ProfileDir == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for k := 1; ctx.Err() == nil; k++ {
			var buf bytes.Buffer
			path := fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(apiServerProfileWindow.Seconds()))
			if err := r.e.apiServerGet(ctx, path, &buf); err != nil {
				if !errors.Is(err, context.Canceled) {
					r.logf("profiling kube-apiserver (%s): %v", name, err)
				}
				return
			}
			dst := filepath.Join(r.cfg.ProfileDir, fmt.Sprintf("%d-apiserver-%s-%02d.cpu.pprof", r.cfg.Users, name, k))
			if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
				r.logf("saving a profile of kube-apiserver: %v", err)
				return
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
