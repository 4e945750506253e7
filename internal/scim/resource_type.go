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

package scim

import (
	"encoding/json"
	"strings"
)

// SchemaExtension is a schema extension of a resource type (RFC 7643 §6).
type SchemaExtension struct {
	Schema   string `json:"schema"`
	Required bool   `json:"required"`
}

// ResourceType describes a resource type (RFC 7643 §6). Resource types are
// shared package data: treat them as read-only.
type ResourceType struct {
	ID               string
	Name             string
	Endpoint         string
	Description      string
	Schema           string
	SchemaExtensions []SchemaExtension
	// Location is written as meta.location when set; the handler sets it on
	// a copy since only it knows the base URL.
	Location string
}

// MarshalJSON writes the resource type representation of RFC 7643 §6 and
// §8.6.
func (rt ResourceType) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Schemas          []string          `json:"schemas"`
		ID               string            `json:"id"`
		Name             string            `json:"name"`
		Endpoint         string            `json:"endpoint"`
		Description      string            `json:"description,omitempty"`
		Schema           string            `json:"schema"`
		SchemaExtensions []SchemaExtension `json:"schemaExtensions,omitempty"`
		Meta             resourceMeta      `json:"meta"`
	}{
		Schemas:          []string{ResourceTypeSchemaURN},
		ID:               rt.ID,
		Name:             rt.Name,
		Endpoint:         rt.Endpoint,
		Description:      rt.Description,
		Schema:           rt.Schema,
		SchemaExtensions: rt.SchemaExtensions,
		Meta:             resourceMeta{ResourceType: "ResourceType", Location: rt.Location},
	})
}

// SchemaURNs lists the core schema then each extension schema of rt.
func (rt ResourceType) SchemaURNs() []string {
	out := make([]string, 0, 1+len(rt.SchemaExtensions))
	out = append(out, rt.Schema)
	for _, e := range rt.SchemaExtensions {
		out = append(out, e.Schema)
	}
	return out
}

// The names of the resource types, as meta.resourceType, a member's or a
// reference's type, and the resource types' id and name carry them
// (RFC 7643 §3.1, §6).
const (
	// UserResourceTypeName is the name of the User resource type.
	UserResourceTypeName = "User"
	// GroupResourceTypeName is the name of the Group resource type.
	GroupResourceTypeName = "Group"
)

// UserResourceType is the User resource type (RFC 7643 §6, §8.6) with the
// enterprise extension, which a User may or may not carry.
var UserResourceType = ResourceType{
	ID:          UserResourceTypeName,
	Name:        UserResourceTypeName,
	Endpoint:    "/Users",
	Description: "User Account",
	Schema:      UserSchemaURN,
	SchemaExtensions: []SchemaExtension{
		{Schema: EnterpriseUserSchemaURN, Required: false},
	},
}

// GroupResourceType is the Group resource type (RFC 7643 §6, §8.6).
var GroupResourceType = ResourceType{
	ID:          GroupResourceTypeName,
	Name:        GroupResourceTypeName,
	Endpoint:    "/Groups",
	Description: "Group",
	Schema:      GroupSchemaURN,
}

// LookupResourceType returns the resource type whose id, name or endpoint is
// name (case-insensitively), or nil.
func LookupResourceType(name string) *ResourceType {
	for _, rt := range []*ResourceType{&UserResourceType, &GroupResourceType} {
		if strings.EqualFold(rt.ID, name) || strings.EqualFold(rt.Name, name) || strings.EqualFold(rt.Endpoint, name) {
			return rt
		}
	}
	return nil
}

// CommonAttributes are the attributes every resource has whatever its
// schemas (RFC 7643 §3 "schemas", §3.1 id, externalId, meta). They are
// defined in no schema and so are not listed by /Schemas, but paths, filters,
// projection and PATCH resolve them like any other attribute.
var CommonAttributes = []Attribute{
	{
		Name: "schemas", Type: TypeReference, MultiValued: true,
		Description: "The URIs of the schemas used to define the attributes present in the resource.",
		// RFC 7643 §3: every representation includes "schemas"; it is
		// derived by the server from the attributes present.
		Required: true, CaseExact: false, Mutability: MutabilityReadWrite, Returned: ReturnedAlways,
		Uniqueness: UniquenessNone, ReferenceTypes: []string{"uri"},
	},
	{
		// RFC 7643 §3.1: id is caseExact, readOnly, returned always, unique.
		Name: "id", Type: TypeString,
		Description: "A unique identifier for a SCIM resource as defined by the service provider.",
		CaseExact:   true, Mutability: MutabilityReadOnly, Returned: ReturnedAlways, Uniqueness: UniquenessServer,
	},
	{
		// RFC 7643 §3.1: externalId is caseExact and set by the client.
		Name: "externalId", Type: TypeString,
		Description: "A String that is an identifier for the resource as defined by the provisioning client.",
		CaseExact:   true, Mutability: MutabilityReadWrite, Returned: ReturnedDefault, Uniqueness: UniquenessNone,
	},
	{
		// RFC 7643 §3.1: meta and all its sub-attributes are readOnly and
		// returned by default.
		Name: "meta", Type: TypeComplex,
		Description: "A complex attribute containing resource metadata.",
		Mutability:  MutabilityReadOnly, Returned: ReturnedDefault,
		SubAttributes: []Attribute{
			{Name: "resourceType", Type: TypeString, Description: "The name of the resource type of the resource.", CaseExact: true, Mutability: MutabilityReadOnly, Returned: ReturnedDefault, Uniqueness: UniquenessNone},
			{Name: "created", Type: TypeDateTime, Description: "The DateTime that the resource was added to the service provider.", Mutability: MutabilityReadOnly, Returned: ReturnedDefault, Uniqueness: UniquenessNone},
			{Name: "lastModified", Type: TypeDateTime, Description: "The most recent DateTime that the details of this resource were updated at the service provider.", Mutability: MutabilityReadOnly, Returned: ReturnedDefault, Uniqueness: UniquenessNone},
			{Name: "location", Type: TypeReference, Description: "The URI of the resource being returned.", CaseExact: true, Mutability: MutabilityReadOnly, Returned: ReturnedDefault, Uniqueness: UniquenessNone, ReferenceTypes: []string{"uri"}},
			{Name: "version", Type: TypeString, Description: "The version of the resource being returned.", CaseExact: true, Mutability: MutabilityReadOnly, Returned: ReturnedDefault, Uniqueness: UniquenessNone},
		},
	},
}

func commonAttribute(name string) *Attribute {
	for i := range CommonAttributes {
		if strings.EqualFold(CommonAttributes[i].Name, name) {
			return &CommonAttributes[i]
		}
	}
	return nil
}
