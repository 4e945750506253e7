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

package events

import (
	"container/list"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
)

// key is what makes Events isomorphic (client-go's eventKey): the same
// objects, with their resourceVersion, type, reason, action and reporter.
type key struct {
	eventType, action, reason string
	controller, instance      string
	regarding, related        corev1.ObjectReference
}

func keyOf(ev *eventsv1.Event) key {
	k := key{
		eventType:  ev.Type,
		action:     ev.Action,
		reason:     ev.Reason,
		controller: ev.ReportingController,
		instance:   ev.ReportingInstance,
		regarding:  ev.Regarding,
	}
	if ev.Related != nil {
		k.related = *ev.Related
	}
	return k
}

// lru holds the most recently seen Events, at most limit of them: what bounds
// the memory series take, however many objects Events are about.
type lru struct {
	limit int
	order *list.List // of *eventsv1.Event, most recently seen first
	items map[key]*list.Element
}

func newLRU(limit int) *lru {
	return &lru{limit: limit, order: list.New(), items: map[key]*list.Element{}}
}

// get returns the Event stored under k, now the most recently seen.
func (c *lru) get(k key) (*eventsv1.Event, bool) {
	e, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*eventsv1.Event), true
}

// add stores ev under k, forgetting the least recently seen Event when full.
func (c *lru) add(k key, ev *eventsv1.Event) {
	if e, ok := c.items[k]; ok {
		e.Value = ev
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(ev)
	if c.order.Len() > c.limit {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		// The key is not stored twice: it is the Event's own fields.
		delete(c.items, keyOf(oldest.Value.(*eventsv1.Event)))
	}
}

// size is how many Events are remembered.
func (c *lru) size() int { return c.order.Len() }
