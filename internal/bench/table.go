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
	"slices"
	"strings"
	"time"
)

// WriteMarkdown writes the result as Markdown tables, each measurement
// beside its target and verdict; docs/benchmarks.md takes them as they are.
func (r *Result) WriteMarkdown(w io.Writer) error {
	p := &printer{w: w}
	s := r.Settings
	m := r.Machine
	p.f("### N = %s users\n\n", thousands(s.Users))
	commit := m.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if m.Dirty {
		commit += " (with uncommitted changes)"
	}
	p.f("Machine: %s, %d cores, %.1f GiB, %s/%s, %s; load average (1, 5, 15 min) %s at the start, %s at the end.  \n",
		m.CPU, m.Cores, m.MemoryGiB, m.OS, m.Arch, m.GoVersion, m.LoadStart, m.LoadEnd)
	p.f("Date: %s. Commit: %s. Took %s.  \n", r.Date.UTC().Format("2006-01-02 15:04 MST"), commit, (time.Duration(r.Seconds) * time.Second).String())
	p.f("Command: `%s`\n\n", r.Command)
	if r.Incomplete != "" {
		p.f("**Incomplete**: the run stopped early (%s); the phases from there on have no numbers.\n\n", r.Incomplete)
	}

	p.f("**Creates** — `POST /Users`, and the same ScimUsers created straight through the API server (bare), at the same concurrency:\n\n")
	p.f("| Concurrency | Users | SCIM creates/s | SCIM p50 | SCIM p99 | Bare creates/s | Bare p50 | Bare p99 | SCIM/bare | Target |\n")
	p.f("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, l := range r.Create {
		target := ""
		if t := r.target(fmt.Sprintf("create c=%d, SCIM/bare", l.Concurrency)); t != nil {
			target = verdict(t)
		}
		p.f("| %d | %s | %.1f | %s | %s | %.1f | %s | %s | %.2f× | %s |\n", l.Concurrency, thousands(l.Users),
			l.SCIM.PerSecond, msec(l.SCIM.Latency.P50Ms), msec(l.SCIM.Latency.P99Ms),
			l.Bare.PerSecond, msec(l.Bare.Latency.P50Ms), msec(l.Bare.Latency.P99Ms), l.Ratio, target)
	}

	if len(r.Create) > 0 && len(r.Create[0].KubeCalls) > 0 {
		p.f("\nThe manager's Kubernetes API calls per `POST /Users`, by method:")
		for _, l := range r.Create {
			p.f(" c=%d: %s;", l.Concurrency, callsPer(l.KubeCalls, float64(l.Users)))
		}
		p.f("\n")
	}
	if len(r.Create) > 0 && r.Create[0].SCIM.CPU != nil {
		p.f("\nCPU of every process a create, kube-apiserver's in parentheses (the cores are shared: where both arms keep every core busy, their throughputs are in the inverse ratio of these):")
		for _, l := range r.Create {
			if l.SCIM.CPU != nil && l.Bare.CPU != nil {
				p.f(" c=%d: SCIM %s, bare %s;", l.Concurrency, perOp(l.SCIM.CPU), perOp(l.Bare.CPU))
			}
		}
		p.f("\n")
	}

	rd := r.Reads
	p.f("\n**Lookups and pages**, one request at a time among %s users (targets are stated at %s users; at another size the verdict is in parentheses):\n\n",
		thousands(s.Users), thousands(TargetUsers))
	p.f("| Request | Samples | p50 | p99 | Target |\n|---|---:|---:|---:|---|\n")
	for _, x := range []struct {
		name, target string
		l            Latency
	}{
		{"`GET /Users/{id}`", targetGetByID, rd.GetByID},
		{"`filter=userName eq \"…\"`", targetUserNameEq, rd.UserNameEq},
		{"`filter=externalId eq \"…\"`", targetExternalID, rd.ExternalIDEq},
		{"`filter=emails[type eq \"work\"].value eq \"…\"`", targetEmailEq, rd.EmailEq},
		{fmt.Sprintf("list page, random `startIndex`, `count=%d`", rd.PageSize), "list page p99", rd.ListPage},
	} {
		p.f("| %s | %d | %s | %s | %s |\n", x.name, x.l.Count, msec(x.l.P50Ms), msec(x.l.P99Ms), verdict(r.target(x.target)))
	}
	if rd.Cursor.Supported {
		p.f("| cursor page (RFC 9865), `count=%d` | %d | %s | %s | %s |\n", rd.PageSize, rd.Cursor.Latency.Count,
			msec(rd.Cursor.Latency.P50Ms), msec(rd.Cursor.Latency.P99Ms), verdict(r.target("cursor page p99")))
	} else {
		p.f("| cursor page (RFC 9865) | — | not supported | — | n/a |\n")
	}

	g := r.Group
	p.f("\n**A group of every user** (grown by PATCHes of %s members):\n\n", thousands(g.Batch))
	p.f("| Operation | Result | Target |\n|---|---|---|\n")
	p.f("| grow to %s members in %d PATCHes | %.1f s (%.2f s per PATCH) | |\n", thousands(g.Members), g.GrowPatches, g.GrowSeconds, g.GrowSeconds/float64(max(1, g.GrowPatches)))
	p.f("| PATCH of %s members at %s members, mean of %d (alternately remove and add) | %.2f s (max %.2f s) | %s |\n",
		thousands(g.Batch), thousands(g.Members), g.Patch.Count, g.Patch.MeanMs/1000, g.Patch.MaxMs/1000,
		verdict(r.target(fmt.Sprintf("%d-member group PATCH, mean", g.Batch))))
	p.f("| `GET /Groups/{id}?excludedAttributes=members` (%d samples) | p50 %s, p99 %s | |\n",
		g.GetExcludedMembers.Count, msec(g.GetExcludedMembers.P50Ms), msec(g.GetExcludedMembers.P99Ms))

	sy := r.Sync
	p.f("\n**Sync to Lightrun** — emulator rate limit %g requests/s (burst %d), manager `--lightrun-qps=%g --lightrun-burst=%d`",
		s.EmulatorRate, s.EmulatorBurst, s.LightrunQPS, s.LightrunBurst)
	if s.MaxConcurrentReconciles > 0 {
		p.f(" `--max-concurrent-reconciles=%d`", s.MaxConcurrentReconciles)
	}
	p.f(":\n\n| Measure | Result | Target |\n|---|---|---|\n")
	p.f("| controllers start → the emulator holds every user | %.1f s | |\n", sy.Seconds)
	p.f("| last SCIM write → the emulator holds every user (includes %.1f s until the manager took the Lease) | %.1f s | |\n",
		sy.HandoverSeconds, sy.SinceLastWriteSeconds)
	p.f("| controllers start → every ScimUser reports Synced | %.1f s | |\n", sy.StatusSeconds)
	p.f("| Lightrun calls meanwhile (answered 429) | %s (%s) | |\n", thousands(int(sy.Requests)), thousands(int(sy.Throttled)))
	p.f("| Lightrun calls per provisioned user | %.2f (%.2f over the whole run) | |\n", sy.RequestsPerUser, sy.TotalRequestsPerUser)
	p.f("| bound the rate limit sets: (accepted calls − burst) / rate | %.1f s | |\n", sy.BoundSeconds)
	p.f("| bound / sync time | %.2f | %s |\n", sy.Fraction, verdict(r.target("sync, fraction of the rate-limit bound")))
	p.f("| ScimUser reconciles; mean time (rate-limit waits included); workers | %s; %.1f ms; %.0f | |\n",
		thousands(int(sy.Reconciles)), sy.ReconcileMeanMs, sy.Workers)
	p.f("| mean time the emulator took to answer a call | %.2f ms | |\n", sy.LightrunCallMeanMs)
	p.f("| the controllers' Events the recorder dropped (queue full, refused, failed) | %s | |\n", thousands(int(sy.EventsDropped)))
	if len(sy.KubeCalls) > 0 {
		p.f("| the manager's Kubernetes API calls per ScimUser reconcile, by method (all controllers' calls) | %s | |\n", callsPer(sy.KubeCalls, sy.Reconciles))
	}
	if c := sy.CPU; c != nil {
		p.f("| cores: kube-apiserver, manager, etcd, harness (the whole machine); CPU of every process a user, kube-apiserver's in parentheses | %s | |\n", syncCPU(c))
	}

	mem := r.Memory
	gc := "right after a garbage collection the harness had it run (`/debug/pprof/heap?gc=1`)"
	if !mem.AfterGC {
		gc = "without a garbage collection first: the live heap is what the last one found"
	}
	p.f("\n**Manager memory** once synced and idle, %s:\n\n", gc)
	p.f("| Measure | Result | Target |\n|---|---|---|\n")
	p.f("| live heap (`go_gc_heap_live_bytes`) | %.1f MiB | |\n", mem.LiveHeapBytes/(1<<20))
	p.f("| live heap per user | %.2f KiB | %s |\n", mem.HeapPerUserBytes/1024, verdict(r.target("heap per user")))
	p.f("| live heap per user above the idle manager's (%.1f MiB) | %.2f KiB | |\n", mem.IdleLiveHeapBytes/(1<<20), mem.MarginalHeapPerUserBytes/1024)
	p.f("| heap allocated, garbage included (`go_memstats_heap_alloc_bytes`) | %.1f MiB | |\n", mem.HeapAllocBytes/(1<<20))
	p.f("| RSS (`process_resident_memory_bytes`); per user | %.1f MiB; %.2f KiB | |\n", mem.RSSBytes/(1<<20), mem.RSSPerUserBytes/1024)

	if len(sy.ByRoute) > 0 {
		p.f("\nLightrun calls during the sync, by operation and status:\n\n| Call | Count |\n|---|---:|\n")
		keys := make([]string, 0, len(sy.ByRoute))
		for k := range sy.ByRoute {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p.f("| `%s` | %s |\n", k, thousands(int(sy.ByRoute[k])))
		}
	}
	for _, n := range r.Notes {
		p.f("\nNote: %s\n", n)
	}
	return p.err
}

