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

// The dialects of the identity providers, normalised here and nowhere else.
// Each rule names the IdP request that needs it; dialect_test.go replays
// those requests (testdata/entra_*.json, testdata/okta_*.json).
//
// Sources:
//   - [Entra compat]: Microsoft, "Known issues and resolutions with SCIM 2.0
//     protocol compliance of the Azure AD User Provisioning service"
//     (application-provisioning-config-problem-scim-compatibility).
//   - [Entra SCIM]: Microsoft, "Build a SCIM endpoint and configure user
//     provisioning with Azure AD" (use-scim-to-provision-users-and-groups).
//   - [Okta SCIM]: Okta, "SCIM 2.0 Protocol Reference" (reference/scim/scim-20).

import (
	"maps"
	"reflect"
	"slices"
	"strings"
)

// normalizeOpName lower-cases "op". [Entra SCIM]: "Azure AD emits the values
// of 'op' as Add, Replace, and Remove"; RFC 7644 §3.5.2 spells them in lower
// case, and Microsoft asks servers not to be case-sensitive here.
func normalizeOpName(op string) string {
	return strings.ToLower(strings.TrimSpace(op))
}

// expandPathless turns a path-less "add" or "replace" (RFC 7644 §3.5.2.1,
// §3.5.2.3: the value is a set of attributes of the resource) into one
// operation per attribute, each with that attribute as its path. The keys
// of the value object are read as attribute paths, which covers:
//
//   - plain attribute names, RFC 7644 style; [Okta SCIM] deactivates a user
//     with {"op":"replace","value":{"active":false}};
//   - dotted sub-attribute keys and URN-qualified keys, which Entra ID sends
//     with aadOptscim062020 ([Entra compat], "Requests to replace multiple
//     attributes"): {"op":"replace","value":{"name.givenName":"Kkom",
//     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}};
//   - an extension URN whose value is an object of extension attributes
//     (RFC 7643 §3.3 resource form);
//   - "id": [Okta SCIM] renames a group with {"op":"replace","value":{"id":
//     "<the group's id>","displayName":"new"}}. An id equal to the
//     resource's is ignored; a different one is a mutability error
//     (RFC 7643 §3.1: id is readOnly);
//   - "schemas", which is derived from the attributes present (RFC 7643 §3)
//     and ignored.
//
// Plain names apply first and dotted or URN-qualified keys after, each group
// in sorted order, so the result does not depend on map iteration order. A
// null attribute value unassigns the attribute for "replace" and is ignored
// for "add" (RFC 7643 §2.5).
func expandPathless(rt ResourceType, res map[string]any, op PatchOperation) ([]PatchOperation, error) {
	m, ok := op.Value.(map[string]any)
	if !ok {
		return nil, ErrInvalidValue("%q without a \"path\" needs an object of attributes as its \"value\", got %s", op.Op, jsonKind(op.Value))
	}
	var plain, containers, qualified []string
	for k := range m {
		switch {
		case HasSchema(rt.SchemaURNs(), k):
			containers = append(containers, k)
		case strings.ContainsAny(k, ".:"):
			qualified = append(qualified, k)
		default:
			plain = append(plain, k)
		}
	}
	slices.Sort(plain)
	slices.Sort(containers)
	slices.Sort(qualified)
	var out []PatchOperation
	emit := func(path string, v any) {
		if v == nil && op.Op == OpAdd {
			return
		}
		out = append(out, PatchOperation{Op: op.Op, Path: path, Value: v})
	}
	for _, k := range plain {
		switch {
		case strings.EqualFold(k, "schemas"):
			continue
		case strings.EqualFold(k, "id"):
			cur, _, _ := lookupKey(res, "id")
			if s, isString := m[k].(string); isString && cur == s {
				continue // Okta repeats the group's id on a rename.
			}
			return nil, ErrMutability("id is readOnly: a PATCH value may repeat the resource's id but not change it")
		}
		emit(k, m[k])
	}
	for _, k := range containers {
		ext, isMap := m[k].(map[string]any)
		if !isMap {
			return nil, ErrInvalidValue("%s must be an object of attributes, got %s", k, jsonKind(m[k]))
		}
		for _, sk := range sortedKeys(ext) {
			emit(k+":"+sk, ext[sk])
		}
	}
	for _, k := range qualified {
		emit(k, m[k])
	}
	return out, nil
}

