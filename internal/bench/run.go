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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
)

// Run runs the whole benchmark and returns what it measured. Everything it
// starts listens on 127.0.0.1 and is stopped before it returns, also when
// ctx is cancelled (Ctrl-C). When a phase fails once the control plane and
// the manager run, it returns the error and the Result so far, with
// Incomplete saying why.
func Run(ctx context.Context, cfg Config) (res *Result, err error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	logf := func(format string, args ...any) {
		_, _ = fmt.Fprintf(cfg.Log, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	res = &Result{
		Schema:  ResultSchema,
		Date:    start.UTC().Truncate(time.Second),
		Command: cfg.Command,
		Machine: machineInfo(cfg.RepoRoot),
		Settings: Settings{
			Users: cfg.Users, Concurrency: cfg.Concurrency, Reads: cfg.Reads, PageSize: cfg.PageSize,
			GroupBatch: min(cfg.GroupBatch, cfg.Users/2), EmulatorRate: cfg.EmulatorRate, EmulatorBurst: cfg.EmulatorBurst,
			LightrunQPS: cfg.LightrunQPS, LightrunBurst: cfg.LightrunBurst, MaxConcurrentReconciles: cfg.MaxConcurrentReconciles,
		},
	}

	work := cfg.WorkDir
	if work == "" {
		if work, err = os.MkdirTemp("", "lightrun-bench-"); err != nil {
			return nil, fmt.Errorf("creating a work directory: %w", err)
		}
		defer func() {
			if cfg.KeepWorkDir || err != nil {
				logf("work directory kept: %s", work)
				return
			}
			_ = os.RemoveAll(work)
		}()
	}
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return nil, fmt.Errorf("creating the profile directory: %w", err)
		}
	}
	binary := cfg.Manager
	if binary == "" {
		logf("building the manager (hack/build-manager.sh)")
		if binary, err = buildManager(ctx, cfg.RepoRoot, work); err != nil {
			return nil, err
		}
	}
	e, err := startEnv(ctx, cfg, work, logf)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, e.stop()) }()
	r := &runner{cfg: cfg, e: e, res: res, logf: logf, binary: binary, ids: make([]string, cfg.Users), rng: rand.New(rand.NewPCG(13, uint64(cfg.Users)))}
	runErr := r.run(ctx)
	res.Machine.LoadEnd = loadAvg()
	res.Seconds = time.Since(start).Seconds()
	res.judge()
	if runErr != nil {
		// What was measured before the failure is kept: a run of 100,000
		// users that times out in its last phase still says much.
		res.Incomplete = runErr.Error()
		return res, runErr
	}
	logf("done in %s", time.Since(start).Round(time.Second))
	return res, nil
}

// runner holds one run's state between phases.
type runner struct {
	cfg  Config
	e    *env
	res  *Result
	logf func(string, ...any)
	rng  *rand.Rand
	// binary is the manager's executable.
	binary string
	// ids are the SCIM ids of the pushed users, by index.
	ids []string
	// lastWrite is when the last SCIM write was answered.
	lastWrite time.Time
	groupID   string
	// pending are profiles still being taken.
	pending []chan struct{}
}

func (r *runner) run(ctx context.Context) error {
	defer func() {
		for _, done := range r.pending {
			<-done
		}
	}()
	if err := r.e.startManager(r.binary); err != nil {
		return err
	}
	r.e.scim = newSCIMClient(fmt.Sprintf("http://%s/scim/v2/%s/%s", r.e.mgr.scimAddr, Namespace, r.e.identityConfig), r.e.token)
	if err := r.waitServing(ctx); err != nil {
		return err
	}
	if err := r.idleMemory(ctx); err != nil {
		return err
	}
	if err := r.creates(ctx); err != nil {
		return err
	}
	if err := r.reads(ctx); err != nil {
		return err
	}
	if err := r.group(ctx); err != nil {
		return err
	}
	if err := r.sync(ctx); err != nil {
		return err
	}
	return r.memory(ctx)
}

// waitServing waits until the SCIM endpoint answers ServiceProviderConfig.
func (r *runner) waitServing(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err := r.e.waitFor(ctx, "the SCIM endpoint", 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err := r.e.scim.do(ctx, http.MethodGet, "/ServiceProviderConfig", nil, http.StatusOK, nil)
		return err == nil, nil
	})
	if err != nil {
		return err
	}
	r.logf("the SCIM endpoint serves at %s", r.e.scim.base)
	// The manager's cache starts an informer on the first read of a kind:
	// with the controllers held back, the first SCIM request of each kind
	// would pay for it. Warm both up, as running controllers would have.
	for _, path := range []string{
		"/Users?filter=" + url.QueryEscape(`userName eq "warm-up@example.com"`),
		"/Groups?filter=" + url.QueryEscape(`displayName eq "warm-up"`),
		"/Users/" + uuid.NewString(),
		"/Groups/" + uuid.NewString(),
	} {
		want := http.StatusOK
		if !strings.Contains(path, "?") {
			want = http.StatusNotFound
		}
		if _, err := r.e.scim.do(ctx, http.MethodGet, path, nil, want, nil); err != nil {
			return fmt.Errorf("warming the SCIM endpoint up: %w", err)
		}
	}
	// And the write path: one user created and deleted. The API server's
	// first create of a ScimUser sometimes takes 2 s by itself (the create
	// call, timed inside the manager: 2.0 s, against 3 ms for the next
	// one), which would otherwise land in the c=1 latencies. The deleted
	// user leaves once the controllers, held back until the sync, release
	// its finalizer.
	warm := userSpec(-1)
	warm.UserName, warm.Emails, warm.ExternalID = "warm-up@example.com", nil, ""
	body, err := userPayload(warm)
	if err != nil {
		return err
	}
	var out struct {
		ID string `json:"id"`
	}
	d, err := r.e.scim.do(ctx, http.MethodPost, "/Users", body, http.StatusCreated, &out)
	if err != nil {
		return fmt.Errorf("warming the SCIM endpoint up: %w", err)
	}
	r.logf("warm-up create took %s", d)
	if _, err := r.e.scim.do(ctx, http.MethodDelete, "/Users/"+out.ID, nil, http.StatusNoContent, nil); err != nil {
		return fmt.Errorf("warming the SCIM endpoint up: %w", err)
	}
	return nil
}

