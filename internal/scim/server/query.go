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
	"net/http"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// lister runs lists and searches (RFC 7644 §3.4.2, §3.4.3) over one
// resource type.
type lister[T client.Object] struct {
	rt scim.ResourceType
	// derived is the attribute that costs a lookup per resource (a user's
	// groups, a group's members): filtering and sorting compute it only
	// when the query names it.
	derived string
	// page pages through every resource of the tenant in list order.
	page func(r *request, req store.PageRequest) (store.Page[T], error)
	// candidates returns a superset of the objects matching the filter,
	// narrowed by an index when one of the filter's equalities allows it.
	candidates func(r *request, eqs []scim.Equality) ([]T, error)
	// render returns the SCIM representation; expensive derived attributes
	// only when attrs includes them.
	render func(r *request, obj T, attrs scim.AttributeSet) (map[string]any, error)
}

// runQuery answers a query. Without a filter or sortBy the page comes
// straight from the store's list order, so a page at any startIndex or
// cursor costs O(page) whatever the tenant's size; with one, candidates
// (narrowed by an index when the filter allows) are rendered, matched and
// sorted. The order is stable between requests: by sortBy when given, then
// by creation time and id. With a cursor (RFC 9865) the response carries
// nextCursor instead of startIndex.
func runQuery[T client.Object](s *Server, r *request, q scim.Query, l lister[T]) (scim.ListResponse, error) {
	if err := q.Validate(l.rt); err != nil {
		return scim.ListResponse{}, err
	}
	attrs, err := q.AttributeSet(l.rt)
	if err != nil {
		return scim.ListResponse{}, err
	}
	sorter, err := q.Sorter(l.rt)
	if err != nil {
		return scim.ListResponse{}, err
	}
	var at cursor
	if q.Cursor != nil {
		if q.StartIndex > 1 {
			return scim.ListResponse{}, scim.ErrInvalidValue("startIndex and cursor are two ways of paging: give one")
		}
		if *q.Cursor != "" {
			if at, err = decodeCursor(q, *q.Cursor); err != nil {
				return scim.ListResponse{}, err
			}
		}
	}
	count := s.opts.MaxResults
	if q.Count != nil {
		count = min(max(*q.Count, 0), count)
	}

	if q.Filter.IsZero() && q.SortBy == "" {
		return pageInOrder(r, q, l, attrs, at, count)
	}
	return pageMatching(s, r, q, l, attrs, sorter, at, count)
}

// pageInOrder answers a query without filter or sortBy straight from the
// store's list order.
func pageInOrder[T client.Object](r *request, q scim.Query, l lister[T], attrs scim.AttributeSet, at cursor, count int) (scim.ListResponse, error) {
	p, err := l.page(r, store.PageRequest{Offset: max(q.StartIndex-1, 0) + at.offset, After: at.after, Count: count})
	if err != nil {
		return scim.ListResponse{}, err
	}
	resources, err := renderPage(r, l, p.Items, attrs)
	if err != nil {
		return scim.ListResponse{}, err
	}
	list := scim.NewListResponse(p.Total, p.Offset+1, resources)
	if q.Cursor != nil {
		list.Cursored = true
		if p.More && len(p.Items) > 0 {
			list.NextCursor = encodeCursor(q, cursor{after: &p.Last})
		}
	}
	return list, nil
}

