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

package index

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

var (
	// ScimGroupDisplayName indexes ScimGroups by displayName, folded.
	ScimGroupDisplayName = TenantField{Name: "scim.displayName", Folded: true}
	// ScimGroupExternalID indexes ScimGroups by externalId (caseExact).
	ScimGroupExternalID = TenantField{Name: "scim.group.externalId"}
	// ScimGroupParent indexes ScimGroups by every group id in spec.groups
	// (the groups it is a direct member of): this derives a group's group
	// members without storing them on the group, as internal/userindex's
	// Group lookup does for its user members.
	ScimGroupParent = TenantField{Name: "scim.group.parent"}
)

func scimGroupIndexes() []registration {
	group := func(fn func(g *v1.ScimGroup) []string) client.IndexerFunc {
		return func(o client.Object) []string { return fn(o.(*v1.ScimGroup)) }
	}
	return []registration{
		{&v1.ScimGroup{}, ScimTenant.Name, group(func(g *v1.ScimGroup) []string {
			return []string{g.Spec.IdentityConfigRef.Name}
		})},
		{&v1.ScimGroup{}, ScimGroupDisplayName.Name, group(func(g *v1.ScimGroup) []string {
			return ScimGroupDisplayName.keys(g.Spec.IdentityConfigRef.Name, g.Spec.DisplayName)
		})},
		{&v1.ScimGroup{}, ScimGroupExternalID.Name, group(func(g *v1.ScimGroup) []string {
			return ScimGroupExternalID.keys(g.Spec.IdentityConfigRef.Name, g.Spec.ExternalID)
		})},
		{&v1.ScimGroup{}, ScimGroupParent.Name, group(func(g *v1.ScimGroup) []string {
			return ScimGroupParent.keys(g.Spec.IdentityConfigRef.Name, g.Spec.Groups...)
		})},
	}
}