// idleMemory reads the manager's memory before any user exists.
func (r *runner) idleMemory(ctx context.Context) error {
	m, err := r.collectGarbage(ctx, "idle-heap")
	if err != nil {
		return err
	}
	r.res.Memory.IdleHeapBytes, _ = m.get("go_memstats_heap_alloc_bytes")
	r.res.Memory.IdleLiveHeapBytes, _ = m.get("go_gc_heap_live_bytes")
	r.res.Memory.IdleRSSBytes, _ = m.get("process_resident_memory_bytes")
	return nil
}

// pool runs fn(0..n-1) on conc workers and returns each call's duration
// and the wall time. The first error stops the others.
func pool(ctx context.Context, conc, n int, fn func(ctx context.Context, k int) (time.Duration, error)) ([]time.Duration, time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	durations := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= n || ctx.Err() != nil {
					return
				}
				d, err := fn(ctx, k)
				if err != nil {
					cancel(err)
					return
				}
				durations[k] = d
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return nil, wall, err
	}
	return durations, wall, nil
}

func throughput(durations []time.Duration, wall time.Duration) Throughput {
	return Throughput{PerSecond: float64(len(durations)) / wall.Seconds(), Seconds: wall.Seconds(), Latency: Summarize(durations)}
}

// creates pushes every user through POST /Users, level by level, and
// after each level creates as many equivalent ScimUsers straight through
// the API server at the same concurrency.
func (r *runner) creates(ctx context.Context) error {
	shares := createShares(r.cfg.Users, r.cfg.Concurrency, r.cfg.SerialShare)
	first := 0
	for li, conc := range r.cfg.Concurrency {
		n := shares[li]
		level := CreateLevel{Concurrency: conc, Users: n}
		mBefore, err := r.e.mgr.metrics(ctx)
		if err != nil {
			return err
		}
		if li > 0 && li == len(r.cfg.Concurrency)-1 {
			// As long as the level should last, by the previous one's rate.
			expect := time.Duration(float64(n) / r.res.Create[li-1].SCIM.PerSecond * float64(time.Second))
			r.profileCPU(ctx, fmt.Sprintf("create-c%d", conc), min(30*time.Second, expect))
		}
		level.SCIM, err = r.measureArm(ctx, fmt.Sprintf("create-c%d-scim", conc), conc, n, func(ctx context.Context, k int) (time.Duration, error) {
			i := first + k
			body, err := userPayload(userSpec(i))
			if err != nil {
				return 0, err
			}
			var out struct {
				ID string `json:"id"`
			}
			d, err := r.e.scim.do(ctx, http.MethodPost, "/Users", body, http.StatusCreated, &out)
			r.ids[i] = out.ID
			return d, err
		})
		if err != nil {
			return fmt.Errorf("POST /Users at concurrency %d: %w", conc, err)
		}
		r.lastWrite = time.Now()
		mAfter, err := r.e.mgr.metrics(ctx)
		if err != nil {
			return err
		}
		level.KubeCalls = kubeCalls(mBefore, mAfter)
		r.logf("POST /Users      c=%-3d %6d users in %6.1fs: %7.1f/s, p50 %6.1f ms, p99 %6.1f ms",
			conc, n, level.SCIM.Seconds, level.SCIM.PerSecond, level.SCIM.Latency.P50Ms, level.SCIM.Latency.P99Ms)
		if li == 0 {
			if err := r.checkEquivalent(ctx, first); err != nil {
				return err
			}
		}

		level.Bare, err = r.measureArm(ctx, fmt.Sprintf("create-c%d-bare", conc), conc, n, func(ctx context.Context, k int) (time.Duration, error) {
			u := r.bareUser(first + k)
			start := time.Now()
			if err := r.e.k8s.Create(ctx, u); err != nil {
				return 0, fmt.Errorf("creating ScimUser %s/%s: %w", u.Namespace, u.Name, err)
			}
			return time.Since(start), nil
		})
		if err != nil {
			return fmt.Errorf("bare creates at concurrency %d: %w", conc, err)
		}
		level.Ratio = level.SCIM.PerSecond / level.Bare.PerSecond
		r.logf("bare API create  c=%-3d %6d users in %6.1fs: %7.1f/s, p50 %6.1f ms, p99 %6.1f ms (SCIM/bare %.2f×)",
			conc, n, level.Bare.Seconds, level.Bare.PerSecond, level.Bare.Latency.P50Ms, level.Bare.Latency.P99Ms, level.Ratio)
		r.logf("  CPU, POST /Users: %s", level.SCIM.CPU)
		r.logf("  CPU, bare:        %s", level.Bare.CPU)
		r.logf("  kube-apiserver, POST /Users: %s", level.SCIM.APIServer)
		r.logf("  kube-apiserver, bare:        %s", level.Bare.APIServer)
		r.res.Create = append(r.res.Create, level)
		first += n
	}
	return r.deleteBare(ctx)
}

