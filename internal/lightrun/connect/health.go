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

package connect

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// Check is the last check of one IdentityConfig's Lightrun: its settings, or
// the error that kept them from being read, and when to check again.
type Check struct {
	Settings Settings
	Err      error
	// Next is when the connection is due to be checked again.
	Next time.Time

	backend    Lightrun
	generation int64
	failures   int
}

// ReportUnreachable carries "Lightrun did not answer" from a reconciler to
// the IdentityConfig's: it marks the connection suspect and wakes the
// IdentityConfig reconciler (through Wakeups), which checks Lightrun at once
// and, when it is down, holds its users' and pools' work so that only one
// reconciler probes Lightrun, with backoff. Reports are deduplicated: five
// hundred users failing together wake the IdentityConfig once.
func (c *Connections) ReportUnreachable(ic client.Object) {
	key := client.ObjectKeyFromObject(ic)
	c.mu.Lock()
	e := c.entryLocked(key)
	already := e.suspect
	e.suspect = true
	c.mu.Unlock()
	if already {
		return
	}
	select {
	case c.wake <- event.GenericEvent{Object: ic}:
	default:
		// The channel is full of wake-ups already; the suspect mark stays
		// and the IdentityConfig's next reconcile (at the latest its
		// periodic check) picks it up.
	}
}

// Wakeups are the IdentityConfigs to reconcile because a reconciler reported
// their Lightrun unreachable.
func (c *Connections) Wakeups() <-chan event.GenericEvent { return c.wake }

// Recheck makes the next Check of key call Lightrun, whatever is due: a
// resync requested by hand re-reads Lightrun's settings too.
func (c *Connections) Recheck(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[key]; e != nil {
		e.check = nil
	}
}

// Check returns the latest check of ic's Lightrun, calling Lightrun when one
// is due: the first time, after a spec or Secret change, when a reconciler
// reported a failure, and every CheckInterval — more often, with exponential
// backoff (or Lightrun's Retry-After), while Lightrun does not answer.
func (c *Connections) Check(ctx context.Context, ic *v1.IdentityConfig, backend Lightrun, now time.Time) Check {
	key := client.ObjectKeyFromObject(ic)
	c.mu.Lock()
	e := c.entryLocked(key)
	last, suspect := e.check, e.suspect
	e.suspect = false
	c.mu.Unlock()
	if last != nil && last.backend == backend && last.generation == ic.Generation && now.Before(last.Next) && !suspect {
		return *last
	}

	next := &Check{backend: backend, generation: ic.Generation}
	if last != nil {
		next.failures = last.failures
	}
	next.Settings, next.Err = backend.Settings(ctx)
	if next.Err != nil {
		next.failures++
		wait := c.opts.CheckBackoff << min(next.failures-1, 16)
		if ra := lightrun.RetryAfter(next.Err); ra > 0 {
			wait = ra // Lightrun said when to come back (429/503 Retry-After)
		}
		next.Next = now.Add(min(wait, c.opts.CheckInterval))
	} else {
		next.Next = now.Add(c.opts.CheckInterval)
	}
	c.mu.Lock()
	c.entryLocked(key).check = next
	c.mu.Unlock()
	return *next
}
