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

package kubestore

import "github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"

// UserClaimName and DerivedName let the specs plant claims and objects as an
// older version or a crashed create left them.
func UserClaimName(t store.Tenant, name string) string { return claimName(claimUser, t, name) }

// DerivedName is derivedName.
func DerivedName(t store.Tenant, name string) string { return derivedName(t, name) }
