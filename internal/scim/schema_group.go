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

// GroupSchema is the core Group schema, RFC 7643 §4.2 in the representation
// of RFC 7643 §8.7.1.
var GroupSchema = Schema{
	ID:          GroupSchemaURN,
	Name:        GroupResourceTypeName,
	Description: "Group",
	Attributes: []Attribute{
		func() Attribute {
			a := stringAttr("displayName", "A human-readable name for the Group. REQUIRED. Unique within an IdentityConfig.")
			// RFC 7643 §4.2 calls displayName REQUIRED (the §8.7.1 figure
			// says false), and this service provider keeps it unique per
			// IdentityConfig (docs/scim.md, Uniqueness and consistency), so
			// it says so here.
			a.Required = true
			a.Uniqueness = UniquenessServer
			return a
		}(),
		// RFC 7643 §4.2: members may be added or removed, but the
		// sub-attributes of a member are immutable.
		complexAttr("members", "A list of members of the Group.", true,
			// caseExact true although the §8.7.1 figure says false: the
			// value is a resource's id, and ids are caseExact (RFC 7643
			// §3.1), so membership is decided by exact comparison.
			withMutability(caseExact(stringAttr("value", "Identifier of the member of this Group.")), MutabilityImmutable),
			withMutability(referenceAttr("$ref", "The URI corresponding to a SCIM resource that is a member of this Group.", UserResourceTypeName, GroupResourceTypeName), MutabilityImmutable),
			// "display" is not in the §8.7.1 figure but appears in RFC 7643
			// §8.4 and Okta sends it on every member it adds.
			withMutability(stringAttr("display", "A human-readable name, primarily used for display purposes."), MutabilityImmutable),
			withMutability(withCanonical(stringAttr("type", "A label indicating the type of resource, e.g., 'User' or 'Group'."), UserResourceTypeName, GroupResourceTypeName), MutabilityImmutable),
		),
	},
}
