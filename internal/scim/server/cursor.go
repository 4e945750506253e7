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
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"
	"strings"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// A cursor (RFC 9865) is opaque to clients: base64url, without padding, so
// that it is made of the URI's unreserved characters only (RFC 9865 §2.1).
// Inside: a version byte, a digest of the query it pages (so that a cursor
// replayed with another filter or order is refused rather than answered
// wrongly), and the position: the list-order key of the last resource
// returned, or, for a sortBy order, the offset of the next one. A key
// survives creations and deletions between pages: paging never repeats or
// skips a resource that stayed. Cursors carry no secret and no expiry: a
// position in the tenant's own list is all they reveal.
const (
	cursorVersion = 1
	cursorAfter   = 'k'
	cursorOffset  = 'o'
)

type cursor struct {
	after  *store.Key
	offset int
}

// queryDigest binds a cursor to what decides the order and the set paged.
func queryDigest(q scim.Query) uint64 {
	h := fnv.New64a()
	for _, part := range []string{q.Filter.String(), strings.ToLower(q.SortBy), q.SortOrder} {
		_, _ = h.Write([]byte(part))
		_, _ = h.Write([]byte{0})
	}
	return h.Sum64()
}

func encodeCursor(q scim.Query, c cursor) string {
	buf := []byte{cursorVersion}
	buf = binary.BigEndian.AppendUint64(buf, queryDigest(q))
	if c.after != nil {
		buf = append(buf, cursorAfter)
		buf = binary.AppendVarint(buf, c.after.Created)
		buf = append(buf, c.after.ID...)
	} else {
		buf = append(buf, cursorOffset)
		buf = binary.AppendUvarint(buf, uint64(c.offset))
	}
	return base64.RawURLEncoding.EncodeToString(buf)
}

// decodeCursor reads a cursor this server issued for q; anything else is
// invalidCursor.
func decodeCursor(q scim.Query, s string) (cursor, error) {
	buf, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(buf) < 10 || buf[0] != cursorVersion {
		return cursor{}, scim.ErrInvalidCursor("the cursor is not one this server issued")
	}
	if binary.BigEndian.Uint64(buf[1:9]) != queryDigest(q) {
		return cursor{}, scim.ErrInvalidCursor("the cursor was issued for another filter or order; repeat the query's parameters unchanged and change only the cursor")
	}
	var c cursor
	kind, rest := buf[9], buf[10:]
	switch kind {
	case cursorAfter:
		created, n := binary.Varint(rest)
		// The id is only a position to search for; any id the store
		// could have issued is a Kubernetes name, 1 to 253 bytes.
		if n > 0 && len(rest) > n && len(rest)-n <= 253 {
			c.after = &store.Key{Created: created, ID: string(rest[n:])}
		}
	case cursorOffset:
		if offset, n := binary.Uvarint(rest); n > 0 && n == len(rest) && offset <= 1<<31 {
			c.offset = int(offset)
		}
	}
	// Only the exact bytes this server writes are a cursor: no other
	// spelling of the same position (padding bits, overlong numbers).
	if (c.after == nil && kind != cursorOffset) || encodeCursor(q, c) != s {
		return cursor{}, scim.ErrInvalidCursor("the cursor is not one this server issued")
	}
	return c, nil
}
