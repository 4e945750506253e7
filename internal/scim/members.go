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

package scim

import (
	"slices"
	"strings"
)

// MemberDelta is the combined effect of a PATCH's member operations on a
// Group, in a form the storage layer applies without loading the member
// list. It is always in one of three shapes:
//
//   - ReplaceSet: the members become exactly Replace (empty: no members);
//     Add and Remove are empty and RemoveAll is false.
//   - RemoveAll: every member is removed; Add, Remove and Replace are empty.
//   - otherwise: Remove are taken out and Add put in (Add and Remove are
//     disjoint, so their order does not matter); both may be empty.
//
// Member ids are compared exactly and listed once, in first-seen order.
type MemberDelta struct {
	Add       []string
	Remove    []string
	RemoveAll bool
	// Replace is nil unless ReplaceSet.
	Replace    []string
	ReplaceSet bool
	// Types are the member types ("User" or "Group", RFC 7643 §4.2) the
	// request gave the ids it adds or replaces with; an id without a type
	// is absent. Nil when no member carried a type.
	Types map[string]string
}

// IsZero reports whether the delta changes nothing.
func (d MemberDelta) IsZero() bool {
	return !d.ReplaceSet && !d.RemoveAll && len(d.Add) == 0 && len(d.Remove) == 0
}

