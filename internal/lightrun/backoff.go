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
	"math/rand/v2"
	"time"
)

// backoff returns how long to wait before retry number `retry` (1 for the first
// retry): exponential growth from base, capped at max, with "equal jitter" —
// half the step is fixed and half random. The fixed half keeps a lower bound on
// the wait (so a struggling Lightrun really gets relief), the random half keeps
// many reconcilers that failed together from retrying in lockstep.
func backoff(retry int, base, max time.Duration) time.Duration {
	if retry < 1 {
		retry = 1
	}
	step := base
	for i := 1; i < retry && step < max; i++ {
		step *= 2
	}
	if step > max || step <= 0 {
		step = max
	}
	half := step / 2
	if half <= 0 {
		return step
	}
	return half + rand.N(half+1)
}
