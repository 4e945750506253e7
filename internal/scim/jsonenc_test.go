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
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// checkAppendJSON fails t unless AppendJSON(prefix, v) is prefix followed
// by json.Marshal(ref), or both fail. ref is v, or v with every
// ListResponse in it replaced by listReference's struct (ListResponse's
// own MarshalJSON is written by AppendJSON).
func checkAppendJSON(t *testing.T, v, ref any) {
	t.Helper()
	want, wantErr := json.Marshal(ref)
	prefix := []byte("prefix:")
	got, err := AppendJSON(bytes.Clone(prefix), v)
	switch {
	case (err != nil) != (wantErr != nil):
		t.Fatalf("AppendJSON(%#v): error %v, json.Marshal's %v", v, err, wantErr)
	case err != nil:
		if !bytes.Equal(got, prefix) {
			t.Fatalf("AppendJSON(%#v) failed but changed dst to %q", v, got)
		}
	case !bytes.Equal(got, append(prefix, want...)):
		t.Fatalf("AppendJSON(%#v)\n got %q\nwant %q", v, got[len(prefix):], want)
	}
}

// jsonStrings are strings whose encoding encoding/json treats specially.
var jsonStrings = []string{
	"", "plain", `"quoted" \back\slash/`, "<script>&amp;</script>",
	"\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f", "café, 日本語, 🎉",
	"line\u2028separator\u2029paragraph", "\u2027\u202a",
	"bad \xff byte", "cut \xe6\x97 sequence", "\xed\xa0\x80 surrogate", "\xc0\xaf overlong",
	"\xef\xbf\xbd real replacement", strings.Repeat("é<", 100),
}

func TestAppendJSONMatchesMarshal(t *testing.T) {
	values := []any{
		nil, true, false, 0, -17, int64(math.MinInt64), 42.0, math.Copysign(0, -1),
		1e-6, 9.99e-7, 1e-7, -1e-7, 1.5e-10, 1e20, 1e21, -1e21, 123456789012345678.0, 0.1, 1.0 / 3,
		math.MaxFloat64, math.SmallestNonzeroFloat64, float64(1 << 53),
		math.NaN(), math.Inf(1), math.Inf(-1),
		map[string]any(nil), []any(nil), []string(nil), []map[string]any(nil),
		map[string]any{}, []any{}, []string{}, []map[string]any{},
		map[string]any{"b": 1.0, "a": "x", "B": nil, "": false, "<key>": []any{"v"}, "é": 2.5, "\xff": "k"},
		map[string]any{"emails": []any{map[string]any{"value": "a@example.com", "primary": true, "type": "work"}}, "name": map[string]any{"givenName": "Barbara"}},
		map[string]any{"nested": map[string]any(nil), "list": []any(nil), "strs": []string{"a", "<b>"}, "maps": []map[string]any{nil, {"x": 1.0}}},
		map[string]any{"bad": math.NaN()},
		[]any{1.0, "two", nil, []any{[]any{}}, map[string]any{"k": math.Inf(1)}},
		// Values AppendJSON leaves to encoding/json.
		json.Number("12.50"), json.RawMessage(`{"raw": [1, 2]}`), time.Date(2026, 12, 3, 14, 0, 0, 5, time.UTC),
		[]byte("bytes"), float32(0.1), uint8(7), struct {
			A string `json:"a,omitempty"`
			B []any  `json:"b"`
		}{B: []any{"<x>"}},
		map[string]any{"meta": map[string]any{"created": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, "n": json.Number("3")},
		map[string]int{"b": 2, "a": 1}, make(chan int), map[string]any{"c": make(chan int)},
		&Error{Status: 404, Detail: "no <user>"},
	}
	for _, s := range jsonStrings {
		values = append(values, s, map[string]any{s: s}, []string{s, s})
	}
	many := map[string]any{}
	for i := range 40 {
		many[fmt.Sprintf("attr%02d", 40-i)] = float64(i)
	}
	values = append(values, many)
	deep := any("bottom")
	for range maxDepth + 10 {
		deep = map[string]any{"d": []any{deep}}
	}
	values = append(values, deep)
	for _, v := range values {
		checkAppendJSON(t, v, v)
	}
}

// listReference is what RFC 7644 §3.4.2's members of l give through
// encoding/json's struct encoding: the reference ListResponse's own
// encoding is held to.
func listReference(l ListResponse, resources []any) any {
	if resources == nil {
		resources = []any{}
	}
	var startIndex *int
	if !l.Cursored {
		startIndex = new(max(l.StartIndex, 1))
	}
	return struct {
		Schemas      []string `json:"schemas"`
		TotalResults int      `json:"totalResults"`
		StartIndex   *int     `json:"startIndex,omitempty"`
		ItemsPerPage int      `json:"itemsPerPage"`
		NextCursor   string   `json:"nextCursor,omitempty"`
		Resources    []any    `json:"Resources"`
	}{[]string{ListResponseURN}, l.TotalResults, startIndex, len(resources), l.NextCursor, resources}
}

// TestListResponseEncoding: a ListResponse written directly is what the
// struct encoding of its members gives, cursored or not, on its own, by
// pointer and inside another value; json.Marshal gives the same.
func TestListResponseEncoding(t *testing.T) {
	users := []map[string]any{{"id": "1", "userName": "<bjensen>"}, nil, {"id": "2", "emails": []any{map[string]any{"value": "x"}}}}
	for _, l := range []ListResponse{
		NewListResponse(0, 1, nil),
		NewListResponse(3, -4, users),
		{TotalResults: 100000, StartIndex: 99901, Resources: users[:1]},
		{TotalResults: 7, Cursored: true, NextCursor: "b64+/&<", Resources: users},
		{TotalResults: 7, Cursored: true, Resources: users[2:]},
	} {
		var resources []any
		for _, r := range l.Resources {
			resources = append(resources, r)
		}
		ref := listReference(l, resources)
		checkAppendJSON(t, l, ref)
		checkAppendJSON(t, &l, ref)
		checkAppendJSON(t, map[string]any{"page": l, "pages": []any{l}}, map[string]any{"page": ref, "pages": []any{ref}})
		want, _ := json.Marshal(ref)
		if got, err := json.Marshal(l); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("json.Marshal: %s, %v; want %s", got, err, want)
		}
	}
	checkAppendJSON(t, (*ListResponse)(nil), nil)
	if _, err := AppendJSON(nil, ListResponse{Resources: []map[string]any{{"x": math.NaN()}}}); err == nil {
		t.Fatal("a page holding NaN encoded without error")
	}
}