// coerceDialectValue rewrites an operation's value where an IdP sends a
// different JSON type than the schema says. The input is never modified.
//
//   - String booleans: [Entra compat], "Requests made to disable users":
//     without aadOptscim062020 Entra sends {"op":"Replace","path":"active",
//     "value":"False"}. "True"/"False" (any case) given for a boolean
//     attribute or sub-attribute become true/false.
//   - Bare-string manager: Entra ID sets the enterprise manager with
//     {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
//     "value":"<manager id>"} (and as a URN-qualified key of a path-less
//     replace). RFC 7643 §4.3 makes manager complex; a string given for a
//     single-valued complex attribute with a "value" sub-attribute is taken
//     as {"value": <string>}.
//   - Listed manager: the tutorial's "Example 5. Request from Microsoft
//     Entra ID to an SCIM endpoint to update a user" sends
//     {"op":"Add","path":"manager","value":[{"$ref":"…","value":"<id>"}]}:
//     a list of one value given for a single-valued complex attribute is
//     taken as that value (and the path "manager" is the enterprise
//     extension's, extensionOfUnqualified).
func coerceDialectValue(t target, v any) any {
	def := t.definition()
	if list, ok := v.([]any); ok && len(list) == 1 && def.Type == TypeComplex && !def.MultiValued && t.filter == nil && t.fsub == nil && t.r.Sub == nil {
		// The same tutorial example gives the single-valued manager as a
		// list of one reference: the reference is the value.
		v = list[0]
	}
	if s, ok := v.(string); ok && def.Type == TypeComplex && !def.MultiValued && t.filter == nil {
		if def.SubAttribute("value") != nil {
			return map[string]any{"value": s}
		}
		return v
	}
	if t.filter != nil && t.fsub == nil {
		// The value is one element of the multi-valued attribute.
		return coerceBooleans(def, v, true)
	}
	return coerceBooleans(def, v, false)
}

