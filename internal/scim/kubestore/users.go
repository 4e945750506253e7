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

import (
	"context"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, t store.Tenant, u *v1.ScimUser) (*v1.ScimUser, error) {
	return create(ctx, s, users, t, u)
}

// GetUser implements store.Users.
func (s *Store) GetUser(ctx context.Context, t store.Tenant, id string) (*v1.ScimUser, error) {
	return get(ctx, s, users, t, id)
}

// UpdateUser implements store.Users.
func (s *Store) UpdateUser(ctx context.Context, t store.Tenant, u *v1.ScimUser) (*v1.ScimUser, error) {
	return update(ctx, s, users, t, u)
}

// DeleteUser implements store.Users. Membership lives on the user, so the
// user leaves all its groups with it.
func (s *Store) DeleteUser(ctx context.Context, t store.Tenant, id, resourceVersion string) error {
	_, err := remove(ctx, s, users, t, id, resourceVersion)
	return err
}

// ListUsers implements store.Users.
func (s *Store) ListUsers(ctx context.Context, t store.Tenant, sel store.Selector) ([]*v1.ScimUser, error) {
	return list(ctx, s, users, t, sel)
}

// UserPage implements store.Users.
func (s *Store) UserPage(_ context.Context, t store.Tenant, req store.PageRequest) (store.Page[*v1.ScimUser], error) {
	return s.userOrder.page(tenantKey(t.Namespace, t.IdentityConfig), req), nil
}
