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

package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
)

// Ids this endpoint never hands out: path tricks, encoded slashes, names
// longer than a Kubernetes name (253), control characters. They name no
// resource, so they answer 404 (RFC 7644 §3.12), never 500.
var foreignIDs = []string{
	"..", ".", "a/b", "/../../secrets", strings.Repeat("a", 254), strings.Repeat("b", 1000),
	"\x00", "a\nb", "\x7f", "a\tb", "ABC", "-", "a..b", "é",
}

var _ = Describe("ids that are not ours (RFC 7644 §3.12)", Ordered, func() {
	// Hundreds of requests: a tenant of its own, beyond the rate limit the
	// shared one has.
	var endpoint *tenantEndpoint
	BeforeAll(func() {
		endpoint = startServer(cfg, server.Options{RateLimit: 1e6, RateBurst: 1e6}).newTenant("foreign-ids", "foreign-ids-token")
	})
	userBody := `{"schemas": ["` + scim.UserSchemaURN + `"], "userName": "foreign-id@example.com"}`
	groupBody := `{"schemas": ["` + scim.GroupSchemaURN + `"], "displayName": "foreign id"}`
	patchBody := `{` + patchSchema + `, "Operations": [{"op": "replace", "path": "externalId", "value": "x"}]}`

	It("answers 404 on every method of /Users/{id} and /Groups/{id}", func() {
		for _, id := range foreignIDs {
			for _, c := range []struct{ method, resource, body string }{
				{"GET", "/Users/", ""}, {"PUT", "/Users/", userBody}, {"PATCH", "/Users/", patchBody}, {"DELETE", "/Users/", ""},
				{"GET", "/Groups/", ""}, {"PUT", "/Groups/", groupBody}, {"PATCH", "/Groups/", patchBody}, {"DELETE", "/Groups/", ""},
			} {
				var body any
				if c.body != "" {
					body = c.body
				}
				r := endpoint.do(c.method, c.resource+url.PathEscape(id), body)
				Expect(r.status).To(Equal(http.StatusNotFound), "%s %s%q: %s", c.method, c.resource, id, r)
				Expect(r.body["schemas"]).To(ConsistOf(scim.ErrorURN))
			}
		}
	})

	It("answers 404 to the path forms the id arrives in unescaped", func() {
		for _, path := range []string{"/Users/..", "/Groups/..", "/Users/.", "/Users/%2e%2e", "/Users/..%2F..%2Fsecrets"} {
			for _, method := range []string{"GET", "PUT", "PATCH", "DELETE"} {
				var body any
				if method == "PUT" || method == "PATCH" {
					body = patchBody
					if method == "PUT" {
						body = userBody
					}
				}
				r := endpoint.do(method, path, body)
				Expect(r.status).To(Equal(http.StatusNotFound), "%s %s: %s", method, path, r)
			}
		}
	})

	It("refuses them as group members (400 invalidValue) and removes them as no-ops", func() {
		r := endpoint.do("POST", "/Groups", `{"schemas": ["`+scim.GroupSchemaURN+`"], "displayName": "foreign members"}`)
		Expect(r.status).To(Equal(http.StatusCreated), r.String())
		group := "/Groups/" + r.str("id")
		for _, id := range foreignIDs {
			value, err := json.Marshal(id)
			Expect(err).NotTo(HaveOccurred())
			r = endpoint.do("PATCH", group, `{`+patchSchema+`, "Operations": [{"op": "add", "path": "members", "value": [{"value": `+string(value)+`}]}]}`)
			Expect(r.status).To(Equal(http.StatusBadRequest), "add %q: %s", id, r)
			Expect(r.scimType()).To(Equal("invalidValue"))
			r = endpoint.do("PATCH", group, `{`+patchSchema+`, "Operations": [{"op": "remove", "path": "members", "value": [{"value": `+string(value)+`}]}]}`)
			Expect(r.status).To(Equal(http.StatusNoContent), "remove %q: %s", id, r)
		}
	})

	It("answers 404 in the results of Bulk operations (RFC 7644 §3.7.3)", func() {
		var ops []any
		for _, id := range foreignIDs {
			for res, data := range map[string]map[string]any{
				"/Users/":  {"schemas": []string{scim.UserSchemaURN}, "userName": "foreign-bulk@example.com"},
				"/Groups/": {"schemas": []string{scim.GroupSchemaURN}, "displayName": "foreign bulk"},
			} {
				ops = append(ops,
					map[string]any{"method": "PUT", "path": res + url.PathEscape(id), "data": data},
					map[string]any{"method": "PATCH", "path": res + url.PathEscape(id), "data": map[string]any{"schemas": []string{scim.PatchOpURN}, "Operations": []any{map[string]any{"op": "replace", "path": "externalId", "value": "x"}}}},
					map[string]any{"method": "DELETE", "path": res + url.PathEscape(id)},
				)
			}
			// As sent, without escaping, where the id is a single segment.
			if !strings.Contains(id, "/") {
				ops = append(ops, map[string]any{"method": "DELETE", "path": "/Users/" + id})
			}
		}
		r := endpoint.do("POST", "/Bulk", map[string]any{"schemas": []string{scim.BulkRequestURN}, "Operations": ops})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		results := bulkOps(r)
		Expect(results).To(HaveLen(len(ops)))
		for i, res := range results {
			Expect(res["status"]).To(Equal("404"), "%v: %v", ops[i], res)
		}
	})
})
