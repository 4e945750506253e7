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
)

// lister runs lists and searches (RFC 7644 §3.4.2, §3.4.3) over one
// resource type.
type lister[T client.Object] struct {
	rt scim.ResourceType
	// candidates returns a superset of the objects matching the filter,
	// narrowed by an index when one of the filter's equalities allows it.
	candidates func(r *request, eqs []scim.Equality) ([]T, error)
	// render returns the SCIM representation; expensive derived attributes
	// (a group's members) only when attrs includes them.
	render func(r *request, obj T, attrs scim.AttributeSet) (map[string]any, error)
}

// runQuery answers a query. Without a filter or sortBy it orders the
// objects themselves and renders only the page, so that paging through
// 100,000 users never renders all of them; with one, candidates are
// rendered, matched and sorted. The order is stable between requests: by
// sortBy when given, then by creation time and id.
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
	items, err := l.candidates(r, q.Filter.Equalities(l.rt))
	if err != nil {
		return scim.ListResponse{}, err
	}

	type entry struct {
		obj T
		res map[string]any
	}
	entries := make([]entry, 0, len(items))
	if q.Filter.IsZero() && q.SortBy == "" {
		for _, obj := range items {
			entries = append(entries, entry{obj: obj})
		}
	} else {
		if len(items) > s.opts.MaxCandidates {
			return scim.ListResponse{}, scim.ErrTooMany("the filter would scan %d resources, more than the %d this server evaluates; filter by an indexed attribute (userName, externalId, emails, displayName, id, members.value)", len(items), s.opts.MaxCandidates)
		}
		// Match and sort on the full representation; a group's members
		// only when the query names them.
		var excluded []string
		if !mentionsMembers(q) {
			excluded = []string{"members"}
		}
		matchAttrs, err := scim.NewAttributeSet(l.rt, nil, excluded)
		if err != nil {
			return scim.ListResponse{}, err
		}
		for _, obj := range items {
			res, err := l.render(r, obj, matchAttrs)
			if err != nil {
				return scim.ListResponse{}, err
			}
			if q.Filter.IsZero() || q.Filter.Match(l.rt, res) {
				entries = append(entries, entry{obj: obj, res: res})
			}
		}
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		if a.res != nil && b.res != nil {
			if c := sorter.Compare(a.res, b.res); c != 0 {
				return c
			}
		}
		return byCreation(a.obj, b.obj)
	})

	lo, hi := q.Page(len(entries), s.opts.MaxResults)
	page := make([]map[string]any, 0, hi-lo)
	for _, e := range entries[lo:hi] {
		res, err := l.render(r, e.obj, attrs)
		if err != nil {
			return scim.ListResponse{}, err
		}
		page = append(page, attrs.Apply(res))
	}
	return scim.NewListResponse(len(entries), q.StartIndex, page), nil
}

func byCreation(a, b client.Object) int {
	if c := a.GetCreationTimestamp().Compare(b.GetCreationTimestamp().Time); c != 0 {
		return c
	}
	return strings.Compare(a.GetName(), b.GetName())
}

func mentionsMembers(q scim.Query) bool {
	return strings.Contains(strings.ToLower(q.Filter.String()+" "+q.SortBy), "members")
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
