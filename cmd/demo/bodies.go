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

package main

// The bodies the IdPs send, as their documentation prints them.

type scimName struct {
	Formatted  string `json:"formatted,omitempty"`
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
}

type scimEmail struct {
	Primary bool   `json:"primary"`
	Value   string `json:"value"`
	Type    string `json:"type"`
}

type scimMeta struct {
	ResourceType string `json:"resourceType"`
}

type enterpriseUser struct {
	Department string `json:"department,omitempty"`
}

// userBody is a SCIM User as Okta and Entra ID send it. Okta sends an empty
// groups list and a random password on create; Entra an empty roles list,
// meta.resourceType and the enterprise extension.
type userBody struct {
	Schemas     []string        `json:"schemas"`
	ID          string          `json:"id,omitempty"`
	ExternalID  string          `json:"externalId,omitempty"`
	UserName    string          `json:"userName"`
	Name        scimName        `json:"name"`
	DisplayName string          `json:"displayName,omitempty"`
	Title       string          `json:"title,omitempty"`
	Emails      []scimEmail     `json:"emails"`
	Locale      string          `json:"locale,omitempty"`
	Groups      []any           `json:"groups,omitzero"`
	Roles       []any           `json:"roles,omitzero"`
	Password    string          `json:"password,omitempty"`
	Active      bool            `json:"active"`
	Meta        *scimMeta       `json:"meta,omitempty"`
	Enterprise  *enterpriseUser `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
}

// oktaUser is the body of Okta's POST /Users (and, with id and meta, of its PUT).
func oktaUser(p person) userBody {
	return userBody{
		Schemas:     []string{schemaUser},
		UserName:    p.userName(),
		Name:        scimName{GivenName: p.Given, FamilyName: p.Family},
		Emails:      []scimEmail{{Primary: true, Value: p.userName(), Type: "work"}},
		DisplayName: p.displayName(),
		Locale:      "en-US",
		ExternalID:  p.oktaID(),
		Groups:      []any{},
		Active:      true,
	}
}

// entraUser is the body of Entra ID's POST /Users.
func entraUser(p person) userBody {
	return userBody{
		Schemas:     []string{schemaUser, schemaEnterprise},
		ExternalID:  entraObjectID(p.userName()),
		UserName:    p.userName(),
		Active:      true,
		Emails:      []scimEmail{{Primary: true, Type: "work", Value: p.userName()}},
		Meta:        &scimMeta{ResourceType: "User"},
		Name:        scimName{Formatted: p.displayName(), FamilyName: p.Family, GivenName: p.Given},
		DisplayName: p.displayName(),
		Title:       p.Title,
		Roles:       []any{},
		Enterprise:  &enterpriseUser{Department: p.Department},
	}
}

// groupBody is a SCIM Group as Okta (members: []) and Entra ID (its extra
// schema URN, its object id as externalId, meta) create it.
type groupBody struct {
	Schemas     []string  `json:"schemas"`
	ExternalID  string    `json:"externalId,omitempty"`
	DisplayName string    `json:"displayName"`
	Members     []any     `json:"members,omitzero"`
	Meta        *scimMeta `json:"meta,omitempty"`
}

func oktaGroup(name string) groupBody {
	return groupBody{Schemas: []string{schemaGroup}, DisplayName: name, Members: []any{}}
}

func entraGroup(name string) groupBody {
	return groupBody{Schemas: []string{schemaGroup, schemaEntraGroup}, ExternalID: entraObjectID(name),
		DisplayName: name, Meta: &scimMeta{ResourceType: "Group"}}
}

// oktaMember is a member as Okta's membership PATCH names it.
type oktaMember struct {
	Value   string `json:"value"`
	Display string `json:"display"`
}

// entraMember is a member as Entra ID's membership PATCH names it, with a
// null $ref.
type entraMember struct {
	Ref   *string `json:"$ref"`
	Value string  `json:"value"`
}

// patchOperation is one operation of a PatchOp message.
type patchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

type patchBody struct {
	Schemas    []string         `json:"schemas"`
	Operations []patchOperation `json:"Operations"`
}

func patchOp(ops ...patchOperation) patchBody {
	return patchBody{Schemas: []string{schemaPatchOp}, Operations: ops}
}
