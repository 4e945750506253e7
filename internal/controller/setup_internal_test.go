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

package controller

import (
	"testing"
	"time"
)

// Every controller's reconciles have a deadline, and the IdentityConfig
// controller runs as many workers as the others, so one company whose
// Lightrun is slow cannot hold up the rest.
func TestControllerOptionsBoundEveryReconcile(t *testing.T) {
	o := Options{}
	o.defaults()
	s := &shared{opts: o}
	got := s.controllerOptions(o.MaxConcurrentReconciles)
	if got.ReconciliationTimeout != 10*time.Minute {
		t.Errorf("ReconciliationTimeout = %v, want the 10m default", got.ReconciliationTimeout)
	}
	if got.MaxConcurrentReconciles < 2 {
		t.Errorf("MaxConcurrentReconciles = %d by default, want several", got.MaxConcurrentReconciles)
	}
	o.ReconcileTimeout = time.Minute
	if got := (&shared{opts: o}).controllerOptions(1); got.ReconciliationTimeout != time.Minute {
		t.Errorf("ReconciliationTimeout = %v, want the option's 1m", got.ReconciliationTimeout)
	}
}
