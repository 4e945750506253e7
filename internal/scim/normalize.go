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
	"fmt"
	"strings"
)

// Validation of a resource a client sends against its resource type's
// schemas (RFC 7643 §2, §3; RFC 7644 §3.3, §3.5.1).

// Normalize validates a POST or PUT body, or a patched resource, against
// rt's schemas and returns it with attribute names in schema spelling. readOnly attributes
// (id, meta, groups; RFC 7644 §3.3, §3.5.1: "SHALL be ignored") and the
// writeOnly password (never stored) are dropped, as are attributes no
// schema defines (IdPs send custom attributes freely; RFC 7644 §3.3 lets the
// provider ignore what it does not support). Boolean strings from Entra
// ("True") are read as booleans.
func Normalize(rt ResourceType, in map[string]any) (map[string]any, error) {
	out := map[string]any{}
	core := LookupSchema(rt.Schema)
	for _, key := range sortedKeys(in) {
		v := in[key]
		if strings.EqualFold(key, "schemas") {
			continue // checked by CheckSchemas, rewritten on output
		}
		if ext := rt.extension(key); ext != nil {
			m, ok := v.(map[string]any)
			if !ok {
				if v == nil {
					continue
				}
				return nil, ErrInvalidValue("%s must be an object", ext.ID)
			}
			extOut := map[string]any{}
			for _, sk := range sortedKeys(m) {
				attr := ext.Attribute(sk)
				if attr == nil {
					continue
				}
				cv, keep, err := normalizeAttribute(attr, m[sk], ext.ID+":"+attr.Name)
				if err != nil {
					return nil, err
				}
				if keep {
					extOut[attr.Name] = cv
				}
			}
			if len(extOut) > 0 {
				out[ext.ID] = extOut
			}
			continue
		}
		attr := core.Attribute(key)
		if attr == nil {
			attr = commonAttribute(key)
		}
		if attr == nil {
			continue
		}
		cv, keep, err := normalizeAttribute(attr, v, attr.Name)
		if err != nil {
			return nil, err
		}
		if keep {
			out[attr.Name] = cv
		}
	}
	return out, nil
}

// normalizeAttribute checks one attribute's value; keep is false for values
// the server ignores (null, readOnly, writeOnly). An ignored value must still
// be of its attribute's JSON kind: "id": 5 or "password": {} is a malformed
// request, not one to accept while dropping what is wrong in it.
func normalizeAttribute(attr *Attribute, v any, path string) (any, bool, error) {
	if v == nil {
		return nil, false, nil
	}
	if attr.EffectiveMutability() == MutabilityReadOnly || attr.EffectiveReturned() == ReturnedNever {
		return nil, false, checkKind(attr, coerceBooleans(attr, v, false), path)
	}
	v = coerceBooleans(attr, v, false)
	if !attr.MultiValued {
		cv, err := checkValue(attr, v, path)
		return cv, err == nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false, ErrInvalidValue("%s is multi-valued and must be an array, got %s", path, jsonKind(v))
	}
	out := make([]any, 0, len(list))
	primaries := 0
	for i, e := range list {
		if e == nil {
			continue
		}
		cv, err := checkValue(attr, e, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, false, err
		}
		if m, ok := cv.(map[string]any); ok && m["primary"] == true {
			primaries++
		}
		out = append(out, cv)
	}
	if primaries > 1 {
		// RFC 7643 §2.4: the primary attribute value "true" MUST appear no more than once.
		return nil, false, ErrInvalidValue("at most one value of %s may be primary", path)
	}
	return out, true, nil
}

// checkKind checks only the JSON kind of a value the server ignores: an
// array for a multi-valued attribute, then an object for a complex one, a
// boolean, a number or a string for the others. Formats are not checked, so
// an IdP that echoes meta.created in its own dateTime form is not refused.
func checkKind(attr *Attribute, v any, path string) error {
	if attr.MultiValued {
		list, ok := v.([]any)
		if !ok {
			return ErrInvalidValue("%s is multi-valued and must be an array, got %s", path, jsonKind(v))
		}
		single := *attr
		single.MultiValued = false
		for i, e := range list {
			if e == nil {
				continue
			}
			if err := checkKind(&single, coerceBooleans(attr, e, true), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	want := "a string"
	switch attr.Type {
	case TypeComplex:
		want = "an object"
	case TypeBoolean:
		want = "a boolean"
	case TypeDecimal, TypeInteger:
		want = "a number"
	}
	if got := jsonKind(v); got != want {
		return ErrInvalidValue("%s must be %s, got %s", path, want, got)
	}
	return nil
}

// CheckSchemas enforces RFC 7644 §3.3: the body lists the resource's core
// schema, and carries no attributes of a schema the resource type does not
// have. A listed schema URN the resource type does not have is read
// tolerantly while the body carries none of its attributes: Microsoft's
// "Tutorial: Develop and plan provisioning for a SCIM endpoint", section
// "Create Group", lists
// http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group
// with nothing of it in the body. Such a URN is not kept: schemas is
// rewritten on output from what the resource has (RFC 7643 §3).
func CheckSchemas(rt ResourceType, body map[string]any) error {
	v, _, ok := lookupKey(body, "schemas")
	if !ok {
		return ErrInvalidValue("the request body must list its schemas, including %s", rt.Schema)
	}
	list, ok := v.([]any)
	if !ok {
		return ErrInvalidValue("schemas must be an array of URIs")
	}
	hasCore := false
	for _, s := range list {
		urn, ok := s.(string)
		if !ok {
			return ErrInvalidValue("schemas must be an array of URIs")
		}
		switch {
		case strings.EqualFold(urn, rt.Schema):
			hasCore = true
		case rt.extension(urn) != nil:
		default:
			if key, ok := keyOfSchema(body, urn); ok {
				return ErrInvalidValue("schema %q is not supported by the %s resource type, and the body carries its attributes (%q)", urn, rt.Name, key)
			}
		}
	}
	if !hasCore {
		return ErrInvalidValue("schemas must include %s", rt.Schema)
	}
	return nil
}

// keyOfSchema finds a key of body that is urn itself (the extension object,
// RFC 7643 §3.3) or an attribute qualified by it ("urn:attribute", RFC 7644
// §3.10), case-insensitively.
func keyOfSchema(body map[string]any, urn string) (string, bool) {
	for _, key := range sortedKeys(body) {
		if strings.EqualFold(key, urn) || (len(key) > len(urn)+1 && key[len(urn)] == ':' && strings.EqualFold(key[:len(urn)], urn)) {
			return key, true
		}
	}
	return "", false
}