// measureArm runs one arm of a create level, fn(0..n-1) at conc in
// flight, and measures it: the CPU of every process, what kube-apiserver
// did (its metrics before and after; not measured when they cannot be
// read) and, with ProfileDir, kube-apiserver's CPU profiles meanwhile.
func (r *runner) measureArm(ctx context.Context, name string, conc, n int,
	fn func(ctx context.Context, k int) (time.Duration, error)) (Throughput, error) {
	before, err := r.e.apiServerMetrics(ctx)
	if err != nil {
		r.logf("warning: %v", err)
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Minute+time.Duration(n)*100*time.Millisecond)
	defer cancel()
	stop := r.profileAPIServer(ctx, name)
	cpuBefore := r.e.cpu.read()
	durations, wall, err := pool(lctx, conc, n, fn)
	cpuAfter := r.e.cpu.read()
	stop()
	if err != nil {
		return Throughput{}, err
	}
	t := throughput(durations, wall)
	t.CPU = cpuAfter.since(cpuBefore, n)
	if before != nil {
		after, err := r.e.apiServerMetrics(ctx)
		if err != nil {
			r.logf("warning: %v", err)
		} else {
			t.APIServer = apiServerWork(before, after)
		}
	}
	return t, nil
}

// bareUser is the i-th user as POST /Users stores it (same spec and labels;
// like a new SCIM user, no annotations), in BareNamespace.
func (r *runner) bareUser(i int) *v1.ScimUser {
	spec := userSpec(i)
	spec.IdentityConfigRef = v1.IdentityConfigReference{Name: r.e.identityConfig}
	return &v1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{
			Name:      uuid.NewString(),
			Namespace: BareNamespace,
			Labels:    map[string]string{v1.LabelIdentityConfig: r.e.identityConfig},
		},
		Spec: spec,
	}
}

// checkEquivalent compares the ScimUser POST /Users stored for user i with
// what the bare baseline creates, so that the baseline writes the same
// objects; a difference is noted in the result.
func (r *runner) checkEquivalent(ctx context.Context, i int) error {
	var stored v1.ScimUser
	if err := r.e.k8s.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: v1.ScimUserNameOf(r.ids[i])}, &stored); err != nil {
		return fmt.Errorf("reading the ScimUser POST /Users stored: %w", err)
	}
	bare := r.bareUser(i)
	var diffs []string
	if !equality.Semantic.DeepEqual(stored.Spec, bare.Spec) {
		a, _ := json.Marshal(stored.Spec)
		b, _ := json.Marshal(bare.Spec)
		diffs = append(diffs, fmt.Sprintf("spec %s vs %s", a, b))
	}
	if !sameKeys(stored.Labels, bare.Labels) || !sameKeys(stored.Annotations, bare.Annotations) {
		diffs = append(diffs, fmt.Sprintf("labels %v, annotations %v vs labels %v, annotations %v", stored.Labels, stored.Annotations, bare.Labels, bare.Annotations))
	}
	if len(diffs) > 0 {
		note := "The bare baseline's ScimUsers differ from those POST /Users stores: " + strings.Join(diffs, "; ")
		r.res.Notes = append(r.res.Notes, note)
		r.logf("warning: %s", note)
	}
	return nil
}

