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

package emulator

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Paging defaults of every list operation: "Specifies a zero-based index of the
// results page to retrieve. The default is 0" and "The number of items to
// include on each page of results. The default is 20."
const (
	defaultPage = 0
	defaultSize = 20
)

// pageDTO is the PublicApiPage... schema shared by the list operations.
type pageDTO[T any] struct {
	Items   []T   `json:"items"`
	Offset  int64 `json:"offset"`
	Limit   int32 `json:"limit"`
	Total   int64 `json:"total"`
	HasMore bool  `json:"hasMore"`
}

// paging is a parsed page/size request.
type paging struct {
	page, size int
}

// parsePaging reads `page` and `size`. The validator has already checked their
// types and minimums; the cap on size is the emulator's (Options.MaxPageSize).
func parsePaging(q url.Values, maxSize int) (paging, error) {
	p := paging{page: defaultPage, size: defaultSize}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, fmt.Errorf("page must be a non-negative integer, got %q", v)
		}
		p.page = n
	}
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("size must be a positive integer, got %q", v)
		}
		p.size = min(n, maxSize)
	}
	return p, nil
}

// pageOf cuts one page out of items, which are already filtered and sorted.
func pageOf[T, D any](items []T, p paging, toDTO func(T) D) pageDTO[D] {
	total := int64(len(items))
	offset := int64(p.page) * int64(p.size)
	out := pageDTO[D]{Items: []D{}, Offset: offset, Limit: int32(p.size), Total: total}
	if offset < total {
		end := min(offset+int64(p.size), total)
		for _, it := range items[offset:end] {
			out.Items = append(out.Items, toDTO(it))
		}
		out.HasMore = end < total
	}
	return out
}

// Property names sortable on more than one kind of object.
const (
	sortByName      = "name"
	sortByCreatedBy = "createdBy"
)

// comparator orders two items by one property, ascending.
type comparator[T any] func(a, b T) int

// sortSpec is one criterion of a `sort` parameter.
type sortSpec struct {
	property string
	desc     bool
}

// parseSort reads the repeated `sort` parameter: "The sorting criteria in the
// format property (asc|desc), with ascending as the default. Multiple sort
// parameters can be chained ... (e.g., sort=field1,asc&sort=field2,desc)". As in
// Spring Data, one value may also list several properties before the direction
// ("name,email,desc"). An unknown property is refused with 400, listing the
// sortable ones, instead of being ignored.
func parseSort[T any](values []string, sortable map[string]comparator[T]) ([]sortSpec, error) {
	var specs []sortSpec
	for _, v := range values {
		parts := strings.Split(v, ",")
		desc := false
		if n := len(parts); n > 1 {
			switch strings.ToLower(strings.TrimSpace(parts[n-1])) {
			case "asc":
				parts = parts[:n-1]
			case "desc":
				parts = parts[:n-1]
				desc = true
			}
		}
		for _, prop := range parts {
			prop = strings.TrimSpace(prop)
			if _, ok := sortable[prop]; !ok {
				return nil, fmt.Errorf("cannot sort by %q; sortable fields: %s", prop, strings.Join(sortedKeys(sortable), ", "))
			}
			specs = append(specs, sortSpec{property: prop, desc: desc})
		}
	}
	return specs, nil
}

// sortItems sorts items by specs, then by creation order so equal keys keep a
// stable, repeatable order across pages.
func sortItems[T any](items []T, specs []sortSpec, sortable map[string]comparator[T], seq func(T) uint64) {
	if len(specs) == 0 {
		// The store keeps every list in creation order already.
		return
	}
	slices.SortStableFunc(items, func(a, b T) int {
		for _, s := range specs {
			c := sortable[s.property](a, b)
			if s.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(seq(a), seq(b))
	})
}

func sortedKeys[T any](m map[string]comparator[T]) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// compareFold orders strings case-insensitively, as a database collation would.
func compareFold(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }

func compareTime(a, b time.Time) int { return a.Compare(b) }

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	default:
		return 1
	}
}
