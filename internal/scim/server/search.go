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

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

// searchAll answers POST /.search at the root (RFC 7644 §3.4.3): the query
// runs over Users and Groups, and the results are paged as one list, users
// first. A filter that names attributes of only one type matches nothing of
// the other.
func (s *Server) searchAll(w http.ResponseWriter, r *request) error {
	q, err := queryFromRequest(r)
	if err != nil {
		return err
	}
	if q.Cursor != nil {
		return scim.ErrInvalidValue("cursor pagination is offered on /Users and /Groups (and their .search), not across both at the root")
	}
	userOK := q.Validate(scim.UserResourceType) == nil
	groupOK := q.Validate(scim.GroupResourceType) == nil
	if !userOK && !groupOK {
		return q.Validate(scim.UserResourceType)
	}

	// Count first, then fetch exactly the window of each type the page covers.
	totals := [2]int{}
	counting := q
	counting.StartIndex, counting.Count = 1, new(0)
	if userOK {
		l, err := runQuery(s, r, counting, s.userLister())
		if err != nil {
			return err
		}
		totals[0] = l.TotalResults
	}
	if groupOK {
		l, err := runQuery(s, r, counting, s.groupLister())
		if err != nil {
			return err
		}
		totals[1] = l.TotalResults
	}
	total := totals[0] + totals[1]
	lo, hi := q.Page(total, s.opts.MaxResults)

	var page []map[string]any
	if lo < totals[0] {
		part := q
		part.StartIndex, part.Count = lo+1, new(min(hi, totals[0])-lo)
		l, err := runQuery(s, r, part, s.userLister())
		if err != nil {
			return err
		}
		page = append(page, l.Resources...)
	}
	if hi > totals[0] {
		part := q
		start := max(lo, totals[0]) - totals[0]
		part.StartIndex, part.Count = start+1, new(hi-max(lo, totals[0]))
		l, err := runQuery(s, r, part, s.groupLister())
		if err != nil {
			return err
		}
		page = append(page, l.Resources...)
	}
	writeJSON(w, http.StatusOK, scim.NewListResponse(total, q.StartIndex, page))
	return nil
}
