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
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
)

func filterQuery(filter string, extra ...string) string {
	q := "?filter=" + url.QueryEscape(filter)
	for _, e := range extra {
		q += "&" + e
	}
	return q
}

var _ = Describe("Okta's user provisioning sequence (Okta SCIM 2.0 protocol reference)", Ordered, func() {
	const userName = "test.user@okta.local"
	var id string

	It("looks the user up by userName and finds nothing", func() {
		r := endpoint.do("GET", "/Users"+filterQuery(`userName eq "test.user@okta.local"`, "startIndex=1", "count=100"), nil)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["totalResults"]).To(BeEquivalentTo(0))
		Expect(r.body["Resources"]).To(BeEmpty())
		Expect(r.body["schemas"]).To(ConsistOf(scim.ListResponseURN))
	})

	It("creates the user, dropping the password", func() {
		r := endpoint.do("POST", "/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName": "test.user@okta.local",
			"name": {"givenName": "Test", "familyName": "User"},
			"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
			"displayName": "Test User",
			"locale": "en-US",
			"externalId": "00ujl29u0le5T6Aj10h7",
			"groups": [],
			"password": "1mz050nq",
			"active": true
		}`)
		Expect(r.status).To(Equal(http.StatusCreated), r.String())
		id = r.str("id")
		Expect(id).NotTo(BeEmpty())
		Expect(r.body).NotTo(HaveKey("password"))
		Expect(r.body["userName"]).To(Equal(userName))
		Expect(r.body["active"]).To(BeTrue())
		meta := r.body["meta"].(map[string]any)
		Expect(meta["resourceType"]).To(Equal("User"))
		Expect(meta["location"]).To(Equal(endpoint.base + "/Users/" + id))
		Expect(r.header.Get("Location")).To(Equal(meta["location"]))
		Expect(r.header.Get("ETag")).To(Equal(meta["version"]))
		Expect(meta["version"]).To(MatchRegexp(`^W/".+"$`))

		// The password is nowhere in the stored object.
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(v1.GroupVersion.WithKind("ScimUser"))
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: endpoint.namespace, Name: v1.ScimUserNameOf(id)}, obj)).To(Succeed())
		data, err := obj.MarshalJSON()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).NotTo(ContainSubstring("1mz050nq"))
		Expect(strings.ToLower(string(data))).NotTo(ContainSubstring("password"))
	})

	It("finds it at once by id and by userName (read-your-writes)", func() {
		r := endpoint.do("GET", "/Users/"+id, nil)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["externalId"]).To(Equal("00ujl29u0le5T6Aj10h7"))
		r = endpoint.do("GET", "/Users"+filterQuery(`userName eq "TEST.USER@okta.local"`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1))
		Expect(r.resources()[0]["id"]).To(Equal(id))
	})

	It("replaces the profile with PUT", func() {
		r := endpoint.do("PUT", "/Users/"+id, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "`+id+`",
			"userName": "test.user@okta.local",
			"name": {"givenName": "Another", "middleName": "", "familyName": "User"},
			"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
			"displayName": "Another User",
			"locale": "en-US",
			"externalId": "00ujl29u0le5T6Aj10h7",
			"groups": [],
			"password": "t1meMa",
			"active": true
		}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["name"]).To(HaveKeyWithValue("givenName", "Another"))
		Expect(r.body["displayName"]).To(Equal("Another User"))
		Expect(r.body["id"]).To(Equal(id))
	})

	It("deactivates with a path-less PATCH replace of active", func() {
		r := endpoint.do("PATCH", "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "replace", "value": {"active": false}}]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["active"]).To(BeFalse())
		u := &v1.ScimUser{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: endpoint.namespace, Name: v1.ScimUserNameOf(id)}, u)).To(Succeed())
		Expect(*u.Spec.Active).To(BeFalse())
	})

	It("reactivates the same way", func() {
		r := endpoint.do("PATCH", "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "replace", "value": {"active": true}}]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["active"]).To(BeTrue())
	})

	It("deletes the user", func() {
		Expect(endpoint.do("DELETE", "/Users/"+id, nil).status).To(Equal(http.StatusNoContent))
		r := endpoint.do("GET", "/Users/"+id, nil)
		Expect(r.status).To(Equal(http.StatusNotFound))
		Expect(r.body["status"]).To(Equal("404"))
		Expect(r.body["schemas"]).To(ConsistOf(scim.ErrorURN))
	})
})

var _ = Describe("Microsoft Entra ID's user provisioning sequence (Entra SCIM endpoint tutorial)", Ordered, func() {
	const userName = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
	var id string

	It("queries by userName and gets an empty list with an empty Resources array", func() {
		r := endpoint.do("GET", "/Users"+filterQuery(`userName eq "`+userName+`"`), nil)
		Expect(r.status).To(Equal(http.StatusOK))
		Expect(r.body["totalResults"]).To(BeEquivalentTo(0))
		Expect(r.body).To(HaveKeyWithValue("Resources", BeEmpty()))
		Expect(r.body["startIndex"]).To(BeEquivalentTo(1))
	})

	It("creates the user with the enterprise extension", func() {
		r := endpoint.do("POST", "/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			"userName": "`+userName+`",
			"active": true,
			"emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
			"meta": {"resourceType": "User"},
			"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
			"roles": [],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Engineering", "employeeNumber": "42"}
		}`, "Content-Type", "application/json")
		Expect(r.status).To(Equal(http.StatusCreated), r.String())
		id = r.str("id")
		Expect(r.body["schemas"]).To(ConsistOf(scim.UserSchemaURN, scim.EnterpriseUserSchemaURN))
		Expect(r.body[scim.EnterpriseUserSchemaURN]).To(HaveKeyWithValue("department", "Engineering"))
	})

	It("finds it by the work email, in the filter form Entra sends", func() {
		r := endpoint.do("GET", "/Users"+filterQuery(`emails[type eq "work"].value eq "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"`), nil)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1))
		Expect(r.resources()[0]["id"]).To(Equal(id))
	})

	It("finds it by externalId, which is case-exact", func() {
		r := endpoint.do("GET", "/Users"+filterQuery(`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1))
		r = endpoint.do("GET", "/Users"+filterQuery(`externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(0))
	})

	It("updates multi-valued and single-valued attributes with capitalised ops", func() {
		r := endpoint.do("PATCH", "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [
				{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
				{"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}
			]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["emails"]).To(ContainElement(HaveKeyWithValue("value", "updatedEmail@microsoft.com")))
		Expect(r.body["name"]).To(HaveKeyWithValue("familyName", "updatedFamilyName"))
	})

	It("renames the user and keeps its id", func() {
		r := endpoint.do("PATCH", "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["id"]).To(Equal(id))
		r = endpoint.do("GET", "/Users"+filterQuery(`userName eq "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1))
		Expect(r.resources()[0]["id"]).To(Equal(id))
	})

	It("sets the manager from a bare id", func() {
		r := endpoint.do("PATCH", "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "2819c223-7f76-453a-919d-413861904646"}]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body[scim.EnterpriseUserSchemaURN]).To(HaveKeyWithValue("manager", HaveKeyWithValue("value", "2819c223-7f76-453a-919d-413861904646")))
	})

	It("applies a path-less replace with dotted and URN keys and a string boolean", func() {
		r := endpoint.do("PATCH", "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Replace", "value": {
				"name.givenName": "Grace",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Research",
				"active": "False"
			}}]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["name"]).To(HaveKeyWithValue("givenName", "Grace"))
		Expect(r.body[scim.EnterpriseUserSchemaURN]).To(HaveKeyWithValue("department", "Research"))
		Expect(r.body["active"]).To(BeFalse())
	})

	It("reactivates with a string boolean", func() {
		r := endpoint.do("PATCH", "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Replace", "path": "active", "value": "True"}]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["active"]).To(BeTrue())
	})

	It("deletes the user and answers 404 afterwards", func() {
		Expect(endpoint.do("DELETE", "/Users/"+id, nil).status).To(Equal(http.StatusNoContent))
		Expect(endpoint.do("GET", "/Users/"+id, nil).status).To(Equal(http.StatusNotFound))
		Expect(endpoint.do("DELETE", "/Users/"+id, nil).status).To(Equal(http.StatusNotFound))
	})
})

var _ = Describe("RFC 7644's own examples", func() {
	It("§3.3: creates bjensen and §3.4.1: retrieves her", func() {
		r := endpoint.do("POST", "/Users", `{
			"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName":"bjensen",
			"externalId":"bjensen",
			"name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara"}
		}`)
		Expect(r.status).To(Equal(http.StatusCreated), r.String())
		id := r.str("id")
		Expect(r.body["name"]).To(HaveKeyWithValue("formatted", "Ms. Barbara J Jensen III"))
		meta := r.body["meta"].(map[string]any)
		Expect(meta).To(HaveKey("created"))
		Expect(meta).To(HaveKey("lastModified"))

		r = endpoint.do("GET", "/Users/"+id, nil)
		Expect(r.status).To(Equal(http.StatusOK))
		Expect(r.body["userName"]).To(Equal("bjensen"))
	})

	It("§3.5.2.1: adds an email with add and a path", func() {
		id := endpoint.createUser("rfc-add@example.com")
		r := endpoint.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"add","path":"emails","value":[{"value":"babs@jensen.org","type":"home"}]}]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["emails"]).To(HaveLen(2))
	})

	It("§3.5.2.2: removes only the emails a value filter selects", func() {
		id := endpoint.createUser("rfc-remove@example.com")
		endpoint.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"add","path":"emails","value":[{"value":"home@example.com","type":"home"}]}]}`)
		r := endpoint.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"remove","path":"emails[type eq \"home\"]"}]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["emails"]).To(ConsistOf(HaveKeyWithValue("value", "rfc-remove@example.com")))
	})

	It("§3.5.2.3: replaces an attribute and applies all operations or none", func() {
		id := endpoint.createUser("rfc-atomic@example.com")
		r := endpoint.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[
				{"op":"replace","path":"displayName","value":"Should Not Stay"},
				{"op":"replace","path":"id","value":"hijack"}
			]}`)
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("mutability"))
		r = endpoint.do("GET", "/Users/"+id, nil)
		Expect(r.body).NotTo(HaveKey("displayName"))
	})

	It("never answers 412 to an update without If-Match because the operator wrote the user's status", func() {
		id := endpoint.createUser("rfc-busy-status@example.com")
		key := client.ObjectKey{Namespace: endpoint.namespace, Name: v1.ScimUserNameOf(id)}
		// The controllers write the status as fast as Lightrun answers.
		sctx, stop := context.WithCancel(ctx)
		writes := make(chan int, 1)
		go func() {
			defer GinkgoRecover()
			n := 0
			defer func() { writes <- n }()
			for sctx.Err() == nil {
				u := &v1.ScimUser{}
				if err := k8sClient.Get(sctx, key, u); err != nil {
					continue
				}
				base := u.DeepCopy()
				u.Status.ObservedGeneration++
				if k8sClient.Status().Patch(sctx, u, client.MergeFrom(base)) == nil {
					n++
				}
			}
		}()
		for i := range 30 {
			r := endpoint.do("PATCH", "/Users/"+id, fmt.Sprintf(`{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "title", "value": "title %d"}]}`, i))
			Expect(r.status).To(Equal(http.StatusOK), r.String())
			Expect(r.str("title")).To(Equal(fmt.Sprintf("title %d", i)))
		}
		stop()
		Expect(<-writes).To(BeNumerically(">", 30), "the status was written concurrently")
	})

	It("§3.14: answers If-None-Match with 304 and a stale If-Match with 412", func() {
		id := endpoint.createUser("rfc-etag@example.com")
		r := endpoint.do("GET", "/Users/"+id, nil)
		etag := r.header.Get("ETag")
		Expect(endpoint.do("GET", "/Users/"+id, nil, "If-None-Match", etag).status).To(Equal(http.StatusNotModified))

		patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Tour Guide"}]}`
		r = endpoint.do("PATCH", "/Users/"+id, patch, "If-Match", etag)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.header.Get("ETag")).NotTo(Equal(etag))

		r = endpoint.do("PATCH", "/Users/"+id, patch, "If-Match", etag)
		Expect(r.status).To(Equal(http.StatusPreconditionFailed), r.String())
		Expect(endpoint.do("DELETE", "/Users/"+id, nil, "If-Match", etag).status).To(Equal(http.StatusPreconditionFailed))
		Expect(endpoint.do("GET", "/Users/"+id, nil, "If-None-Match", etag).status).To(Equal(http.StatusOK))
	})

	It("§3.9: returns only the requested attributes, id always, never the password", func() {
		id := endpoint.createUser("rfc-attrs@example.com")
		r := endpoint.do("GET", "/Users/"+id+"?attributes=userName", nil)
		Expect(r.status).To(Equal(http.StatusOK))
		Expect(r.body).To(HaveKey("id"))
		Expect(r.body).To(HaveKey("userName"))
		Expect(r.body).NotTo(HaveKey("emails"))
		Expect(r.body).NotTo(HaveKey("name"))

		r = endpoint.do("GET", "/Users/"+id+"?excludedAttributes=emails,name", nil)
		Expect(r.body).To(HaveKey("userName"))
		Expect(r.body).NotTo(HaveKey("emails"))
		Expect(r.body).NotTo(HaveKey("name"))

		r = endpoint.do("GET", "/Users"+filterQuery(`id eq "`+id+`"`, "attributes=id"), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1))
		Expect(r.resources()[0]).To(HaveKeyWithValue("id", id))
		Expect(r.resources()[0]).NotTo(HaveKey("userName"))
	})
})