// coerceBooleans converts "True"/"False" strings held for boolean attributes
// inside v (copying only what changes). element says v is one value of a
// multi-valued attribute rather than the attribute's whole value.
func coerceBooleans(def *Attribute, v any, element bool) any {
	switch def.Type {
	case TypeBoolean:
		if b, ok := stringBoolean(v); ok {
			return b
		}
		return v
	case TypeComplex:
	default:
		return v
	}
	if def.MultiValued && !element {
		list, ok := v.([]any)
		if !ok {
			return v
		}
		var out []any
		for i, e := range list {
			ce := coerceBooleans(def, e, true)
			if out == nil && !reflect.DeepEqual(ce, e) {
				out = append([]any(nil), list...)
			}
			if out != nil {
				out[i] = ce
			}
		}
		if out == nil {
			return v
		}
		return out
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	var out map[string]any
	for k, sv := range m {
		sub := def.SubAttribute(k)
		if sub == nil || sub.Type != TypeBoolean {
			continue
		}
		if b, ok := stringBoolean(sv); ok {
			if out == nil {
				out = make(map[string]any, len(m))
				maps.Copy(out, m)
			}
			out[k] = b
		}
	}
	if out == nil {
		return v
	}
	return out
}

func stringBoolean(v any) (bool, bool) {
	s, ok := v.(string)
	if !ok {
		return false, false
	}
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// listedValueMatches reports whether cur is one of the values listed in a
// "remove" with a value array: values of complex attributes are identified by
// their "value" sub-attribute alone, since Entra lists members as
// {"$ref": null, "value": "<id>"} without the display or type stored.
func listedValueMatches(def *Attribute, cur, given any) bool {
	gm, gok := given.(map[string]any)
	cm, cok := cur.(map[string]any)
	vs := def.SubAttribute("value")
	if gok && cok && vs != nil {
		gv, _, ghas := lookupKey(gm, "value")
		cv, _, chas := lookupKey(cm, "value")
		if ghas && chas {
			return sameScalar(vs, cv, gv)
		}
	}
	return reflect.DeepEqual(cur, given)
}

// removeListedValues removes the given values from a multi-valued attribute:
// "remove" with a "path" to the attribute and a "value" array. RFC 7644
// removes all values for such a path; Entra ID sends it to remove some
// group members (dialect.go), so only the listed values go.
func removeListedValues(res map[string]any, t target, value any) error {
	def := t.r.Attribute
	given, err := checkElements(def, t.r.Path(), value)
	if err != nil {
		return err
	}
	list, c, err := currentList(res, t, false)
	if err != nil || c == nil {
		return err
	}
	kept := make([]any, 0, len(list))
	for _, cur := range list {
		remove := false
		for _, g := range given {
			if listedValueMatches(def, cur, g) {
				remove = true
				break
			}
		}
		if !remove {
			kept = append(kept, cur)
		}
	}
	storeList(res, c, t, kept)
	return nil
}

// addFromFilter handles "add" whose value filter matches nothing: a new value
// is built from the filter's equality constraints and the operation's value.
// Entra ID maps mail to emails[type eq "work"].value and sends "Add" on that
// path when the user has no work email yet; the new value is then
// {"type": "work", "value": ...}.
func addFromFilter(res map[string]any, c map[string]any, t target, list []any, value any) error {
	top := t.r.Attribute
	tmpl, ok := filterTemplate(t.filter)
	if !ok {
		return ErrNoTarget("path %q matches no value, and its filter does not describe a value to add", t.path)
	}
	var raw map[string]any
	if t.fsub != nil {
		if _, dup := tmpl[t.fsub.Name]; dup {
			return ErrInvalidPath("path %q both filters on and sets %q", t.path, t.fsub.Name)
		}
		raw = map[string]any{t.fsub.Name: value}
	} else {
		m, isMap := value.(map[string]any)
		if !isMap {
			return ErrInvalidValue("%s must be an object of sub-attributes, got %s", t.path, jsonKind(value))
		}
		raw = m
	}
	elem, err := mergeComplex(top, top.Name, tmpl, raw)
	if err != nil {
		return err
	}
	if !t.filter.eval(elem) {
		return ErrInvalidValue("the value added at %q does not match the path's filter", t.path)
	}
	list = append(list, elem)
	if err := enforcePrimary(top, t.path, list, []int{len(list) - 1}); err != nil {
		return err
	}
	storeList(res, c, t, list)
	return nil
}

// filterTemplate returns the sub-attribute values an "and" chain of "eq"
// comparisons fixes, or false when the filter is any other shape.
func filterTemplate(e boundExpr) (map[string]any, bool) {
	out := map[string]any{}
	var walk func(boundExpr) bool
	walk = func(e boundExpr) bool {
		switch t := e.(type) {
		case *boundLogical:
			return t.and && walk(t.left) && walk(t.right)
		case *boundCompare:
			if t.op != "eq" || t.lit.null {
				return false
			}
			name := t.def.Name
			var v any
			switch t.def.Type {
			case TypeString, TypeReference, TypeBinary, TypeDateTime:
				v = t.lit.raw
			case TypeBoolean:
				v = t.lit.b
			default:
				return false
			}
			if prev, dup := out[name]; dup && !reflect.DeepEqual(prev, v) {
				return false
			}
			out[name] = v
			return true
		}
		return false
	}
	if !walk(e) {
		return nil, false
	}
	return out, true
}

// extensionOfUnqualified returns the URN of the one schema extension of rt
// that has an attribute of this name, or "" when none or several have. Entra
// ID names the enterprise manager in a PATCH path without its URN
// ("path":"manager", the SCIM tutorial's "Example 5. Request from Microsoft
// Entra ID to an SCIM endpoint to update a user"). Only PATCH paths take
// this reading, after the core schema has no such attribute: filters and
// attribute lists keep RFC 7644 §3.10's fully qualified names.
func extensionOfUnqualified(rt ResourceType, name string) string {
	found := ""
	for _, e := range rt.SchemaExtensions {
		ext := LookupSchema(e.Schema)
		if ext == nil || ext.Attribute(name) == nil {
			continue
		}
		if found != "" {
			return ""
		}
		found = ext.ID
	}
	return found
}
