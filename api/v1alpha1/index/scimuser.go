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
	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"
)

var (
	// ScimTenant indexes ScimUsers and ScimGroups by the name of their
	// IdentityConfig.
	ScimTenant = Field{Name: "scim.identityConfig"}
	// ScimUserName indexes ScimUsers by userName, folded (RFC 7643 §4.1.1:
	// caseExact=false).
	ScimUserName = TenantField{Name: "scim.userName", Folded: true}
	// ScimUserExternalID indexes ScimUsers by externalId (caseExact).
	ScimUserExternalID = TenantField{Name: "scim.user.externalId"}
	// ScimUserEmail indexes ScimUsers by every emails[].value, folded, but
	// an email equal to the userName (without regard to case), as most are:
	// ScimUserName holds that one already, and each value a cache index
	// holds costs a few hundred bytes a user. So a user with an email is
	// found by ScimUserEmail or ScimUserName (EmailFields); keep those that
	// really hold it.
	ScimUserEmail = TenantField{Name: "scim.email", Folded: true}
	// ScimUserGroup indexes ScimUsers by every group id in spec.groups: this
	// is what derives a group's members without storing them on the group.
	ScimUserGroup = TenantField{Name: "scim.group"}
)

// EmailFields are the indexes that together find the ScimUsers holding an
// email: ScimUserEmail, and ScimUserName for the emails equal to the
// userName. The users found must still be checked for the email.
var EmailFields = []TenantField{ScimUserEmail, ScimUserName}

func scimUserIndexes() []registration {
	user := func(fn func(u *v1.ScimUser) []string) client.IndexerFunc {
		return func(o client.Object) []string { return fn(o.(*v1.ScimUser)) }
	}
	return []registration{
		{&v1.ScimUser{}, ScimTenant.Name, user(func(u *v1.ScimUser) []string {
			return []string{u.Spec.IdentityConfigRef.Name}
		})},
		{&v1.ScimUser{}, ScimUserName.Name, user(func(u *v1.ScimUser) []string {
			return ScimUserName.keys(u.Spec.IdentityConfigRef.Name, u.Spec.UserName)
		})},
		{&v1.ScimUser{}, ScimUserExternalID.Name, user(func(u *v1.ScimUser) []string {
			return ScimUserExternalID.keys(u.Spec.IdentityConfigRef.Name, u.Spec.ExternalID)
		})},
		{&v1.ScimUser{}, ScimUserEmail.Name, user(func(u *v1.ScimUser) []string {
			userName := fold.String(u.Spec.UserName)
			emails := make([]string, 0, len(u.Spec.Emails))
			for _, e := range u.Spec.Emails {
				if fold.String(e.Value) != userName {
					emails = append(emails, e.Value)
				}
			}
			return ScimUserEmail.keys(u.Spec.IdentityConfigRef.Name, emails...)
		})},
		{&v1.ScimUser{}, ScimUserGroup.Name, user(func(u *v1.ScimUser) []string {
			return ScimUserGroup.keys(u.Spec.IdentityConfigRef.Name, u.Spec.Groups...)
		})},
	}
}
