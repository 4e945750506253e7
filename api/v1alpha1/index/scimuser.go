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

// ScimUsers are found by userName, externalId and email through
// internal/userindex, not through cache field indexes: a field index costs
// about 500 bytes a user for each value that nearly every user holds alone.
var (
	// ScimTenant indexes ScimUsers and ScimGroups by the name of their
	// IdentityConfig.
	ScimTenant = Field{Name: "scim.identityConfig"}
	// ScimUserGroup indexes ScimUsers by every group id in spec.groups: this
	// is what derives a group's members without storing them on the group.
	ScimUserGroup = TenantField{Name: "scim.group"}
)

func scimUserIndexes() []registration {
	user := func(fn func(u *v1.ScimUser) []string) client.IndexerFunc {
		return func(o client.Object) []string { return fn(o.(*v1.ScimUser)) }
	}
	return []registration{
		{&v1.ScimUser{}, ScimTenant.Name, user(func(u *v1.ScimUser) []string {
			return []string{u.Spec.IdentityConfigRef.Name}
		})},
		{&v1.ScimUser{}, ScimUserGroup.Name, user(func(u *v1.ScimUser) []string {
			return ScimUserGroup.keys(u.Spec.IdentityConfigRef.Name, u.Spec.Groups...)
		})},
	}
}
