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
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

func memberValues(r response) []string {
	list, _ := r.body["members"].([]any)
	out := make([]string, 0, len(list))
	for _, m := range list {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	return out
}

const patchSchema = `"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`

var _ = Describe("Okta's group push sequence (Okta SCIM 2.0 protocol reference)", Ordered, func() {
	var t *tenantEndpoint
	var groupID, alice, bob string

	BeforeAll(func() {
		t = startServer(cfg, server.Options{}).newTenant("okta-groups", "okta-groups-token")
		alice = t.createUser("alice@okta.local")
		bob = t.createUser("bob@okta.local")
	})

	It("looks the group up by displayName and finds nothing", func() {
		r := t.do("GET", "/Groups"+filterQuery(`displayName eq "Test SCIMv2"`, "startIndex=1", "count=100"), nil)
		Expect(r.status).To(Equal(http.StatusOK))
		Expect(r.body["totalResults"]).To(BeEquivalentTo(0))
	})

	It("creates the group without members", func() {
		r := t.do("POST", "/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Test SCIMv2", "members": []}`)
		Expect(r.status).To(Equal(http.StatusCreated), r.String())
		groupID = r.str("id")
		Expect(r.body["displayName"]).To(Equal("Test SCIMv2"))
		Expect(r.header.Get("Location")).To(Equal(t.base + "/Groups/" + groupID))
	})

	It("refuses a second group of the same displayName in another case", func() {
		r := t.do("POST", "/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "test scimv2"}`)
		Expect(r.status).To(Equal(http.StatusConflict))
		Expect(r.scimType()).To(Equal("uniqueness"))
	})

	It("adds members one PATCH at a time", func() {
		before := t.do("GET", "/Groups/"+groupID+"?excludedAttributes=members", nil)
		for _, u := range []string{alice, bob} {
			r := t.do("PATCH", "/Groups/"+groupID, `{`+patchSchema+`, "Operations": [{"op": "add", "path": "members", "value": [{"value": "`+u+`", "display": "user"}]}]}`)
			Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		}
		r := t.do("GET", "/Groups/"+groupID, nil)
		Expect(memberValues(r)).To(ConsistOf(alice, bob))
		// The members are part of the Group resource: their change is a
		// new version (RFC 7644 §3.14) and a new lastModified (RFC 7643
		// §3.1), though they are kept on the users.
		Expect(r.header.Get("ETag")).NotTo(Equal(before.header.Get("ETag")))
		Expect(r.body["meta"]).To(HaveKeyWithValue("version", r.header.Get("ETag")))
		Expect(r.body["meta"].(map[string]any)["lastModified"]).NotTo(Equal(before.body["meta"].(map[string]any)["lastModified"]))
		Expect(r.body["members"]).To(ContainElement(And(HaveKeyWithValue("display", "alice@okta.local"), HaveKeyWithValue("$ref", t.base+"/Users/"+alice))))

		// The user's side shows the direct membership.
		r = t.do("GET", "/Users/"+alice, nil)
		Expect(r.body["groups"]).To(ConsistOf(And(HaveKeyWithValue("value", groupID), HaveKeyWithValue("display", "Test SCIMv2"), HaveKeyWithValue("type", "direct"))))
	})

	It("renames the group with a replace that repeats its id", func() {
		r := t.do("PATCH", "/Groups/"+groupID, `{`+patchSchema+`, "Operations": [{"op": "replace", "value": {"id": "`+groupID+`", "displayName": "Test SCIMv2 renamed"}}]}`)
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		r = t.do("GET", "/Groups/"+groupID+"?excludedAttributes=members", nil)
		Expect(r.body["displayName"]).To(Equal("Test SCIMv2 renamed"))
		Expect(r.body).NotTo(HaveKey("members"))
		Expect(t.do("GET", "/Groups"+filterQuery(`displayName eq "test scimv2 RENAMED"`), nil).body["totalResults"]).To(BeEquivalentTo(1))
	})

	It("refuses a replace that carries another id", func() {
		r := t.do("PATCH", "/Groups/"+groupID, `{`+patchSchema+`, "Operations": [{"op": "replace", "value": {"id": "someone-else", "displayName": "Hijack"}}]}`)
		Expect(r.status).To(Equal(http.StatusBadRequest))
		Expect(r.scimType()).To(Equal("mutability"))
	})

	It("removes a member with a value filter", func() {
		r := t.do("PATCH", "/Groups/"+groupID, `{`+patchSchema+`, "Operations": [{"op": "remove", "path": "members[value eq \"`+alice+`\"]"}]}`)
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		Expect(memberValues(t.do("GET", "/Groups/"+groupID, nil))).To(ConsistOf(bob))
	})

	It("replaces all members with a full push", func() {
		r := t.do("PATCH", "/Groups/"+groupID, `{`+patchSchema+`, "Operations": [{"op": "replace", "path": "members", "value": [{"value": "`+alice+`"}]}]}`)
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		Expect(memberValues(t.do("GET", "/Groups/"+groupID, nil))).To(ConsistOf(alice))
	})

	It("deletes the group and releases its members", func() {
		Expect(t.do("DELETE", "/Groups/"+groupID, nil).status).To(Equal(http.StatusNoContent))
		Expect(t.do("GET", "/Groups/"+groupID, nil).status).To(Equal(http.StatusNotFound))
		r := t.do("GET", "/Users/"+alice, nil)
		Expect(r.body).NotTo(HaveKey("groups"))
		u := &v1.ScimUser{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: t.namespace, Name: v1.ScimUserNameOf(alice)}, u)).To(Succeed())
		Expect(u.Spec.Groups).To(BeEmpty())
	})
})

