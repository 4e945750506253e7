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
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// found is how ensure found a Lightrun object.
type found int

const (
	// foundKept: it existed as the operator's.
	foundKept found = iota
	// foundCreated: it did not exist and was created.
	foundCreated
	// foundRecreated: the operator had it, it was deleted in Lightrun
	// behind the operator's back (drift), and it was created again.
	foundRecreated
	// foundAdopted: it existed, unknown to the operator, and was taken
	// under management.
	foundAdopted
	// foundRefused: it exists and the operator may not manage it; the
	// claim that refused it said why.
	foundRefused
)

// lightrunKind is what the Events of one kind of Lightrun object say.
type lightrunKind struct {
	// noun names the kind in messages ("agent pool"); verb names it in
	// Event actions (CreatePool).
	noun, verb string
	// Event reasons of a create, an adoption and an update.
	created, adopted, updated string
	// Kinds of lightrun_identity_drift_reverted_total for an object
	// deleted and for one edited in Lightrun.
	driftDeleted, driftEdited string
}

var (
	userKind = lightrunKind{noun: "user", verb: "User",
		created: EventUserCreated, adopted: EventUserAdopted, updated: EventUserUpdated,
		driftDeleted: driftUserDeleted, driftEdited: driftUserEdited}
	poolKind = lightrunKind{noun: "agent pool", verb: "Pool",
		created: EventPoolCreated, adopted: EventPoolAdopted, updated: EventPoolUpdated,
		driftDeleted: driftPool, driftEdited: driftPool}
	groupKind = lightrunKind{noun: "group", verb: "Group",
		created: EventGroupCreated, adopted: EventGroupUpdated, updated: EventGroupUpdated,
		driftDeleted: driftGroup, driftEdited: driftGroup}
)

// lightrunObject describes one Lightrun object the operator keeps as
// declared, for ensure. Every function is called at most once per ensure,
// except find (again after a Conflict on create).
type lightrunObject[O any] struct {
	kind lightrunKind
	// name is the object's name (a user's email) in Lightrun; detail is
	// added to the Event of a create.
	name, detail string
	// id is the Lightrun id recorded in status, "" when none; get reads by
	// it (nil: the object is found by name only).
	id  string
	get func(ctx context.Context, id string) (*O, error)
	// find looks the object up by name: NotFound when there is none.
	find func(ctx context.Context) (*O, error)
	// absent says a recent complete listing of Lightrun held no object by
	// this name: find is skipped and the object created straight away (a
	// refused create still looks it up, so a stale listing is harmless).
	absent bool
	// claim decides about an object found by name that the status does
	// not record: foundKept or foundAdopted, or foundRefused. nil means
	// foundKept.
	claim func(o *O) found
	// create creates the object. After a refusal (any 4xx but 429: a
	// Conflict, or a 400 where Lightrun reports a duplicate that way) the
	// object is looked up again and, when it exists, claimed like one found
	// by name.
	create func(ctx context.Context) (*O, error)
	// known says the status records the object, so its absence is drift.
	known bool
	// diff lists how the object differs from its declaration; update
	// makes it as declared.
	diff   func(o *O) []string
	update func(ctx context.Context, o *O) (*O, error)
	// steady says nothing changed on the operator's side since the last
	// sync, so a difference was made in Lightrun: drift, reverted with a
	// Warning.
	steady bool
	idOf   func(o *O) string
}

// ensured is what ensure did.
type ensured[O any] struct {
	obj   *O
	found found
	// diffs are the differences update changed back.
	diffs []string
}

// changed reports whether ensure changed anything in Lightrun or took the
// object under management.
func (e ensured[O]) changed() bool {
	return e.found != foundKept || len(e.diffs) > 0
}

