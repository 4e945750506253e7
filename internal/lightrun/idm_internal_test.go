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

package lightrun

import "testing"

func TestCompanyIDFromLightrunURLs(t *testing.T) {
	const id = "e582658d-ddaa-4987-90b4-8ed1910365d4"
	cases := []struct {
		name string
		auth *AuthenticationConfig
		prov *ProvisioningConfig
		want string
	}{
		{"the spec's SCIM endpoint example", nil,
			&ProvisioningConfig{SCIM: &SCIMConfig{EndpointURL: "https://some.host:8443/api/company/" + id + "/scim/v2"}}, id},
		{"the spec's SAML redirect example", &AuthenticationConfig{SSO: &SSOConfig{SAML: &SAMLConfig{
			RedirectURL: "https://some.host:8443/auth/realms/lightrun/broker/" + id + "/endpoint"}}}, nil, id},
		{"an OIDC redirect", &AuthenticationConfig{SSO: &SSOConfig{OIDC: &OIDCConfig{
			RedirectURL: "https://some.host/auth/realms/lightrun/broker/acme/endpoint"}}}, &ProvisioningConfig{}, "acme"},
		{"nothing reported", &AuthenticationConfig{}, &ProvisioningConfig{SCIM: &SCIMConfig{}}, ""},
		{"a URL of another shape", nil, &ProvisioningConfig{SCIM: &SCIMConfig{EndpointURL: "https://x/company/scim"}}, ""},
	}
	for _, c := range cases {
		if got := CompanyID(c.auth, c.prov); got != c.want {
			t.Errorf("%s: CompanyID = %q, want %q", c.name, got, c.want)
		}
	}
}