var _ = Describe("Microsoft Entra ID's group sequence (Entra SCIM endpoint tutorial)", Ordered, func() {
	var t *tenantEndpoint
	var groupID string
	var users []string

	BeforeAll(func() {
		t = startServer(cfg, server.Options{}).newTenant("entra-groups", "entra-groups-token")
		for i := range 3 {
			users = append(users, t.createUser(fmt.Sprintf("entra-member-%d@example.com", i)))
		}
	})

	It("queries by displayName without members and creates the group", func() {
		r := t.do("GET", "/Groups?excludedAttributes=members&"+filterQuery(`displayName eq "displayName"`)[1:], nil)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["totalResults"]).To(BeEquivalentTo(0))

		r = t.do("POST", "/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName", "meta": {"resourceType": "Group"}}`)
		Expect(r.status).To(Equal(http.StatusCreated), r.String())
		groupID = r.str("id")
		Expect(r.body["externalId"]).To(Equal("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"))
	})

	It("adds members with a capitalised Add and a value array, answering 204", func() {
		r := t.do("PATCH", "/Groups/"+groupID, `{`+patchSchema+`, "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "`+users[0]+`"}, {"$ref": null, "value": "`+users[1]+`"}, {"$ref": null, "value": "`+users[2]+`"}]}]}`)
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		Expect(memberValues(t.do("GET", "/Groups/"+groupID, nil))).To(ConsistOf(users))
	})

	It("answers its membership check from the member index", func() {
		r := t.do("GET", "/Groups?excludedAttributes=members&"+filterQuery(`id eq "` + groupID + `" and members[value eq "` + users[1] + `"]`)[1:], nil)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1))
		Expect(r.resources()[0]).NotTo(HaveKey("members"))
		r = t.do("GET", "/Groups"+filterQuery(`members.value eq "not-a-member"`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(0))
	})

	It("removes only the members a Remove lists, never emptying the group", func() {
		r := t.do("PATCH", "/Groups/"+groupID, `{`+patchSchema+`, "Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "`+users[0]+`"}]}]}`)
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		Expect(memberValues(t.do("GET", "/Groups/"+groupID, nil))).To(ConsistOf(users[1], users[2]))
	})

	It("renames with Replace of displayName, answering 204", func() {
		r := t.do("PATCH", "/Groups/"+groupID, `{`+patchSchema+`, "Operations": [{"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]}`)
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		Expect(t.do("GET", "/Groups/"+groupID, nil).body["displayName"]).To(Equal("1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"))
	})

	It("refuses a member that does not exist and applies nothing of that request", func() {
		r := t.do("PATCH", "/Groups/"+groupID, `{`+patchSchema+`, "Operations": [
			{"op": "Replace", "path": "displayName", "value": "Should not stick"},
			{"op": "Add", "path": "members", "value": [{"value": "`+users[0]+`"}, {"value": "no-such-user"}]}]}`)
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("invalidValue"))
		g := t.do("GET", "/Groups/"+groupID, nil)
		Expect(g.body["displayName"]).To(Equal("1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"))
		Expect(memberValues(g)).To(ConsistOf(users[1], users[2]))
	})

	It("drops a deleted user from the group", func() {
		Expect(t.do("DELETE", "/Users/"+users[2], nil).status).To(Equal(http.StatusNoContent))
		Expect(memberValues(t.do("GET", "/Groups/"+groupID, nil))).To(ConsistOf(users[1]))
	})

	It("deletes the group", func() {
		Expect(t.do("DELETE", "/Groups/"+groupID, nil).status).To(Equal(http.StatusNoContent))
		Expect(t.do("GET", "/Groups/"+groupID, nil).status).To(Equal(http.StatusNotFound))
		Expect(t.do("GET", "/Users/"+users[1], nil).body).NotTo(HaveKey("groups"))
	})
})

