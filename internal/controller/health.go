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
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// health carries "Lightrun did not answer" from the ScimUser and AgentPool
// reconcilers to the IdentityConfig reconciler, which then checks Lightrun at
// once and, when it is down, sets BackendReachable=False: from then on the
// other reconcilers hold their work without calling Lightrun, and the
// IdentityConfig alone probes it with backoff. Reports are deduplicated, so
// five hundred users failing together wake the IdentityConfig once.
type health struct {
	mu      sync.Mutex
	suspect map[types.NamespacedName]bool
	events  chan event.GenericEvent
}

func newHealth() *health {
	return &health{suspect: map[types.NamespacedName]bool{}, events: make(chan event.GenericEvent, 256)}
}

// report marks the IdentityConfig's Lightrun as suspect and wakes its reconciler.
func (h *health) report(ic client.Object) {
	key := client.ObjectKeyFromObject(ic)
	h.mu.Lock()
	already := h.suspect[key]
	h.suspect[key] = true
	h.mu.Unlock()
	if already {
		return
	}
	select {
	case h.events <- event.GenericEvent{Object: ic}:
	default:
		// The channel is full of wake-ups already; the suspect mark stays
		// and the IdentityConfig's next reconcile (at the latest its
		// periodic check) picks it up.
	}
}

// takeSuspect reports and clears the suspect mark.
func (h *health) takeSuspect(key types.NamespacedName) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.suspect[key]
	delete(h.suspect, key)
	return s
}
