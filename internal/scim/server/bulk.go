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
	"container/heap"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

// Bulk (RFC 7644 §3.7): many operations in one request, each answered with
// its own status. Operations run in order through the same handlers as
// single requests; an operation that refers to a resource created earlier in
// the request by "bulkId:<id>" waits until that POST has run.

type bulkRequest struct {
	Schemas      []string        `json:"schemas"`
	FailOnErrors *int            `json:"failOnErrors"`
	Operations   []bulkOperation `json:"Operations"`
}

type bulkOperation struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId"`
	Version string          `json:"version"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data"`
}

type bulkResult struct {
	Location string          `json:"location,omitempty"`
	Method   string          `json:"method"`
	BulkID   string          `json:"bulkId,omitempty"`
	Version  string          `json:"version,omitempty"`
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response,omitempty"`
}

const bulkIDPrefix = "bulkId:"

// parseBulkRequest decodes and checks a BulkRequest body.
func parseBulkRequest(data []byte, maxOperations int) (bulkRequest, error) {
	var req bulkRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return req, scim.ErrInvalidSyntax("the request body is not a BulkRequest: %v", err)
	}
	if !scim.HasSchema(req.Schemas, scim.BulkRequestURN) {
		return req, scim.ErrInvalidValue("schemas must include %s", scim.BulkRequestURN)
	}
	if len(req.Operations) == 0 {
		return req, scim.ErrInvalidValue("Operations must hold at least one operation")
	}
	if len(req.Operations) > maxOperations {
		// RFC 7644 §3.7.4: more than maxOperations is 413.
		return req, scim.ErrTooLarge("the request holds %d operations; the maximum is %d", len(req.Operations), maxOperations)
	}
	if req.FailOnErrors != nil && *req.FailOnErrors < 1 {
		return req, scim.ErrInvalidValue("failOnErrors must be a positive integer")
	}
	seen := map[string]bool{}
	for i, op := range req.Operations {
		op.Method = strings.ToUpper(op.Method)
		req.Operations[i].Method = op.Method
		switch op.Method {
		case http.MethodPost:
			// RFC 7644 §3.7: bulkId is REQUIRED for POST.
			if op.BulkID == "" {
				return req, scim.ErrInvalidValue("Operations[%d]: a POST needs a bulkId", i)
			}
			if seen[op.BulkID] {
				return req, scim.ErrInvalidValue("Operations[%d]: bulkId %q is used twice", i, op.BulkID)
			}
			seen[op.BulkID] = true
		case http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			return req, scim.ErrInvalidValue("Operations[%d]: method %q is not one of POST, PUT, PATCH, DELETE", i, op.Method)
		}
		if op.Method != http.MethodDelete && len(op.Data) == 0 {
			return req, scim.ErrInvalidValue("Operations[%d]: %s needs data", i, op.Method)
		}
	}
	return req, nil
}

func (s *Server) bulk(w http.ResponseWriter, r *request) error {
	req, err := s.readBulk(r)
	if err != nil {
		// Refused before its operations are counted, it costs what any
		// request does.
		if r.limiter != nil {
			r.limiter.AllowN(time.Now(), 1)
		}
		return err
	}
	// Each operation costs a token of the rate limit, as the same request
	// sent alone would, all before any runs. A Bulk of more operations than
	// the burst costs a full bucket: it could never be covered otherwise.
	if r.limiter != nil {
		if err := charge(w, r.limiter, min(len(req.Operations), r.limiter.Burst()), true); err != nil {
			return err
		}
	}

	results := s.runBulk(r, req)
	out := make([]*bulkResult, 0, len(results))
	for _, res := range results {
		if res != nil {
			out = append(out, res) // failOnErrors: operations never attempted are left out
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{scim.BulkResponseURN}, "Operations": out})
	return nil
}

// readBulk reads and checks a BulkRequest body.
func (s *Server) readBulk(r *request) (bulkRequest, error) {
	data, err := readAll(r)
	if maxBytes, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return bulkRequest{}, scim.ErrTooLarge("the request body exceeds maxPayloadSize, %d bytes", maxBytes.Limit)
	}
	if err != nil {
		return bulkRequest{}, err
	}
	return parseBulkRequest(data, s.opts.MaxBulkOperations)
}

// bulkPlan is a Bulk request read once: each operation's references and
// parsed data, and which operations wait for which POST.
type bulkPlan struct {
	ops []plannedOperation
	// dependents[j] are the operations that refer to POST j's bulkId.
	dependents [][]int
	// waitingFor[i] counts the POSTs operation i still waits for.
	waitingFor []int
}

