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
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ResultSchema is the version of the Result layout in the JSON files.
const ResultSchema = 1

// TargetUsers is the size the targets are stated for; at another size the
// pass/fail of a size-dependent target is shown in parentheses.
const TargetUsers = 100_000

// Result is one run: where and how it ran, and what it measured. It is
// what bench/results/*.json hold.
type Result struct {
	Schema   int       `json:"schema"`
	Date     time.Time `json:"date"`
	Command  string    `json:"command"`
	Machine  Machine   `json:"machine"`
	Settings Settings  `json:"settings"`
	// Seconds is how long the whole run took.
	Seconds float64 `json:"seconds"`

	Create []CreateLevel `json:"create"`
	Reads  Reads         `json:"reads"`
	Group  Group         `json:"group"`
	Sync   Sync          `json:"sync"`
	Memory Memory        `json:"memory"`
	// Targets are the targets with the values measured.
	Targets []Target `json:"targets"`
	// Notes are things a reader of the numbers should know.
	Notes []string `json:"notes,omitempty"`
	// Incomplete is why the run stopped before its end; the phases after
	// the failing one have no numbers.
	Incomplete string `json:"incomplete,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	CPU       string  `json:"cpu"`
	Cores     int     `json:"cores"`
	MemoryGiB float64 `json:"memoryGiB"`
	OS        string  `json:"os"`
	Arch      string  `json:"arch"`
	GoVersion string  `json:"goVersion"`
	Commit    string  `json:"commit"`
	Dirty     bool    `json:"dirty"`
	// LoadStart and LoadEnd are /proc/loadavg's 1, 5 and 15 minute loads
	// when the run started and ended: other work on the machine.
	LoadStart string `json:"loadStart"`
	LoadEnd   string `json:"loadEnd"`
}

// Settings are the knobs of the run that the numbers depend on.
type Settings struct {
	Users                   int     `json:"users"`
	Concurrency             []int   `json:"concurrency"`
	Reads                   int     `json:"reads"`
	PageSize                int     `json:"pageSize"`
	GroupBatch              int     `json:"groupBatch"`
	EmulatorRate            float64 `json:"emulatorRate"`
	EmulatorBurst           int     `json:"emulatorBurst"`
	LightrunQPS             float64 `json:"lightrunQPS"`
	LightrunBurst           int     `json:"lightrunBurst"`
	MaxConcurrentReconciles int     `json:"maxConcurrentReconciles,omitempty"`
}

// Throughput is one batch of creates at one concurrency.
type Throughput struct {
	PerSecond float64 `json:"perSecond"`
	Seconds   float64 `json:"seconds"`
	Latency   Latency `json:"latency"`
	// CPU is where the machine's cores went meanwhile (Linux only).
	CPU *CPU `json:"cpu,omitempty"`
	// APIServer is what kube-apiserver did meanwhile, for every client.
	APIServer *APIServerWork `json:"apiServer,omitempty"`
}

// CreateLevel compares POST /Users with bare API-server creates of the same
// ScimUsers at one concurrency.
type CreateLevel struct {
	Concurrency int        `json:"concurrency"`
	Users       int        `json:"users"`
	SCIM        Throughput `json:"scim"`
	Bare        Throughput `json:"bare"`
	// Ratio is SCIM throughput over bare throughput.
	Ratio float64 `json:"ratio"`
	// KubeCalls count the manager's Kubernetes API calls during the SCIM
	// creates, by HTTP method: what the POSTs cost the API server.
	KubeCalls map[string]float64 `json:"kubeCalls,omitempty"`
}

// Reads are the lookup and page latencies, taken one request at a time
// once every user exists.
type Reads struct {
	GetByID      Latency `json:"getById"`
	UserNameEq   Latency `json:"userNameEq"`
	ExternalIDEq Latency `json:"externalIdEq"`
	EmailEq      Latency `json:"emailWorkValueEq"`
	// DuringGC is `externalId eq`, one request at a time while the manager
	// collects its whole heap (a runtime.GC through /debug/pprof/heap?gc=1,
	// which also writes a heap profile): what a lookup costs when a
	// collection falls on it.
	DuringGC *GCReads `json:"duringGC,omitempty"`
	ListPage Latency  `json:"listPage"`
	Cursor   Cursor   `json:"cursor"`
	PageSize int      `json:"pageSize"`
}

// GCReads are lookups taken while the manager collects garbage.
type GCReads struct {
	Latency Latency `json:"latency"`
	// GCSeconds is how long the collection took (the call that had the
	// manager collect, from sent to answered).
	GCSeconds float64 `json:"gcSeconds"`
	// LiveHeapBytes is the manager's live heap after it.
	LiveHeapBytes float64 `json:"liveHeapBytes"`
}

// Cursor is RFC 9865 cursor paging, when the ServiceProviderConfig
// advertises it.
type Cursor struct {
	Supported bool    `json:"supported"`
	Latency   Latency `json:"latency"`
	// Walks is how many times the pages were walked from the first.
	Walks int `json:"walks,omitempty"`
}

// Group is the large group: grown to every user by PATCHes of Batch
// members, then timed at full size.
type Group struct {
	Members int `json:"members"`
	Batch   int `json:"batch"`
	// GrowSeconds is how long growing it took, in GrowPatches PATCHes.
	GrowSeconds float64 `json:"growSeconds"`
	GrowPatches int     `json:"growPatches"`
	// Patch times PATCHes of Batch members at full size (alternately
	// removing and adding the same members).
	Patch Latency `json:"patch"`
	// BarePatch times the same membership changes written straight to the
	// API server (one optimistic-lock merge patch of spec.groups per user,
	// as many at once as the store writes): the physical limit of Patch.
	BarePatch Latency `json:"barePatch"`
	// BareWorkers is how many of those patches were in flight at once.
	BareWorkers int `json:"bareWorkers,omitempty"`
	// PatchRatio is BarePatch's mean over Patch's: 1 when a SCIM PATCH costs
	// no more than its writes.
	PatchRatio float64 `json:"patchRatio,omitempty"`
	// GetExcludedMembers is GET /Groups/{id}?excludedAttributes=members.
	GetExcludedMembers Latency `json:"getExcludedMembers"`
}

// Sync is the provisioning into the emulator after the last SCIM write.
type Sync struct {
	// Seconds runs from the controllers' start (the manager taking the
	// leader election Lease the harness lets go of right after the last
	// SCIM write) until the emulator holds every user;
	// SinceLastWriteSeconds from the last SCIM write (it includes
	// HandoverSeconds, the manager's wait for the Lease); StatusSeconds
	// from the controllers' start until every ScimUser reports Synced.
	Seconds               float64 `json:"seconds"`
	HandoverSeconds       float64 `json:"handoverSeconds"`
	SinceLastWriteSeconds float64 `json:"sinceLastWriteSeconds"`
	StatusSeconds         float64 `json:"statusSeconds"`
	// Requests are the Lightrun API calls in that time, Throttled those
	// answered 429 by the emulator's rate limit.
	Requests  int64 `json:"requests"`
	Throttled int64 `json:"throttled"`
	// RequestsPerUser is Requests over the users.
	RequestsPerUser float64 `json:"requestsPerUser"`
	// BoundSeconds is the least time the accepted requests can take at
	// the emulator's rate limit: (accepted − burst) / rate.
	BoundSeconds float64 `json:"boundSeconds"`
	// Fraction is BoundSeconds over Seconds: 1 means the operator used
	// the whole rate limit.
	Fraction float64 `json:"fraction"`
	// Where the time goes: ScimUser reconciles in the sync, their mean
	// duration (waits for the manager's Lightrun rate limit included), the
	// ScimUser workers, and the mean time the emulator took per call.
	Reconciles         float64 `json:"reconciles"`
	ReconcileMeanMs    float64 `json:"reconcileMeanMs"`
	Workers            float64 `json:"workers"`
	LightrunCallMeanMs float64 `json:"lightrunCallMeanMs"`
	// EventsDropped counts the controllers' Events the manager's recorder
	// dropped during the sync (lightrun_identity_events_dropped_total, all
	// reasons): each new user records one.
	EventsDropped float64 `json:"eventsDropped"`
	// KubeCalls count the manager's Kubernetes API calls during the sync,
	// by HTTP method.
	KubeCalls map[string]float64 `json:"kubeCalls,omitempty"`
	// CPU is where the machine's cores went from the controllers' start
	// until the emulator held every user; PerOpMs is per user (Linux only).
	CPU *CPU `json:"cpu,omitempty"`
	// ByRoute counts the calls by "METHOD /path/template status".
	ByRoute map[string]int64 `json:"byRoute"`
	// TotalRequests are every Lightrun call of the run, until the memory
	// was read; TotalRequestsPerUser over the users.
	TotalRequests        int64   `json:"totalRequests"`
	TotalRequestsPerUser float64 `json:"totalRequestsPerUser"`
}

// Memory is the manager's, read from its metrics endpoint.
type Memory struct {
	// Idle is read once the manager serves, before any user exists.
	IdleHeapBytes     float64 `json:"idleHeapBytes"`
	IdleLiveHeapBytes float64 `json:"idleLiveHeapBytes"`
	IdleRSSBytes      float64 `json:"idleRssBytes"`
	// After the sync, when the manager is idle. LiveHeapBytes is
	// go_gc_heap_live_bytes: the heap the last garbage collection found
	// live. HeapAllocBytes (go_memstats_heap_alloc_bytes) adds what was
	// allocated since, garbage included.
	LiveHeapBytes  float64 `json:"liveHeapBytes"`
	HeapAllocBytes float64 `json:"heapAllocBytes"`
	HeapInuseBytes float64 `json:"heapInuseBytes"`
	RSSBytes       float64 `json:"rssBytes"`
	// AfterGC says whether the heap was read right after a garbage
	// collection the harness had the idle manager run
	// (/debug/pprof/heap?gc=1).
	AfterGC bool `json:"afterGC"`
	// HeapPerUserBytes is LiveHeapBytes (HeapAllocBytes when the manager
	// does not export it) over the users; the marginal one leaves the idle
	// heap out.
	HeapPerUserBytes         float64 `json:"heapPerUserBytes"`
	MarginalHeapPerUserBytes float64 `json:"marginalHeapPerUserBytes"`
	RSSPerUserBytes          float64 `json:"rssPerUserBytes"`
}

// Target is one of the targets with the value measured.
type Target struct {
	Name      string  `json:"name"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit"`
	Op        string  `json:"op"`
	Threshold float64 `json:"threshold"`
	Pass      bool    `json:"pass"`
	// AtScale is false when the target is stated for TargetUsers users
	// and the run had another number: the verdict is indicative only.
	AtScale bool `json:"atScale"`
	// Skipped says why there is no value (e.g. cursors not supported).
	Skipped string `json:"skipped,omitempty"`
}