// pageMatching answers a query with a filter or sortBy: the candidates
// (narrowed by an index when the filter allows) are rendered, matched and
// sorted, and the page is cut from them.
func pageMatching[T client.Object](s *Server, r *request, q scim.Query, l lister[T], attrs scim.AttributeSet, sorter scim.Sorter, at cursor, count int) (scim.ListResponse, error) {
	items, err := l.candidates(r, q.Filter.Equalities(l.rt))
	if err != nil {
		return scim.ListResponse{}, err
	}
	if len(items) > s.opts.MaxCandidates {
		return scim.ListResponse{}, scim.ErrTooMany("the filter would scan %d resources, more than the %d this server evaluates; filter by an indexed attribute (userName, externalId, emails, displayName, id, members.value)", len(items), s.opts.MaxCandidates)
	}
	type entry struct {
		obj T
		res map[string]any
	}
	// Match and sort on the representation; the derived attribute only
	// when the query names it.
	var excluded []string
	if !mentions(q, l.derived) {
		excluded = []string{l.derived}
	}
	matchAttrs, err := scim.NewAttributeSet(l.rt, nil, excluded)
	if err != nil {
		return scim.ListResponse{}, err
	}
	entries := make([]entry, 0, len(items))
	for _, obj := range items {
		res, err := l.render(r, obj, matchAttrs)
		if err != nil {
			return scim.ListResponse{}, err
		}
		if q.Filter.IsZero() || q.Filter.Match(l.rt, res) {
			entries = append(entries, entry{obj: obj, res: res})
		}
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		if c := sorter.Compare(a.res, b.res); c != 0 {
			return c
		}
		return byCreation(a.obj, b.obj)
	})

	lo := min(max(q.StartIndex-1, 0)+at.offset, len(entries))
	if at.after != nil {
		// Without sortBy, entries are in list order: resume after the key.
		lo, _ = slices.BinarySearchFunc(entries, *at.after, func(e entry, k store.Key) int { return keyOf(e.obj).Compare(k) })
		if lo < len(entries) && keyOf(entries[lo].obj) == *at.after {
			lo++
		}
	}
	hi := lo + min(count, len(entries)-lo)
	objs := make([]T, 0, hi-lo)
	for _, e := range entries[lo:hi] {
		objs = append(objs, e.obj)
	}
	resources, err := renderPage(r, l, objs, attrs)
	if err != nil {
		return scim.ListResponse{}, err
	}
	list := scim.NewListResponse(len(entries), lo+1, resources)
	if q.Cursor != nil {
		list.Cursored = true
		switch {
		case hi >= len(entries) || hi == lo:
		case q.SortBy != "":
			list.NextCursor = encodeCursor(q, cursor{offset: hi})
		default:
			last := keyOf(entries[hi-1].obj)
			list.NextCursor = encodeCursor(q, cursor{after: &last})
		}
	}
	return list, nil
}

// renderPage renders the resources of a page with the attributes asked for.
// A rendered resource is the page's alone, so it is projected in place.
func renderPage[T client.Object](r *request, l lister[T], objs []T, attrs scim.AttributeSet) ([]map[string]any, error) {
	page := make([]map[string]any, 0, len(objs))
	for _, obj := range objs {
		res, err := l.render(r, obj, attrs)
		if err != nil {
			return nil, err
		}
		page = append(page, attrs.ApplyInPlace(res))
	}
	return page, nil
}

// keyOf is obj's place in list order, as the store keeps it.
func keyOf(obj client.Object) store.Key {
	return store.Key{Created: obj.GetCreationTimestamp().Unix(), ID: obj.GetName()}
}

func byCreation(a, b client.Object) int {
	if c := a.GetCreationTimestamp().Compare(b.GetCreationTimestamp().Time); c != 0 {
		return c
	}
	return strings.Compare(a.GetName(), b.GetName())
}

// mentions reports whether the query's filter or sortBy names attr.
func mentions(q scim.Query, attr string) bool {
	return strings.Contains(strings.ToLower(q.Filter.String()+" "+q.SortBy), strings.ToLower(attr))
}

// serveQuery answers a list (GET) or search (POST .search) request.
func serveQuery[T client.Object](s *Server, w http.ResponseWriter, r *request, l lister[T]) error {
	q, err := queryFromRequest(r)
	if err != nil {
		return err
	}
	list, err := runQuery(s, r, q, l)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// queryFromRequest reads a GET query string or a POST .search body.
func queryFromRequest(r *request) (scim.Query, error) {
	if r.Method == http.MethodPost {
		data, err := readAll(r)
		if err != nil {
			return scim.Query{}, err
		}
		return scim.ParseSearchRequest(data)
	}
	return scim.ParseQueryParams(r.URL.Query())
}
