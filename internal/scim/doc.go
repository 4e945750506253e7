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

// Package scim is the protocol core of the operator's SCIM 2.0 endpoint
// (RFC 7643 core schema, RFC 7644 protocol): schema metadata and attribute
// path resolution, validation of resources against their schemas, filters,
// PATCH, projection of attributes, sorting and paging, and the SCIM error
// body. It imports neither net/http nor the operator's API types: the HTTP
// handlers, Bulk and the conversion to the ScimUser and ScimGroup custom
// resources are in internal/scim/server, and storage is behind the
// interfaces of internal/scim/store.
//
// Resources are handled in their SCIM JSON form, map[string]any, the shape
// encoding/json produces when decoding into an interface. Numbers may be
// float64, json.Number or Go integers: every function here accepts all three.
// The decoders in this package (ParsePatch, ParseSearchRequest) decode with
// json.Decoder.UseNumber so that no integer loses precision on the way
// through; the maps they hand back therefore hold json.Number, which
// encoding/json marshals back as the same number.
//
// Attribute names are case-insensitive (RFC 7643 §2.1): every look-up in a
// resource map matches keys case-insensitively, and every key this package
// writes uses the schema's spelling.
//
// Where things are:
//   - errors.go: the SCIM error (RFC 7644 §3.12), its HTTP status as a plain
//     number, and the schema/message URNs;
//   - schema.go, schema_user.go, schema_group.go, resource_type.go: attribute
//     metadata (RFC 7643 §7), the User, EnterpriseUser and Group schemas,
//     the resource types, and attribute path resolution;
//   - normalize.go: a POST or PUT body checked against its resource type's
//     schemas and brought to schema spelling (RFC 7644 §3.3, §3.5.1);
//   - filter.go, filter_eval.go: filters (RFC 7644 §3.4.2.2), their
//     evaluation, and the equality constraints storage can index;
//   - patch.go, dialect.go, members.go: PATCH (RFC 7644 §3.5.2), the IdP
//     dialects normalised in one place, and Group member operations split
//     out for storage;
//   - projection.go: attributes/excludedAttributes (RFC 7644 §3.4.2.5);
//   - list.go: queries, SearchRequest, sorting, paging, ListResponse;
//   - value.go: JSON value handling shared by the above.
package scim
