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

// Package server is the operator's SCIM 2.0 endpoint: the HTTP side of
// RFC 7644 built on the protocol package internal/scim.
//
// Every handler is thin: decode the request, validate it against the
// resource type's schemas and apply it with the protocol package (filters,
// PATCH, projection, paging), go through the storage interface of
// internal/scim/store, encode the answer. The handlers know the custom
// resources ScimUser and ScimGroup only through convert.go; the protocol
// package knows neither them nor net/http.
//
// Request bodies are decoded with json.Decoder.UseNumber, as the protocol
// package's own decoders do, so that no integer loses precision between the
// IdP and the stored resource.
//
// Where things are:
//   - server.go: Server, Options and BasePath, the listener and TLS, bearer
//     token authentication, the per-token rate limit, and the mapping of
//     errors to SCIM error bodies (RFC 7644 §3.12);
//   - routes.go: the endpoints of RFC 7644 §3.2 and the 404/405/501 answers;
//   - request.go: body decoding, If-Match/If-None-Match (RFC 7644 §3.14) and
//     writing one resource;
//   - users.go, groups.go: the /Users and /Groups handlers (RFC 7644
//     §3.3-§3.6) and the index-backed lookups IdPs send;
//   - resource.go: the read-modify-write of PUT and PATCH and DELETE, shared
//     by both resource types;
//   - query.go, search.go: lists and searches (RFC 7644 §3.4.2, §3.4.3),
//     including the root /.search over both types;
//   - bulk.go: /Bulk (RFC 7644 §3.7);
//   - discovery.go: /ServiceProviderConfig, /Schemas and /ResourceTypes
//     (RFC 7644 §4);
//   - convert.go: SCIM User and Group JSON to and from ScimUser and
//     ScimGroup;
//   - metrics.go: the endpoint's Prometheus metrics.
package server