// Verdict is "pass" or "FAIL", in parentheses when not at scale.
func (t Target) Verdict() string {
	if t.Skipped != "" {
		return "n/a"
	}
	v := "FAIL"
	if t.Pass {
		v = "pass"
	}
	if !t.AtScale {
		v = "(" + v + ")"
	}
	return v
}

func newTarget(name string, value float64, unit, op string, threshold float64, atScale bool) Target {
	pass := false
	switch op {
	case "≥":
		pass = value >= threshold
	case "≤":
		pass = value <= threshold
	case "<":
		pass = value < threshold
	}
	return Target{Name: name, Value: value, Unit: unit, Op: op, Threshold: threshold, Pass: pass, AtScale: atScale}
}

// The names of the lookup targets (also the table's and the comparison's).
const (
	targetGetByID    = "GET /Users/{id} p99"
	targetUserNameEq = "userName eq p99"
	targetExternalID = "externalId eq p99"
	targetEmailEq    = `emails[type eq "work"].value eq p99`
)

// notMeasured is the Skipped of a target a run stopped early never reached.
const notMeasured = "not measured: the run stopped before"

// judge computes the targets from the measurements.
func (r *Result) judge() {
	atScale := r.Settings.Users >= TargetUsers
	var ts []Target
	for _, l := range r.Create {
		if l.Concurrency == 8 || l.Concurrency == 32 {
			ts = append(ts, newTarget(fmt.Sprintf("create c=%d, SCIM/bare", l.Concurrency), l.Ratio, "×", "≥", 0.8, true))
		}
	}
	for _, x := range []struct {
		name string
		l    Latency
	}{
		{targetGetByID, r.Reads.GetByID},
		{targetUserNameEq, r.Reads.UserNameEq},
		{targetExternalID, r.Reads.ExternalIDEq},
		{targetEmailEq, r.Reads.EmailEq},
	} {
		ts = append(ts, newTarget(x.name, x.l.P99Ms, "ms", "≤", 5, atScale))
	}
	ts = append(ts, newTarget("list page p99", r.Reads.ListPage.P99Ms, "ms", "≤", 25, atScale))
	cursor := newTarget("cursor page p99", r.Reads.Cursor.Latency.P99Ms, "ms", "≤", 25, atScale)
	if !r.Reads.Cursor.Supported {
		cursor.Skipped = "cursors not supported"
	}
	ts = append(ts, cursor)
	ts = append(ts,
		newTarget(fmt.Sprintf("%d-member group PATCH, mean", r.Group.Batch), r.Group.Patch.MeanMs/1000, "s", "<", 2, atScale),
		newTarget("heap per user", r.Memory.HeapPerUserBytes/1024, "KiB", "≤", 3, atScale),
		// Below ten seconds of bound the fixed start-up (IdentityConfig
		// check, agent pool) outweighs the rate limit.
		newTarget("sync, fraction of the rate-limit bound", r.Sync.Fraction, "×", "≥", 0.9, r.Sync.BoundSeconds >= 10),
	)
	// A run stopped early has zeros where it measured nothing: those are
	// not measurements, and a zero must not pass a "≤" target.
	measured := map[string]bool{
		"list page p99":                          r.Reads.ListPage.Count > 0,
		"heap per user":                          r.Memory.LiveHeapBytes > 0,
		"sync, fraction of the rate-limit bound": r.Sync.Seconds > 0,
		fmt.Sprintf("%d-member group PATCH, mean", r.Group.Batch): r.Group.Patch.Count > 0,
		"GET /Users/{id} p99":                 r.Reads.GetByID.Count > 0,
		"userName eq p99":                     r.Reads.UserNameEq.Count > 0,
		"externalId eq p99":                   r.Reads.ExternalIDEq.Count > 0,
		`emails[type eq "work"].value eq p99`: r.Reads.EmailEq.Count > 0,
	}
	for i := range ts {
		if ok, known := measured[ts[i].Name]; known && !ok && ts[i].Skipped == "" {
			ts[i].Skipped = notMeasured
		}
	}
	r.Targets = ts
}

