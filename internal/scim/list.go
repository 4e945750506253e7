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
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Sort orders (RFC 7644 §3.4.2.3).
const (
	SortAscending  = "ascending"
	SortDescending = "descending"
)

// Query is a list or search request: the query parameters of GET /Users
// and GET /Groups (RFC 7644 §3.4.2) or the body of POST /.search
// (RFC 7644 §3.4.3), parsed into one form.
type Query struct {
	// Filter is the zero Filter when none was given.
	Filter             Filter
	Attributes         []string
	ExcludedAttributes []string
	SortBy             string
	// SortOrder is "ascending" or "descending"; empty when not given
	// (ascending applies when SortBy is set, RFC 7644 §3.4.2.3).
	SortOrder string
	// StartIndex is 1-based; RFC 7644 §3.4.2.4: a value below 1 is read as 1.
	StartIndex int
	// Count is nil when not given (the server's page size applies);
	// RFC 7644 §3.4.2.4: a negative value is read as 0, and 0 asks for
	// totalResults only.
	Count *int
	// Cursor asks for cursor-based pagination (RFC 9865): nil when not
	// given, empty for the first page, else a previous page's nextCursor.
	Cursor *string
}

// ParseQueryParams reads a query from URL query parameters (RFC 7644
// §3.4.2): filter, attributes, excludedAttributes, sortBy, sortOrder,
// startIndex, count. Parameter names match case-insensitively. Errors are
// *Error.
func ParseQueryParams(params map[string][]string) (Query, error) {
	get := func(name string) (string, bool) {
		for k, v := range params {
			if strings.EqualFold(k, name) && len(v) > 0 {
				return v[0], true
			}
		}
		return "", false
	}
	var q Query
	if f, ok := get("filter"); ok {
		filter, err := ParseFilter(f)
		if err != nil {
			return Query{}, err
		}
		q.Filter = filter
	}
	if a, ok := get("attributes"); ok {
		q.Attributes = SplitAttributeList(a)
	}
	if a, ok := get("excludedAttributes"); ok {
		q.ExcludedAttributes = SplitAttributeList(a)
	}
	q.SortBy, _ = get("sortBy")
	if o, ok := get("sortOrder"); ok {
		order, err := normalizeSortOrder(o)
		if err != nil {
			return Query{}, err
		}
		q.SortOrder = order
	}
	q.StartIndex = 1
	if s, ok := get("startIndex"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return Query{}, ErrInvalidValue("startIndex must be an integer")
		}
		q.StartIndex = max(n, 1)
	}
	if s, ok := get("count"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return Query{}, ErrInvalidValue("count must be an integer")
		}
		n = max(n, 0)
		q.Count = &n
	}
	if c, ok := get("cursor"); ok {
		q.Cursor = &c
	}
	return q, nil
}

func normalizeSortOrder(o string) (string, error) {
	switch {
	case strings.EqualFold(o, SortAscending):
		return SortAscending, nil
	case strings.EqualFold(o, SortDescending):
		return SortDescending, nil
	}
	return "", ErrInvalidValue("sortOrder must be %q or %q", SortAscending, SortDescending)
}

// ParseSearchRequest decodes the body of POST /.search (RFC 7644 §3.4.3):
// "schemas" must contain the SearchRequest URN; "attributes" and
// "excludedAttributes" are arrays of names (a comma-separated string is
// accepted too); "startIndex" and "count" are integers. Errors are *Error.
func ParseSearchRequest(body []byte) (Query, error) {
	var raw struct {
		Schemas            []string        `json:"schemas"`
		Attributes         json.RawMessage `json:"attributes"`
		ExcludedAttributes json.RawMessage `json:"excludedAttributes"`
		Filter             *string         `json:"filter"`
		SortBy             *string         `json:"sortBy"`
		SortOrder          *string         `json:"sortOrder"`
		StartIndex         *json.Number    `json:"startIndex"`
		Count              *json.Number    `json:"count"`
		Cursor             *string         `json:"cursor"`
	}
	if err := decodeStrict(body, &raw); err != nil {
		return Query{}, ErrInvalidSyntax("search request is not a SearchRequest message: %v", err)
	}
	if !HasSchema(raw.Schemas, SearchRequestURN) {
		return Query{}, ErrInvalidSyntax("search request \"schemas\" must contain %q", SearchRequestURN)
	}
	q := Query{StartIndex: 1}
	var err error
	if q.Attributes, err = attributeNames("attributes", raw.Attributes); err != nil {
		return Query{}, err
	}
	if q.ExcludedAttributes, err = attributeNames("excludedAttributes", raw.ExcludedAttributes); err != nil {
		return Query{}, err
	}
	if raw.Filter != nil {
		if q.Filter, err = ParseFilter(*raw.Filter); err != nil {
			return Query{}, err
		}
	}
	if raw.SortBy != nil {
		q.SortBy = *raw.SortBy
	}
	if raw.SortOrder != nil {
		if q.SortOrder, err = normalizeSortOrder(*raw.SortOrder); err != nil {
			return Query{}, err
		}
	}
	if raw.StartIndex != nil {
		n, err := jsonInt("startIndex", *raw.StartIndex)
		if err != nil {
			return Query{}, err
		}
		q.StartIndex = max(n, 1)
	}
	if raw.Count != nil {
		n, err := jsonInt("count", *raw.Count)
		if err != nil {
			return Query{}, err
		}
		n = max(n, 0)
		q.Count = &n
	}
	q.Cursor = raw.Cursor
	return q, nil
}

