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
	"math"
)

// Metric is one comparable number of a Result.
type Metric struct {
	Name string
	Unit string
	// HigherIsBetter says which way is an improvement.
	HigherIsBetter bool
	Value          float64
}

// Metrics flattens a Result into its comparable numbers, in a stable order.
func (r *Result) Metrics() []Metric {
	var ms []Metric
	add := func(name, unit string, higher bool, v float64) {
		ms = append(ms, Metric{Name: name, Unit: unit, HigherIsBetter: higher, Value: v})
	}
	lat := func(name string, l Latency) {
		add(name+" p50", "ms", false, l.P50Ms)
		add(name+" p99", "ms", false, l.P99Ms)
	}
	for _, l := range r.Create {
		c := fmt.Sprintf("create c=%d", l.Concurrency)
		add(c+" SCIM", "/s", true, l.SCIM.PerSecond)
		lat(c+" SCIM", l.SCIM.Latency)
		add(c+" bare", "/s", true, l.Bare.PerSecond)
		add(c+" SCIM/bare", "×", true, l.Ratio)
	}
	lat("GET /Users/{id}", r.Reads.GetByID)
	lat("userName eq", r.Reads.UserNameEq)
	lat("externalId eq", r.Reads.ExternalIDEq)
	lat("emails[type eq \"work\"].value eq", r.Reads.EmailEq)
	lat("list page", r.Reads.ListPage)
	if r.Reads.Cursor.Supported {
		lat("cursor page", r.Reads.Cursor.Latency)
	}
	add("group grow, per PATCH", "s", false, r.Group.GrowSeconds/float64(max(1, r.Group.GrowPatches)))
	add("group PATCH at full size, mean", "s", false, r.Group.Patch.MeanMs/1000)
	if r.Group.BareWorkers > 0 {
		add("group PATCH, bare writes, mean", "s", false, r.Group.BarePatch.MeanMs/1000)
		add("group PATCH SCIM/bare", "×", true, r.Group.PatchRatio)
	}
	lat("GET group excludedAttributes=members", r.Group.GetExcludedMembers)
	add("sync seconds", "s", false, r.Sync.Seconds)
	add("sync fraction of bound", "×", true, r.Sync.Fraction)
	add("Lightrun calls per user", "", false, r.Sync.RequestsPerUser)
	add("heap per user", "KiB", false, r.Memory.HeapPerUserBytes/1024)
	add("marginal heap per user", "KiB", false, r.Memory.MarginalHeapPerUserBytes/1024)
	add("RSS per user", "KiB", false, r.Memory.RSSPerUserBytes/1024)
	return ms
}

// NoiseBand is the relative change (in percent) below which Compare calls
// a difference noise ("~"): runs on a shared machine vary by about that.
const NoiseBand = 5.0

// Change is one metric in two results.
type Change struct {
	Metric
	Old, New       float64
	HasOld, HasNew bool
	// Percent is (New − Old) / Old × 100; NaN when Old is 0 or a side is missing.
	Percent float64
	// Verdict is "better", "worse", "~" (within NoiseBand) or "" when a side
	// is missing.
	Verdict string
}

// Compare pairs the metrics of two results by name: those of the new
// result in its order, then those only the old one has.
func Compare(old, new *Result) []Change {
	oldM := map[string]Metric{}
	for _, m := range old.Metrics() {
		oldM[m.Name] = m
	}
	var out []Change
	seen := map[string]bool{}
	for _, m := range new.Metrics() {
		seen[m.Name] = true
		o, ok := oldM[m.Name]
		out = append(out, change(m, o.Value, ok, m.Value, true))
	}
	for _, m := range old.Metrics() {
		if !seen[m.Name] {
			out = append(out, change(m, m.Value, true, 0, false))
		}
	}
	return out
}

func change(m Metric, old float64, hasOld bool, new float64, hasNew bool) Change {
	c := Change{Metric: m, Old: old, New: new, HasOld: hasOld, HasNew: hasNew, Percent: math.NaN()}
	if !hasOld || !hasNew {
		return c
	}
	if old != 0 {
		c.Percent = (new - old) / math.Abs(old) * 100
	}
	switch {
	case new == old:
		c.Verdict = "~"
	case !math.IsNaN(c.Percent) && math.Abs(c.Percent) < NoiseBand:
		c.Verdict = "~"
	case (new > old) == m.HigherIsBetter:
		c.Verdict = "better"
	default:
		c.Verdict = "worse"
	}
	return c
}

// WriteComparison writes the changes from old to new as a Markdown table.
func WriteComparison(w io.Writer, oldName string, old *Result, newName string, new *Result) error {
	p := &printer{w: w}
	describe := func(label, name string, r *Result) {
		commit := r.Machine.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		p.f("%s: %s — N=%s, %s, commit %s, %d cores, load %s\n", label, name, thousands(r.Settings.Users),
			r.Date.UTC().Format("2006-01-02 15:04 MST"), commit, r.Machine.Cores, r.Machine.LoadStart)
	}
	describe("old", oldName, old)
	describe("new", newName, new)
	if old.Settings.Users != new.Settings.Users {
		p.f("\nThe runs had different numbers of users; size-dependent numbers do not compare.\n")
	}
	p.f("\n| Metric | Old | New | Change | |\n|---|---:|---:|---:|---|\n")
	for _, c := range Compare(old, new) {
		oldS, newS, pct := "—", "—", "—"
		if c.HasOld {
			oldS = num(c.Old, c.Unit)
		}
		if c.HasNew {
			newS = num(c.New, c.Unit)
		}
		if !math.IsNaN(c.Percent) {
			pct = fmt.Sprintf("%+.1f %%", c.Percent)
		}
		p.f("| %s | %s | %s | %s | %s |\n", c.Name, oldS, newS, pct, c.Verdict)
	}
	p.f("\n\"~\" is a change within ±%g %%, about what runs on a shared machine vary by.\n", NoiseBand)
	return p.err
}

func num(v float64, unit string) string {
	var s string
	switch {
	case math.Abs(v) >= 100:
		s = fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		s = fmt.Sprintf("%.1f", v)
	default:
		s = fmt.Sprintf("%.2f", v)
	}
	switch unit {
	case "":
		return s
	case "×", "/s":
		return s + unit
	default:
		return s + " " + unit
	}
}
