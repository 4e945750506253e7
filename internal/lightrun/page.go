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

package lightrun

import (
	"context"
	"iter"
	"net/url"
	"strconv"
)

// Page is one page of a list operation. Lightrun's list responses
// (PublicApiPage... schemas) all have this shape.
type Page[T any] struct {
	Items []T `json:"items"`
	// Offset is the index of the first item in the whole result (page × size).
	Offset int64 `json:"offset"`
	// Limit is the page size Lightrun applied, which may be lower than asked.
	Limit int32 `json:"limit"`
	// Total is the number of items over all pages.
	Total   int64 `json:"total"`
	HasMore bool  `json:"hasMore"`
}

// PageOptions select a page. The zero value asks for Lightrun's defaults: the
// first page (page 0) of 20 items, in Lightrun's default order.
type PageOptions struct {
	// Page is the zero-based page index.
	Page int
	// Size is the number of items per page; 0 leaves Lightrun's default (20).
	Size int
	// Sort lists sort criteria, each "property" or "property,asc|desc", primary
	// first (the spec's `sort` parameter, repeated). Sortable properties differ per
	// operation; see the List*Options types.
	Sort []string
}

func (p PageOptions) apply(q url.Values) {
	if p.Page > 0 {
		q.Set("page", strconv.Itoa(p.Page))
	}
	if p.Size > 0 {
		q.Set("size", strconv.Itoa(p.Size))
	}
	for _, s := range p.Sort {
		q.Add("sort", s)
	}
}

// paginate walks the pages from start.Page on, yielding every item, and stops at
// the first error (yielded with a zero item), when Lightrun says hasMore=false,
// or when a page comes back empty (so a server that keeps saying hasMore cannot
// loop us forever). Offset paging is not a snapshot: an object created or
// deleted during the walk can shift the pages, so a caller that needs every
// object exactly once must be level-triggered (the controllers resync anyway).
func paginate[T any](ctx context.Context, start PageOptions, fetch func(context.Context, PageOptions) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		opts := start
		for {
			page, err := fetch(ctx, opts)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if !page.HasMore || len(page.Items) == 0 {
				return
			}
			opts.Page++
		}
	}
}