func attributeNames(field string, data json.RawMessage) ([]string, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err == nil {
		var out []string
		for _, n := range list {
			out = append(out, SplitAttributeList(n)...)
		}
		return out, nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		return SplitAttributeList(s), nil
	}
	return nil, ErrInvalidSyntax("%s must be an array of attribute names", field)
}

// jsonInt reads an integer, clamping values beyond the int range (a huge
// startIndex or count asks for "everything", not an error).
func jsonInt(field string, n json.Number) (int, error) {
	r, ok := toRat(n)
	if !ok || !r.IsInt() {
		return 0, ErrInvalidValue("%s must be an integer", field)
	}
	if !r.Num().IsInt64() {
		if r.Sign() < 0 {
			return 0, nil
		}
		return int(^uint(0) >> 1), nil
	}
	v := r.Num().Int64()
	if int64(int(v)) != v {
		if v < 0 {
			return 0, nil
		}
		return int(^uint(0) >> 1), nil
	}
	return int(v), nil
}

// Validate checks the query against rt: the filter (invalidFilter), sortBy
// and sortOrder (invalidValue), and the attribute names (invalidValue).
func (q Query) Validate(rt ResourceType) error {
	if err := q.Filter.Validate(rt); err != nil {
		return err
	}
	if _, err := q.Sorter(rt); err != nil {
		return err
	}
	_, err := q.AttributeSet(rt)
	return err
}

// AttributeSet returns the attributes responses to this query carry.
func (q Query) AttributeSet(rt ResourceType) (AttributeSet, error) {
	return NewAttributeSet(rt, q.Attributes, q.ExcludedAttributes)
}

// Sorter returns the order of this query's sortBy/sortOrder; without sortBy
// it is the zero Sorter, which keeps the storage order.
func (q Query) Sorter(rt ResourceType) (Sorter, error) {
	return NewSorter(rt, q.SortBy, q.SortOrder)
}

// Page returns the half-open range [lo, hi) of a list of total results that
// this query's page covers, with RFC 7644 §3.4.2.4 normalisation: the page
// starts at StartIndex (1-based), holds Count results, or maxCount when
// Count is not given or larger (maxCount <= 0: no cap).
func (q Query) Page(total, maxCount int) (lo, hi int) {
	start := max(q.StartIndex, 1)
	count := total
	if q.Count != nil {
		count = max(*q.Count, 0)
	}
	if maxCount > 0 && count > maxCount {
		count = maxCount
	}
	lo = min(start-1, total)
	hi = lo + min(count, total-lo)
	return lo, hi
}

// Sorter orders resources by an attribute (RFC 7644 §3.4.2.3). The zero
// Sorter orders nothing.
type Sorter struct {
	r          ResolvedAttribute
	def        *Attribute
	descending bool
	set        bool
}

// NewSorter builds the order for sortBy and sortOrder over resources of
// type rt. An empty sortBy gives the zero Sorter. sortBy names a singular
// attribute, a multi-valued one (RFC 7644 §3.4.2.3: its primary value, or
// else its first), or a sub-attribute; a complex attribute sorts by its
// "value" sub-attribute. Errors are invalidValue.
func NewSorter(rt ResourceType, sortBy, sortOrder string) (Sorter, error) {
	if sortOrder != "" {
		o, err := normalizeSortOrder(sortOrder)
		if err != nil {
			return Sorter{}, err
		}
		sortOrder = o
	}
	if strings.TrimSpace(sortBy) == "" {
		return Sorter{}, nil
	}
	r, err := rt.Resolve(sortBy)
	if err != nil {
		return Sorter{}, ErrInvalidValue("sortBy: %v", err)
	}
	def := r.Definition()
	if def.Type == TypeComplex {
		v := def.SubAttribute("value")
		if v == nil {
			return Sorter{}, ErrInvalidValue("sortBy %q: name a sub-attribute of the complex attribute", sortBy)
		}
		r.Sub, def = v, v
	}
	if def.EffectiveReturned() == ReturnedNever {
		return Sorter{}, ErrInvalidValue("sortBy %q: the attribute cannot be sorted on", sortBy)
	}
	return Sorter{r: r, def: def, descending: sortOrder == SortDescending, set: true}, nil
}

