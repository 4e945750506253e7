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

// ScimUsers have no cache field index: internal/userindex finds them by
// userName, externalId, email and group and lists a tenant's users, from the
// ScimUser informer's event handlers. A client-go field index keeps a set of
// "namespace/name" keys per value, registered twice by controller-runtime
// (per namespace and for all namespaces): about 500 bytes a user for each
// value that nearly every user holds alone, and 0.35 KiB a user for the
// tenant and the two groups of a typical user.
var (
	// ScimTenant indexes ScimGroups by the name of their IdentityConfig
	// (not ScimUsers: userindex.Index.Tenant lists those).
	ScimTenant = Field{Name: "scim.identityConfig"}
)
