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

package shrink

import (
	"maps"
	"runtime"
	"testing"
)

// heapAfter is the live heap after a collection, with m kept alive.
func heapAfter(m map[int]int) uint64 {
	runtime.GC()
	var st runtime.MemStats
	runtime.ReadMemStats(&st)
	runtime.KeepAlive(m)
	return st.HeapAlloc
}

func TestMapKeepsEntriesAndGivesBackMemory(t *testing.T) {
	const n = 200_000
	base := heapAfter(nil)
	var peak Peak
	m := map[int]int{}
	for i := range n {
		m[i] = i
		peak.Grew(len(m))
	}
	full := heapAfter(m)
	copies := 0
	for i := range n / 2 {
		delete(m, i)
		before := m
		m = Map(m, &peak)
		if !sameMap(before, m) {
			copies++
		}
	}
	if copies != 2 {
		// At 150,000 entries, and again at 112,500.
		t.Errorf("copied the map %d times while it went from %d to %d entries, want 2", copies, n, n/2)
	}
	if len(m) != n/2 {
		t.Fatalf("len = %d, want %d", len(m), n/2)
	}
	for i := n / 2; i < n; i++ {
		if m[i] != i {
			t.Fatalf("m[%d] = %d after the copy, want %d", i, m[i], i)
		}
	}
	// Down to an eighth: the last copy left a map sized for at most 4/3 of
	// the 25,000 entries.
	for i := n / 2; i < n/8*7; i++ {
		delete(m, i)
		m = Map(m, &peak)
	}
	small := heapAfter(m)
	same := map[int]int{}
	maps.Copy(same, m)
	if small-base >= (full-base)/2 {
		t.Errorf("the map takes %d bytes with %d of %d entries left, %d with all of them: it kept its buckets", small-base, len(m), n, full-base)
	}
	if !maps.Equal(m, same) {
		t.Error("the copies changed the entries")
	}
}

func TestMapLeavesSmallAndFullMapsAlone(t *testing.T) {
	var peak Peak
	m := map[int]int{}
	for i := range 1000 {
		m[i] = i
		peak.Grew(len(m))
	}
	for i := range 900 {
		delete(m, i)
		if got := Map(m, &peak); !sameMap(got, m) {
			t.Fatalf("a map whose peak is below %d was copied", minPeak)
		}
	}
	peak = Peak{}
	big := map[int]int{}
	for i := range 4000 {
		big[i] = i
		peak.Grew(len(big))
	}
	delete(big, 0)
	if got := Map(big, &peak); !sameMap(got, big) {
		t.Fatal("a map at nearly its peak was copied")
	}
}

// sameMap reports whether a and b are one map, not equal copies.
func sameMap(a, b map[int]int) bool {
	const probe = -1
	_, had := a[probe]
	a[probe] = probe
	_, shared := b[probe]
	if !had {
		delete(a, probe)
	}
	return shared
}
