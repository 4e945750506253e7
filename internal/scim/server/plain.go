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

package server

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// plainValue returns what encoding a value as JSON and decoding it into an
// any gives (maps, []any, strings, bools, float64s, nil), without the JSON:
// rendering a user went through 3 KB of encoding and decoding. It covers
// the kinds the spec types use; for anything else (a type with a JSON or
// text marshaller of its own, a map, an interface, a float, bytes, an
// embedded struct, a tag option other than omitempty, a string that is not
// UTF-8, which encoding would change) it reports false, and the caller goes
// through encoding/json. FuzzPlainValue holds it to that round trip.
func plainValue(v reflect.Value) (any, bool) {
	t := v.Type()
	if t.Implements(marshalerType) || t.Implements(textMarshalerType) ||
		(t.Kind() != reflect.Pointer && (reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshalerType))) {
		return nil, false
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if !utf8.ValidString(s) {
			return nil, false
		}
		return s, true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint()), true
	case reflect.Pointer:
		if v.IsNil() {
			return nil, true
		}
		return plainValue(v.Elem())
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil, false // []byte encodes as base64
		}
		if v.IsNil() {
			return nil, true
		}
		out := make([]any, v.Len())
		for i := range out {
			e, ok := plainValue(v.Index(i))
			if !ok {
				return nil, false
			}
			out[i] = e
		}
		return out, true
	case reflect.Struct:
		fields, ok := plainFieldsOf(t)
		if !ok {
			return nil, false
		}
		n := 0 // the map sized for what it gets, not for every field
		for _, f := range fields {
			if !f.omitEmpty || !emptyJSON(v.Field(f.index)) {
				n++
			}
		}
		out := make(map[string]any, n)
		for _, f := range fields {
			fv := v.Field(f.index)
			if f.omitEmpty && emptyJSON(fv) {
				continue
			}
			e, ok := plainValue(fv)
			if !ok {
				return nil, false
			}
			out[f.name] = e
		}
		return out, true
	default:
		return nil, false
	}
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// plainField is a struct field as encoding/json writes it.
type plainField struct {
	name      string
	index     int
	omitEmpty bool
}

type plainFields struct {
	fields []plainField
	ok     bool
}

// plainFieldCache holds plainFields by struct type.
var plainFieldCache sync.Map

// plainFieldsOf lists the fields of struct type t that encoding/json
// writes, or reports false when t has one plainValue leaves to it.
func plainFieldsOf(t reflect.Type) ([]plainField, bool) {
	if cached, ok := plainFieldCache.Load(t); ok {
		pf := cached.(plainFields)
		return pf.fields, pf.ok
	}
	pf := plainFields{ok: true}
	seen := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			pf = plainFields{}
			break
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts != "" && opts != "omitempty" {
			pf = plainFields{}
			break
		}
		if name == "" {
			name = f.Name
		} else if !plainTagName(name) {
			pf = plainFields{}
			break
		}
		if seen[name] {
			pf = plainFields{} // encoding/json's rules for a repeated name are its own
			break
		}
		seen[name] = true
		pf.fields = append(pf.fields, plainField{name: name, index: i, omitEmpty: opts == "omitempty"})
	}
	plainFieldCache.Store(t, pf)
	return pf.fields, pf.ok
}

// plainTagName accepts the tag names whose meaning is plain: letters,
// digits, '_' and '-' (encoding/json ignores some other names).
func plainTagName(name string) bool {
	for _, r := range name {
		switch {
		case r == '_', r == '-', r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		default:
			return false
		}
	}
	return true
}

// emptyJSON is encoding/json's omitempty test.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
