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
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

// MaxBodyDepth is how deeply a request body may nest objects and arrays. The
// deepest SCIM message (a Bulk operation's data: Operations[].data.emails[]
// .value) nests five levels; encoding/json alone would allow 10,000.
const MaxBodyDepth = 64

// checkBody refuses, as invalidSyntax, what encoding/json would read without
// complaint but the server must not guess at:
//   - bytes that are not UTF-8 (RFC 8259 §8.1), which encoding/json would
//     replace with U+FFFD, and \u escapes of a lone UTF-16 surrogate, which
//     it would replace the same way;
//   - an object with the same member twice, compared case-insensitively as
//     SCIM attribute names are (RFC 7643 §2.1): encoding/json keeps the last,
//     so {"userName":"a","USERNAME":"b"} would be read as whichever Go's map
//     iteration reached last. RFC 8259 §4 leaves duplicates undefined; the
//     server refuses them rather than pick one;
//   - nesting deeper than MaxBodyDepth.
//
// A body that is not JSON at all passes: the decoder that follows reports it
// with its own message.
func checkBody(data []byte) error {
	if !utf8.Valid(data) {
		return scim.ErrInvalidSyntax("the request body is not valid UTF-8")
	}
	if err := checkEscapes(data); err != nil {
		return err
	}
	return checkMembers(data)
}

func checkEscapes(data []byte) error {
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		if i+1 >= len(data) || data[i+1] != 'u' {
			i++ // the escaped character, whatever it is
			continue
		}
		r, ok := hex4(data[i+2:])
		if !ok {
			i++
			continue
		}
		switch {
		case r >= 0xD800 && r < 0xDC00:
			low, ok := rune(0), false
			if i+12 <= len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
				low, ok = hex4(data[i+8:])
			}
			if !ok || low < 0xDC00 || low >= 0xE000 {
				return scim.ErrInvalidSyntax("the request body holds a lone UTF-16 surrogate \\u%04x", r)
			}
			i += 11
			continue
		case r >= 0xDC00 && r < 0xE000:
			return scim.ErrInvalidSyntax("the request body holds a lone UTF-16 surrogate \\u%04x", r)
		}
		i += 5
	}
	return nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// checkMembers walks the tokens of data for duplicate members and depth.
func checkMembers(data []byte) error {
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]struct{}
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // not JSON: the decoder that follows says why
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expectKey {
			if key, ok := tok.(string); ok {
				folded := strings.ToLower(key)
				if _, dup := top.keys[folded]; dup {
					return scim.ErrInvalidSyntax("the request body has the member %q more than once in one object (names are case-insensitive)", key)
				}
				top.keys[folded] = struct{}{}
				top.expectKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= MaxBodyDepth {
				return scim.ErrInvalidSyntax("the request body nests deeper than %d levels", MaxBodyDepth)
			}
			f := &frame{object: tok == json.Delim('{')}
			if f.object {
				f.expectKey, f.keys = true, map[string]struct{}{}
			}
			stack = append(stack, f)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			} else {
				top = nil
			}
		}
		if top != nil && top.object {
			top.expectKey = true // a value ended
		}
	}
}