func sameKeys(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

// deleteBare deletes the baseline's ScimUsers (they have no finalizer: no
// controller has run) and waits until they are gone. A delete-collection
// call that ends early (the API server's request timeout) has deleted some;
// it is called again until none is left.
func (r *runner) deleteBare(ctx context.Context) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute+time.Duration(r.cfg.Users)*5*time.Millisecond)
	defer cancel()
	err := r.e.waitFor(ctx, "the bare baseline's ScimUsers to go", time.Second, func(ctx context.Context) (bool, error) {
		var l metav1.PartialObjectMetadataList
		l.SetGroupVersionKind(v1.GroupVersion.WithKind("ScimUserList"))
		if err := r.e.k8s.List(ctx, &l, client.InNamespace(BareNamespace), client.Limit(1)); err != nil {
			return false, err
		}
		if len(l.Items) == 0 {
			return true, nil
		}
		if err := r.e.k8s.DeleteAllOf(ctx, &v1.ScimUser{}, client.InNamespace(BareNamespace)); err != nil {
			if ctx.Err() != nil {
				return false, err
			}
			r.logf("deleting the bare baseline's ScimUsers: %v; again", err)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	r.logf("deleted the bare baseline's ScimUsers in %.1fs", time.Since(start).Seconds())
	return r.waitManagerQuiet(ctx)
}

// quietCores is the manager's CPU use (cores) below which it is at rest;
// quietMachineCores the whole machine's (the control plane, the harness).
const (
	quietCores        = 0.05
	quietMachineCores = 0.3
)

// waitManagerQuiet waits (at most two minutes) until the manager's CPU use
// stays under quietCores, and the machine's under quietMachineCores, for
// two seconds in a row. The API server answers the deletion of the
// baseline's objects before the manager's informers have taken in the
// delete events (100,000 of them at N = 100,000), and goes on working
// after it (on a slower machine its timed-out delete-collection calls and
// its own collections of a heap grown by 200,000 events kept both cores
// busy for minutes); the lookups measured next are the endpoint's at rest,
// not while the machine digests the harness's own cleanup.
func (r *runner) waitManagerQuiet(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	last, quiet := -1.0, 0
	lastMachine, machineKnown := machineBusySeconds()
	machine := 0.0
	err := r.e.waitFor(ctx, "the manager and the machine to be at rest", time.Second, func(ctx context.Context) (bool, error) {
		m, err := r.e.mgr.metrics(ctx)
		if err != nil {
			return false, err
		}
		cpu, _ := m.get("process_cpu_seconds_total")
		busy, known := machineBusySeconds()
		machineQuiet := true
		if known && machineKnown {
			machine = busy - lastMachine
			machineQuiet = machine < quietMachineCores
		}
		lastMachine, machineKnown = busy, known
		if last >= 0 && cpu-last < quietCores && machineQuiet {
			quiet++
		} else {
			quiet = 0
		}
		last = cpu
		return quiet >= 2, nil
	})
	if err != nil && ctx.Err() != nil {
		r.logf("the manager or the machine was still busy after %s (the machine at %.2f cores); measuring anyway",
			time.Since(start).Round(time.Second), machine)
		return nil
	}
	if err != nil {
		return err
	}
	r.logf("the manager and the machine were at rest %.1fs after the deletion", time.Since(start).Seconds())
	return nil
}

// machineBusySeconds is the CPU time every core of the machine has spent
// busy since boot (Linux's /proc/stat: all but idle and iowait), in
// seconds; known is false where there is no /proc/stat.
func machineBusySeconds() (seconds float64, known bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return 0, false
	}
	var busy uint64
	// user nice system idle iowait irq softirq steal; guest time, after
	// them, is counted in user and nice already.
	for i, f := range fields[1:min(len(fields), 9)] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, false
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return float64(busy) / userHZ, true
}

// sample takes up to Reads samples of fn, or fewer when ReadTime runs out
// (never fewer than 20).
func (r *runner) sample(ctx context.Context, what string, fn func(ctx context.Context) (time.Duration, error)) (Latency, error) {
	// Twenty samples are taken however slow they are, within ten minutes.
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ReadTime+10*time.Minute)
	defer cancel()
	before := r.managerMetrics(ctx)
	deadline := time.Now().Add(r.cfg.ReadTime)
	var ds []time.Duration
	for len(ds) < r.cfg.Reads && (len(ds) < 20 || time.Now().Before(deadline)) {
		d, err := fn(ctx)
		if err != nil {
			return Latency{}, fmt.Errorf("%s: %w", what, err)
		}
		ds = append(ds, d)
	}
	l := Summarize(ds)
	gcNote := managerNote(&l, before, r.managerMetrics(ctx))
	r.logf("%-40s %4d requests: p50 %7.2f ms, p99 %7.2f ms%s", what, l.Count, l.P50Ms, l.P99Ms, gcNote)
	return l, nil
}

