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

// Package shrink gives back the memory of a map that lost most of its
// entries. A Go map never shrinks: after 100,000 users are deleted (an IdP
// deprovisioning half a directory, or the benchmark's bare-API-server
// baseline created and removed next to the SCIM users) an index map keeps
// the buckets of its peak for as long as the process lives. The indexes the
// informers feed (the user index, the SCIM list order) copy a map into a
// right-sized one once it has lost a quarter of its peak: each copy follows
// at least peak/4 deletions, so it costs O(1) per deletion, amortized.
package shrink

import "maps"

// minPeak is the smallest peak worth a copy: below it the buckets cost
// little.
const minPeak = 1024

// Peak is the most entries a map held since it was last made.
type Peak struct{ n int }

// Grew records the map's length after an insertion.
func (p *Peak) Grew(n int) {
	if n > p.n {
		p.n = n
	}
}

// Map returns m after a deletion: m itself, or a copy of it sized for its
// entries when it holds three quarters of its peak or fewer.
func Map[K comparable, V any](m map[K]V, p *Peak) map[K]V {
	if p.n < minPeak || len(m) > p.n/4*3 {
		return m
	}
	out := make(map[K]V, len(m))
	maps.Copy(out, m)
	p.n = len(out)
	return out
}