var _ = Describe("lists", func() {
	var t *tenantEndpoint
	BeforeEach(func() {
		t = startServer(cfg, scimOptions(5)).newTenant("lists", "lists-token")
		for _, name := range []string{"carol", "alice", "eve", "bob", "dave", "frank", "grace"} {
			t.createUser(name + "@example.com")
		}
	})

	It("pages with startIndex and count in a stable order, capped at maxResults", func() {
		var seen []string
		for start := 1; start <= 7; start += 3 {
			r := t.do("GET", fmt.Sprintf("/Users?startIndex=%d&count=3", start), nil)
			Expect(r.status).To(Equal(http.StatusOK))
			Expect(r.body["totalResults"]).To(BeEquivalentTo(7))
			Expect(r.body["startIndex"]).To(BeEquivalentTo(start))
			for _, res := range r.resources() {
				seen = append(seen, res["id"].(string))
			}
		}
		Expect(seen).To(HaveLen(7))
		Expect(seen).To(HaveEach(Not(BeEmpty())))
		unique := map[string]bool{}
		for _, id := range seen {
			unique[id] = true
		}
		Expect(unique).To(HaveLen(7), "pages overlap or skip")

		r := t.do("GET", "/Users?count=100", nil)
		Expect(r.resources()).To(HaveLen(5), "the page size is capped at maxResults")
		Expect(r.body["itemsPerPage"]).To(BeEquivalentTo(5))

		r = t.do("GET", "/Users?count=0", nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(7))
		Expect(r.resources()).To(BeEmpty())
	})

	// cursorPages follows nextCursor from the first page (RFC 9865 §2.2)
	// and returns the ids of every page; between pages it calls between.
	cursorPages := func(path string, between func(page int)) [][]string {
		GinkgoHelper()
		var pages [][]string
		next := ""
		for range 20 {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			r := t.do("GET", path+sep+"cursor="+url.QueryEscape(next), nil)
			Expect(r.status).To(Equal(http.StatusOK), r.String())
			Expect(r.body).NotTo(HaveKey("startIndex"), "a cursor page has no startIndex (RFC 9865 §2.2)")
			var ids []string
			for _, res := range r.resources() {
				ids = append(ids, res["id"].(string))
			}
			pages = append(pages, ids)
			if _, more := r.body["nextCursor"]; !more {
				return pages
			}
			next = r.str("nextCursor")
			Expect(next).To(MatchRegexp(`^[A-Za-z0-9_-]+$`), "a cursor is made of unreserved characters (RFC 9865 §2.1)")
			if between != nil {
				between(len(pages))
			}
		}
		Fail("nextCursor never ran out")
		return nil
	}

	It("pages with cursors (RFC 9865), never repeating or skipping a user that stays", func() {
		r := t.do("GET", "/ServiceProviderConfig", nil)
		Expect(r.body["pagination"]).To(And(
			HaveKeyWithValue("cursor", true), HaveKeyWithValue("index", true),
			HaveKeyWithValue("defaultPaginationMethod", "index"), HaveKeyWithValue("maxPageSize", BeEquivalentTo(5))))

		var all []string
		for _, res := range t.do("GET", "/Users?count=5", nil).resources() {
			all = append(all, res["id"].(string))
		}
		all = append(all, t.do("GET", "/Users?startIndex=6&count=5", nil).resources()[0]["id"].(string),
			t.do("GET", "/Users?startIndex=7&count=5", nil).resources()[0]["id"].(string))

		pages := cursorPages("/Users?count=3", nil)
		Expect(pages).To(HaveLen(3))
		Expect(slices.Concat(pages...)).To(Equal(all), "cursor pages follow the list order")

		// A user deleted from a page not yet read disappears, and the
		// users that stay come exactly once, in order. One created meanwhile
		// comes at most once: it sorts after every user of an earlier second,
		// but within its own second by id, possibly behind the cursor.
		var created string
		pages = cursorPages("/Users?count=3", func(page int) {
			if page == 1 {
				Expect(t.do("DELETE", "/Users/"+all[4], nil).status).To(Equal(http.StatusNoContent))
				created = t.createUser("heidi@example.com")
			}
		})
		got := slices.Concat(pages...)
		Expect(slices.DeleteFunc(slices.Clone(got), func(id string) bool { return id == created })).
			To(Equal(slices.Delete(slices.Clone(all), 4, 5)))
		Expect(len(got) - len(all) + 1).To(BeNumerically("<=", 1))
	})

	It("pages a filtered or sorted list with cursors too", func() {
		filtered := cursorPages("/Users?count=2&"+strings.TrimPrefix(filterQuery(`userName ew "@example.com" and not (userName sw "e")`), "?"), nil)
		Expect(slices.Concat(filtered...)).To(HaveLen(6))
		Expect(filtered).To(HaveLen(3))

		sorted := cursorPages("/Users?count=3&sortBy=userName&attributes=userName", nil)
		var names []string
		for _, page := range sorted {
			for _, id := range page {
				names = append(names, t.do("GET", "/Users/"+id, nil).str("userName"))
			}
		}
		Expect(names).To(Equal([]string{"alice@example.com", "bob@example.com", "carol@example.com",
			"dave@example.com", "eve@example.com", "frank@example.com", "grace@example.com"}))
	})

	It("refuses a cursor it did not issue for this query", func() {
		first := t.do("GET", "/Users?count=2&cursor=", nil)
		next := first.str("nextCursor")
		Expect(next).NotTo(BeEmpty())

		for _, path := range []string{
			"/Users?cursor=not-a-cursor",
			// Not base64url: an appended letter was invalid only while ids
			// were UUIDs (it made the length 1 modulo 4).
			"/Users?cursor=" + next + "~",
			"/Users?sortBy=userName&cursor=" + next,
			"/Users?cursor=" + next + "&" + strings.TrimPrefix(filterQuery(`userName sw "a"`), "?"),
		} {
			r := t.do("GET", path, nil)
			Expect(r.status).To(Equal(http.StatusBadRequest), path)
			Expect(r.scimType()).To(Equal("invalidCursor"), path)
		}
		r := t.do("GET", "/Users?startIndex=3&cursor=", nil)
		Expect(r.status).To(Equal(http.StatusBadRequest))
		Expect(r.scimType()).To(Equal("invalidValue"))

		r = t.do("POST", "/Users/.search", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"count":   2, "cursor": next,
		})
		Expect(r.status).To(Equal(http.StatusOK), "a cursor is accepted in a SearchRequest body: %s", r.String())
		Expect(r.resources()).To(HaveLen(2))
		Expect(r.resources()[0]["id"]).NotTo(Equal(first.resources()[0]["id"]))
	})

	It("sorts by userName both ways", func() {
		names := func(r response) []string {
			var out []string
			for _, res := range r.resources() {
				out = append(out, strings.TrimSuffix(res["userName"].(string), "@example.com"))
			}
			return out
		}
		r := t.do("GET", "/Users?sortBy=userName&count=3", nil)
		Expect(names(r)).To(Equal([]string{"alice", "bob", "carol"}))
		r = t.do("GET", "/Users?sortBy=userName&sortOrder=descending&count=3", nil)
		Expect(names(r)).To(Equal([]string{"grace", "frank", "eve"}))
	})

	It("filters with the whole grammar and searches with POST .search", func() {
		r := t.do("GET", "/Users"+filterQuery(`(userName sw "a" or userName sw "b") and not (userName co "bob")`), nil)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1))

		r = t.do("POST", "/Users/.search", map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"filter":     `emails[type eq "work" and value ew "@example.com"]`,
			"attributes": []string{"userName"},
			"sortBy":     "userName",
			"startIndex": 1,
			"count":      2,
		})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["totalResults"]).To(BeEquivalentTo(7))
		Expect(r.resources()).To(HaveLen(2))
		Expect(r.resources()[0]).To(HaveKeyWithValue("userName", "alice@example.com"))
		Expect(r.resources()[0]).NotTo(HaveKey("emails"))

		r = t.do("POST", "/.search", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"filter":  `userName eq "eve@example.com"`,
		})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1))
	})

	It("refuses an unindexed filter over more resources than it scans", func() {
		small := startServer(cfg, server.Options{MaxCandidates: 3}).existing(t)
		r := small.do("GET", "/Users"+filterQuery(`title co "x"`), nil)
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("tooMany"))
		r = small.do("GET", "/Users"+filterQuery(`userName eq "alice@example.com"`), nil)
		Expect(r.status).To(Equal(http.StatusOK), "an indexed lookup is always answered")
	})
})

func scimOptions(maxResults int) server.Options { return server.Options{MaxResults: maxResults} }

var _ = Describe("userName uniqueness", func() {
	It("gives exactly one of 20 concurrent POSTs in mixed case a 201 and the rest 409 uniqueness", func() {
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			statuses = map[int]int{}
			types    = map[string]int{}
		)
		for i := range 20 {
			name := []string{"race@example.com", "RACE@example.com", "Race@Example.Com", "rAcE@eXaMpLe.CoM"}[i%4]
			wg.Go(func() {
				defer GinkgoRecover()
				r := endpoint.do("POST", "/Users", map[string]any{"schemas": []string{scim.UserSchemaURN}, "userName": name})
				mu.Lock()
				defer mu.Unlock()
				statuses[r.status]++
				types[r.scimType()]++
			})
		}
		wg.Wait()
		Expect(statuses).To(Equal(map[int]int{http.StatusCreated: 1, http.StatusConflict: 19}))
		Expect(types["uniqueness"]).To(Equal(19))
	})
})