// readsDuringGC has the manager collect its whole heap and calls fn one
// request at a time until the collection ends (at least twenty times).
func (r *runner) readsDuringGC(ctx context.Context, fn func(ctx context.Context) (time.Duration, error)) (*GCReads, error) {
	if r.e.mgr == nil {
		return nil, nil // a test's runner, without a manager
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	before := r.managerMetrics(ctx)
	done := make(chan error, 1)
	start := time.Now()
	var gcTime time.Duration
	go func() {
		err := r.e.mgr.pprof(ctx, "/debug/pprof/heap?gc=1", "")
		gcTime = time.Since(start)
		done <- err
	}()
	var ds []time.Duration
	var gcErr error
	for collecting := true; collecting || len(ds) < 20; {
		select {
		case gcErr = <-done:
			collecting = false
		default:
		}
		d, err := fn(ctx)
		if err != nil {
			return nil, fmt.Errorf("externalId eq during a collection: %w", err)
		}
		ds = append(ds, d)
	}
	if gcErr != nil {
		return nil, fmt.Errorf("having the manager collect garbage: %w", gcErr)
	}
	out := &GCReads{Latency: Summarize(ds), GCSeconds: gcTime.Seconds()}
	after := r.managerMetrics(ctx)
	note := managerNote(&out.Latency, before, after)
	out.LiveHeapBytes = after["go_gc_heap_live_bytes"]
	r.logf("%-40s %4d requests: p50 %7.2f ms, p99 %7.2f ms, max %7.2f ms%s (a collection of %.0f MiB live in %.0f ms)",
		"externalId eq during a manager GC", len(ds), out.Latency.P50Ms, out.Latency.P99Ms, out.Latency.MaxMs, note,
		out.LiveHeapBytes/(1<<20), gcTime.Seconds()*1000)
	return out, nil
}

// managerMetrics scrapes the manager's metrics, or returns nil (a test's
// runner, without a manager, or a failed scrape).
func (r *runner) managerMetrics(ctx context.Context) metricSet {
	if r.e.mgr == nil {
		return nil
	}
	m, err := r.e.mgr.metrics(ctx)
	if err != nil {
		return nil
	}
	return m
}

// managerNote fills in the manager's garbage collections and its requests
// over 5 ms between two scrapes (when both were read) and says them for
// the log.
func managerNote(l *Latency, before, after metricSet) string {
	if before == nil || after == nil {
		return ""
	}
	const hist = "lightrun_identity_scim_request_duration_seconds"
	gcs := int(after["go_gc_duration_seconds_count"] - before["go_gc_duration_seconds_count"])
	over := int(after.sum(hist+"_count") - before.sum(hist+"_count") -
		(after.sum(hist+"_bucket", `le="0.005"`) - before.sum(hist+"_bucket", `le="0.005"`)))
	l.ManagerGCs, l.ManagerOver5ms = &gcs, &over
	return fmt.Sprintf(", %d manager GCs, %d over 5 ms in the manager", gcs, over)
}

// filterOne looks a user up by filter and expects exactly that user.
func (r *runner) filterOne(ctx context.Context, filter string, i int) (time.Duration, error) {
	var out listResponse
	d, err := r.e.scim.do(ctx, http.MethodGet, "/Users?filter="+url.QueryEscape(filter), nil, http.StatusOK, &out)
	if err != nil {
		return d, err
	}
	if out.TotalResults != 1 || len(out.Resources) != 1 || out.Resources[0]["id"] != r.ids[i] {
		return d, fmt.Errorf("filter %s found %d users, not user %d (%s)", filter, out.TotalResults, i, r.ids[i])
	}
	return d, nil
}

// reads measures the lookups and pages an IdP makes, one at a time.
func (r *runner) reads(ctx context.Context) error {
	rd := &r.res.Reads
	rd.PageSize = r.cfg.PageSize
	n := r.cfg.Users
	var err error
	if rd.GetByID, err = r.sample(ctx, "GET /Users/{id}", func(ctx context.Context) (time.Duration, error) {
		return r.e.scim.do(ctx, http.MethodGet, "/Users/"+r.ids[r.rng.IntN(n)], nil, http.StatusOK, nil)
	}); err != nil {
		return err
	}
	for _, f := range []struct {
		name   string
		out    *Latency
		filter func(v1.ScimUserSpec) string
	}{
		{"userName eq", &rd.UserNameEq, func(s v1.ScimUserSpec) string { return fmt.Sprintf("userName eq %q", s.UserName) }},
		{"externalId eq", &rd.ExternalIDEq, func(s v1.ScimUserSpec) string { return fmt.Sprintf("externalId eq %q", s.ExternalID) }},
		{`emails[type eq "work"].value eq`, &rd.EmailEq, func(s v1.ScimUserSpec) string {
			return fmt.Sprintf(`emails[type eq "work"].value eq %q`, s.Emails[0].Value)
		}},
	} {
		if *f.out, err = r.sample(ctx, f.name, func(ctx context.Context) (time.Duration, error) {
			i := r.rng.IntN(n)
			return r.filterOne(ctx, f.filter(userSpec(i)), i)
		}); err != nil {
			return err
		}
	}
	if rd.DuringGC, err = r.readsDuringGC(ctx, func(ctx context.Context) (time.Duration, error) {
		i := r.rng.IntN(n)
		return r.filterOne(ctx, fmt.Sprintf("externalId eq %q", userSpec(i).ExternalID), i)
	}); err != nil {
		return err
	}
	page := r.cfg.PageSize
	if rd.ListPage, err = r.sample(ctx, fmt.Sprintf("list page (count=%d, random startIndex)", page), func(ctx context.Context) (time.Duration, error) {
		start := 1 + r.rng.IntN(max(1, n-page+1))
		var out listResponse
		d, err := r.e.scim.do(ctx, http.MethodGet, fmt.Sprintf("/Users?startIndex=%d&count=%d", start, page), nil, http.StatusOK, &out)
		if err == nil && (out.TotalResults != n || len(out.Resources) != min(page, n-start+1)) {
			err = fmt.Errorf("page at %d: %d of %d users, want %d of %d", start, len(out.Resources), out.TotalResults, min(page, n-start+1), n)
		}
		return d, err
	}); err != nil {
		return err
	}
	return r.cursorPages(ctx)
}

// cursorPages walks RFC 9865 cursor pages when the ServiceProviderConfig
// advertises them.
func (r *runner) cursorPages(ctx context.Context) error {
	var spc serviceProviderConfig
	if _, err := r.e.scim.do(ctx, http.MethodGet, "/ServiceProviderConfig", nil, http.StatusOK, &spc); err != nil {
		return err
	}
	c := &r.res.Reads.Cursor
	if spc.Pagination == nil || !spc.Pagination.Cursor {
		r.logf("cursor pages: not supported (the ServiceProviderConfig advertises no RFC 9865 cursor pagination)")
		return nil
	}
	c.Supported = true
	page := r.cfg.PageSize
	if m := spc.Pagination.MaxPageSize; m > 0 {
		page = min(page, m)
	}
	cursor, seen := "", 0
	var err error
	c.Latency, err = r.sample(ctx, fmt.Sprintf("cursor page (count=%d)", page), func(ctx context.Context) (time.Duration, error) {
		var out listResponse
		d, err := r.e.scim.do(ctx, http.MethodGet, fmt.Sprintf("/Users?count=%d&cursor=%s", page, url.QueryEscape(cursor)), nil, http.StatusOK, &out)
		if err != nil {
			return d, err
		}
		seen += len(out.Resources)
		cursor = out.NextCursor
		if cursor == "" {
			if seen != r.cfg.Users {
				return d, fmt.Errorf("walking cursor pages found %d users, not %d", seen, r.cfg.Users)
			}
			c.Walks++
			seen = 0
		} else if len(out.Resources) == 0 {
			return d, errors.New("a cursor page with a nextCursor has no users")
		}
		return d, nil
	})
	return err
}

// patchMembers adds or removes members of the group in one PATCH.
func (r *runner) patchMembers(ctx context.Context, op string, ids []string) (time.Duration, error) {
	values := make([]map[string]string, len(ids))
	for i, id := range ids {
		values[i] = map[string]string{"value": id}
	}
	body := map[string]any{
		"schemas":    []string{scim.PatchOpURN},
		"Operations": []any{map[string]any{"op": op, "path": "members", "value": values}},
	}
	return r.e.scim.do(ctx, http.MethodPatch, "/Groups/"+r.groupID, body, http.StatusNoContent, nil)
}

// group grows one group to every user in PATCHes of GroupBatch members, as
// an IdP's group push does, then times the GET that leaves members out and
// PATCHes of GroupBatch members at full size.
func (r *runner) group(ctx context.Context) error {
	g := &r.res.Group
	n := r.cfg.Users
	g.Batch = min(r.cfg.GroupBatch, n/2)
	var created struct {
		ID string `json:"id"`
	}
	if _, err := r.e.scim.do(ctx, http.MethodPost, "/Groups", map[string]any{
		"schemas": []string{scim.GroupSchemaURN}, "displayName": "Everyone",
	}, http.StatusCreated, &created); err != nil {
		return err
	}
	r.groupID = created.ID
	gctx, cancel := context.WithTimeout(ctx, 5*time.Minute+time.Duration(n/g.Batch+1)*30*time.Second)
	defer cancel()
	start := time.Now()
	for lo := 0; lo < n; lo += g.Batch {
		if _, err := r.patchMembers(gctx, "add", r.ids[lo:min(lo+g.Batch, n)]); err != nil {
			return fmt.Errorf("growing the group: %w", err)
		}
		g.GrowPatches++
	}
	g.GrowSeconds = time.Since(start).Seconds()
	g.Members = n
	r.logf("grew a group to %d members in %d PATCHes in %.1fs", n, g.GrowPatches, g.GrowSeconds)

	var err error
	if g.GetExcludedMembers, err = r.sample(ctx, "GET /Groups/{id}?excludedAttributes=members", func(ctx context.Context) (time.Duration, error) {
		return r.e.scim.do(ctx, http.MethodGet, "/Groups/"+r.groupID+"?excludedAttributes=members", nil, http.StatusOK, nil)
	}); err != nil {
		return err
	}
	last := r.ids[n-g.Batch:]
	// As long as the timed PATCHes should take, by the growth's rate.
	r.profileCPU(ctx, "group-patch", min(time.Minute,
		time.Duration(g.GrowSeconds/float64(g.GrowPatches)*float64(r.cfg.GroupPatches)*float64(time.Second))))
	var ds []time.Duration
	for k := range r.cfg.GroupPatches {
		op := "remove"
		if k%2 == 1 {
			op = "add"
		}
		d, err := r.patchMembers(gctx, op, last)
		if err != nil {
			return fmt.Errorf("timing the group PATCH: %w", err)
		}
		ds = append(ds, d)
	}
	r.lastWrite = time.Now()
	if r.cfg.GroupPatches%2 == 1 {
		// Leave every user in the group, as the growth did.
		if _, err := r.patchMembers(gctx, "add", last); err != nil {
			return fmt.Errorf("restoring the group: %w", err)
		}
		r.lastWrite = time.Now()
	}
	g.Patch = Summarize(ds)
	r.logf("PATCH of %d members at %d: mean %.2fs, max %.2fs (%d PATCHes)", g.Batch, n, g.Patch.MeanMs/1000, g.Patch.MaxMs/1000, len(ds))
	if err := r.bareGroupPatches(gctx, last); err != nil {
		return err
	}
	return nil
}

// bareGroupPatches writes the timed PATCHes' membership changes straight to
// the API server: for each user, one merge patch of spec.groups with the
// resourceVersion as precondition (what the store writes per member),
// kubestore.DefaultMemberWorkers at a time. It adds and removes a group id
// of its own, so the users end as they were. The objects are read once, not
// timed; each patch's answer carries the next resourceVersion.
func (r *runner) bareGroupPatches(ctx context.Context, ids []string) error {
	g := &r.res.Group
	g.BareWorkers = kubestore.DefaultMemberWorkers
	users := make([]*v1.ScimUser, len(ids))
	for i, id := range ids {
		users[i] = &v1.ScimUser{}
		if err := r.e.k8s.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: v1.ScimUserNameOf(id)}, users[i]); err != nil {
			return fmt.Errorf("reading ScimUser %s for the bare membership patches: %w", id, err)
		}
	}
	const bareGroup = "bench-bare-group"
	patches := r.cfg.GroupPatches + r.cfg.GroupPatches%2 // even: the users end in no bare group
	var ds []time.Duration
	for k := range patches {
		member := k%2 == 0
		_, wall, err := pool(ctx, g.BareWorkers, len(users), func(ctx context.Context, i int) (time.Duration, error) {
			u := users[i]
			patch := client.MergeFromWithOptions(u.DeepCopy(), client.MergeFromWithOptimisticLock{})
			if member {
				u.Spec.Groups = append(u.Spec.Groups, bareGroup)
			} else {
				u.Spec.Groups = slices.DeleteFunc(u.Spec.Groups, func(g string) bool { return g == bareGroup })
			}
			if err := r.e.k8s.Patch(ctx, u, patch); err != nil {
				return 0, fmt.Errorf("patching the groups of ScimUser %s: %w", u.Name, err)
			}
			return 0, nil
		})
		if err != nil {
			return fmt.Errorf("bare membership patches: %w", err)
		}
		if k < r.cfg.GroupPatches {
			ds = append(ds, wall)
		}
	}
	g.BarePatch = Summarize(ds)
	if g.Patch.MeanMs > 0 {
		g.PatchRatio = g.BarePatch.MeanMs / g.Patch.MeanMs
	}
	r.logf("the same %d membership changes straight to the API server (%d in flight): mean %.2fs (SCIM/bare %.2f×)",
		len(users), g.BareWorkers, g.BarePatch.MeanMs/1000, g.PatchRatio)
	return nil
}

