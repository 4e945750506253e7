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
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"
)

// PatchRequest is a decoded PATCH body (RFC 7644 §3.5.2).
type PatchRequest struct {
	Schemas    []string
	Operations []PatchOperation
}

// PatchOperation is one operation of a PATCH request (RFC 7644 §3.5.2).
type PatchOperation struct {
	// Op is "add", "remove" or "replace" (ParsePatch lower-cases it).
	Op string
	// Path is the target (RFC 7644 §3.5.2 PATH), or empty.
	Path string
	// Value is the decoded JSON value, numbers as json.Number; nil when the
	// operation has no value or its value is null.
	Value any
}

// Operation names (RFC 7644 §3.5.2).
const (
	OpAdd     = "add"
	OpRemove  = "remove"
	OpReplace = "replace"
)

// ParsePatch decodes and checks a PATCH body (RFC 7644 §3.5.2): "schemas"
// must contain the PatchOp URN, "Operations" must hold at least one
// operation, each "op" must be add, remove or replace (in any letter case:
// Entra ID sends "Add", "Replace", "Remove"), "remove" needs a "path"
// (RFC 7644 §3.5.2.2, noTarget), "add" and "replace" need a "value", and
// every path must be well-formed. Whether paths name attributes of the
// resource type is checked by ApplyPatch. Errors are *Error.
func ParsePatch(body []byte) (PatchRequest, error) {
	var raw struct {
		Schemas    []string          `json:"schemas"`
		Operations []json.RawMessage `json:"Operations"`
	}
	if err := decodeStrict(body, &raw); err != nil {
		return PatchRequest{}, ErrInvalidSyntax("PATCH body is not a PatchOp message: %v", err)
	}
	if !HasSchema(raw.Schemas, PatchOpURN) {
		return PatchRequest{}, ErrInvalidSyntax("PATCH body \"schemas\" must contain %q", PatchOpURN)
	}
	if len(raw.Operations) == 0 {
		return PatchRequest{}, ErrInvalidSyntax("PATCH body must contain at least one operation in \"Operations\"")
	}
	req := PatchRequest{Schemas: raw.Schemas, Operations: make([]PatchOperation, 0, len(raw.Operations))}
	for i, rawOp := range raw.Operations {
		op, err := parseOperation(rawOp)
		if err != nil {
			return PatchRequest{}, inOperation(i, err)
		}
		req.Operations = append(req.Operations, op)
	}
	return req, nil
}

