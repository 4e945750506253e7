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

package kubestore

import (
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// signal wakes the writes waiting for this replica's cache to see them
// (waitForCache): the list orders' and the userindex's informer handlers
// pass on the name of each object they have taken in, and the writes
// waiting on that name look again. Waiting on a wake-up rather than
// polling answers as soon as the cache has the write, and leaves the CPU
// alone meanwhile (32 writes polling every 2 ms woke 16,000 times a second).
type signal struct {
	mu      sync.Mutex
	waiting map[types.NamespacedName][]chan struct{}
}

// subscribe returns a channel that receives once name is next passed to
// notify, and the function that ends the subscription. Subscribe before
// looking at the cache, so that a change in between is not missed.
func (s *signal) subscribe(name types.NamespacedName) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	if s.waiting == nil {
		s.waiting = map[types.NamespacedName][]chan struct{}{}
	}
	s.waiting[name] = append(s.waiting[name], ch)
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		chans := slices.DeleteFunc(s.waiting[name], func(c chan struct{}) bool { return c == ch })
		if len(chans) == 0 {
			delete(s.waiting, name)
			return
		}
		s.waiting[name] = chans
	}
}

// notify wakes the subscribers of name. It never blocks: a subscriber
// already woken keeps its one pending wake-up.
func (s *signal) notify(name types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.waiting[name] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
