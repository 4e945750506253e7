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
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	// 100 samples of 1..100 ms, shuffled: the nearest rank of p is p.
	var samples []time.Duration
	for i := range 100 {
		samples = append(samples, time.Duration((i*37)%100+1)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{
		{1, 1 * time.Millisecond},
		{50, 50 * time.Millisecond},
		{99, 99 * time.Millisecond},
		{99.5, 100 * time.Millisecond},
		{100, 100 * time.Millisecond},
	} {
		if got := Percentile(samples, c.p); got != c.want {
			t.Errorf("Percentile(1..100 ms, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	// Ten samples: p50 is the 5th, p99 the 10th (ceil(9.9)).
	ten := []time.Duration{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	if got := Percentile(ten, 50); got != 5 {
		t.Errorf("p50 of 1..10 = %v, want 5", got)
	}
	if got := Percentile(ten, 99); got != 10 {
		t.Errorf("p99 of 1..10 = %v, want 10", got)
	}
	if got := Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one sample = %v, want 7", got)
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v, want 0", got)
	}
}

func TestSummarize(t *testing.T) {
	l := Summarize([]time.Duration{4 * time.Millisecond, 1 * time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond})
	want := Latency{Count: 4, MeanMs: 2.5, P50Ms: 2, P99Ms: 4, MaxMs: 4}
	if l != want {
		t.Errorf("Summarize = %+v, want %+v", l, want)
	}
	if l := Summarize(nil); l != (Latency{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", l)
	}
}

func TestCreateShares(t *testing.T) {
	for _, c := range []struct {
		users  int
		levels []int
		want   []int
	}{
		{1000, []int{1, 8, 32}, []int{100, 450, 450}},
		{100_000, []int{1, 8, 32}, []int{10_000, 45_000, 45_000}},
		{50, []int{1, 4}, []int{5, 45}},
		{11, []int{1, 8, 32}, []int{1, 5, 5}},
		{7, []int{4}, []int{7}},
	} {
		got := createShares(c.users, c.levels, 0.1)
		sum := 0
		for i := range got {
			sum += got[i]
			if got[i] != c.want[i] {
				t.Errorf("createShares(%d, %v) = %v, want %v", c.users, c.levels, got, c.want)
				break
			}
		}
		if sum != c.users {
			t.Errorf("createShares(%d, %v) = %v adds up to %d", c.users, c.levels, got, sum)
		}
	}
}

// result is a Result with the given create ratio at c=8, get p99 and heap.
func result(ratio, getP99, heapKiB float64) *Result {
	return &Result{
		Schema:   ResultSchema,
		Settings: Settings{Users: 1000},
		Create:   []CreateLevel{{Concurrency: 8, Users: 450, SCIM: Throughput{PerSecond: 100 * ratio}, Bare: Throughput{PerSecond: 100}, Ratio: ratio}},
		Reads:    Reads{GetByID: Latency{Count: 10, P50Ms: 1, P99Ms: getP99}},
		Memory:   Memory{HeapPerUserBytes: heapKiB * 1024, LiveHeapBytes: heapKiB * 1024 * 1000},
	}
}

func TestCompare(t *testing.T) {
	old, new := result(0.5, 4, 10), result(0.6, 2, 10.2)
	changes := map[string]Change{}
	for _, c := range Compare(old, new) {
		changes[c.Name] = c
	}
	for _, c := range []struct {
		name    string
		percent float64
		verdict string
	}{
		// Throughput up 20 %: better.
		{"create c=8 SCIM", 20, "better"},
		{"create c=8 SCIM/bare", 20, "better"},
		// Latency halved: better (lower is better).
		{"GET /Users/{id} p99", -50, "better"},
		// Within the noise band.
		{"heap per user", 2, "~"},
		{"GET /Users/{id} p50", 0, "~"},
	} {
		got, ok := changes[c.name]
		if !ok {
			t.Errorf("no change for %q", c.name)
			continue
		}
		if math.Abs(got.Percent-c.percent) > 1e-9 || got.Verdict != c.verdict {
			t.Errorf("%s: %+.3f %% %q, want %+.3f %% %q", c.name, got.Percent, got.Verdict, c.percent, c.verdict)
		}
	}
	// Worse the other way round.
	for _, c := range Compare(new, old) {
		if c.Name == "create c=8 SCIM" && (c.Verdict != "worse" || math.Abs(c.Percent-(-100.0/6)) > 1e-9) {
			t.Errorf("create c=8 SCIM from 60/s to 50/s: %+.3f %% %q, want -16.667 %% worse", c.Percent, c.Verdict)
		}
	}
	// From zero there is no percentage, but still a direction.
	zero := result(0.5, 4, 10)
	zero.Reads.GetByID.P99Ms = 0
	for _, c := range Compare(zero, old) {
		if c.Name == "GET /Users/{id} p99" && (!math.IsNaN(c.Percent) || c.Verdict != "worse") {
			t.Errorf("p99 from 0 to 4 ms: %v %q, want NaN worse", c.Percent, c.Verdict)
		}
	}
	// A metric on one side only (cursor pages supported in the new run).
	withCursor := result(0.5, 4, 10)
	withCursor.Reads.Cursor = Cursor{Supported: true, Latency: Latency{P50Ms: 3, P99Ms: 9}}
	var found bool
	for _, c := range Compare(old, withCursor) {
		if c.Name == "cursor page p99" {
			found = true
			if c.HasOld || !c.HasNew || c.Verdict != "" || !math.IsNaN(c.Percent) {
				t.Errorf("cursor page p99 only in the new run: %+v", c)
			}
		}
	}
	if !found {
		t.Error("Compare left out the metric only the new run has")
	}
	var b strings.Builder
	if err := WriteComparison(&b, "old.json", old, "new.json", new); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| create c=8 SCIM | 50.0/s | 60.0/s | +20.0 % | better |") {
		t.Errorf("the comparison table lacks the create row:\n%s", b.String())
	}
}

func TestTargets(t *testing.T) {
	r := result(0.85, 6, 2.5)
	r.Create = append(r.Create, CreateLevel{Concurrency: 32, Ratio: 0.7})
	r.Sync = Sync{Fraction: 0.95, BoundSeconds: 20, Seconds: 21}
	r.judge()
	want := map[string]string{
		"create c=8, SCIM/bare":                  "pass",
		"create c=32, SCIM/bare":                 "FAIL",
		"GET /Users/{id} p99":                    "(FAIL)", // 1,000 users: indicative only
		"heap per user":                          "(pass)",
		"cursor page p99":                        "n/a",
		"sync, fraction of the rate-limit bound": "pass",
	}
	for _, tg := range r.Targets {
		if w, ok := want[tg.Name]; ok && tg.Verdict() != w {
			t.Errorf("%s: %s, want %s", tg.Name, tg.Verdict(), w)
		}
	}
}

// A run stopped early has zeros where it measured nothing; a zero heap
// or latency must not pass a "≤" target.
func TestTargetsOfAStoppedRun(t *testing.T) {
	r := result(0.85, 6, 0)
	r.Memory = Memory{}
	r.judge()
	for _, tg := range r.Targets {
		switch tg.Name {
		case "heap per user", "sync, fraction of the rate-limit bound", "list page p99", "userName eq p99":
			if tg.Verdict() != "n/a" {
				t.Errorf("%s: %s, want n/a (not measured)", tg.Name, tg.Verdict())
			}
		case "GET /Users/{id} p99":
			if tg.Verdict() == "n/a" {
				t.Errorf("%s was measured, but is n/a", tg.Name)
			}
		}
	}
}

// The side-by-side table of a run stopped before the sync shows no zeros
// as measurements for what it never measured.
func TestSummaryOfAStoppedRun(t *testing.T) {
	stopped := result(0.85, 3, 0)
	stopped.Memory = Memory{}
	stopped.judge()
	synced := result(0.85, 3, 2.5)
	synced.Sync = Sync{Seconds: 1100, BoundSeconds: 1000, Fraction: 0.91, Reconciles: 1000, ReconcileMeanMs: 90}
	synced.Memory.RSSBytes = 600 << 20
	synced.judge()
	var b strings.Builder
	if err := WriteSummary(&b, []*Result{synced, stopped}); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"| sync: controllers start", "| emulator rate limit", "| Lightrun calls per provisioned user",
		"| ScimUser reconcile", "| manager live heap per user above", "| manager RSS after sync"} {
		var line string
		for l := range strings.Lines(b.String()) {
			if strings.HasPrefix(l, prefix) {
				line = l
			}
		}
		cells := strings.Split(strings.TrimSpace(line), " | ")
		if len(cells) != 4 || cells[1] == "—" || strings.TrimSpace(cells[2]) != "—" {
			t.Errorf("row %q: %q, want the synced run's value, then —", prefix, line)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(`# HELP go_memstats_heap_alloc_bytes Number of heap bytes allocated and currently in use.
# TYPE go_memstats_heap_alloc_bytes gauge
go_memstats_heap_alloc_bytes 1.2345e+07
workqueue_depth{controller="scimuser",name="scimuser"} 3
workqueue_depth{controller="agentpool",name="agentpool"} 0
lightrun_identity_users{identity_config="okta",namespace="bench",state="synced"} 1000
`))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m.get("go_memstats_heap_alloc_bytes"); !ok || v != 12345000 {
		t.Errorf("heap = %v %v", v, ok)
	}
	if v := m.sum("workqueue_depth"); v != 3 {
		t.Errorf("workqueue depth = %v, want 3", v)
	}
	if v := m.sum("lightrun_identity_users", `state="synced"`); v != 1000 {
		t.Errorf("synced users = %v, want 1000", v)
	}
}

func TestRoute(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/users":                            "/api/v1/users",
		"/api/v1/users/a@example.com":              "/api/v1/users/{email}",
		"/api/v1/users/a@example.com/enable":       "/api/v1/users/{email}/enable",
		"/api/v1/groups/42/members":                "/api/v1/groups/{id}/members",
		"/api/v1/groups/42/members/b@example.com":  "/api/v1/groups/{id}/members/{email}",
		"/api/v1/agent-pools/7":                    "/api/v1/agent-pools/{id}",
		"/api/v1/configuration/idm/authentication": "/api/v1/configuration/idm/authentication",
	} {
		if got := route(path); got != want {
			t.Errorf("route(%s) = %s, want %s", path, got, want)
		}
	}
}

func TestUserPayload(t *testing.T) {
	m, err := userPayload(userSpec(42))
	if err != nil {
		t.Fatal(err)
	}
	if m["userName"] != "bench.user0000042@example.com" {
		t.Errorf("userName = %v", m["userName"])
	}
	if _, ok := m["identityConfigRef"]; ok {
		t.Error("the payload carries identityConfigRef, which the server sets")
	}
	if _, ok := m["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any); !ok {
		t.Errorf("the enterprise extension is not under its URN: %v", m)
	}
	if s, _ := m["schemas"].([]string); len(s) != 2 {
		t.Errorf("schemas = %v", m["schemas"])
	}
}

func TestParseStat(t *testing.T) {
	// proc(5): the command name is in parentheses and may hold both
	// spaces and parentheses; the fields after it start with the state.
	line := "4242 (a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0 1000 0 0\n"
	comm, fields, ok := parseStat(line)
	if !ok || comm != "a (b) c" {
		t.Fatalf("parseStat: comm %q, ok %v", comm, ok)
	}
	if fields[0] != "S" || fields[1] != "17" || fields[11] != "250" || fields[12] != "75" {
		t.Errorf("fields %q: want state S, parent 17, user time 250, system time 75", fields)
	}
	if _, _, ok := parseStat("4242 no parentheses"); ok {
		t.Error("a line without the command name parsed")
	}
}

func TestCPUSince(t *testing.T) {
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	before := cpuReading{at: at, apiServer: 10, etcd: 1, manager: 2, harness: 0.5, machine: 100, ok: true}
	after := cpuReading{at: at.Add(2 * time.Second), apiServer: 12.6, etcd: 1.4, manager: 2.8, harness: 0.6, machine: 104, ok: true}
	c := after.since(before, 400)
	if c == nil {
		t.Fatal("no CPU from two good readings")
	}
	want := CPU{APIServer: 1.3, Etcd: 0.2, Manager: 0.4, Harness: 0.05, Machine: 2, PerOpMs: 9.75, APIServerPerOpMs: 6.5}
	for _, x := range []struct {
		name      string
		got, want float64
	}{
		{"kube-apiserver", c.APIServer, want.APIServer}, {"etcd", c.Etcd, want.Etcd}, {"manager", c.Manager, want.Manager},
		{"harness", c.Harness, want.Harness}, {"machine", c.Machine, want.Machine},
		{"per op", c.PerOpMs, want.PerOpMs}, {"kube-apiserver per op", c.APIServerPerOpMs, want.APIServerPerOpMs},
	} {
		if math.Abs(x.got-x.want) > 1e-9 {
			t.Errorf("%s: %v, want %v", x.name, x.got, x.want)
		}
	}
	failed := after
	failed.ok = false
	if failed.since(before, 400) != nil || after.since(failed, 400) != nil {
		t.Error("CPU from a failed reading")
	}
}

func TestProcessSeconds(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	start, ok := processSeconds(os.Getpid())
	if !ok {
		t.Fatal("cannot read this process's CPU time")
	}
	// Spin until the kernel has counted at least two ticks more.
	deadline := time.Now().Add(10 * time.Second)
	var x uint64
	for time.Now().Before(deadline) {
		for i := range 1_000_000 {
			x += uint64(i)
		}
		if now, _ := processSeconds(os.Getpid()); now >= start+0.02 {
			return
		}
	}
	t.Errorf("this process's CPU time did not grow from %.2f s in 10 s of spinning (%d)", start, x)
}

// TestAPIServerWork reads kube-apiserver 1.37's counters (lines copied from
// its /metrics) between two scrapes: only what grew counts, keyed by the
// labels that say what the work was.
func TestAPIServerWork(t *testing.T) {
	scrape := func(creates, lists, fetched, watchLists, inits, checks, gcs int) metricSet {
		m, err := parseMetrics(strings.NewReader(fmt.Sprintf(`# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="identity.lightrun.com",resource="scimusers",scope="namespace",subresource="",verb="POST",version="v1alpha1"} %d
apiserver_request_total{code="200",component="apiserver",dry_run="",group="identity.lightrun.com",resource="scimusers",scope="cluster",subresource="",verb="LIST",version="v1alpha1"} %d
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/healthz",verb="GET",version=""} 1
apiserver_storage_list_fetched_objects_total{group="identity.lightrun.com",index="",resource="scimusers",storage="etcd"} %d
apiserver_watch_list_duration_seconds_count{group="identity.lightrun.com",resource="scimusers",scope="cluster",version="v1alpha1"} %d
apiserver_watch_cache_initializations_total{group="identity.lightrun.com",resource="scimusers"} %d
apiserver_storage_consistency_checks_total{group="identity.lightrun.com",resource="scimusers",status="success"} %d
go_gc_duration_seconds_sum 0.5
go_gc_duration_seconds_count %d
go_memstats_heap_alloc_bytes 1.048576e+08
`, creates, lists, fetched, watchLists, inits, checks, gcs)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	w := apiServerWork(scrape(10, 2, 100, 1, 1, 0, 3), scrape(110, 3, 100_100, 1, 2, 1, 7))
	want := &APIServerWork{
		Requests:          map[string]float64{"POST scimusers": 100, "LIST scimusers": 1},
		ListFetched:       map[string]float64{"scimusers etcd": 100_000},
		WatchCacheInits:   map[string]float64{"scimusers": 1},
		ConsistencyChecks: map[string]float64{"scimusers success": 1},
		GCs:               4,
		HeapBytes:         100 << 20,
	}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("work = %+v\nwant %+v", w, want)
	}
	if s, wantS := w.String(), "requests: POST scimusers 100, LIST scimusers 1; objects listed: scimusers etcd 100000; "+
		"watch caches initialised: scimusers 1; watch cache consistency checks: scimusers success 1; 4 GCs (0.0 ms paused), heap 100 MiB"; s != wantS {
		t.Errorf("String() = %q\nwant %q", s, wantS)
	}
	if s := topCounts(map[string]float64{"a": 1, "b": 3, "c": 2, "d": 3}, 2); s != "b 3, d 3, 2 more" {
		t.Errorf("topCounts = %q", s)
	}
}