// machineInfo describes this machine and the repository's commit.
func machineInfo(repoRoot string) Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(), LoadStart: loadAvg()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		_ = f.Close()
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
					m.MemoryGiB = float64(int(kb/(1<<20)*10+0.5)) / 10
				}
			}
		}
	}
	if out, err := exec.Command("git", "-C", repoRoot, "rev-parse", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "-C", repoRoot, "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
		m.Dirty = len(strings.TrimSpace(string(out))) > 0
	}
	return m
}

// loadAvg is /proc/loadavg's first three fields, or "" where there is none.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// WriteFile writes r as indented JSON to path, creating its directory.
func (r *Result) WriteFile(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the result: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil { //nolint:gosec // results are meant to be read and committed
		return fmt.Errorf("writing the result: %w", err)
	}
	return nil
}

// ReadFile reads a result written by WriteFile.
func ReadFile(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading a result: %w", err)
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	if r.Schema != ResultSchema {
		return nil, fmt.Errorf("%s has result schema %d; this harness reads %d", path, r.Schema, ResultSchema)
	}
	// The verdicts follow this harness's rules, whatever the file says.
	r.judge()
	return &r, nil
}

// DefaultPath is bench/results/<date>-<users>.json under dir
// (<date>-<users>-incomplete.json for an incomplete run).
func (r *Result) DefaultPath(dir string) string {
	suffix := ""
	if r.Incomplete != "" {
		suffix = "-incomplete"
	}
	return filepath.Join(dir, fmt.Sprintf("%s-%d%s.json", r.Date.UTC().Format("2006-01-02T150405Z"), r.Settings.Users, suffix))
}
