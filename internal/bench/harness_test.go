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

package bench_test

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/bench"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// TestHarness runs the whole benchmark at a tiny size, so that `make test`
// keeps it working: the manager binary is built and run, the control plane
// and the emulator started, and every phase measured and reported.
func TestHarness(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var log bytes.Buffer
	res, err := bench.Run(ctx, bench.Config{
		Users:       50,
		Concurrency: []int{1, 4},
		Reads:       20,
		GroupBatch:  20,
		RepoRoot:    testenv.RepoRoot(),
		Assets:      testenv.AssetsDir(),
		Log:         &log,
		Command:     "go test ./internal/bench",
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Log("\n" + log.String())

	checkMeasured(t, res)

	// The JSON round trip, and a comparison with itself: nothing changed.
	path := filepath.Join(t.TempDir(), "result.json")
	if err := res.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := bench.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range bench.Compare(res, back) {
		if c.Verdict != "~" {
			t.Errorf("%s changed from %v to %v through JSON", c.Name, c.Old, c.New)
		}
	}
	var md bytes.Buffer
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| 4 | 45 |") {
		t.Errorf("the Markdown tables lack the c=4 create row:\n%s", md.String())
	}
}

// checkMeasured checks that every phase of a 50-user run measured something.
func checkMeasured(t *testing.T, res *bench.Result) {
	t.Helper()
	if len(res.Create) != 2 || res.Create[0].Users+res.Create[1].Users != 50 {
		t.Errorf("create levels %+v, want two adding up to 50 users", res.Create)
	}
	for _, l := range res.Create {
		if l.SCIM.PerSecond <= 0 || l.Bare.PerSecond <= 0 || l.Ratio <= 0 || l.SCIM.Latency.Count != l.Users || l.Bare.Latency.Count != l.Users {
			t.Errorf("create level %+v is incomplete", l)
		}
	}
	if runtime.GOOS == "linux" {
		checkCPU(t, res)
	}
	for name, l := range map[string]bench.Latency{
		"get by id": res.Reads.GetByID, "userName": res.Reads.UserNameEq, "externalId": res.Reads.ExternalIDEq,
		"email": res.Reads.EmailEq, "list page": res.Reads.ListPage, "group GET": res.Group.GetExcludedMembers,
	} {
		if l.Count != 20 || l.P50Ms <= 0 || l.P99Ms < l.P50Ms {
			t.Errorf("%s: %+v, want 20 samples", name, l)
		}
	}
	if g := res.Reads.DuringGC; g == nil || g.Latency.Count < 20 || g.GCSeconds <= 0 || g.LiveHeapBytes <= 0 {
		t.Errorf("lookups during a collection: %+v, want at least 20 and the collection's time and heap", g)
	}
	checkGroup(t, res.Group)
	// Each user costs a create in Lightrun (the resync's listing spares
	// the lookup), so 50 users take at least 50 calls.
	if s := res.Sync; s.Seconds <= 0 || s.RequestsPerUser < 1 || s.Requests < 50 || s.StatusSeconds < s.Seconds {
		t.Errorf("sync %+v", s)
	}
	if n := res.Sync.ByRoute["POST /api/v1/users 201"]; n != 50 {
		t.Errorf("%d users created in Lightrun, want 50, one each", n)
	}
	if m := res.Memory; m.LiveHeapBytes <= 0 || m.RSSBytes <= 0 || m.HeapPerUserBytes <= 0 || !m.AfterGC {
		t.Errorf("memory %+v", m)
	}
	if len(res.Targets) == 0 || res.Machine.Cores == 0 || res.Machine.Commit == "" {
		t.Errorf("targets %d, machine %+v", len(res.Targets), res.Machine)
	}
}

// checkGroup checks the group phase of the 50-user run.
func checkGroup(t *testing.T, g bench.Group) {
	t.Helper()
	if g.Members != 50 || g.Batch != 20 || g.GrowPatches != 3 || g.Patch.Count != 4 {
		t.Errorf("group %+v, want 50 members grown by 3 PATCHes, 4 timed", g)
	}
	if g.BarePatch.Count != 4 || g.BareWorkers < 1 || g.PatchRatio <= 0 {
		t.Errorf("group %+v, want 4 timed bare membership patches and their ratio", g)
	}
}

// checkCPU checks that every create level of both arms and the sync
// recorded where the cores went (Linux: from /proc).
func checkCPU(t *testing.T, res *bench.Result) {
	t.Helper()
	for _, l := range res.Create {
		for arm, c := range map[string]*bench.CPU{"SCIM": l.SCIM.CPU, "bare": l.Bare.CPU} {
			if c == nil || c.APIServer <= 0 || c.PerOpMs <= 0 || c.APIServerPerOpMs > c.PerOpMs {
				t.Errorf("create level c=%d, %s: %v, want kube-apiserver's CPU within every process's", l.Concurrency, arm, c)
			}
		}
		// Both arms create ScimUsers, each one request to kube-apiserver.
		for arm, w := range map[string]*bench.APIServerWork{"SCIM": l.SCIM.APIServer, "bare": l.Bare.APIServer} {
			if w == nil || w.Requests["POST scimusers"] < float64(l.Users) {
				t.Errorf("create level c=%d, %s: kube-apiserver's work %v, want at least %d ScimUser creates", l.Concurrency, arm, w, l.Users)
			}
		}
	}
	if c := res.Sync.CPU; c == nil || c.APIServer <= 0 || c.Manager <= 0 || c.PerOpMs <= 0 {
		t.Errorf("sync: %v, want the API server's and the manager's", c)
	}
}
