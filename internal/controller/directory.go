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
	"hash/maphash"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"
)

// directory remembers which emails Lightrun held at each IdentityConfig's
// last complete listing of its users (the resync reads them all anyway),
// so that a user the listing did not hold is created straight away: one
// request to Lightrun instead of a lookup and a create. The answer can only
// be stale one way: a user created in Lightrun since the listing. Then the
// create is refused and ensure looks the user up as it always did, so a
// stale listing costs one request, never a wrong decision. Emails are kept
// as 64-bit digests of their folded form: about 16 bytes a user, and a
// collision only makes a new user cost the lookup.
type directory struct {
	seed     maphash.Seed
	mu       sync.RWMutex
	listings map[types.NamespacedName]map[uint64]struct{}
}

func newDirectory() *directory {
	return &directory{seed: maphash.MakeSeed(), listings: map[types.NamespacedName]map[uint64]struct{}{}}
}

func (d *directory) digest(email string) uint64 {
	return maphash.String(d.seed, fold.String(email))
}

// listing collects one listing; replace installs it once it is complete.
type listing struct {
	d      *directory
	emails map[uint64]struct{}
}

func (d *directory) newListing() *listing {
	return &listing{d: d, emails: map[uint64]struct{}{}}
}

func (l *listing) add(email string) { l.emails[l.d.digest(email)] = struct{}{} }

// replace makes l what the directory knows of ic's Lightrun.
func (d *directory) replace(ic types.NamespacedName, l *listing) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.listings[ic] = l.emails
}

// created records a user the operator just created in ic's Lightrun.
func (d *directory) created(ic types.NamespacedName, email string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if emails, ok := d.listings[ic]; ok {
		emails[d.digest(email)] = struct{}{}
	}
}

// forget drops what is known of ic's Lightrun (it was deleted, or now
// points elsewhere).
func (d *directory) forget(ic types.NamespacedName) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.listings, ic)
}

// listed reports whether a complete listing of ic's Lightrun is known.
func (d *directory) listed(ic types.NamespacedName) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	_, ok := d.listings[ic]
	return ok
}

// absent reports whether ic's last complete listing lacked email; false
// when there is no listing yet.
func (d *directory) absent(ic types.NamespacedName, email string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	emails, ok := d.listings[ic]
	if !ok {
		return false
	}
	_, held := emails[d.digest(email)]
	return !held
}