// WriteTargets writes the targets with their verdicts, one per line.
func (r *Result) WriteTargets(w io.Writer) error {
	p := &printer{w: w}
	p.f("| Target | Measured | Verdict |\n|---|---|---|\n")
	for _, t := range r.Targets {
		measured := fmt.Sprintf("%.2f %s", t.Value, t.Unit)
		if t.Skipped != "" {
			measured = t.Skipped
		}
		p.f("| %s %s %g %s | %s | %s |\n", t.Name, t.Op, t.Threshold, t.Unit, measured, t.Verdict())
	}
	if r.Settings.Users < TargetUsers {
		p.f("\nVerdicts in parentheses are for targets stated at %s users; this run had %s.\n", thousands(TargetUsers), thousands(r.Settings.Users))
	}
	return p.err
}

func (r *Result) target(name string) *Target {
	for i := range r.Targets {
		if r.Targets[i].Name == name {
			return &r.Targets[i]
		}
	}
	return nil
}

func verdict(t *Target) string {
	if t == nil {
		return ""
	}
	if t.Skipped != "" {
		return "n/a"
	}
	unit := t.Unit
	if unit != "×" {
		unit = " " + unit
	}
	return fmt.Sprintf("%s %g%s: %s", t.Op, t.Threshold, unit, t.Verdict())
}

// callsPer writes counts by method as "GET 0.02, PATCH 1.00, POST 2.00",
// divided by per.
func callsPer(calls map[string]float64, per float64) string {
	methods := make([]string, 0, len(calls))
	for m := range calls {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	parts := make([]string, 0, len(methods))
	for _, m := range methods {
		parts = append(parts, fmt.Sprintf("%s %.2f", m, calls[m]/max(per, 1)))
	}
	return strings.Join(parts, ", ")
}

func msec(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

// thousands writes n with comma separators: 100000 is "100,000".
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// printer remembers the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
