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
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
)

// documentedRequest is one request of testdata/idp (see its README).
type documentedRequest struct {
	method, path string
	headers      []string // key, value pairs
	body         string
}

func readDocumentedRequest(name string) documentedRequest {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join("testdata", "idp", name))
	Expect(err).NotTo(HaveOccurred())
	lines := strings.Split(string(data), "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		lines = lines[1:]
	}
	Expect(lines).NotTo(BeEmpty(), "%s has no request line", name)
	fields := strings.Fields(lines[0])
	Expect(len(fields)).To(BeNumerically(">=", 2), "%s: bad request line %q", name, lines[0])
	req := documentedRequest{method: fields[0], path: strings.TrimPrefix(fields[1], server.BasePath)}
	i := 1
	for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
		k, v, ok := strings.Cut(lines[i], ":")
		Expect(ok).To(BeTrue(), "%s: bad header line %q", name, lines[i])
		req.headers = append(req.headers, strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if i < len(lines) {
		req.body = strings.Join(lines[i+1:], "\n")
	}
	return req
}

// send replays the request on the tenant's endpoint with its token.
func (d documentedRequest) send(t *tenantEndpoint) response {
	GinkgoHelper()
	headers := []string{}
	for i := 0; i+1 < len(d.headers); i += 2 {
		if !strings.EqualFold(d.headers[i], "Authorization") {
			headers = append(headers, d.headers[i], d.headers[i+1])
		}
	}
	var body any
	if d.body != "" {
		body = d.body
	}
	return sendExactly(d.method, t.base+d.path, "Bearer "+t.token, body, headers...)
}

var _ = Describe("the requests Entra ID and Okta document", func() {
	var t *tenantEndpoint
	BeforeEach(func() {
		// A tenant per request: the documented names are fixed.
		t = startServer(cfg, server.Options{}).newTenant("documented", "documented-token")
	})

	for _, name := range []string{"entra_create_user.http", "entra_create_group.http", "okta_create_user.http", "okta_create_group.http"} {
		It("accepts "+name, func() {
			r := readDocumentedRequest(name).send(t)
			Expect(r.status).To(Equal(http.StatusCreated), r.String())
			// A schema URN that brought no attributes is not echoed back
			// (RFC 7643 §3: schemas lists the schemas the resource has).
			Expect(r.body["schemas"]).NotTo(ContainElement(ContainSubstring("schemas.microsoft.com")))
		})
	}

	It("refuses a schema URN whose attributes it does not support (RFC 7644 §3.3)", func() {
		r := t.do("POST", "/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
			"displayName": "adscim with attributes",
			"http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group": {"description": "x"}}`)
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("invalidValue"))
		Expect(r.str("detail")).To(ContainSubstring("ADSCIM/2.0/Group"))

		r = t.do("POST", "/Users", `{"schemas": ["`+scim.UserSchemaURN+`", "urn:example:params:scim:schemas:extension:acme:2.0:User"],
			"userName": "acme-extension@example.com",
			"urn:example:params:scim:schemas:extension:acme:2.0:User:costCenter": "42"}`)
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("invalidValue"))
	})
})
