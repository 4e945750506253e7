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
	"net/http"
	"net/url"
	"strconv"
	"strings"

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
	data, err := readAll(r)
	if maxBytes, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return scim.ErrTooLarge("the request body exceeds maxPayloadSize, %d bytes", maxBytes.Limit)
	}
	if err != nil {
		return err
	}
	req, err := parseBulkRequest(data, s.opts.MaxBulkOperations)
	if err != nil {
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

	results := make([]*bulkResult, len(req.Operations))
	created := map[string]string{} // bulkId -> SCIM id
	failedIDs := map[string]bool{} // bulkIds whose POST failed
	declared := map[string]bool{}  // bulkIds some POST of the request defines
	for _, op := range req.Operations {
		if op.BulkID != "" {
			declared[op.BulkID] = true
		}
	}
	errorsSeen := 0
	stopAt := 0
	if req.FailOnErrors != nil {
		stopAt = *req.FailOnErrors
	}

	pending := make([]int, len(req.Operations))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 && (stopAt == 0 || errorsSeen < stopAt) {
		var waiting []int
		progressed := false
		for _, i := range pending {
			if stopAt > 0 && errorsSeen >= stopAt {
				break
			}
			op := req.Operations[i]
			refs := bulkRefs(op)
			ready, unknown, failedRef := true, "", ""
			for _, ref := range refs {
				switch {
				case created[ref] != "":
				case failedIDs[ref]:
					failedRef = ref
				case !declared[ref]:
					unknown = ref
				default:
					ready = false
				}
			}
			var res *bulkResult
			switch {
			case unknown != "":
				res = bulkError(op, scim.ErrInvalidValue("bulkId %q is not defined by any POST of this request", unknown))
			case failedRef != "":
				res = bulkError(op, scim.ErrConflict("bulkId %q refers to an operation that failed", failedRef))
			case !ready:
				waiting = append(waiting, i)
				continue
			default:
				res = s.runBulkOperation(r, op, created)
			}
			progressed = true
			results[i] = res
			if status, _ := strconv.Atoi(res.Status); status >= 400 {
				errorsSeen++
				if op.BulkID != "" {
					failedIDs[op.BulkID] = true
				}
			} else if op.Method == http.MethodPost {
				created[op.BulkID] = res.Location[strings.LastIndex(res.Location, "/")+1:]
			}
		}
		if !progressed {
			// RFC 7644 §3.7.1: what cannot be resolved is a circular reference.
			for _, i := range waiting {
				results[i] = bulkError(req.Operations[i], scim.ErrConflict("circular bulkId reference"))
				errorsSeen++
			}
			break
		}
		pending = waiting
	}

	out := make([]*bulkResult, 0, len(results))
	for _, res := range results {
		if res != nil {
			out = append(out, res) // failOnErrors: operations never attempted are left out
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{scim.BulkResponseURN}, "Operations": out})
	return nil
}

// bulkRefs lists the bulkIds an operation's path and data refer to.
func bulkRefs(op bulkOperation) []string {
	var refs []string
	for _, part := range append(strings.Split(op.Path, "/"), scanBulkRefs(op.Data)...) {
		if id, ok := strings.CutPrefix(part, bulkIDPrefix); ok && id != "" {
			refs = append(refs, id)
		}
	}
	return refs
}

// scanBulkRefs finds "bulkId:..." string values anywhere in data.
func scanBulkRefs(data json.RawMessage) []string {
	if !bytes.Contains(data, []byte(bulkIDPrefix)) {
		return nil
	}
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	var out []string
	walkStrings(v, func(s string) string {
		if strings.HasPrefix(s, bulkIDPrefix) {
			out = append(out, s)
		}
		return s
	})
	return out
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
func (s *Server) runBulkOperation(r *request, op bulkOperation, created map[string]string) *bulkResult {
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
		return bulkError(op, scim.ErrInvalidPath("%s %s is not a bulk operation this server supports", op.Method, op.Path))
	}

	body := []byte(op.Data)
	if bytes.Contains(body, []byte(bulkIDPrefix)) {
		var v any
		if err := json.Unmarshal(body, &v); err == nil {
			body, _ = json.Marshal(walkStrings(v, resolve))
		}
	}
	escaped := make([]string, len(parts))
	for i, p := range parts {
		escaped[i] = url.PathEscape(p)
	}
	inner, err := http.NewRequestWithContext(r.Context(), op.Method, r.baseURL+"/"+strings.Join(escaped, "/"), bytes.NewReader(body))
	if err != nil {
		return bulkError(op, scim.ErrInvalidPath("%s: %v", op.Path, err))
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
