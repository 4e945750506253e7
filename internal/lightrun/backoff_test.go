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

package lightrun

import (
	"testing"
	"time"
)

func TestBackoffGrowsWithinBounds(t *testing.T) {
	base, maxDelay := 100*time.Millisecond, 2*time.Second
	for retry := 1; retry <= 12; retry++ {
		step := min(base<<(retry-1), maxDelay)
		for range 200 {
			d := backoff(retry, base, maxDelay)
			if d < step/2 || d > step {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", retry, d, step/2, step)
			}
		}
	}
}

func TestBackoffJitters(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[backoff(3, 100*time.Millisecond, time.Second)] = true
	}
	if len(seen) < 10 {
		t.Errorf("backoff gave only %d distinct delays in 50 draws; the jitter is missing", len(seen))
	}
}

func TestBackoffDoesNotOverflow(t *testing.T) {
	if d := backoff(200, time.Hour, 24*time.Hour); d < 12*time.Hour || d > 24*time.Hour {
		t.Errorf("backoff(200) = %v, want the capped step", d)
	}
}
