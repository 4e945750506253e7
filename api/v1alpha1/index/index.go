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

// Package index owns the field indexes on the manager's cache that the SCIM
// store and the reconcilers look objects up by: each field's name, the
// indexer that computes its keys, and the key builder a lookup uses, so the
// two sides can never build a key differently. Setup registers them all.
//
// Keys of the tenant-scoped fields start with the IdentityConfig's name and a
// slash, so one namespace can hold several IdentityConfigs without their
// lookups mixing. Values that compare without regard to case are folded with
// internal/fold, the one folding function of the operator.
package index

import (
	"context"
	"fmt"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"
)

// Field is a field index whose key is a plain value.
type Field struct {
	// Name is the field name registered with the cache.
	Name string
}

// Is selects the objects whose key is value.
func (f Field) Is(value string) client.MatchingFields {
	return client.MatchingFields{f.Name: value}
}

// TenantField is a field index whose keys belong to one IdentityConfig.
type TenantField struct {
	// Name is the field name registered with the cache.
	Name string
	// Folded fields compare their values without regard to case.
	Folded bool
}

// Key is the key of value under the IdentityConfig named identityConfig.
func (f TenantField) Key(identityConfig, value string) string {
	if f.Folded {
		value = fold.String(value)
	}
	return identityConfig + "/" + value
}

// Is selects the objects of identityConfig whose field has value.
func (f TenantField) Is(identityConfig, value string) client.MatchingFields {
	return client.MatchingFields{f.Name: f.Key(identityConfig, value)}
}

// keys builds the keys of values under one IdentityConfig, skipping empty values.
func (f TenantField) keys(identityConfig string, values ...string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			out = append(out, f.Key(identityConfig, v))
		}
	}
	return out
}

// registration is one field index of one kind.
type registration struct {
	obj     client.Object
	field   string
	indexer client.IndexerFunc
}

// Setup registers every field index with the manager's cache. Call it once,
// before the cache starts; the SCIM store and the reconcilers both rely on it.
func Setup(ctx context.Context, indexer client.FieldIndexer) error {
	all := slices.Concat(scimGroupIndexes(), agentPoolIndexes(), identityConfigIndexes())
	for _, r := range all {
		if err := indexer.IndexField(ctx, r.obj, r.field, r.indexer); err != nil {
			return fmt.Errorf("indexing %T by %s: %w", r.obj, r.field, err)
		}
	}
	return nil
}
