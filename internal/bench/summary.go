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
	"io"
	"time"
)

// WriteSummary writes several results side by side, one column each (in
// the order given, e.g. N = 1,000, 10,000 and 100,000), each number with
// its target's verdict: the table docs/benchmarks.md shows.
func WriteSummary(w io.Writer, results []*Result) error {
	p := &printer{w: w}
	p.f("| |")
	for _, r := range results {
		p.f(" N = %s |", thousands(r.Settings.Users))
	}
	p.f(" Target |\n|---|")
	for range results {
		p.f("---|")
	}
	p.f("---|\n")
	row := func(name, target string, cell func(r *Result) string) {
		p.f("| %s |", name)
		for _, r := range results {
			p.f(" %s |", cell(r))
		}
		p.f(" %s |\n", target)
	}
	judged := func(r *Result, target, value string) string {
		t := r.target(target)
		if t != nil && t.Skipped == notMeasured {
			return t.Skipped
		}
		if t == nil || t.Skipped != "" {
			return value
		}
		return value + " " + t.Verdict()
	}
	// unless is value, or "—" when the run stopped before it measured the
	// target the row belongs to (its zeros are no measurement).
	unless := func(r *Result, target, value string) string {
		if t := r.target(target); t != nil && t.Skipped == notMeasured {
			return "—"
		}
		return value
	}
	const syncTarget, heapTarget = "sync, fraction of the rate-limit bound", "heap per user"
	lat := func(l Latency) string { return msec(l.P50Ms) + " / " + msec(l.P99Ms) }

	row("date (UTC)", "", func(r *Result) string { return r.Date.UTC().Format("2006-01-02 15:04") })
	row("commit", "", func(r *Result) string {
		c := r.Machine.Commit
		if len(c) > 10 {
			c = c[:10]
		}
		if r.Machine.Dirty {
			c += "+"
		}
		return "`" + c + "`"
	})
	row("machine", "", func(r *Result) string {
		return fmt.Sprintf("%s, %d cores, %.0f GiB", r.Machine.CPU, r.Machine.Cores, r.Machine.MemoryGiB)
	})
	row("load average at start → end (1, 5, 15 min)", "", func(r *Result) string {
		return r.Machine.LoadStart + " → " + r.Machine.LoadEnd
	})
	row("command", "", func(r *Result) string { return "`" + r.Command + "`" })
	row("run time", "", func(r *Result) string {
		d := (time.Duration(r.Seconds) * time.Second).String()
		if r.Incomplete != "" {
			d += ", stopped early: " + r.Incomplete
		}
		return d
	})

	levels := map[int]bool{}
	var order []int
	for _, r := range results {
		for _, l := range r.Create {
			if !levels[l.Concurrency] {
				levels[l.Concurrency] = true
				order = append(order, l.Concurrency)
			}
		}
	}
	for _, c := range order {
		level := func(r *Result) *CreateLevel {
			for i := range r.Create {
				if r.Create[i].Concurrency == c {
					return &r.Create[i]
				}
			}
			return nil
		}
		row(fmt.Sprintf("`POST /Users`, c=%d: users, creates/s, p50 / p99", c), "", func(r *Result) string {
			if l := level(r); l != nil {
				return fmt.Sprintf("%s, %.0f/s, %s", thousands(l.Users), l.SCIM.PerSecond, lat(l.SCIM.Latency))
			}
			return "—"
		})
		row(fmt.Sprintf("bare API-server create, c=%d: creates/s, p50 / p99", c), "", func(r *Result) string {
			if l := level(r); l != nil {
				return fmt.Sprintf("%.0f/s, %s", l.Bare.PerSecond, lat(l.Bare.Latency))
			}
			return "—"
		})
		target := ""
		if c == 8 || c == 32 {
			target = "≥ 0.8×"
		}
		row(fmt.Sprintf("SCIM / bare, c=%d", c), target, func(r *Result) string {
			if l := level(r); l != nil {
				return judged(r, fmt.Sprintf("create c=%d, SCIM/bare", c), fmt.Sprintf("%.2f×", l.Ratio))
			}
			return "—"
		})
		row(fmt.Sprintf("CPU a create, c=%d, SCIM / bare: every process (kube-apiserver's)", c), "", func(r *Result) string {
			return createCPU(level(r))
		})
		row(fmt.Sprintf("ScimUsers kube-apiserver read from etcd for lists, c=%d, SCIM / bare "+
			"(its watch cache's consistency check reads every one)", c), "", func(r *Result) string {
			return etcdListed(level(r))
		})
	}
	row("`GET /Users/{id}` p50 / p99", "p99 ≤ 5 ms", func(r *Result) string {
		return judged(r, "GET /Users/{id} p99", lat(r.Reads.GetByID))
	})
	row("`userName eq` p50 / p99", "p99 ≤ 5 ms", func(r *Result) string {
		return judged(r, "userName eq p99", lat(r.Reads.UserNameEq))
	})
	row("`externalId eq` p50 / p99", "p99 ≤ 5 ms", func(r *Result) string {
		return judged(r, "externalId eq p99", lat(r.Reads.ExternalIDEq))
	})
	row("`emails[type eq \"work\"].value eq` p50 / p99", "p99 ≤ 5 ms", func(r *Result) string {
		return judged(r, `emails[type eq "work"].value eq p99`, lat(r.Reads.EmailEq))
	})
	row("`externalId eq` during a collection of the manager's heap: requests, p50 / p99 (max); the collection", "",
		func(r *Result) string {
			g := r.Reads.DuringGC
			if g == nil {
				return unmeasured
			}
			return fmt.Sprintf("%d, %s (%.1f ms); %.0f ms, %.0f MiB live", g.Latency.Count, lat(g.Latency), g.Latency.MaxMs,
				g.GCSeconds*1000, g.LiveHeapBytes/(1<<20))
		})
	row("list page at a random `startIndex` (`count=100`) p50 / p99", "p99 ≤ 25 ms", func(r *Result) string {
		return judged(r, "list page p99", lat(r.Reads.ListPage))
	})
	row("cursor page (RFC 9865) p50 / p99", "p99 ≤ 25 ms", func(r *Result) string {
		if !r.Reads.Cursor.Supported {
			return "not supported"
		}
		return judged(r, "cursor page p99", lat(r.Reads.Cursor.Latency))
	})
	row("group of every user: growing it, per PATCH", "", func(r *Result) string {
		return fmt.Sprintf("%.2f s × %d", r.Group.GrowSeconds/float64(max(1, r.Group.GrowPatches)), r.Group.GrowPatches)
	})
	row("PATCH of 1,000 members (N/2 below 2,000) at full size: mean (max)", "< 2 s", func(r *Result) string {
		g := r.Group
		return judged(r, fmt.Sprintf("%d-member group PATCH, mean", g.Batch),
			fmt.Sprintf("%.2f s (%.2f s), %s members", g.Patch.MeanMs/1000, g.Patch.MaxMs/1000, thousands(g.Batch)))
	})
	row("the same membership changes straight to the API server: mean; SCIM/bare", "", func(r *Result) string {
		g := r.Group
		if g.BareWorkers == 0 {
			return unmeasured
		}
		return fmt.Sprintf("%.2f s (%d in flight); %.2f×", g.BarePatch.MeanMs/1000, g.BareWorkers, g.PatchRatio)
	})
	row("`GET /Groups/{id}?excludedAttributes=members` p50 / p99", "", func(r *Result) string {
		return lat(r.Group.GetExcludedMembers)
	})
	row("sync: controllers start → the emulator holds every user", "", func(r *Result) string {
		return unless(r, syncTarget, fmt.Sprintf("%.1f s", r.Sync.Seconds))
	})
	row("sync: last SCIM write → the emulator holds every user", "", func(r *Result) string {
		return unless(r, syncTarget, fmt.Sprintf("%.1f s", r.Sync.SinceLastWriteSeconds))
	})
	row("emulator rate limit; bound (accepted calls − burst) / rate", "", func(r *Result) string {
		return unless(r, syncTarget, fmt.Sprintf("%g/s; %.1f s", r.Settings.EmulatorRate, r.Sync.BoundSeconds))
	})
	row("sync: bound / sync time", "≥ 0.9", func(r *Result) string {
		return judged(r, syncTarget, fmt.Sprintf("%.2f", r.Sync.Fraction))
	})
	row("Lightrun calls per provisioned user (answered 429)", "", func(r *Result) string {
		return unless(r, syncTarget, fmt.Sprintf("%.2f (%s)", r.Sync.RequestsPerUser, thousands(int(r.Sync.Throttled))))
	})
	row("ScimUser reconcile: mean time; Kubernetes calls each", "", func(r *Result) string {
		return unless(r, syncTarget, fmt.Sprintf("%.0f ms; %s", r.Sync.ReconcileMeanMs, callsPer(r.Sync.KubeCalls, r.Sync.Reconciles)))
	})
	row("sync: cores of kube-apiserver, manager, etcd, harness (machine); CPU a user", "", func(r *Result) string {
		return syncCPU(r.Sync.CPU)
	})
	row("manager live heap after sync; per user", "≤ 3 KiB per user", func(r *Result) string {
		m := r.Memory
		gc := ""
		if !m.AfterGC {
			gc = " (no forced GC)"
		}
		return judged(r, heapTarget, fmt.Sprintf("%.0f MiB; %.2f KiB%s", m.LiveHeapBytes/(1<<20), m.HeapPerUserBytes/1024, gc))
	})
	row("manager live heap per user above the idle manager's", "", func(r *Result) string {
		return unless(r, heapTarget, fmt.Sprintf("%.2f KiB", r.Memory.MarginalHeapPerUserBytes/1024))
	})
	row("manager RSS after sync; per user", "", func(r *Result) string {
		return unless(r, heapTarget, fmt.Sprintf("%.0f MiB; %.2f KiB", r.Memory.RSSBytes/(1<<20), r.Memory.RSSPerUserBytes/1024))
	})
	return p.err
}

