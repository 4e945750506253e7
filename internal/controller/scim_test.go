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

package controller_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

var _ = Describe("From the IdP to Lightrun", func() {
	It("makes a user pushed through the SCIM base URL a Lightrun user, and deactivation disables it", func() {
		c := newCompany()
		Eventually(func() string { return c.config().Status.ScimBaseURL }).ShouldNot(BeEmpty())
		base := c.config().Status.ScimBaseURL

		group := scimRequest(http.MethodPost, base+"/Groups", c.token, map[string]any{
			"schemas": []string{scim.GroupSchemaURN}, "displayName": "Oncall",
		})
		Expect(group.status).To(Equal(http.StatusCreated), group.String())
		c.pool("oncall", v1.AgentPoolSpec{
			Roles:   []v1.LightrunUserRole{v1.RoleIncidentResponder},
			Members: v1.AgentPoolMembers{Groups: []string{"Oncall"}},
		})
		created := scimRequest(http.MethodPost, base+"/Users", c.token, map[string]any{
			"schemas":  []string{scim.UserSchemaURN},
			"userName": "nina@example.com",
			"name":     map[string]any{"givenName": "Nina", "familyName": "Simone"},
			"emails":   []any{map[string]any{"value": "nina@example.com", "type": "work", "primary": true}},
			"active":   true,
		})
		Expect(created.status).To(Equal(http.StatusCreated), created.String())
		id, _ := created.body["id"].(string)
		patch := scimRequest(http.MethodPatch, base+"/Groups/"+group.body["id"].(string), c.token, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}},
		})
		Expect(patch.status).To(BeElementOf(http.StatusOK, http.StatusNoContent), patch.String())

		u := &v1.ScimUser{}
		u.Namespace, u.Name = c.ns, v1.ScimUserNameOf(id)
		Eventually(func() []v1.LightrunUserRole { return fresh(u).Status.EffectiveRoles }).
			Should(Equal([]v1.LightrunUserRole{v1.RoleIncidentResponder}))
		synced(u)
		Eventually(func() *emulator.User { return c.lightrunUser("nina@example.com") }).ShouldNot(BeNil())
		lu := c.lightrunUser("nina@example.com")
		Expect(lu.FirstName).To(Equal("Nina"))
		Expect(lu.Roles).To(Equal([]string{"INCIDENT_RESPONDER"}))

		// Okta deactivates with a PATCH of active.
		deactivate := scimRequest(http.MethodPatch, base+"/Users/"+id, c.token, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}},
		})
		Expect(deactivate.status).To(Equal(http.StatusOK), deactivate.String())
		Eventually(func() bool { return c.lightrunUser("nina@example.com").Enabled }).Should(BeFalse())
		Eventually(func() metav1.Condition { return conditionOf(u, v1.ConditionSynced) }).
			Should(haveCondition(metav1.ConditionTrue, v1.ReasonDeprovisioned))

		// And a SCIM DELETE deprovisions it per policy (Disable) before the object goes.
		del := scimRequest(http.MethodDelete, base+"/Users/"+id, c.token, nil)
		Expect(del.status).To(Equal(http.StatusNoContent), del.String())
		deleted(u)
		Expect(c.lightrunUser("nina@example.com")).NotTo(BeNil())
	})
})