// TestAppendJSONAllocations: a rendered user, and a page of them, are
// written into a buffer of room enough without allocating; json.Marshal
// allocates for every map key it sorts.
func TestAppendJSONAllocations(t *testing.T) {
	user := map[string]any{
		"schemas":  []any{UserSchemaURN},
		"id":       "2819c223-7f76-453a-919d-413861904646",
		"userName": "bjensen@example.com",
		"active":   true,
		"name":     map[string]any{"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen III"},
		"emails":   []any{map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true}},
		"meta":     map[string]any{"resourceType": "User", "created": "2026-12-03T14:00:00Z", "version": `W/"3694e05e9dff590"`},
	}
	page := NewListResponse(100000, 1, []map[string]any{user, user, user})
	buf := make([]byte, 0, 64<<10)
	for name, v := range map[string]any{"user": user, "page": page} {
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := AppendJSON(buf, v); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("AppendJSON of a %s: %.0f allocations, want none", name, allocs)
		}
	}
}

// FuzzAppendJSON builds a value of maps, lists, strings, numbers, bools,
// nulls and ListResponses from the input and holds AppendJSON to
// json.Marshal on it.
func FuzzAppendJSON(f *testing.F) {
	f.Add([]byte{6, 2, 4, 1, 0, 2})
	for _, s := range jsonStrings {
		f.Add(append([]byte{2, byte(len(s))}, s...))
		f.Add(append([]byte{6, 3, 2, 1, 'k', 2, byte(len(s))}, s...))
		f.Add(append([]byte{9, 4, 200, 1, byte(len(s))}, s...))
	}
	f.Add(binary.BigEndian.AppendUint64([]byte{3}, math.Float64bits(1e-7)))
	f.Add(binary.BigEndian.AppendUint64([]byte{5, 2, 3}, math.Float64bits(-2.5e21)))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &valueDecoder{data: data}
		v, ref := d.value(0)
		checkAppendJSON(t, v, ref)
	})
}

// valueDecoder turns fuzz input into a value AppendJSON writes itself, and
// its reference for json.Marshal (see checkAppendJSON).
type valueDecoder struct{ data []byte }

func (d *valueDecoder) byte() byte {
	if len(d.data) == 0 {
		return 0
	}
	b := d.data[0]
	d.data = d.data[1:]
	return b
}

func (d *valueDecoder) string() string {
	n := min(int(d.byte()), len(d.data))
	s := string(d.data[:n])
	d.data = d.data[n:]
	return s
}

// object decodes a value and keeps it if it is an object.
func (d *valueDecoder) object(depth int) (map[string]any, any) {
	v, ref := d.value(depth)
	if m, ok := v.(map[string]any); ok {
		return m, ref
	}
	return nil, nil
}

func (d *valueDecoder) value(depth int) (v, ref any) {
	kind := d.byte() % 10
	if depth > 8 {
		kind %= 5
	}
	switch kind {
	case 0:
		return nil, nil
	case 1:
		b := d.byte()%2 == 0
		return b, b
	case 2:
		s := d.string()
		return s, s
	case 3:
		var b [8]byte
		n := copy(b[:], d.data)
		d.data = d.data[n:]
		f := math.Float64frombits(binary.BigEndian.Uint64(b[:]))
		return f, f
	case 4:
		i := int(int8(d.byte())) * 1000003
		return i, i
	case 5:
		n := int(d.byte() % 8)
		l, r := make([]any, n), make([]any, n)
		for i := range l {
			l[i], r[i] = d.value(depth + 1)
		}
		return l, r
	case 6:
		n := int(d.byte() % 8)
		m, r := make(map[string]any, n), make(map[string]any, n)
		for range n {
			k := d.string()
			m[k], r[k] = d.value(depth + 1)
		}
		return m, r
	case 7:
		l := make([]string, d.byte()%4)
		for i := range l {
			l[i] = d.string()
		}
		return l, l
	case 8:
		n := int(d.byte() % 3)
		l, r := make([]map[string]any, n), make([]any, n)
		for i := range l {
			l[i], r[i] = d.object(depth + 1)
		}
		return l, r
	default:
		l := ListResponse{TotalResults: int(d.byte()), StartIndex: int(int8(d.byte())), Cursored: d.byte()%2 == 0, NextCursor: d.string()}
		var resources []any
		for range d.byte() % 3 {
			m, r := d.object(depth + 1)
			l.Resources = append(l.Resources, m)
			resources = append(resources, r)
		}
		return l, listReference(l, resources)
	}
}