// sync lets the controllers start and waits until the emulator holds every
// user, then until every ScimUser reports Synced.
func (r *runner) sync(ctx context.Context) error {
	s := &r.res.Sync
	n := r.cfg.Users
	before := r.e.counter.snapshot()
	if before.total != 0 {
		return fmt.Errorf("the operator called Lightrun %d times while the harness held its leader election Lease: the Lease name no longer matches the manager's", before.total)
	}
	// The least the sync can take is about 2 calls per user at the rate
	// limit; allow five times that and more.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute+time.Duration(float64(n)*10/r.cfg.EmulatorRate*float64(time.Second)))
	defer cancel()
	mBefore, err := r.e.mgr.metrics(ctx)
	if err != nil {
		return err
	}
	released := time.Now()
	if err := r.e.releaseControllers(ctx); err != nil {
		return err
	}
	// The manager takes the Lease at its next try (client-go retries every
	// two seconds): its controllers start then.
	if err := r.e.waitFor(ctx, "the manager to take the leader election Lease", 20*time.Millisecond, func(ctx context.Context) (bool, error) {
		var lease coordinationv1.Lease
		err := r.e.k8s.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: leaseName}, &lease)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		holder := ptr.Deref(lease.Spec.HolderIdentity, "")
		return holder != "" && holder != leaseHolder, nil
	}); err != nil {
		return err
	}
	start := time.Now()
	cpuBefore := r.e.cpu.read()
	// At most a minute, within the least the sync can take.
	r.profileCPU(ctx, "sync", min(time.Minute, time.Duration(float64(n)*2/r.cfg.EmulatorRate*float64(time.Second))))
	s.HandoverSeconds = start.Sub(released).Seconds()
	r.logf("the manager took the Lease %.1fs after the harness let go; waiting until the emulator holds %d users (rate limit %g/s)",
		s.HandoverSeconds, n, r.cfg.EmulatorRate)
	lastLog := time.Now()
	if err := r.e.waitFor(ctx, "the emulator to hold every user", 50*time.Millisecond, func(context.Context) (bool, error) {
		created := r.e.counter.usersCreated.Load()
		if time.Since(lastLog) > 30*time.Second {
			lastLog = time.Now()
			r.logf("  %d of %d users in the emulator", created, n)
		}
		return created >= int64(n), nil
	}); err != nil {
		return err
	}
	done := time.Now()
	s.CPU = r.e.cpu.read().since(cpuBefore, n)
	d := r.e.counter.snapshot().sub(before)
	s.Seconds = done.Sub(start).Seconds()
	s.SinceLastWriteSeconds = done.Sub(r.lastWrite).Seconds()
	s.Requests, s.Throttled, s.ByRoute = d.total, d.throttled, d.byRoute
	s.RequestsPerUser = float64(d.total) / float64(n)
	accepted := float64(d.total - d.throttled)
	s.BoundSeconds = max(0, accepted-float64(r.cfg.EmulatorBurst)) / r.cfg.EmulatorRate
	s.Fraction = s.BoundSeconds / s.Seconds
	r.logf("the emulator holds every user after %.1fs: %d calls (%d throttled), %.2f per user; bound %.1fs, fraction %.2f",
		s.Seconds, d.total, d.throttled, s.RequestsPerUser, s.BoundSeconds, s.Fraction)
	r.logf("  CPU in the sync: %s", s.CPU)
	if d.total > 0 {
		s.LightrunCallMeanMs = float64(d.nanos) / float64(d.total) / 1e6
	}
	mAfter, err := r.e.mgr.metrics(ctx)
	if err != nil {
		return err
	}
	const ctrl = `controller="scimuser"`
	s.Reconciles = mAfter.sum("controller_runtime_reconcile_time_seconds_count", ctrl) -
		mBefore.sum("controller_runtime_reconcile_time_seconds_count", ctrl)
	if s.Reconciles > 0 {
		s.ReconcileMeanMs = (mAfter.sum("controller_runtime_reconcile_time_seconds_sum", ctrl) -
			mBefore.sum("controller_runtime_reconcile_time_seconds_sum", ctrl)) / s.Reconciles * 1000
	}
	s.Workers = mAfter.sum("controller_runtime_max_concurrent_reconciles", ctrl)
	s.EventsDropped = mAfter.sum("lightrun_identity_events_dropped_total") - mBefore.sum("lightrun_identity_events_dropped_total")
	s.KubeCalls = kubeCalls(mBefore, mAfter)
	r.logf("  %.0f ScimUser reconciles, %.1f ms each on average (waits for the Lightrun rate limit included) over %.0f workers; the emulator took %.2f ms per call; %.0f Events dropped",
		s.Reconciles, s.ReconcileMeanMs, s.Workers, s.LightrunCallMeanMs, s.EventsDropped)

	if err := r.checkEmulator(); err != nil {
		return err
	}
	key := fmt.Sprintf(`lightrun_identity_users{identity_config=%q,namespace=%q,state="synced"}`, r.e.identityConfig, Namespace)
	if err := r.e.waitFor(ctx, "every ScimUser to report Synced", 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		m, err := r.e.mgr.metrics(ctx)
		if err != nil {
			return false, err
		}
		v, _ := m.get(key)
		return v >= float64(n), nil
	}); err != nil {
		return err
	}
	s.StatusSeconds = time.Since(start).Seconds()
	r.logf("every ScimUser reports Synced after %.1fs", s.StatusSeconds)
	return nil
}