var _ = Describe("group PUT and POST with members", func() {
	It("creates a group with members and replaces them with PUT", func() {
		a := endpoint.createUser("put-a@example.com")
		b := endpoint.createUser("put-b@example.com")
		r := endpoint.do("POST", "/Groups", map[string]any{
			"schemas": []string{scim.GroupSchemaURN}, "displayName": "Put Group",
			"members": []any{map[string]any{"value": a}},
		})
		Expect(r.status).To(Equal(http.StatusCreated), r.String())
		id := r.str("id")
		Expect(memberValues(r)).To(ConsistOf(a))

		r = endpoint.do("PUT", "/Groups/"+id, map[string]any{
			"schemas": []string{scim.GroupSchemaURN}, "displayName": "Put Group", "externalId": "ext-1",
			"members": []any{map[string]any{"value": b}},
		})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(memberValues(r)).To(ConsistOf(b))
		Expect(r.body["externalId"]).To(Equal("ext-1"))

		r = endpoint.do("POST", "/Groups", map[string]any{
			"schemas": []string{scim.GroupSchemaURN}, "displayName": "Bad Members",
			"members": []any{map[string]any{"value": "ghost"}},
		})
		Expect(r.status).To(Equal(http.StatusBadRequest))
		Expect(r.scimType()).To(Equal("invalidValue"))
		Expect(endpoint.do("GET", "/Groups"+filterQuery(`displayName eq "Bad Members"`), nil).body["totalResults"]).To(BeEquivalentTo(0), "nothing was created")
	})
})

// memberReads counts the member-index lookups a server makes.
type memberReads struct {
	store.Users
	count atomic.Int64
}

func (m *memberReads) ListUsers(ctx context.Context, t store.Tenant, sel store.Selector) ([]*v1.ScimUser, error) {
	if sel.Index == store.IndexGroup {
		m.count.Add(1)
	}
	return m.Users.ListUsers(ctx, t, sel)
}

var _ = Describe("a group's members", func() {
	It("are never gathered when the response excludes them", func() {
		reads := &memberReads{}
		t := startServerWith(cfg, server.Options{}, func(u store.Users) store.Users { reads.Users = u; return reads }).existing(endpoint)
		a := t.createUser("counted@example.com")
		r := t.do("POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchemaURN}, "displayName": "Counted",
			"members": []any{map[string]any{"value": a}}})
		Expect(r.status).To(Equal(http.StatusCreated))
		id := r.str("id")

		before := reads.count.Load()
		Expect(t.do("GET", "/Groups/"+id+"?excludedAttributes=members", nil).status).To(Equal(http.StatusOK))
		Expect(t.do("GET", "/Groups?excludedAttributes=members&"+filterQuery(`displayName eq "Counted"`)[1:], nil).body["totalResults"]).To(BeEquivalentTo(1))
		Expect(t.do("GET", "/Groups/"+id+"?attributes=displayName", nil).status).To(Equal(http.StatusOK))
		Expect(reads.count.Load()).To(Equal(before), "the member index was read for a response without members")

		Expect(memberValues(t.do("GET", "/Groups/"+id, nil))).To(ConsistOf(a))
		Expect(reads.count.Load()).To(Equal(before + 1))
	})
})