type plannedOperation struct {
	bulkOperation
	// refs are the bulkIds the path and data refer to, each once.
	refs []string
	// data is the parsed data when it holds references (resolved in place
	// before the operation runs); nil sends Data as it came.
	data any
	// unknown is a reference no POST of the request defines.
	unknown string
}

// planBulk scans every operation once and builds the bulkId dependency
// graph: linear in the size of the request.
func planBulk(req bulkRequest) bulkPlan {
	p := bulkPlan{
		ops:        make([]plannedOperation, len(req.Operations)),
		dependents: make([][]int, len(req.Operations)),
		waitingFor: make([]int, len(req.Operations)),
	}
	posts := map[string]int{} // bulkId -> the POST that defines it
	for i, op := range req.Operations {
		if op.Method == http.MethodPost {
			posts[op.BulkID] = i
		}
	}
	for i, op := range req.Operations {
		refs, data := scanOperation(op)
		p.ops[i] = plannedOperation{bulkOperation: op, refs: refs, data: data}
		for _, ref := range refs {
			j, ok := posts[ref]
			if !ok {
				p.ops[i].unknown = ref
				continue
			}
			p.dependents[j] = append(p.dependents[j], i)
			p.waitingFor[i]++
		}
	}
	return p
}

// runBulk runs a Bulk request's operations, each once its references are
// resolved: in request order among those that are ready (a topological
// order of the bulkId graph). It returns one result per operation, nil for
// those failOnErrors left unattempted.
func (s *Server) runBulk(r *request, req bulkRequest) []*bulkResult {
	p := planBulk(req)
	results := make([]*bulkResult, len(p.ops))
	created := map[string]string{} // bulkId -> SCIM id
	failed := map[string]bool{}    // bulkIds whose POST failed
	errorsSeen := 0
	stopAt := 0
	if req.FailOnErrors != nil {
		stopAt = *req.FailOnErrors
	}

	ready := &intHeap{}
	for i := range p.ops {
		// An operation with an unknown reference fails at once.
		if p.waitingFor[i] == 0 || p.ops[i].unknown != "" {
			heap.Push(ready, i)
		}
	}
	for ready.Len() > 0 && (stopAt == 0 || errorsSeen < stopAt) {
		i := heap.Pop(ready).(int)
		op := &p.ops[i]
		var res *bulkResult
		failedRef := ""
		for _, ref := range op.refs {
			if failed[ref] {
				failedRef = ref
			}
		}
		switch {
		case op.unknown != "":
			res = bulkError(op.bulkOperation, scim.ErrInvalidValue("bulkId %q is not defined by any POST of this request", op.unknown))
		case failedRef != "":
			res = bulkError(op.bulkOperation, scim.ErrConflict("bulkId %q refers to an operation that failed", failedRef))
		default:
			res = s.runBulkOperation(r, op, created)
		}
		results[i] = res
		if status, _ := strconv.Atoi(res.Status); status >= 400 {
			errorsSeen++
			if op.Method == http.MethodPost {
				failed[op.BulkID] = true
			}
		} else if op.Method == http.MethodPost {
			created[op.BulkID] = res.Location[strings.LastIndex(res.Location, "/")+1:]
		}
		if op.Method != http.MethodPost {
			continue
		}
		for _, d := range p.dependents[i] {
			if p.waitingFor[d]--; p.waitingFor[d] == 0 && p.ops[d].unknown == "" {
				heap.Push(ready, d)
			}
		}
	}
	if stopAt == 0 || errorsSeen < stopAt {
		// RFC 7644 §3.7.1: what never became ready waits on a circular
		// reference.
		for i := range p.ops {
			if results[i] == nil {
				results[i] = bulkError(p.ops[i].bulkOperation, scim.ErrConflict("circular bulkId reference"))
			}
		}
	}
	return results
}

// intHeap is a min-heap of operation indexes.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// bulkRefs lists the bulkIds an operation's path and data refer to.
func bulkRefs(op bulkOperation) []string {
	refs, _ := scanOperation(op)
	return refs
}

// onBulkScan, when set (by tests), is called each time an operation is
// scanned for bulkId references.
var onBulkScan func()

// scanOperation finds the bulkIds an operation's path and data refer to,
// each once, and returns the data parsed when it holds any.
func scanOperation(op bulkOperation) ([]string, any) {
	if onBulkScan != nil {
		onBulkScan()
	}
	var refs []string
	seen := map[string]bool{}
	add := func(s string) {
		if id, ok := strings.CutPrefix(s, bulkIDPrefix); ok && id != "" && !seen[id] {
			seen[id] = true
			refs = append(refs, id)
		}
	}
	for part := range strings.SplitSeq(op.Path, "/") {
		add(part)
	}
	if !bytes.Contains(op.Data, []byte(bulkIDPrefix)) {
		return refs, nil
	}
	var v any
	if json.Unmarshal(op.Data, &v) != nil {
		return refs, nil
	}
	walkStrings(v, func(s string) string {
		add(s)
		return s
	})
	return refs, v
}