// checkEmulator checks that the emulator holds each pushed user, enabled.
func (r *runner) checkEmulator() error {
	st, err := r.e.emu.State()
	if err != nil {
		return fmt.Errorf("reading the emulator's state: %w", err)
	}
	want := make(map[string]bool, r.cfg.Users)
	for i := range r.cfg.Users {
		want[strings.ToLower(userSpec(i).Emails[0].Value)] = true
	}
	found := 0
	for _, u := range st.Users {
		if want[u.Email] && u.Enabled {
			found++
		}
	}
	if found != r.cfg.Users {
		return fmt.Errorf("the emulator holds %d of the %d pushed users, enabled", found, r.cfg.Users)
	}
	return nil
}

// memory waits until the manager is idle, has it collect garbage, and
// reads its heap and resident set.
func (r *runner) memory(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	mem := &r.res.Memory
	calls := int64(-1)
	if err := r.e.waitFor(ctx, "the manager to be idle", time.Second, func(ctx context.Context) (bool, error) {
		m, err := r.e.mgr.metrics(ctx)
		if err != nil {
			return false, err
		}
		now := r.e.counter.total.Load()
		idle := m.sum("workqueue_depth") == 0 && now == calls
		calls = now
		return idle, nil
	}); err != nil {
		return err
	}
	m, err := r.collectGarbage(ctx, "heap")
	if err != nil {
		return err
	}
	mem.AfterGC = true
	mem.HeapAllocBytes, _ = m.get("go_memstats_heap_alloc_bytes")
	mem.HeapInuseBytes, _ = m.get("go_memstats_heap_inuse_bytes")
	mem.RSSBytes, _ = m.get("process_resident_memory_bytes")
	mem.LiveHeapBytes, _ = m.get("go_gc_heap_live_bytes")
	n := float64(r.cfg.Users)
	if mem.LiveHeapBytes > 0 {
		mem.HeapPerUserBytes = mem.LiveHeapBytes / n
		mem.MarginalHeapPerUserBytes = (mem.LiveHeapBytes - mem.IdleLiveHeapBytes) / n
	} else {
		mem.HeapPerUserBytes = mem.HeapAllocBytes / n
		mem.MarginalHeapPerUserBytes = (mem.HeapAllocBytes - mem.IdleHeapBytes) / n
	}
	mem.RSSPerUserBytes = mem.RSSBytes / n
	total := r.e.counter.total.Load()
	r.res.Sync.TotalRequests = total
	r.res.Sync.TotalRequestsPerUser = float64(total) / n
	r.logf("manager memory after a garbage collection: live heap %.1f MiB (%.0f B/user), heap %.1f MiB, RSS %.1f MiB",
		mem.LiveHeapBytes/(1<<20), mem.HeapPerUserBytes, mem.HeapAllocBytes/(1<<20), mem.RSSBytes/(1<<20))
	return nil
}