// ensure is the one sequence by which the operator converges a Lightrun
// object: find it by the id in status, else by name; claim it or create it
// (a Conflict on create means it exists: it is read again); then update
// what differs. Every change becomes an Event on ev, and drift (a change
// made in Lightrun to an object the operator manages) a Warning and a
// count in lightrun_identity_drift_reverted_total.
func ensure[O any](ctx context.Context, rec recorder.EventRecorder, ev client.Object, x lightrunObject[O]) (ensured[O], error) {
	var out ensured[O]
	if x.id != "" && x.get != nil {
		o, err := x.get(ctx, x.id)
		switch {
		case err == nil:
			out.obj = o
		case !lightrun.IsNotFound(err):
			return out, err
		}
	}
	if out.obj == nil {
		var o *O
		err := errListedAbsent
		if !x.absent {
			o, err = x.find(ctx)
		}
		switch {
		case err == nil:
			out.obj, out.found = o, foundKept
			if x.claim != nil {
				out.found = x.claim(o)
			}
		case errors.Is(err, errListedAbsent) || lightrun.IsNotFound(err):
			o, err = x.create(ctx)
			switch {
			case err == nil:
				out.obj, out.found = o, foundCreated
				if x.known {
					out.found = foundRecreated
				}
			case refused(err):
				// The create was refused; whether because the object
				// exists is for Lightrun to say, not the status code.
				existing, ferr := x.find(ctx)
				switch {
				case ferr == nil:
					out.obj, out.found = existing, foundKept
					if x.claim != nil {
						out.found = x.claim(existing)
					}
				case lightrun.IsNotFound(ferr):
					return out, err
				default:
					return out, ferr
				}
			default:
				return out, err
			}
		default:
			return out, err
		}
	}
	if out.found == foundRefused {
		return out, nil
	}
	x.announceFound(rec, ev, out)
	if diffs := x.diff(out.obj); len(diffs) > 0 {
		o, err := x.update(ctx, out.obj)
		if err != nil {
			return out, err
		}
		out.obj, out.diffs = o, diffs
		x.announceUpdate(rec, ev, diffs)
	}
	return out, nil
}

// errListedAbsent stands for the lookup a listing made unnecessary.
var errListedAbsent = errors.New("absent from the last listing")

// refused reports whether Lightrun answered a request with a refusal
// retrying the same request cannot change: a 4xx other than 429.
func refused(err error) bool {
	var lerr *lightrun.Error
	return errors.As(err, &lerr) && lerr.StatusCode >= 400 && lerr.StatusCode < 500 &&
		lerr.StatusCode != http.StatusTooManyRequests
}

func (x lightrunObject[O]) announceFound(rec recorder.EventRecorder, ev client.Object, out ensured[O]) {
	k, id := x.kind, x.idOf(out.obj)
	switch out.found {
	case foundCreated:
		eventf(rec, ev, false, k.created, "Create"+k.verb, "Created Lightrun %s %s (%s)%s.", k.noun, x.name, id, x.detail)
	case foundRecreated:
		metricDriftReverted.WithLabelValues(k.driftDeleted).Inc()
		eventf(rec, ev, true, EventDriftReverted, "Recreate"+k.verb,
			"Lightrun %s %s was deleted in Lightrun; re-created it as %s (what the operator manages is read-only in Lightrun).", k.noun, x.name, id)
	case foundAdopted:
		eventf(rec, ev, false, k.adopted, "Adopt"+k.verb,
			"Adopted the existing Lightrun %s %s (%s); the operator manages it from now on.", k.noun, x.name, id)
	}
}

func (x lightrunObject[O]) announceUpdate(rec recorder.EventRecorder, ev client.Object, diffs []string) {
	k, diff := x.kind, strings.Join(diffs, ", ")
	if x.steady {
		metricDriftReverted.WithLabelValues(k.driftEdited).Inc()
		eventf(rec, ev, true, EventDriftReverted, "Revert"+k.verb,
			"Lightrun %s %s was edited in Lightrun; reverted %s (what the operator manages is read-only in Lightrun).", k.noun, x.name, diff)
		return
	}
	eventf(rec, ev, false, k.updated, "Update"+k.verb, "Updated Lightrun %s %s: %s.", k.noun, x.name, diff)
}

// differences lists the fields whose values differ, as "field old → new".
type differences []string

func (d *differences) add(field string, have, want any, differ bool) {
	if differ {
		*d = append(*d, fmt.Sprintf("%s %v → %v", field, quoted(have), quoted(want)))
	}
}

func quoted(v any) any {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return v
}
