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
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
)

// memberTypes maps each member's value to its type.
func memberTypes(r response) map[string]string {
	list, _ := r.body["members"].([]any)
	out := make(map[string]string, len(list))
	for _, m := range list {
		e := m.(map[string]any)
		out[e["value"].(string)], _ = e["type"].(string)
	}
	return out
}

// userGroupTypes maps each of a user's groups to its type (direct, indirect).
func userGroupTypes(r response) map[string]string {
	list, _ := r.body["groups"].([]any)
	out := make(map[string]string, len(list))
	for _, g := range list {
		e := g.(map[string]any)
		id := e["value"].(string)
		ExpectWithOffset(1, out).NotTo(HaveKey(id), "group %s listed twice", id)
		out[id], _ = e["type"].(string)
	}
	return out
}

// parents is a ScimGroup's spec.groups as stored.
func parents(t *tenantEndpoint, id string) []string {
	GinkgoHelper()
	g := &v1.ScimGroup{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: t.namespace, Name: id}, g)).To(Succeed())
	return g.Spec.Groups
}

func (t *tenantEndpoint) createGroup(name string, members ...map[string]any) string {
	GinkgoHelper()
	list := make([]any, len(members))
	for i, m := range members {
		list[i] = m
	}
	r := t.do("POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchemaURN}, "displayName": name, "members": list})
	Expect(r.status).To(Equal(http.StatusCreated), r.String())
	return r.str("id")
}

func member(id string) map[string]any { return map[string]any{"value": id} }

func groupMember(id string) map[string]any { return map[string]any{"value": id, "type": "Group"} }

func patchMembers(ops string) string { return `{` + patchSchema + `, "Operations": [` + ops + `]}` }

var _ = Describe("nested groups (RFC 7643 §4.2 members of type Group)", Ordered, func() {
	var t *tenantEndpoint
	var alice, bob, top, mid, leaf string

	BeforeAll(func() {
		t = startServer(cfg, server.Options{}).newTenant("nested-groups", "nested-groups-token")
		alice = t.createUser("alice@nested.local")
		bob = t.createUser("bob@nested.local")
		leaf = t.createGroup("Leaf", member(alice))
		// POST with a group member whose type is inferred.
		mid = t.createGroup("Mid", member(leaf))
		top = t.createGroup("Top")
	})

	It("stores a group member on the member group and shows it as type Group", func() {
		Expect(parents(t, leaf)).To(ConsistOf(mid))
		r := t.do("GET", "/Groups/"+mid, nil)
		Expect(memberTypes(r)).To(Equal(map[string]string{leaf: "Group"}))
		Expect(r.body["members"]).To(ContainElement(And(HaveKeyWithValue("$ref", t.base+"/Groups/"+leaf), HaveKeyWithValue("display", "Leaf"))))
	})

	It("adds a group member with PATCH add, and users and groups side by side", func() {
		r := t.do("PATCH", "/Groups/"+top, patchMembers(`{"op": "add", "path": "members", "value": [{"value": "`+mid+`", "type": "Group"}, {"value": "`+bob+`"}]}`))
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		Expect(memberTypes(t.do("GET", "/Groups/"+top, nil))).To(Equal(map[string]string{mid: "Group", bob: "User"}))
	})

	It("lists direct and indirect groups on a user over three levels", func() {
		r := t.do("GET", "/Users/"+alice, nil)
		Expect(userGroupTypes(r)).To(Equal(map[string]string{leaf: "direct", mid: "indirect", top: "indirect"}))
		Expect(r.body["groups"]).To(ContainElement(And(HaveKeyWithValue("value", top), HaveKeyWithValue("display", "Top"), HaveKeyWithValue("$ref", t.base+"/Groups/"+top))))
		// A filter on groups sees the representation: indirect members match,
		// and type eq "direct" narrows to direct ones.
		r = t.do("GET", "/Users"+filterQuery(`groups.value eq "`+mid+`"`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1), r.String())
		Expect(r.resources()[0]["id"]).To(Equal(alice))
		r = t.do("GET", "/Users"+filterQuery(`groups[value eq "`+mid+`" and type eq "direct"]`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(0), r.String())
		// Direct wins over indirect: alice directly in Top too.
		Expect(t.do("PATCH", "/Groups/"+top, patchMembers(`{"op": "add", "path": "members", "value": [{"value": "`+alice+`"}]}`)).status).To(Equal(http.StatusNoContent))
		Expect(userGroupTypes(t.do("GET", "/Users/"+alice, nil))).To(Equal(map[string]string{leaf: "direct", mid: "indirect", top: "direct"}))
		Expect(t.do("PATCH", "/Groups/"+top, patchMembers(`{"op": "remove", "path": "members[value eq \"`+alice+`\"]"}`)).status).To(Equal(http.StatusNoContent))
	})

	It("filters groups by a group member and by member type", func() {
		r := t.do("GET", "/Groups"+filterQuery(`members.value eq "`+leaf+`"`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1), r.String())
		Expect(r.resources()[0]["id"]).To(Equal(mid))
		r = t.do("GET", "/Groups"+filterQuery(`members.type eq "Group"`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(2), r.String())
		r = t.do("GET", "/Groups"+filterQuery(`members[type eq "Group" and value eq "`+mid+`"]`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1), r.String())
		Expect(r.resources()[0]["id"]).To(Equal(top))
	})

	It("refuses a type that does not match the member, writing nothing", func() {
		r := t.do("PATCH", "/Groups/"+top, patchMembers(`{"op": "replace", "path": "displayName", "value": "Renamed"}, {"op": "add", "path": "members", "value": [{"value": "`+leaf+`", "type": "User"}]}`))
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("invalidValue"))
		r = t.do("PATCH", "/Groups/"+top, patchMembers(`{"op": "add", "path": "members", "value": [{"value": "`+bob+`", "type": "Group"}]}`))
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("invalidValue"))
		Expect(t.do("GET", "/Groups/"+top, nil).body["displayName"]).To(Equal("Top"))
		Expect(parents(t, leaf)).To(ConsistOf(mid))
	})

	It("refuses self-membership with invalidValue, writing nothing", func() {
		r := t.do("PATCH", "/Groups/"+top, patchMembers(`{"op": "replace", "path": "displayName", "value": "Renamed"}, {"op": "add", "path": "members", "value": [{"value": "`+top+`"}]}`))
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("invalidValue"))
		Expect(r.body["detail"]).To(ContainSubstring("cycle"))
		Expect(parents(t, top)).To(BeEmpty())
		Expect(t.do("GET", "/Groups/"+top, nil).body["displayName"]).To(Equal("Top"))
	})

	It("refuses a three-level cycle with invalidValue naming it, writing nothing", func() {
		// leaf ∈ mid ∈ top; making top a member of leaf closes the loop.
		r := t.do("PATCH", "/Groups/"+leaf, patchMembers(`{"op": "add", "path": "members", "value": [{"value": "`+top+`", "type": "Group"}]}`))
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("invalidValue"))
		Expect(r.body["detail"]).To(And(ContainSubstring("cycle"), ContainSubstring("Top"), ContainSubstring("Mid"), ContainSubstring("Leaf")))
		Expect(parents(t, top)).To(BeEmpty())
		// The same through PUT.
		r = t.do("PUT", "/Groups/"+leaf, map[string]any{"schemas": []string{scim.GroupSchemaURN}, "displayName": "Leaf",
			"members": []any{member(alice), groupMember(top)}})
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("invalidValue"))
		Expect(parents(t, top)).To(BeEmpty())
	})

	It("keeps a group's own memberships when it is renamed by PATCH or PUT", func() {
		Expect(t.do("PATCH", "/Groups/"+leaf, patchMembers(`{"op": "replace", "path": "displayName", "value": "Leaf 2"}`)).status).To(Equal(http.StatusNoContent))
		Expect(parents(t, leaf)).To(ConsistOf(mid))
		r := t.do("PUT", "/Groups/"+leaf, map[string]any{"schemas": []string{scim.GroupSchemaURN}, "displayName": "Leaf", "members": []any{member(alice)}})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(parents(t, leaf)).To(ConsistOf(mid))
		Expect(r.body).NotTo(HaveKey("groups"))
	})

	It("removes a group member with a value filter and with Entra's value array", func() {
		r := t.do("PATCH", "/Groups/"+mid, patchMembers(`{"op": "remove", "path": "members[value eq \"`+leaf+`\"]"}`))
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		Expect(parents(t, leaf)).To(BeEmpty())
		Expect(userGroupTypes(t.do("GET", "/Users/"+alice, nil))).To(Equal(map[string]string{leaf: "direct"}))

		Expect(t.do("PATCH", "/Groups/"+mid, patchMembers(`{"op": "Add", "path": "members", "value": [{"value": "`+leaf+`"}]}`)).status).To(Equal(http.StatusNoContent))
		Expect(parents(t, leaf)).To(ConsistOf(mid))
		r = t.do("PATCH", "/Groups/"+mid, patchMembers(`{"op": "Remove", "path": "members", "value": [{"value": "`+leaf+`"}]}`))
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		Expect(parents(t, leaf)).To(BeEmpty())
	})

	It("replaces members, groups included, with PATCH replace and PUT", func() {
		r := t.do("PATCH", "/Groups/"+mid, patchMembers(`{"op": "replace", "path": "members", "value": [{"value": "`+leaf+`"}, {"value": "`+bob+`"}]}`))
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		Expect(memberTypes(t.do("GET", "/Groups/"+mid, nil))).To(Equal(map[string]string{leaf: "Group", bob: "User"}))
		// A path-less replace (Okta's dialect) dropping the group member.
		r = t.do("PATCH", "/Groups/"+mid, patchMembers(`{"op": "replace", "value": {"members": [{"value": "`+bob+`"}]}}`))
		Expect(r.status).To(Equal(http.StatusNoContent), r.String())
		Expect(parents(t, leaf)).To(BeEmpty())
		r = t.do("PUT", "/Groups/"+mid, map[string]any{"schemas": []string{scim.GroupSchemaURN}, "displayName": "Mid", "members": []any{groupMember(leaf)}})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(memberTypes(r)).To(Equal(map[string]string{leaf: "Group"}))
		Expect(parents(t, leaf)).To(ConsistOf(mid))
	})

	It("removes a deleted group from its member groups", func() {
		Expect(t.do("DELETE", "/Groups/"+mid, nil).status).To(Equal(http.StatusNoContent))
		Expect(parents(t, leaf)).To(BeEmpty())
		Expect(memberTypes(t.do("GET", "/Groups/"+top, nil))).To(Equal(map[string]string{bob: "User"}))
		Expect(userGroupTypes(t.do("GET", "/Users/"+alice, nil))).To(Equal(map[string]string{leaf: "direct"}))
	})
})