// sortKey returns the value res sorts by: RFC 7644 §3.4.2.3, the attribute's
// value, or for a multi-valued attribute the primary value, else the first.
func (s Sorter) sortKey(res map[string]any) (any, bool) {
	c, ok := s.r.container(res)
	if !ok {
		return nil, false
	}
	v, _, ok := lookupKey(c, s.r.Attribute.Name)
	if !ok || v == nil {
		return nil, false
	}
	if s.r.Attribute.MultiValued {
		list := nonNil(asList(v))
		if len(list) == 0 {
			return nil, false
		}
		chosen := list[0]
		for _, e := range list {
			if m, isMap := e.(map[string]any); isMap {
				if p, _, _ := lookupKey(m, "primary"); p == true {
					chosen = e
					break
				}
			}
		}
		v = chosen
	}
	if s.r.Sub != nil {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, false
		}
		v, _, ok = lookupKey(m, s.r.Sub.Name)
		if !ok || v == nil {
			return nil, false
		}
	}
	return v, true
}

// Compare orders a and b: negative when a comes first. RFC 7644 §3.4.2.3:
// resources without a value for sortBy come last when ascending and first
// when descending; strings compare case-insensitively unless caseExact.
func (s Sorter) Compare(a, b map[string]any) int {
	if !s.set {
		return 0
	}
	ka, okA := s.sortKey(a)
	kb, okB := s.sortKey(b)
	var c int
	switch {
	case !okA && !okB:
		return 0
	case !okA:
		c = 1
	case !okB:
		c = -1
	default:
		var ok bool
		c, ok = compareScalars(s.def, ka, kb)
		if !ok {
			// A value of the wrong type sorts as missing.
			_, aValid := compareScalars(s.def, ka, ka)
			_, bValid := compareScalars(s.def, kb, kb)
			switch {
			case aValid && !bValid:
				c = -1
			case !aValid && bValid:
				c = 1
			default:
				c = 0
			}
		}
	}
	if s.descending {
		return -c
	}
	return c
}

// Sort sorts resources in place, stably: resources with equal keys keep the
// storage order, so pages stay consistent across requests (Okta requires a
// consistent order across pages, [Okta SCIM] "Retrieve Users").
func (s Sorter) Sort(resources []map[string]any) {
	if !s.set {
		return
	}
	slices.SortStableFunc(resources, s.Compare)
}

// ListResponse is a list or search response (RFC 7644 §3.4.2).
type ListResponse struct {
	TotalResults int
	// StartIndex is the 1-based index of the first resource of this page;
	// a cursor-paged response (Cursored) carries none (RFC 9865 §2.2).
	StartIndex int
	Resources  []map[string]any
	// Cursored marks a page of cursor-based pagination; NextCursor is the
	// cursor of the next page, empty on the last one (RFC 9865 §2.2).
	Cursored   bool
	NextCursor string
}

// NewListResponse builds the response for a page of resources: total is the
// number of resources matching the query, startIndex the query's.
func NewListResponse(total, startIndex int, page []map[string]any) ListResponse {
	return ListResponse{TotalResults: total, StartIndex: max(startIndex, 1), Resources: page}
}

// MarshalJSON writes the RFC 7644 §3.4.2 ListResponse. totalResults,
// startIndex and itemsPerPage are JSON integers (Okta requires integers,
// [Okta SCIM]), and "Resources" is always an array, empty when no resource
// is returned, which Entra ID expects ([Entra SCIM] "Get User by query -
// Zero results").
func (l ListResponse) MarshalJSON() ([]byte, error) {
	return l.appendJSON(nil, 0)
}

// appendJSON appends the encoding MarshalJSON returns: the members in the
// order below, the resources through AppendJSON.
func (l ListResponse) appendJSON(dst []byte, depth int) ([]byte, error) {
	dst = append(dst, `{"schemas":[`...)
	dst = appendString(dst, ListResponseURN)
	dst = append(dst, `],"totalResults":`...)
	dst = strconv.AppendInt(dst, int64(l.TotalResults), 10)
	if !l.Cursored {
		dst = append(dst, `,"startIndex":`...)
		dst = strconv.AppendInt(dst, int64(max(l.StartIndex, 1)), 10)
	}
	dst = append(dst, `,"itemsPerPage":`...)
	dst = strconv.AppendInt(dst, int64(len(l.Resources)), 10)
	if l.NextCursor != "" {
		dst = append(dst, `,"nextCursor":`...)
		dst = appendString(dst, l.NextCursor)
	}
	dst = append(dst, `,"Resources":`...)
	dst, err := appendList(dst, len(l.Resources), func(dst []byte, i int) ([]byte, error) {
		return appendObject(dst, l.Resources[i], depth+1)
	})
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}
