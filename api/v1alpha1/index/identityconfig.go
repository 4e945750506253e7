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

import (
	"net/url"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

var (
	// IdentityConfigCompany indexes IdentityConfigs by the Lightrun company
	// they feed (CompanyKey), across namespaces: one identity provider per
	// Lightrun company is a rule per company, not per namespace.
	IdentityConfigCompany = Field{Name: "identityConfig.company"}
	// IdentityConfigSecret indexes IdentityConfigs by the names of the
	// Secrets they use (API key and bearer token).
	IdentityConfigSecret = Field{Name: "identityConfig.secret"}
)

// CompanyKey names a Lightrun company: the server (scheme and host lower
// case, path without trailing slash) and the company id. Two IdentityConfigs
// with the same key feed the same company.
func CompanyKey(c v1.LightrunConnection) string {
	base := strings.TrimRight(strings.TrimSpace(c.URL), "/")
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		base = strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/")
	}
	return base + "|" + strings.ToLower(c.CompanyID)
}

func identityConfigIndexes() []registration {
	return []registration{
		{&v1.IdentityConfig{}, IdentityConfigCompany.Name, func(o client.Object) []string {
			return []string{CompanyKey(o.(*v1.IdentityConfig).Spec.Lightrun)}
		}},
		{&v1.IdentityConfig{}, IdentityConfigSecret.Name, func(o client.Object) []string {
			ic := o.(*v1.IdentityConfig)
			names := []string{ic.Spec.Lightrun.APIKeySecretRef.Name}
			if ref := ic.Spec.SCIM.BearerTokenSecretRef; ref != nil && ref.Name != names[0] {
				names = append(names, ref.Name)
			}
			return names
		}},
	}
}