// collectGarbage has the manager collect garbage (through
// /debug/pprof/heap?gc=1, whose heap profile goes to ProfileDir when set)
// and returns its metrics after.
func (r *runner) collectGarbage(ctx context.Context, name string) (metricSet, error) {
	dst := ""
	if r.cfg.ProfileDir != "" {
		dst = filepath.Join(r.cfg.ProfileDir, fmt.Sprintf("%d-%s.pprof", r.cfg.Users, name))
	}
	if err := r.e.mgr.pprof(ctx, "/debug/pprof/heap?gc=1", dst); err != nil {
		return nil, err
	}
	if dst != "" {
		r.logf("heap profile of the manager: %s", dst)
	}
	return r.e.mgr.metrics(ctx)
}

// profileCPU takes a CPU profile of the manager for d in the background,
// into ProfileDir (nothing without one); Run waits for it before stopping
// the manager.
func (r *runner) profileCPU(ctx context.Context, name string, d time.Duration) {
	if r.cfg.ProfileDir == "" || d < time.Second {
		return
	}
	done := make(chan struct{})
	r.pending = append(r.pending, done)
	go func() {
		defer close(done)
		dst := filepath.Join(r.cfg.ProfileDir, fmt.Sprintf("%d-%s.cpu.pprof", r.cfg.Users, name))
		if err := r.e.mgr.pprof(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d.Seconds())), dst); err != nil {
			r.logf("profiling the manager (%s): %v", name, err)
			return
		}
		r.logf("CPU profile of the manager (%s, %s): %s", name, d, dst)
	}()
}