func parseOperation(data json.RawMessage) (PatchOperation, error) {
	var raw struct {
		Op    *string         `json:"op"`
		Path  *string         `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if err := decodeStrict(data, &raw); err != nil {
		return PatchOperation{}, ErrInvalidSyntax("malformed operation: %v", err)
	}
	if raw.Op == nil {
		return PatchOperation{}, ErrInvalidSyntax("operation has no \"op\"")
	}
	op := PatchOperation{Op: normalizeOpName(*raw.Op)}
	if raw.Path != nil {
		op.Path = *raw.Path
	}
	hasValue := len(raw.Value) > 0
	if hasValue {
		if err := decodeStrict(raw.Value, &op.Value); err != nil {
			return PatchOperation{}, ErrInvalidSyntax("malformed operation value: %v", err)
		}
	}
	switch op.Op {
	case OpAdd, OpReplace:
		if !hasValue || (op.Op == OpAdd && op.Value == nil) {
			return PatchOperation{}, ErrInvalidValue("%q needs a \"value\"", op.Op)
		}
		if op.Path == "" {
			if _, ok := op.Value.(map[string]any); !ok {
				return PatchOperation{}, ErrInvalidValue("%q without a \"path\" needs an object of attributes as its \"value\"", op.Op)
			}
		}
	case OpRemove:
		if op.Path == "" {
			// RFC 7644 §3.5.2.2: remove without a path is noTarget.
			return PatchOperation{}, ErrNoTarget("\"remove\" needs a \"path\"")
		}
	default:
		return PatchOperation{}, ErrInvalidSyntax("unknown operation %q: want add, remove or replace", *raw.Op)
	}
	if op.Path != "" {
		if _, err := parsePatchPath(op.Path); err != nil {
			return PatchOperation{}, err
		}
	}
	return op, nil
}

// decodeStrict decodes one JSON value with json.Number for numbers and
// rejects trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// inOperation prefixes an error's detail with the operation's index.
func inOperation(i int, err error) error {
	if se, ok := errors.AsType[*Error](err); ok {
		return &Error{Status: se.Status, ScimType: se.ScimType, Detail: fmt.Sprintf("Operations[%d]: %s", i, se.Detail)}
	}
	// The same prefix as the *Error detail above, which the tests assert.
	return fmt.Errorf("Operations[%d]: %w", i, err) //nolint:staticcheck // "Operations" is the JSON member name (RFC 7644 §3.5.2)
}

// patchPath is a parsed PATH (RFC 7644 §3.5.2): attrPath, or
// valuePath [subAttr].
type patchPath struct {
	attr   attrRef
	filter expr
	sub    string
}

// parsePatchPath parses a PATCH path. Like ParseFilter, it decodes string
// literals itself and parses the bracketed filter with the full filter
// grammar, so "members[value eq "a" or value eq "b" or value eq "c"]"
// works. Errors are invalidPath.
func parsePatchPath(s string) (patchPath, error) {
	if strings.TrimSpace(s) == "" {
		return patchPath{}, ErrInvalidPath("empty path")
	}
	if len(s) > MaxFilterLength {
		return patchPath{}, ErrInvalidPath("path is longer than %d bytes", MaxFilterLength)
	}
	if !utf8.ValidString(s) {
		return patchPath{}, ErrInvalidPath("path is not valid UTF-8")
	}
	text, lits, err := extractLiterals(s)
	if err != nil {
		return patchPath{}, asInvalidPath(s, err)
	}
	if err := checkDepth(text); err != nil {
		// The value filter obeys the limits of every filter.
		return patchPath{}, asInvalidPath(s, err)
	}
	open := strings.IndexByte(text, '[')
	if open < 0 {
		if strings.ContainsAny(text, "]\"") {
			return patchPath{}, ErrInvalidPath("malformed path %q", s)
		}
		ap, err := parseAttrPath(text)
		if err != nil {
			return patchPath{}, ErrInvalidPath("%v", err)
		}
		return patchPath{attr: attrRef{uri: ap.URI(), name: ap.AttributeName, sub: ap.SubAttributeName()}}, nil
	}
	closing := strings.IndexByte(text, ']')
	if closing < open || strings.IndexByte(text[open+1:closing], '[') >= 0 || strings.IndexByte(text[closing+1:], ']') >= 0 || strings.IndexByte(text[closing+1:], '[') >= 0 {
		return patchPath{}, ErrInvalidPath("malformed value filter in path %q", s)
	}
	ap, err := parseAttrPath(strings.TrimRight(text[:open], " "))
	if err != nil {
		return patchPath{}, ErrInvalidPath("%v", err)
	}
	if ap.SubAttribute != nil {
		return patchPath{}, ErrInvalidPath("path %q: a value filter applies to an attribute, not a sub-attribute", s)
	}
	inner, err := parseText(text[open+1:closing], lits, true, true)
	if err != nil {
		return patchPath{}, asInvalidPath(s, err)
	}
	p := patchPath{attr: attrRef{uri: ap.URI(), name: ap.AttributeName}, filter: inner}
	if rest := text[closing+1:]; rest != "" {
		name := strings.TrimPrefix(rest, ".")
		if name == rest || !validAttrName(name) {
			return patchPath{}, ErrInvalidPath("path %q: expected \".subAttribute\" after the value filter", s)
		}
		p.sub = name
	}
	return p, nil
}

func validAttrName(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && c != '$' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) || s[i] == '$' {
			return false
		}
	}
	return true
}

func asInvalidPath(path string, err error) error {
	if se, ok := errors.AsType[*Error](err); ok {
		return ErrInvalidPath("path %q: %s", path, se.Detail)
	}
	return ErrInvalidPath("path %q: %v", path, err)
}

// target is a PATCH path resolved against a resource type.
type target struct {
	// r is the attribute; r.Sub is set for "attr.sub" paths (no filter).
	r ResolvedAttribute
	// filter selects values of a multi-valued complex attribute.
	filter boundExpr
	// fsub is the sub-attribute after a value filter.
	fsub *Attribute
	path string
}

// definition is the attribute whose values the operation's value holds.
func (t target) definition() *Attribute {
	switch {
	case t.fsub != nil:
		return t.fsub
	case t.r.Sub != nil:
		return t.r.Sub
	default:
		return t.r.Attribute
	}
}

func resolveTarget(rt ResourceType, path string) (target, error) {
	p, err := parsePatchPath(path)
	if err != nil {
		return target{}, err
	}
	r, err := rt.resolveParts(p.attr.uri, p.attr.name, p.attr.sub)
	if err != nil && p.attr.uri == "" {
		if uri := extensionOfUnqualified(rt, p.attr.name); uri != "" {
			r, err = rt.resolveParts(uri, p.attr.name, p.attr.sub)
		}
	}
	if err != nil {
		return target{}, ErrInvalidPath("path %q: %v", path, err)
	}
	t := target{r: r, path: path}
	if p.filter != nil {
		if r.Attribute.Type != TypeComplex || !r.Attribute.MultiValued {
			return target{}, ErrInvalidPath("path %q: value filters apply to multi-valued complex attributes", path)
		}
		f, err := bindExpr(rt, p.filter, &r)
		if err != nil {
			return target{}, asInvalidPath(path, err)
		}
		t.filter = f
		if p.sub != "" {
			t.fsub = r.Attribute.SubAttribute(p.sub)
			if t.fsub == nil {
				return target{}, ErrInvalidPath("path %q: %q is not a sub-attribute of %q", path, p.sub, r.Attribute.Name)
			}
		}
	}
	return t, nil
}

// ApplyPatch applies PATCH operations (RFC 7644 §3.5.2) to res, a resource
// of type rt, and returns the patched resource as a new map. res is never
// modified. The operations apply in order and all or none apply: on error
// the result is nil and the error an *Error (RFC 7644 §3.5.2: a PATCH is
// atomic).
//
// IdP dialects are normalised first (dialect.go). "password" is accepted,
// type-checked and dropped: the result never holds one. After the
// operations, "schemas" lists an extension URN exactly when the resource
// holds attributes of that extension (RFC 7643 §3).
//
// For Groups, a handler first takes the member operations out with
// SplitMemberOps so that it never loads a large member list; ApplyPatch
// applies member operations too when given them (small groups, tests).
func ApplyPatch(rt ResourceType, res map[string]any, ops []PatchOperation) (map[string]any, error) {
	out := copyMap(res)
	if out == nil {
		out = map[string]any{}
	}
	for i, op := range ops {
		expanded, err := expandOperation(rt, out, op)
		if err != nil {
			return nil, inOperation(i, err)
		}
		for _, e := range expanded {
			if err := applyOperation(rt, out, e); err != nil {
				return nil, inOperation(i, err)
			}
		}
	}
	dropPassword(out)
	syncSchemas(rt, out)
	return out, nil
}

// expandOperation checks the operation's name and turns a path-less add or
// replace into one operation per attribute.
func expandOperation(rt ResourceType, res map[string]any, op PatchOperation) ([]PatchOperation, error) {
	op.Op = normalizeOpName(op.Op)
	if ext := rt.extension(strings.TrimSpace(op.Path)); ext != nil {
		return expandExtension(rt, res, op, ext)
	}
	switch op.Op {
	case OpAdd, OpReplace:
		if op.Path == "" {
			return expandPathless(rt, res, op)
		}
		if op.Op == OpAdd && op.Value == nil {
			return nil, ErrInvalidValue("\"add\" needs a \"value\"")
		}
	case OpRemove:
		if op.Path == "" {
			return nil, ErrNoTarget("\"remove\" needs a \"path\"")
		}
	default:
		return nil, ErrInvalidSyntax("unknown operation %q: want add, remove or replace", op.Op)
	}
	return []PatchOperation{op}, nil
}

// expandExtension handles a path that names a whole extension, such as
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" (RFC 7644
// §3.5.2: the path is an attrPath, and a schema URN stands for the
// extension's attributes, §3.10). The extension is a complex attribute of
// the resource (RFC 7643 §3.3): add and replace take an object of its
// attributes, those given replace the extension's own and the others stay
// (§3.5.2.1, §3.5.2.3), which is the path-less form {"urn": {...}}; remove,
// and a null value (RFC 7643 §2.5), unassign the whole extension.
func expandExtension(rt ResourceType, res map[string]any, op PatchOperation, ext *Schema) ([]PatchOperation, error) {
	switch op.Op {
	case OpAdd, OpReplace, OpRemove:
	default:
		return nil, ErrInvalidSyntax("unknown operation %q: want add, remove or replace", op.Op)
	}
	if op.Op == OpRemove || op.Value == nil {
		if op.Op == OpAdd {
			return nil, ErrInvalidValue("\"add\" needs a \"value\"")
		}
		if _, key, ok := lookupKey(res, ext.ID); ok {
			delete(res, key)
		}
		return nil, nil
	}
	if _, ok := op.Value.(map[string]any); !ok {
		return nil, ErrInvalidValue("the value of %q must be an object of its attributes, got %s", ext.ID, jsonKind(op.Value))
	}
	return expandPathless(rt, res, PatchOperation{Op: op.Op, Value: map[string]any{ext.ID: op.Value}})
}

func applyOperation(rt ResourceType, res map[string]any, op PatchOperation) error {
	t, err := resolveTarget(rt, op.Path)
	if err != nil {
		return err
	}
	top := t.r.Attribute
	if top == commonAttribute("schemas") {
		return ErrMutability("\"schemas\" is derived from the attributes present and cannot be patched")
	}
	if top.EffectiveMutability() == MutabilityWriteOnly {
		// password: RFC 7643 §4.1.1 writeOnly. This server never stores
		// it (docs/scim.md, Errors), so a valid value is accepted and dropped.
		if op.Op != OpRemove && op.Value != nil {
			if _, err := checkValue(t.definition(), op.Value, t.path); err != nil {
				return err
			}
		}
		return nil
	}
	if top.EffectiveMutability() == MutabilityReadOnly {
		// RFC 7644 §3.5.2: a client MUST NOT modify a readOnly attribute.
		return ErrMutability("%s is readOnly", t.r.Path())
	}
	if d := t.definition(); d != top && d.EffectiveMutability() == MutabilityReadOnly {
		return ErrMutability("%s.%s is readOnly", t.r.Attribute.Name, d.Name)
	}
	value := coerceDialectValue(t, op.Value)
	if t.filter != nil {
		return applyFiltered(res, t, op.Op, value)
	}
	if t.r.Sub != nil {
		return applySubAttribute(res, t, op.Op, value)
	}
	if op.Op == OpRemove || value == nil {
		if op.Op == OpRemove && value != nil && top.MultiValued {
			return removeListedValues(res, t, value)
		}
		// RFC 7643 §2.5: replacing with null unassigns the attribute.
		return removeAttribute(res, t)
	}
	switch {
	case top.MultiValued && op.Op == OpAdd:
		return addValues(res, t, value)
	case top.MultiValued:
		return replaceValues(res, t, value)
	case top.Type == TypeComplex:
		return mergeSingleComplex(res, t, value)
	default:
		return setSimple(res, t, value)
	}
}

// container returns the map holding t's attribute, creating the extension
// object when create is set.
func containerFor(res map[string]any, r ResolvedAttribute, create bool) (map[string]any, error) {
	if r.Container == "" {
		return res, nil
	}
	v, key, ok := lookupKey(res, r.Container)
	if ok && v != nil {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, ErrInvalidValue("%s must be an object", r.Container)
		}
		if key != r.Container {
			delete(res, key)
			res[r.Container] = m
		}
		return m, nil
	}
	if !create {
		return nil, nil
	}
	m := map[string]any{}
	setKey(res, r.Container, m)
	return m, nil
}

// setKey stores v under name, removing keys that differ from name only in
// case (RFC 7643 §2.1) so that the result has one spelling: the schema's.
func setKey(m map[string]any, name string, v any) {
	deleteKey(m, name)
	m[name] = v
}

func deleteKey(m map[string]any, name string) {
	for k := range m {
		if strings.EqualFold(k, name) {
			delete(m, k)
		}
	}
}

// dropEmptyContainer removes an extension object left empty.
func dropEmptyContainer(res map[string]any, r ResolvedAttribute) {
	if r.Container == "" {
		return
	}
	if v, key, ok := lookupKey(res, r.Container); ok {
		if m, isMap := v.(map[string]any); isMap && len(m) == 0 || v == nil {
			delete(res, key)
		}
	}
}

// checkWrite enforces RFC 7644 §3.5.2 mutability for writing newValue over
// old: readOnly is never written; immutable may be written only when it had
// no value (or the value does not change).
func checkWrite(def *Attribute, path string, old any, newValue any) error {
	switch def.EffectiveMutability() {
	case MutabilityReadOnly:
		return ErrMutability("%s is readOnly", path)
	case MutabilityImmutable:
		if isPresent(old) && !sameScalar(def, old, newValue) {
			return ErrMutability("%s is immutable", path)
		}
	}
	return nil
}

// checkUnassign enforces RFC 7644 §3.5.2.2 for removing a value.
func checkUnassign(def *Attribute, path string, old any) error {
	if !isPresent(old) {
		return nil
	}
	switch def.EffectiveMutability() {
	case MutabilityReadOnly:
		return ErrMutability("%s is readOnly", path)
	case MutabilityImmutable:
		return ErrMutability("%s is immutable", path)
	}
	if def.Required {
		return ErrMutability("%s is required and cannot be removed", path)
	}
	return nil
}

func sameScalar(def *Attribute, a, b any) bool {
	if def.Type != TypeComplex {
		if c, ok := compareScalars(def, a, b); ok {
			return c == 0
		}
	}
	return reflect.DeepEqual(a, b)
}

func setSimple(res map[string]any, t target, value any) error {
	def := t.r.Attribute
	cv, err := checkValue(def, value, t.r.Path())
	if err != nil {
		return err
	}
	if def.Required && !isPresent(cv) {
		return ErrInvalidValue("%s is required and cannot be empty", t.r.Path())
	}
	c, err := containerFor(res, t.r, true)
	if err != nil {
		return err
	}
	old, _, _ := lookupKey(c, def.Name)
	if err := checkWrite(def, t.r.Path(), old, cv); err != nil {
		return err
	}
	setKey(c, def.Name, cv)
	return nil
}

func removeAttribute(res map[string]any, t target) error {
	def := t.r.Attribute
	c, err := containerFor(res, t.r, false)
	if err != nil || c == nil {
		return err
	}
	old, _, ok := lookupKey(c, def.Name)
	if def.Required {
		// RFC 7644 §3.5.2.2: removing a required attribute is mutability.
		return ErrMutability("%s is required and cannot be removed", t.r.Path())
	}
	if !ok {
		return nil
	}
	if err := checkUnassign(def, t.r.Path(), old); err != nil {
		return err
	}
	deleteKey(c, def.Name)
	dropEmptyContainer(res, t.r)
	return nil
}

// mergeComplex writes the sub-attributes in raw over existing, returning a
// new map. A null sub-attribute unassigns it (RFC 7643 §2.5); sub-attributes
// raw does not name are left unchanged (RFC 7644 §3.5.2.3).
func mergeComplex(def *Attribute, path string, existing map[string]any, raw any) (map[string]any, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, ErrInvalidValue("%s must be an object of sub-attributes, got %s", path, jsonKind(raw))
	}
	out := copyMap(existing)
	if out == nil {
		out = map[string]any{}
	}
	seen := map[string]bool{}
	for _, k := range sortedKeys(m) {
		sub := def.SubAttribute(k)
		if sub == nil {
			return nil, ErrInvalidValue("%q is not a sub-attribute of %s", k, path)
		}
		if seen[sub.Name] {
			return nil, ErrInvalidValue("sub-attribute %s.%s is given twice", path, sub.Name)
		}
		seen[sub.Name] = true
		subPath := path + "." + sub.Name
		old, _, _ := lookupKey(out, sub.Name)
		if m[k] == nil {
			if err := checkUnassign(sub, subPath, old); err != nil {
				return nil, err
			}
			deleteKey(out, sub.Name)
			continue
		}
		cv, err := checkValue(sub, m[k], subPath)
		if err != nil {
			return nil, err
		}
		if err := checkWrite(sub, subPath, old, cv); err != nil {
			return nil, err
		}
		setKey(out, sub.Name, cv)
	}
	return out, nil
}

func mergeSingleComplex(res map[string]any, t target, value any) error {
	def := t.r.Attribute
	c, err := containerFor(res, t.r, true)
	if err != nil {
		return err
	}
	old, _, _ := lookupKey(c, def.Name)
	oldMap, _ := old.(map[string]any)
	merged, err := mergeComplex(def, t.r.Path(), oldMap, value)
	if err != nil {
		return err
	}
	if len(merged) == 0 {
		deleteKey(c, def.Name)
		dropEmptyContainer(res, t.r)
		return nil
	}
	setKey(c, def.Name, merged)
	return nil
}

// checkElements validates a list given for a multi-valued attribute.
func checkElements(def *Attribute, path string, value any) ([]any, error) {
	list, ok := value.([]any)
	if !ok {
		return nil, ErrInvalidValue("%s is multi-valued: its value must be an array, got %s", path, jsonKind(value))
	}
	out := make([]any, 0, len(list))
	for i, e := range list {
		if e == nil {
			continue
		}
		cv, err := checkValue(def, e, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, cv)
	}
	return out, nil
}

// currentList returns the attribute's current values and its container.
func currentList(res map[string]any, t target, create bool) ([]any, map[string]any, error) {
	c, err := containerFor(res, t.r, create)
	if err != nil || c == nil {
		return nil, c, err
	}
	v, _, _ := lookupKey(c, t.r.Attribute.Name)
	return nonNil(asList(v)), c, nil
}

// storeList writes list back, unassigning the attribute when it is empty
// (RFC 7644 §3.5.2.2: a multi-valued attribute with no values left is
// unassigned).
func storeList(res map[string]any, c map[string]any, t target, list []any) {
	if c == nil {
		return
	}
	if len(list) == 0 {
		deleteKey(c, t.r.Attribute.Name)
		dropEmptyContainer(res, t.r)
		return
	}
	setKey(c, t.r.Attribute.Name, list)
}

// sameElement reports whether two values of a multi-valued attribute are the
// same value: equal "value" (and equal "type" when both have one) for
// complex attributes with a "value" sub-attribute, deep equality otherwise.
func sameElement(def *Attribute, a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		return sameScalar(def, a, b)
	}
	vs := def.SubAttribute("value")
	if vs == nil {
		return reflect.DeepEqual(am, bm)
	}
	av, _, ahas := lookupKey(am, "value")
	bv, _, bhas := lookupKey(bm, "value")
	if !ahas || !bhas {
		return reflect.DeepEqual(am, bm)
	}
	if !sameScalar(vs, av, bv) {
		return false
	}
	if ts := def.SubAttribute("type"); ts != nil {
		at, _, ahas := lookupKey(am, "type")
		bt, _, bhas := lookupKey(bm, "type")
		if ahas && bhas && !sameScalar(ts, at, bt) {
			return false
		}
	}
	return true
}

// addValues implements RFC 7644 §3.5.2.1 add to a multi-valued attribute:
// new values are appended; a value already present is merged, not repeated
// ("If the target location already contains the value specified, no
// changes SHOULD be made").
func addValues(res map[string]any, t target, value any) error {
	def := t.r.Attribute
	added, err := checkElements(def, t.r.Path(), value)
	if err != nil {
		return err
	}
	list, c, err := currentList(res, t, true)
	if err != nil {
		return err
	}
	list = append([]any(nil), list...)
	var touched []int
	for _, e := range added {
		found := -1
		for i, cur := range list {
			if sameElement(def, cur, e) {
				found = i
				break
			}
		}
		if found < 0 {
			list = append(list, e)
			touched = append(touched, len(list)-1)
			continue
		}
		if em, ok := e.(map[string]any); ok {
			curMap, _ := list[found].(map[string]any)
			merged, err := mergeComplex(def, t.r.Path(), curMap, em)
			if err != nil {
				return err
			}
			list[found] = merged
		}
		touched = append(touched, found)
	}
	if err := enforcePrimary(def, t.r.Path(), list, touched); err != nil {
		return err
	}
	storeList(res, c, t, list)
	return nil
}

// replaceValues implements RFC 7644 §3.5.2.3 replace of a whole
// multi-valued attribute: "the attribute and all values are replaced".
func replaceValues(res map[string]any, t target, value any) error {
	def := t.r.Attribute
	list, err := checkElements(def, t.r.Path(), value)
	if err != nil {
		return err
	}
	all := make([]int, len(list))
	for i := range list {
		all[i] = i
	}
	if err := enforcePrimary(def, t.r.Path(), list, all); err != nil {
		return err
	}
	_, c, err := currentList(res, t, len(list) > 0)
	if err != nil {
		return err
	}
	storeList(res, c, t, list)
	return nil
}

func applySubAttribute(res map[string]any, t target, op string, value any) error {
	top, sub := t.r.Attribute, t.r.Sub
	path := t.r.Path()
	c, err := containerFor(res, t.r, op != OpRemove && value != nil)
	if err != nil || c == nil {
		return err
	}
	cur, _, has := lookupKey(c, top.Name)
	if !top.MultiValued {
		curMap, _ := cur.(map[string]any)
		if has && cur != nil && curMap == nil {
			return ErrInvalidValue("%s must be an object", top.Name)
		}
		merged, err := mergeComplex(top, t.r.Attribute.Name, curMap, map[string]any{sub.Name: removalAsNull(op, value)})
		if err != nil {
			return err
		}
		if len(merged) == 0 {
			deleteKey(c, top.Name)
			dropEmptyContainer(res, t.r)
			return nil
		}
		setKey(c, top.Name, merged)
		return nil
	}
	// "emails.type" without a filter addresses that sub-attribute of every
	// value of the attribute.
	list := append([]any(nil), nonNil(asList(cur))...)
	if len(list) == 0 {
		if op == OpRemove {
			return nil
		}
		return ErrNoTarget("%s has no values whose %q could be set", top.Name, sub.Name)
	}
	touched := make([]int, 0, len(list))
	for i, e := range list {
		em, _ := e.(map[string]any)
		merged, err := mergeComplex(top, top.Name, em, map[string]any{sub.Name: removalAsNull(op, value)})
		if err != nil {
			return err
		}
		list[i] = merged
		touched = append(touched, i)
	}
	if err := enforcePrimary(top, path, list, touched); err != nil {
		return err
	}
	storeList(res, c, t, list)
	return nil
}

func removalAsNull(op string, value any) any {
	if op == OpRemove {
		return nil
	}
	return value
}

// applyFiltered implements operations whose path has a value filter
// (RFC 7644 §3.5.2.1-3): "emails[type eq "work"]",
// "emails[type eq "work"].value", "members[value eq "2819c223"]".
func applyFiltered(res map[string]any, t target, op string, value any) error {
	top := t.r.Attribute
	path := t.path
	list, c, err := currentList(res, t, op == OpAdd)
	if err != nil {
		return err
	}
	list = append([]any(nil), list...)
	var matched []int
	for i, e := range list {
		if em, ok := e.(map[string]any); ok && t.filter.eval(em) {
			matched = append(matched, i)
		}
	}
	if op == OpReplace && value == nil {
		op = OpRemove // RFC 7643 §2.5: null is unassigned.
	}
	if len(matched) == 0 {
		if op != OpAdd {
			// RFC 7644 §3.5.2.3 (and §3.12 noTarget): a value filter that
			// matches nothing is an error for replace and remove.
			return ErrNoTarget("path %q matches no value", path)
		}
		return addFromFilter(res, c, t, list, value)
	}
	touched := matched
	switch {
	case op == OpRemove && t.fsub == nil:
		// RFC 7644 §3.5.2.2: remove with a value filter removes only the
		// matching values.
		kept := make([]any, 0, len(list))
		gone := map[int]bool{}
		for _, i := range matched {
			if err := checkUnassign(top, top.Name, list[i]); err != nil {
				return err
			}
			gone[i] = true
		}
		for i, e := range list {
			if !gone[i] {
				kept = append(kept, e)
			}
		}
		storeList(res, c, t, kept)
		return nil
	case t.fsub != nil:
		for _, i := range matched {
			em, _ := list[i].(map[string]any)
			merged, err := mergeComplex(top, top.Name, em, map[string]any{t.fsub.Name: removalAsNull(op, value)})
			if err != nil {
				return err
			}
			list[i] = merged
		}
	case op == OpAdd:
		for _, i := range matched {
			em, _ := list[i].(map[string]any)
			merged, err := mergeComplex(top, top.Name, em, value)
			if err != nil {
				return err
			}
			list[i] = merged
		}
	default: // replace each matching value as a whole
		cv, err := checkValue(top, value, path)
		if err != nil {
			return err
		}
		for _, i := range matched {
			old, _ := list[i].(map[string]any)
			if err := checkImmutableSubs(top, old, cv.(map[string]any)); err != nil {
				return err
			}
			list[i] = copyMap(cv.(map[string]any))
		}
	}
	var kept []any
	var keptTouched []int
	isTouched := map[int]bool{}
	for _, i := range touched {
		isTouched[i] = true
	}
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && len(m) == 0 {
			continue // a value with no sub-attributes left is gone
		}
		if isTouched[i] {
			keptTouched = append(keptTouched, len(kept))
		}
		kept = append(kept, e)
	}
	if err := enforcePrimary(top, path, kept, keptTouched); err != nil {
		return err
	}
	storeList(res, c, t, kept)
	return nil
}

// checkImmutableSubs rejects replacing a value whose immutable or readOnly
// sub-attributes would change.
func checkImmutableSubs(def *Attribute, old, replacement map[string]any) error {
	for i := range def.SubAttributes {
		sub := &def.SubAttributes[i]
		if sub.EffectiveMutability() == MutabilityReadWrite {
			continue
		}
		ov, _, _ := lookupKey(old, sub.Name)
		nv, _, _ := lookupKey(replacement, sub.Name)
		if !isPresent(ov) && !isPresent(nv) {
			continue
		}
		if sub.EffectiveMutability() == MutabilityReadOnly && isPresent(nv) || isPresent(ov) && !sameScalar(sub, ov, nv) {
			return ErrMutability("%s.%s is %s", def.Name, sub.Name, sub.EffectiveMutability())
		}
	}
	return nil
}

// enforcePrimary implements RFC 7644 §3.5.2: setting "primary" true on a
// value sets it false on the others; RFC 7643 §2.4: at most one value is
// primary. touched are the indices this operation wrote.
func enforcePrimary(def *Attribute, path string, list []any, touched []int) error {
	if def.SubAttribute("primary") == nil {
		return nil
	}
	winner := -1
	for _, i := range touched {
		m, _ := list[i].(map[string]any)
		if p, _, _ := lookupKey(m, "primary"); p == true {
			if winner >= 0 {
				return ErrInvalidValue("%s: at most one value can be primary", path)
			}
			winner = i
		}
	}
	if winner < 0 {
		return nil
	}
	for i, e := range list {
		m, _ := e.(map[string]any)
		if i == winner || m == nil {
			continue
		}
		if p, key, _ := lookupKey(m, "primary"); p == true {
			m = copyMap(m)
			m[key] = false
			list[i] = m
		}
	}
	return nil
}

// dropPassword removes any password from the result: this server never
// keeps one (docs/scim.md, Errors).
func dropPassword(res map[string]any) {
	deleteKey(res, "password")
}

// syncSchemas keeps "schemas" listing each extension exactly when the
// resource holds attributes of it (RFC 7643 §3).
func syncSchemas(rt ResourceType, res map[string]any) {
	for _, ext := range rt.SchemaExtensions {
		v, key, has := lookupKey(res, ext.Schema)
		present := has && isPresent(v)
		if has && !present {
			delete(res, key)
		}
		cur, skey, hasSchemas := lookupKey(res, "schemas")
		list := asList(cur)
		listed := false
		for _, s := range list {
			if str, ok := s.(string); ok && strings.EqualFold(str, ext.Schema) {
				listed = true
			}
		}
		switch {
		case present && !listed:
			if !hasSchemas {
				list = []any{rt.Schema}
				skey = "schemas"
			}
			res[skey] = append(append([]any(nil), list...), ext.Schema)
		case !present && listed:
			kept := make([]any, 0, len(list))
			for _, s := range list {
				if str, ok := s.(string); ok && strings.EqualFold(str, ext.Schema) {
					continue
				}
				kept = append(kept, s)
			}
			res[skey] = kept
		}
	}
}
