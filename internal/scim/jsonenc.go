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
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends to dst what json.Marshal(v) returns, byte for byte,
// and returns the extended slice; on error dst is returned as it was.
//
// Every SCIM response body is a resource rendered into maps, lists,
// strings, bools and numbers, or a ListResponse of such resources.
// encoding/json encodes these by reflection: it boxes every map key and
// value, sorts a slice of key wrappers per object, and a ListResponse
// (whose MarshalJSON returns its own encoding) is encoded twice and then
// scanned again. AppendJSON writes those kinds directly and hands any other
// value to json.Marshal, so the output is the same for every value
// (FuzzAppendJSON holds it to json.Marshal): object keys in byte order,
// HTML characters, U+2028 and U+2029 escaped, invalid UTF-8 replaced by
// U+FFFD, floats formatted as encoding/json formats them.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	out, err := appendValue(dst, v, 0)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// maxDepth bounds the nesting AppendJSON writes itself; deeper values go
// to json.Marshal, which has its own cycle check (a map holding itself).
const maxDepth = 64

func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return appendMarshal(dst, v)
	}
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case float64:
		return appendFloat(dst, v)
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case map[string]any:
		return appendObject(dst, v, depth)
	case []any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return appendList(dst, len(v), func(dst []byte, i int) ([]byte, error) { return appendValue(dst, v[i], depth+1) })
	case []map[string]any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return appendList(dst, len(v), func(dst []byte, i int) ([]byte, error) { return appendObject(dst, v[i], depth+1) })
	case []string:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return appendList(dst, len(v), func(dst []byte, i int) ([]byte, error) { return appendString(dst, v[i]), nil })
	case ListResponse:
		return v.appendJSON(dst, depth)
	case *ListResponse:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return v.appendJSON(dst, depth)
	default:
		return appendMarshal(dst, v)
	}
}

// appendMarshal appends what encoding/json gives for v, encoding straight
// into dst's spare capacity (json.Marshal would return a copy).
func appendMarshal(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return nil, err
	}
	out := buf.Bytes()
	return out[:len(out)-1], nil // Encode ends with a newline
}

func appendList(dst []byte, n int, elem func(dst []byte, i int) ([]byte, error)) ([]byte, error) {
	dst = append(dst, '[')
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = elem(dst, i); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

// appendObject writes m with its keys in byte order, as encoding/json
// sorts them. The keys of a SCIM resource are few: up to 16 are sorted in
// an array on the stack.
func appendObject(dst []byte, m map[string]any, depth int) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	var small [16]string
	keys := small[:0]
	if len(m) > len(small) {
		keys = make([]string, 0, len(m))
	}
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		var err error
		if dst, err = appendValue(dst, m[k], depth+1); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendFloat formats f as encoding/json does a float64: the shortest
// representation that reads back as f, in exponent form below 1e-6 and
// from 1e21 on, with a one-digit negative exponent written without its 0
// ("1e-7"). NaN and infinities have no JSON form.
func appendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, &json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string the way encoding/json does with
// HTML escaping on (json.Marshal's default): '<', '>' and '&' as \u003c,
// \u003e and \u0026, control characters as \b, \f, \n, \r, \t or \u00XX,
// U+2028 and U+2029 escaped (JavaScript reads them as line ends), and each
// byte that is not part of valid UTF-8 as U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
