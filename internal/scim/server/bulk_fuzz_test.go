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
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

// FuzzParseBulkRequest feeds arbitrary bodies to the Bulk parser and the
// bulkId scanner: they must never panic, and what the parser accepts must
// satisfy RFC 7644 §3.7's rules the handler relies on.
func FuzzParseBulkRequest(f *testing.F) {
	for _, seed := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"q","data":{"userName":"a"}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,"Operations":[{"method":"post","path":"/Groups","bulkId":"g","data":{"members":[{"value":"bulkId:q"}]}},{"method":"DELETE","path":"/Users/bulkId:q"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"PATCH","path":"/Users/1","version":"W/\"3\"","data":{"Operations":[]}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Groups","bulkId":"outer","data":{"displayName":"o","members":[{"value":"bulkId:inner","type":"Group"}]}},{"method":"POST","path":"/Groups","bulkId":"inner","data":{"displayName":"i"}},{"method":"PATCH","path":"/Groups/bulkId:inner","data":{"Operations":[{"op":"add","path":"members","value":[{"value":"bulkId:outer","type":"Group"}]}]}}]}`,
		`{"schemas":[],"Operations":[]}`,
		`{"Operations":[{"method":"GET"}]}`,
		`[]`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":0,"Operations":[{"method":"DELETE","path":"/Users/x"}]}`,
		// Ids that are not ours (404, never 500): path tricks, encoded
		// slashes, an over-long name, control characters.
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"DELETE","path":"/Users/.."},{"method":"DELETE","path":"/Groups/."}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"PUT","path":"/Users/a%2Fb","data":{"userName":"a"}},{"method":"PATCH","path":"/Groups/%2F..%2F..%2Fsecrets","data":{"Operations":[]}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"DELETE","path":"/Users/` + strings.Repeat("a", 254) + `"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"DELETE","path":"/Users/\u0000"},{"method":"DELETE","path":"/Groups/a\nb%00"}]}`,
	} {
		f.Add([]byte(seed))
	}
	for _, s := range hostileSeeds(f) {
		if strings.HasSuffix(s.Path, "/Bulk") {
			f.Add(s.Body)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		const maxOps = 5
		req, err := parseBulkRequest(body, maxOps)
		if err != nil {
			if scim.AsError(err).Status < 400 {
				t.Fatalf("error with non-error status: %v", err)
			}
			return
		}
		if len(req.Operations) == 0 || len(req.Operations) > maxOps {
			t.Fatalf("accepted %d operations", len(req.Operations))
		}
		if req.FailOnErrors != nil && *req.FailOnErrors < 1 {
			t.Fatalf("accepted failOnErrors %d", *req.FailOnErrors)
		}
		ids := map[string]bool{}
		for _, op := range req.Operations {
			switch op.Method {
			case http.MethodPost:
				if op.BulkID == "" || ids[op.BulkID] {
					t.Fatalf("accepted a POST with bulkId %q", op.BulkID)
				}
				ids[op.BulkID] = true
			case http.MethodPut, http.MethodPatch, http.MethodDelete:
			default:
				t.Fatalf("accepted method %q", op.Method)
			}
			for _, ref := range bulkRefs(op) {
				if ref == "" {
					t.Fatalf("empty reference from %+v", op)
				}
			}
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatalf("accepted request does not encode: %v", err)
		}
	})
}
