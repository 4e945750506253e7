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
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"
)

// toRat converts a JSON number (json.Number, float64, or a Go integer) to an
// exact rational, so integers beyond 2^53 compare correctly.
func toRat(v any) (*big.Rat, bool) {
	switch n := v.(type) {
	case json.Number:
		r, ok := new(big.Rat).SetString(string(n))
		return r, ok
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(n), true
	case float32:
		return toRat(float64(n))
	case int:
		return new(big.Rat).SetInt64(int64(n)), true
	case int32:
		return new(big.Rat).SetInt64(int64(n)), true
	case int64:
		return new(big.Rat).SetInt64(n), true
	case uint:
		return new(big.Rat).SetUint64(uint64(n)), true
	case uint32:
		return new(big.Rat).SetUint64(uint64(n)), true
	case uint64:
		return new(big.Rat).SetUint64(n), true
	}
	return nil, false
}

// dateTimeLayouts are the xsd:dateTime forms RFC 7643 §2.3.5 allows: with or
// without fractional seconds, with or without a zone (no zone means UTC).
var dateTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
}

// parseDateTime parses an RFC 7643 §2.3.5 dateTime.
func parseDateTime(s string) (time.Time, bool) {
	for _, layout := range dateTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// isPresent implements "has a value" for the pr operator and for
// unassignment: RFC 7644 §3.4.2.2 "pr" matches a non-empty value or a
// non-empty node of a complex attribute, and RFC 7643 §2.5 makes null, an
// unassigned attribute and an empty array equivalent.
func isPresent(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case string:
		return t != ""
	case []any, []map[string]any, []string:
		return slices.ContainsFunc(asList(t), isPresent)
	case map[string]any:
		for _, e := range t {
			if isPresent(e) {
				return true
			}
		}
		return false
	default:
		return true
	}
}

// compareScalars orders two values of attribute attr: negative, zero or
// positive. ok is false when either value is not of the attribute's type
// or the type has no order (boolean orders false before true for sorting).
func compareScalars(attr *Attribute, a, b any) (int, bool) {
	switch attr.Type {
	case TypeString, TypeReference, TypeBinary:
		as, ok1 := a.(string)
		bs, ok2 := b.(string)
		if !ok1 || !ok2 {
			return 0, false
		}
		if !attr.CaseExact {
			as, bs = fold.String(as), fold.String(bs)
		}
		return strings.Compare(as, bs), true
	case TypeDateTime:
		as, ok1 := a.(string)
		bs, ok2 := b.(string)
		if !ok1 || !ok2 {
			return 0, false
		}
		at, ok1 := parseDateTime(as)
		bt, ok2 := parseDateTime(bs)
		if !ok1 || !ok2 {
			return 0, false
		}
		return at.Compare(bt), true
	case TypeInteger, TypeDecimal:
		ar, ok1 := toRat(a)
		br, ok2 := toRat(b)
		if !ok1 || !ok2 {
			return 0, false
		}
		return ar.Cmp(br), true
	case TypeBoolean:
		ab, ok1 := a.(bool)
		bb, ok2 := b.(bool)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch {
		case ab == bb:
			return 0, true
		case !ab:
			return -1, true
		default:
			return 1, true
		}
	}
	return 0, false
}

// deepCopy copies a JSON-shaped value so that the copy shares no map or
// slice with the original.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = copyMap(e)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out
	default:
		return v
	}
}

func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

// checkValue validates one value (one element, for a multi-valued
// attribute) against attr's type (RFC 7643 §2.3) and returns it in canonical
// form: sub-attribute keys in schema spelling, null sub-attributes dropped
// (RFC 7643 §2.5). Errors are invalidValue. path names the attribute in
// error details.
func checkValue(attr *Attribute, v any, path string) (any, error) {
	switch attr.Type {
	case TypeString, TypeReference:
		s, ok := v.(string)
		if !ok {
			return nil, ErrInvalidValue("%s must be a string, got %s", path, jsonKind(v))
		}
		if !attr.CaseExact && strings.ContainsRune(s, 0) {
			// No name, title or address holds U+0000, and C code
			// downstream would cut the string short at it. Identifiers
			// (caseExact: ids, member values, externalId) are opaque
			// and compared as they are: one with U+0000 names nothing.
			return nil, ErrInvalidValue("%s must not contain U+0000", path)
		}
	case TypeBinary:
		s, ok := v.(string)
		if !ok {
			return nil, ErrInvalidValue("%s must be a base64 string, got %s", path, jsonKind(v))
		}
		// RFC 7643 §2.3.6: binary values are base64 encoded.
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			if _, err := base64.RawStdEncoding.DecodeString(s); err != nil {
				return nil, ErrInvalidValue("%s must be base64 encoded", path)
			}
		}
	case TypeDateTime:
		s, ok := v.(string)
		if !ok {
			return nil, ErrInvalidValue("%s must be a dateTime string, got %s", path, jsonKind(v))
		}
		if _, ok := parseDateTime(s); !ok {
			return nil, ErrInvalidValue("%s must be an xsd:dateTime such as 2008-01-23T04:56:22Z", path)
		}
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			return nil, ErrInvalidValue("%s must be a boolean, got %s", path, jsonKind(v))
		}
	case TypeInteger:
		r, ok := toRat(v)
		if !ok || !r.IsInt() {
			return nil, ErrInvalidValue("%s must be an integer, got %s", path, jsonKind(v))
		}
	case TypeDecimal:
		if _, ok := toRat(v); !ok {
			return nil, ErrInvalidValue("%s must be a number, got %s", path, jsonKind(v))
		}
	case TypeComplex:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, ErrInvalidValue("%s must be an object of sub-attributes, got %s", path, jsonKind(v))
		}
		out := make(map[string]any, len(m))
		for _, k := range sortedKeys(m) {
			sv := m[k]
			sub := attr.SubAttribute(k)
			if sub == nil {
				return nil, ErrInvalidValue("%q is not a sub-attribute of %s", k, path)
			}
			if _, dup := out[sub.Name]; dup {
				return nil, ErrInvalidValue("sub-attribute %s.%s is given twice", path, sub.Name)
			}
			if sv == nil {
				continue
			}
			cv, err := checkValue(sub, sv, path+"."+sub.Name)
			if err != nil {
				return nil, err
			}
			out[sub.Name] = cv
		}
		return out, nil
	default:
		return nil, ErrInvalidValue("%s has unsupported type %q", path, attr.Type)
	}
	return v, nil
}

// jsonKind names the JSON type of v for error details, never its content
// (which could be a password).
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, float32, int, int32, int64, uint, uint32, uint64:
		return "a number"
	case map[string]any:
		return "an object"
	case []any, []map[string]any, []string:
		return "an array"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// sortedKeys returns m's keys in a fixed order so that processing a JSON
// object never depends on Go's map iteration order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
