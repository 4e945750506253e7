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
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

var _ = Describe("routes (RFC 7644 §3.2)", func() {
	It("answers /Me with 501 (RFC 7644 §3.11)", func() {
		r := endpoint.do("GET", "/Me", nil)
		Expect(r.status).To(Equal(http.StatusNotImplemented))
		Expect(r.body["schemas"]).To(ConsistOf(scim.ErrorURN))
	})
})

// Resource endpoints are matched without regard to case, as attribute names
// are (RFC 7643 §2.1); Microsoft's SCIM validator sends /users, /groups,
// /serviceproviderconfig. The namespace and IdentityConfig segments are
// Kubernetes names and stay case-sensitive.
var _ = Describe("resource endpoints in any case", func() {
	It("serves the endpoints under lower-case and upper-case paths", func() {
		id := endpoint.createUser("casing@example.com")
		for _, c := range []struct {
			method, path string
			body         any
			want         int
		}{
			{"GET", "/users", nil, http.StatusOK},
			{"GET", "/USERS?count=1", nil, http.StatusOK},
			{"GET", "/groups", nil, http.StatusOK},
			{"GET", "/serviceproviderconfig", nil, http.StatusOK},
			{"GET", "/schemas", nil, http.StatusOK},
			{"GET", "/schemas/" + scim.UserSchemaURN, nil, http.StatusOK},
			{"GET", "/resourcetypes", nil, http.StatusOK},
			{"GET", "/resourcetypes/User", nil, http.StatusOK},
			{"GET", "/users/" + id, nil, http.StatusOK},
			{"POST", "/users/.SEARCH", `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 1}`, http.StatusOK},
			{"POST", "/.Search", `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 1}`, http.StatusOK},
			{"POST", "/bulk", `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{"method": "DELETE", "path": "/Users/` + id + `"}]}`, http.StatusOK},
			{"GET", "/me", nil, http.StatusNotImplemented},
			{"DELETE", "/serviceProviderConfig", nil, http.StatusMethodNotAllowed},
		} {
			r := endpoint.do(c.method, c.path, c.body)
			Expect(r.status).To(Equal(c.want), "%s %s: %s", c.method, c.path, r)
		}
	})

	It("keeps the namespace and IdentityConfig segments case-sensitive", func() {
		upper := *endpoint
		upper.base = strings.Replace(endpoint.base, "/"+endpoint.name, "/"+strings.ToUpper(endpoint.name), 1)
		Expect(upper.do("GET", "/Users", nil).status).To(Equal(http.StatusUnauthorized))
		upper.base = strings.Replace(endpoint.base, "/"+endpoint.namespace+"/", "/"+strings.ToUpper(endpoint.namespace)+"/", 1)
		Expect(upper.do("GET", "/Users", nil).status).To(Equal(http.StatusUnauthorized))
	})
})