// Apply returns the member ids that result from applying d to current, in a
// stable order: kept members in their order, then added ones. Storage that
// holds membership elsewhere applies the delta its own way; Apply states
// the meaning.
func (d MemberDelta) Apply(current []string) []string {
	switch {
	case d.ReplaceSet:
		return append([]string{}, d.Replace...)
	case d.RemoveAll:
		return []string{}
	}
	out := make([]string, 0, len(current)+len(d.Add))
	seen := map[string]bool{}
	for _, id := range current {
		if seen[id] || slices.Contains(d.Remove, id) {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	for _, id := range d.Add {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// setTypes records the types a request gave members.
func (d *MemberDelta) setTypes(types map[string]string) {
	for id, t := range types {
		if d.Types == nil {
			d.Types = map[string]string{}
		}
		d.Types[id] = t
	}
}

func (d *MemberDelta) add(ids []string) {
	if d.ReplaceSet {
		d.Replace = appendNew(d.Replace, ids)
		return
	}
	if d.RemoveAll {
		// Removing everything then adding ids leaves exactly ids.
		*d = MemberDelta{ReplaceSet: true, Replace: appendNew([]string{}, ids), Types: d.Types}
		return
	}
	d.Add = appendNew(d.Add, ids)
	d.Remove = without(d.Remove, ids)
}

func (d *MemberDelta) remove(ids []string) {
	if d.ReplaceSet {
		d.Replace = without(d.Replace, ids)
		return
	}
	if d.RemoveAll {
		return
	}
	d.Remove = appendNew(d.Remove, ids)
	d.Add = without(d.Add, ids)
}

func (d *MemberDelta) removeAll() {
	if d.ReplaceSet {
		d.Replace = []string{}
		return
	}
	*d = MemberDelta{RemoveAll: true, Types: d.Types}
}

func (d *MemberDelta) replace(ids []string) {
	*d = MemberDelta{ReplaceSet: true, Replace: appendNew([]string{}, ids), Types: d.Types}
}

func appendNew(list, ids []string) []string {
	for _, id := range ids {
		if !slices.Contains(list, id) {
			list = append(list, id)
		}
	}
	return list
}

func without(list, ids []string) []string {
	if len(list) == 0 {
		return list
	}
	out := list[:0:0]
	for _, id := range list {
		if !slices.Contains(ids, id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// SplitMemberOps takes out of a Group PATCH every operation on "members",
// so that a handler never loads a group's member list (which may hold
// 100,000 ids) to apply it. It returns the other operations (displayName,
// externalId...) for ApplyPatch, and the member operations folded, in order,
// into one MemberDelta. Operation names are normalised as ParsePatch does.
//
// Forms recognised, with the IdP that sends them:
//   - add, path "members", value [{"value": id}, ...]: add ([Okta SCIM],
//     [Entra SCIM] "Update Group [Add Members]").
//   - remove, path members[value eq "id"], or an "or" of such comparisons:
//     remove those ids ([Okta SCIM]; Entra with aadOptscim062020).
//   - remove, path "members", value [{"value": id}, ...]: remove only those
//     ids, never the whole group ([Entra compat] without the flag, and
//     [Entra SCIM] "Update Group [Remove Members]").
//   - remove, path "members", no value: remove every member
//     (RFC 7644 §3.5.2.2).
//   - replace, path "members", value [...]: the members become exactly the
//     list ([Okta SCIM] full push); a null value removes every member.
//   - add or replace without a path whose value object holds "members":
//     as above for that key; the rest of the object stays an operation.
//
// Paths may carry the Group schema URN prefix. A member filter other than
// value-eq comparisons joined by "or", or a path that writes a member's
// sub-attributes (immutable, RFC 7643 §4.2), is an error.
func SplitMemberOps(ops []PatchOperation) (rest []PatchOperation, delta MemberDelta, err error) {
	rt := GroupResourceType
	for i, op := range ops {
		op.Op = normalizeOpName(op.Op)
		switch op.Op {
		case OpAdd, OpReplace, OpRemove:
		default:
			return nil, MemberDelta{}, inOperation(i, ErrInvalidSyntax("unknown operation %q: want add, remove or replace", op.Op))
		}
		if op.Path == "" {
			kept, err := splitPathless(&delta, op)
			if err != nil {
				return nil, MemberDelta{}, inOperation(i, err)
			}
			if kept != nil {
				rest = append(rest, *kept)
			}
			continue
		}
		t, err := resolveTarget(rt, op.Path)
		if err != nil {
			return nil, MemberDelta{}, inOperation(i, err)
		}
		if !strings.EqualFold(t.r.Attribute.Name, "members") || t.r.Container != "" {
			rest = append(rest, op)
			continue
		}
		if err := foldMemberOp(&delta, t, op); err != nil {
			return nil, MemberDelta{}, inOperation(i, err)
		}
	}
	return rest, delta, nil
}

// splitPathless takes "members" out of a path-less add or replace. kept is
// the operation with the remaining attributes, or nil when none remain.
func splitPathless(d *MemberDelta, op PatchOperation) (*PatchOperation, error) {
	m, ok := op.Value.(map[string]any)
	if !ok {
		return nil, ErrInvalidValue("%q without a \"path\" needs an object of attributes as its \"value\", got %s", op.Op, jsonKind(op.Value))
	}
	var memberKeys []string
	for k := range m {
		name := k
		if i := strings.LastIndexByte(k, ':'); i >= 0 && strings.EqualFold(k[:i], GroupSchemaURN) {
			name = k[i+1:]
		}
		if strings.EqualFold(name, "members") {
			memberKeys = append(memberKeys, k)
		}
	}
	if len(memberKeys) == 0 {
		return &op, nil
	}
	if len(memberKeys) > 1 {
		return nil, ErrInvalidValue("\"members\" is given more than once")
	}
	t := target{r: ResolvedAttribute{SchemaURN: GroupSchemaURN, Attribute: GroupSchema.Attribute("members")}, path: "members"}
	if err := foldMemberOp(d, t, PatchOperation{Op: op.Op, Path: "members", Value: m[memberKeys[0]]}); err != nil {
		return nil, err
	}
	if len(m) == 1 {
		return nil, nil
	}
	remaining := make(map[string]any, len(m)-1)
	for k, v := range m {
		if k != memberKeys[0] {
			remaining[k] = v
		}
	}
	op.Value = remaining
	return &op, nil
}

func foldMemberOp(d *MemberDelta, t target, op PatchOperation) error {
	if t.r.Sub != nil || t.fsub != nil {
		if op.Op == OpRemove && t.fsub == nil {
			return ErrInvalidPath("path %q: members are removed whole, not by sub-attribute", t.path)
		}
		// RFC 7643 §4.2: sub-attributes of members are immutable.
		return ErrMutability("path %q: the sub-attributes of a member are immutable", t.path)
	}
	if t.filter != nil {
		if op.Op != OpRemove {
			return ErrMutability("path %q: the sub-attributes of a member are immutable; add members with path \"members\"", t.path)
		}
		ids, ok := memberFilterIDs(t.filter)
		if !ok {
			return ErrInvalidPath("path %q: member filters must be value eq \"id\" comparisons joined by or", t.path)
		}
		d.remove(ids)
		return nil
	}
	switch op.Op {
	case OpAdd:
		if op.Value == nil {
			return ErrInvalidValue("\"add\" needs a \"value\"")
		}
		ids, types, err := memberIDs(op.Value)
		if err != nil {
			return err
		}
		d.add(ids)
		d.setTypes(types)
	case OpReplace:
		if op.Value == nil {
			d.removeAll() // RFC 7643 §2.5: null unassigns.
			return nil
		}
		ids, types, err := memberIDs(op.Value)
		if err != nil {
			return err
		}
		d.replace(ids)
		d.setTypes(types)
	case OpRemove:
		if op.Value == nil {
			d.removeAll()
			return nil
		}
		// Entra: remove with a value array removes only those members.
		ids, _, err := memberIDs(op.Value)
		if err != nil {
			return err
		}
		d.remove(ids)
	}
	return nil
}

// memberIDs reads the ids out of a members value array, and the types the
// members that carry one give (canonical: "User" or "Group").
func memberIDs(v any) ([]string, map[string]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, nil, ErrInvalidValue("members must be an array of {\"value\": id} objects, got %s", jsonKind(v))
	}
	members := GroupSchema.Attribute("members")
	ids := make([]string, 0, len(list))
	var types map[string]string
	for i, e := range list {
		if e == nil {
			continue
		}
		cv, err := checkValue(members, e, "members")
		if err != nil {
			return nil, nil, err
		}
		m, _ := cv.(map[string]any)
		id, _ := m["value"].(string)
		if id == "" {
			return nil, nil, ErrInvalidValue("members[%d] has no \"value\"", i)
		}
		given, _ := m["type"].(string)
		t, ok := MemberType(given)
		if !ok {
			return nil, nil, ErrInvalidValue("members[%d].type is %q: want %q or %q", i, given, UserResourceTypeName, GroupResourceTypeName)
		}
		if t != "" {
			if types == nil {
				types = map[string]string{}
			}
			types[id] = t
		}
		ids = append(ids, id)
	}
	return ids, types, nil
}

// MemberType reads a Group member's "type" (RFC 7643 §4.2): "User" or
// "Group" in any case, returned canonical; "" when absent. ok is false for
// any other value.
func MemberType(t string) (canonical string, ok bool) {
	switch {
	case t == "":
		return "", true
	case strings.EqualFold(t, UserResourceTypeName):
		return UserResourceTypeName, true
	case strings.EqualFold(t, GroupResourceTypeName):
		return GroupResourceTypeName, true
	}
	return "", false
}

// memberFilterIDs reads ids from value eq "id" [or value eq "id"]...
func memberFilterIDs(e boundExpr) ([]string, bool) {
	switch t := e.(type) {
	case *boundLogical:
		if t.and {
			return nil, false
		}
		l, ok := memberFilterIDs(t.left)
		if !ok {
			return nil, false
		}
		r, ok := memberFilterIDs(t.right)
		if !ok {
			return nil, false
		}
		return append(l, r...), true
	case *boundCompare:
		if t.op != "eq" || t.lit.null || !strings.EqualFold(t.def.Name, "value") || t.lit.raw == "" {
			return nil, false
		}
		return []string{t.lit.raw}, true
	}
	return nil, false
}
