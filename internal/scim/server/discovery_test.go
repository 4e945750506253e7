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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

var _ = Describe("discovery (RFC 7644 §4)", func() {
	It("serves ServiceProviderConfig with what the server supports", func() {
		r := endpoint.do("GET", "/ServiceProviderConfig", nil)
		Expect(r.status).To(Equal(http.StatusOK))
		Expect(r.body["schemas"]).To(ConsistOf(scim.ServiceProviderConfigSchemaURN))
		Expect(r.body["patch"]).To(HaveKeyWithValue("supported", true))
		Expect(r.body["filter"]).To(And(HaveKeyWithValue("supported", true), HaveKeyWithValue("maxResults", BeEquivalentTo(1000))))
		Expect(r.body["bulk"]).To(And(HaveKeyWithValue("supported", true), HaveKeyWithValue("maxOperations", BeEquivalentTo(1000)), HaveKey("maxPayloadSize")))
		Expect(r.body["etag"]).To(HaveKeyWithValue("supported", true))
		Expect(r.body["sort"]).To(HaveKeyWithValue("supported", true))
		Expect(r.body["changePassword"]).To(HaveKeyWithValue("supported", false))
		Expect(r.body["authenticationSchemes"]).To(ContainElement(HaveKeyWithValue("type", "oauthbearertoken")))
	})

	It("serves the User, enterprise User and Group schemas with attribute metadata", func() {
		r := endpoint.do("GET", "/Schemas", nil)
		Expect(r.status).To(Equal(http.StatusOK))
		Expect(r.body["totalResults"]).To(BeEquivalentTo(3))
		var ids []string
		for _, s := range r.resources() {
			ids = append(ids, s["id"].(string))
		}
		Expect(ids).To(ConsistOf(scim.UserSchemaURN, scim.EnterpriseUserSchemaURN, scim.GroupSchemaURN))

		r = endpoint.do("GET", "/Schemas/"+scim.UserSchemaURN, nil)
		Expect(r.status).To(Equal(http.StatusOK))
		attrs := r.body["attributes"].([]any)
		var userName, emails map[string]any
		for _, a := range attrs {
			m := a.(map[string]any)
			switch m["name"] {
			case "userName":
				userName = m
			case "emails":
				emails = m
			}
		}
		Expect(userName).To(And(HaveKeyWithValue("uniqueness", "server"), HaveKeyWithValue("caseExact", false), HaveKeyWithValue("required", true)))
		Expect(emails).To(And(HaveKeyWithValue("multiValued", true), HaveKey("subAttributes")))
		Expect(r.body["meta"]).To(HaveKeyWithValue("location", endpoint.base+"/Schemas/"+scim.UserSchemaURN))
	})

	It("serves the User and Group resource types", func() {
		r := endpoint.do("GET", "/ResourceTypes", nil)
		Expect(r.status).To(Equal(http.StatusOK))
		Expect(r.body["totalResults"]).To(BeEquivalentTo(2))
		r = endpoint.do("GET", "/ResourceTypes/User", nil)
		Expect(r.body["endpoint"]).To(Equal("/Users"))
		Expect(r.body["schemaExtensions"]).To(ContainElement(HaveKeyWithValue("schema", scim.EnterpriseUserSchemaURN)))
	})
})