// walkStrings replaces every string in v by f(string), in place.
func walkStrings(v any, f func(string) string) any {
	switch t := v.(type) {
	case string:
		return f(t)
	case map[string]any:
		for k, e := range t {
			t[k] = walkStrings(e, f)
		}
	case []any:
		for i, e := range t {
			t[i] = walkStrings(e, f)
		}
	}
	return v
}

func bulkError(op bulkOperation, e *scim.Error) *bulkResult {
	body, _ := json.Marshal(e)
	return &bulkResult{Method: op.Method, BulkID: op.BulkID, Status: strconv.Itoa(e.Status), Response: body}
}

// runBulkOperation runs one operation through the single-request handler,
// with bulkId references replaced by the ids they resolved to.
func (s *Server) runBulkOperation(r *request, op *plannedOperation, created map[string]string) *bulkResult {
	resolve := func(str string) string {
		if id, ok := strings.CutPrefix(str, bulkIDPrefix); ok && created[id] != "" {
			return created[id]
		}
		return str
	}
	parts := strings.Split(strings.Trim(op.Path, "/"), "/")
	for i := range parts {
		// The path is a URI path (RFC 7644 §3.7): an id may arrive
		// percent-encoded.
		if p, err := url.PathUnescape(parts[i]); err == nil {
			parts[i] = p
		}
		parts[i] = resolve(parts[i])
	}
	var handler handlerFunc
	var id string
	switch {
	case len(parts) == 1 && op.Method == http.MethodPost && strings.EqualFold(parts[0], "Users"):
		handler = s.createUser
	case len(parts) == 1 && op.Method == http.MethodPost && strings.EqualFold(parts[0], "Groups"):
		handler = s.createGroup
	case len(parts) == 2 && strings.EqualFold(parts[0], "Users"):
		id, handler = parts[1], map[string]handlerFunc{http.MethodPut: s.replaceUser, http.MethodPatch: s.patchUser, http.MethodDelete: s.deleteUser}[op.Method]
	case len(parts) == 2 && strings.EqualFold(parts[0], "Groups"):
		id, handler = parts[1], map[string]handlerFunc{http.MethodPut: s.replaceGroup, http.MethodPatch: s.patchGroup, http.MethodDelete: s.deleteGroup}[op.Method]
	}
	if handler == nil {
		return bulkError(op.bulkOperation, scim.ErrInvalidPath("%s %s is not a bulk operation this server supports", op.Method, op.Path))
	}

	body := []byte(op.Data)
	if op.data != nil {
		body, _ = json.Marshal(walkStrings(op.data, resolve))
	}
	escaped := make([]string, len(parts))
	for i, p := range parts {
		escaped[i] = url.PathEscape(p)
	}
	inner, err := http.NewRequestWithContext(r.Context(), op.Method, r.baseURL+"/"+strings.Join(escaped, "/"), bytes.NewReader(body))
	if err != nil {
		return bulkError(op.bulkOperation, scim.ErrInvalidPath("%s: %v", op.Path, err))
	}
	inner.Header.Set("Content-Type", "application/scim+json")
	if op.Version != "" {
		inner.Header.Set("If-Match", op.Version)
	}
	inner.SetPathValue("id", id)
	rec := newBulkRecorder()
	if err := handler(rec, &request{Request: inner, tenant: r.tenant, baseURL: r.baseURL}); err != nil {
		s.writeError(rec, inner, err)
	}

	res := &bulkResult{Method: op.Method, BulkID: op.BulkID, Status: strconv.Itoa(rec.status)}
	if rec.status >= 400 {
		res.Response = rec.body.Bytes()
		return res
	}
	res.Version = rec.header.Get("ETag")
	switch {
	case op.Method == http.MethodPost:
		res.Location = rec.header.Get("Location")
	case id != "":
		res.Location = r.baseURL + "/" + parts[0] + "/" + id
	}
	return res
}

// bulkRecorder collects one operation's response.
type bulkRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBulkRecorder() *bulkRecorder {
	return &bulkRecorder{header: http.Header{}, status: http.StatusOK}
}

func (b *bulkRecorder) Header() http.Header         { return b.header }
func (b *bulkRecorder) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bulkRecorder) WriteHeader(status int)      { b.status = status }
