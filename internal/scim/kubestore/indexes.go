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
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

// Field indexes on the manager's cache. Every key starts with the
// IdentityConfig's name and a slash, so one namespace can hold several
// tenants without their lookups mixing.
const (
	// FieldTenant indexes ScimUsers and ScimGroups by IdentityConfig.
	FieldTenant = "scim.identityConfig"
	// FieldUserName indexes ScimUsers by case-folded userName.
	FieldUserName = "scim.userName"
	// FieldUserExternalID indexes ScimUsers by externalId (caseExact).
	FieldUserExternalID = "scim.user.externalId"
	// FieldUserEmail indexes ScimUsers by every case-folded emails[].value.
	FieldUserEmail = "scim.email"
	// FieldUserGroup indexes ScimUsers by every group id in spec.groups:
	// this is what derives a group's members without storing them on the group.
	FieldUserGroup = "scim.group"
	// FieldGroupDisplayName indexes ScimGroups by case-folded displayName.
	FieldGroupDisplayName = "scim.displayName"
	// FieldGroupExternalID indexes ScimGroups by externalId (caseExact).
	FieldGroupExternalID = "scim.group.externalId"
)

// Fold maps a caseExact=false value to the form it is indexed and claimed
// under (RFC 7643 §2.1: userName and displayName compare case-insensitively).
// It is the folding the filter evaluator compares with, so an index lookup
// and Filter.Match never disagree.
func Fold(s string) string { return scim.FoldCase(s) }

func indexKey(identityConfig, value string) string { return identityConfig + "/" + value }

// SetupIndexes registers the field indexes the store and the controllers look
// objects up by. Call it once, before the cache starts.
func SetupIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	userIndexes := map[string]func(u *v1.ScimUser) []string{
		FieldTenant: func(u *v1.ScimUser) []string { return []string{u.Spec.IdentityConfigRef.Name} },
		FieldUserName: func(u *v1.ScimUser) []string {
			return []string{indexKey(u.Spec.IdentityConfigRef.Name, Fold(u.Spec.UserName))}
		},
		FieldUserExternalID: func(u *v1.ScimUser) []string {
			if u.Spec.ExternalID == "" {
				return nil
			}
			return []string{indexKey(u.Spec.IdentityConfigRef.Name, u.Spec.ExternalID)}
		},
		FieldUserEmail: func(u *v1.ScimUser) []string {
			keys := make([]string, 0, len(u.Spec.Emails))
			for _, e := range u.Spec.Emails {
				keys = append(keys, indexKey(u.Spec.IdentityConfigRef.Name, Fold(e.Value)))
			}
			return keys
		},
		FieldUserGroup: func(u *v1.ScimUser) []string {
			keys := make([]string, 0, len(u.Spec.Groups))
			for _, g := range u.Spec.Groups {
				keys = append(keys, indexKey(u.Spec.IdentityConfigRef.Name, g))
			}
			return keys
		},
	}
	for field, fn := range userIndexes {
		if err := indexer.IndexField(ctx, &v1.ScimUser{}, field, func(o client.Object) []string { return fn(o.(*v1.ScimUser)) }); err != nil {
			return fmt.Errorf("indexing ScimUser by %s: %w", field, err)
		}
	}

	groupIndexes := map[string]func(g *v1.ScimGroup) []string{
		FieldTenant: func(g *v1.ScimGroup) []string { return []string{g.Spec.IdentityConfigRef.Name} },
		FieldGroupDisplayName: func(g *v1.ScimGroup) []string {
			return []string{indexKey(g.Spec.IdentityConfigRef.Name, Fold(g.Spec.DisplayName))}
		},
		FieldGroupExternalID: func(g *v1.ScimGroup) []string {
			if g.Spec.ExternalID == "" {
				return nil
			}
			return []string{indexKey(g.Spec.IdentityConfigRef.Name, g.Spec.ExternalID)}
		},
	}
	for field, fn := range groupIndexes {
		if err := indexer.IndexField(ctx, &v1.ScimGroup{}, field, func(o client.Object) []string { return fn(o.(*v1.ScimGroup)) }); err != nil {
			return fmt.Errorf("indexing ScimGroup by %s: %w", field, err)
		}
	}
	return nil
}
