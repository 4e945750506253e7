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

package controllers

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/kubestore"
)

// Field indexes the controllers add to the manager's cache. The SCIM indexes
// on ScimUser and ScimGroup (kubestore.Field*) are registered by the operator
// once and reused here.
const (
	// fieldCompany indexes IdentityConfigs by the Lightrun company they feed
	// (companyKey), across namespaces: Lightrun rule 1 is per company.
	fieldCompany = "controllers.identityConfig.company"
	// fieldSecret indexes IdentityConfigs by the names of the Secrets they use.
	fieldSecret = "controllers.identityConfig.secret"
	// fieldPoolConfig indexes AgentPools by IdentityConfig name.
	fieldPoolConfig = "controllers.agentPool.identityConfig"
	// fieldPoolGroup indexes AgentPools by ic + "/" + folded SCIM group display name.
	fieldPoolGroup = "controllers.agentPool.group"
	// fieldPoolUserName indexes AgentPools by ic + "/" + folded userName.
	fieldPoolUserName = "controllers.agentPool.userName"
	// fieldPoolName indexes AgentPools by ic + "/" + folded Lightrun pool name.
	fieldPoolName = "controllers.agentPool.poolName"
)

func indexKey(ic, value string) string { return ic + "/" + value }

// companyKey names a Lightrun company: the server (scheme and host, lower
// case, path without trailing slash) and the company id. Two IdentityConfigs
// with the same key feed the same company.
func companyKey(c v1.LightrunConnection) string {
	base := strings.TrimRight(strings.TrimSpace(c.URL), "/")
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		base = strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/")
	}
	return base + "|" + strings.ToLower(c.CompanyID)
}

// setupIndexes registers the controllers' field indexes.
func setupIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	indexes := []struct {
		obj   client.Object
		field string
		fn    client.IndexerFunc
	}{
		{&v1.IdentityConfig{}, fieldCompany, func(o client.Object) []string {
			return []string{companyKey(o.(*v1.IdentityConfig).Spec.Lightrun)}
		}},
		{&v1.IdentityConfig{}, fieldSecret, func(o client.Object) []string {
			ic := o.(*v1.IdentityConfig)
			names := []string{ic.Spec.Lightrun.APIKeySecretRef.Name}
			if ref := ic.Spec.SCIM.BearerTokenSecretRef; ref != nil && ref.Name != names[0] {
				names = append(names, ref.Name)
			}
			return names
		}},
		{&v1.AgentPool{}, fieldPoolConfig, func(o client.Object) []string {
			return []string{o.(*v1.AgentPool).Spec.IdentityConfigRef.Name}
		}},
		{&v1.AgentPool{}, fieldPoolGroup, func(o client.Object) []string {
			p := o.(*v1.AgentPool)
			keys := make([]string, 0, len(p.Spec.Members.Groups))
			for _, g := range p.Spec.Members.Groups {
				keys = append(keys, indexKey(p.Spec.IdentityConfigRef.Name, kubestore.Fold(g)))
			}
			return keys
		}},
		{&v1.AgentPool{}, fieldPoolUserName, func(o client.Object) []string {
			p := o.(*v1.AgentPool)
			keys := make([]string, 0, len(p.Spec.Members.UserNames))
			for _, u := range p.Spec.Members.UserNames {
				keys = append(keys, indexKey(p.Spec.IdentityConfigRef.Name, kubestore.Fold(u)))
			}
			return keys
		}},
		{&v1.AgentPool{}, fieldPoolName, func(o client.Object) []string {
			p := o.(*v1.AgentPool)
			return []string{indexKey(p.Spec.IdentityConfigRef.Name, strings.ToLower(p.Spec.PoolName))}
		}},
	}
	for _, ix := range indexes {
		if err := indexer.IndexField(ctx, ix.obj, ix.field, ix.fn); err != nil {
			return fmt.Errorf("indexing %T by %s: %w", ix.obj, ix.field, err)
		}
	}
	return nil
}