// perOp is the CPU of every process an operation, and kube-apiserver's
// share in parentheses.
func perOp(c *CPU) string {
	return fmt.Sprintf("%.1f ms (%.1f)", c.PerOpMs, c.APIServerPerOpMs)
}

// createCPU is the CPU a create of both arms of a level, or "—" where it
// was not measured.
func createCPU(l *CreateLevel) string {
	if l == nil || l.SCIM.CPU == nil || l.Bare.CPU == nil {
		return "—"
	}
	return perOp(l.SCIM.CPU) + " / " + perOp(l.Bare.CPU)
}

// etcdListed is the ScimUsers kube-apiserver read from etcd for lists in
// each arm of a level, or "—" where it was not measured.
func etcdListed(l *CreateLevel) string {
	if l == nil || l.SCIM.APIServer == nil || l.Bare.APIServer == nil {
		return "—"
	}
	n := func(w *APIServerWork) string { return thousands(int(w.ListFetched["scimusers etcd"])) }
	return n(l.SCIM.APIServer) + " / " + n(l.Bare.APIServer)
}

// syncCPU is the cores of each process in the sync and the CPU a user, or
// "—" where it was not measured.
func syncCPU(c *CPU) string {
	if c == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f, %.2f, %.2f, %.2f (%.2f); %s", c.APIServer, c.Manager, c.Etcd, c.Harness, c.Machine, perOp(c))
}
