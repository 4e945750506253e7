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

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// LoginMethod is how users of the company log in to Lightrun.
type LoginMethod string

// The login methods the spec enumerates (IdmAuthenticationConfigurationReadDTO).
const (
	LoginMethodPassword LoginMethod = "PASSWORD"
	LoginMethodGoogle   LoginMethod = "GOOGLE"
	LoginMethodSSO      LoginMethod = "SSO"
)

// SSOProtocol is the protocol of the company's SSO integration.
type SSOProtocol string

// The SSO protocols the spec enumerates.
const (
	SSOProtocolSAML SSOProtocol = "SAML"
	SSOProtocolOIDC SSOProtocol = "OIDC"
)

// AuthenticationConfig is the company's IdM authentication configuration
// (IdmAuthenticationConfigurationReadDTO).
type AuthenticationConfig struct {
	// CurrentLoginMethod is PASSWORD when Lightrun leaves it out: the spec
	// gives "default": "PASSWORD".
	CurrentLoginMethod LoginMethod `json:"currentLoginMethod,omitempty"`
	SSO                *SSOConfig  `json:"sso,omitempty"`
}

// SSOEnabled reports whether users log in through SSO, the prerequisite for
// provisioning users from an identity provider (Lightrun's SCIM guide).
func (a *AuthenticationConfig) SSOEnabled() bool {
	return a.CurrentLoginMethod == LoginMethodSSO
}

// SSOConfig describes the SSO integration (IdmSsoReadDTO).
type SSOConfig struct {
	Protocol SSOProtocol `json:"protocol,omitempty"`
	SAML     *SAMLConfig `json:"saml,omitempty"`
	OIDC     *OIDCConfig `json:"oidc,omitempty"`
}

// SAMLConfig is IdmSsoSamlReadDTO.
type SAMLConfig struct {
	EntityID    string `json:"entityId,omitempty"`
	IdPURL      string `json:"idpUrl,omitempty"`
	RedirectURL string `json:"redirectUrl,omitempty"`
}

// OIDCConfig is IdmSsoOidcReadDTO.
type OIDCConfig struct {
	ClientID     string `json:"clientId,omitempty"`
	DiscoveryURL string `json:"discoveryUrl,omitempty"`
	RedirectURL  string `json:"redirectUrl,omitempty"`
}

// AuthenticationConfigUpdate is the body of POST
// /api/v1/configuration/idm/authentication (IdmAuthenticationConfigurationWriteDTO).
type AuthenticationConfigUpdate struct {
	LoginMethod LoginMethod `json:"loginMethod"`
	// SSOProtocolOptions picks the protocol when LoginMethod is SSO.
	SSOProtocolOptions *SSOProtocolOptions `json:"ssoProtocolOptions,omitempty"`
}

// SSOProtocolOptions is IdmSsoProtocolOptionsWriteDTO.
type SSOProtocolOptions struct {
	Protocol SSOProtocol `json:"protocol"`
}

// ProvisioningConfig is the company's IdM provisioning configuration
// (IdmProvisioningConfigurationReadDTO).
type ProvisioningConfig struct {
	JITProvisionEnabled            bool        `json:"jitProvisionEnabled"`
	SCIM                           *SCIMConfig `json:"scim,omitempty"`
	SelfRegistrationAllowedDomains []string    `json:"selfRegistrationAllowedDomains,omitempty"`
	SelfRegistrationEnabled        bool        `json:"selfRegistrationEnabled"`
}

// BuiltInSCIMEnabled reports whether Lightrun's own SCIM endpoint is on, i.e.
// whether another identity provider may already be provisioning this company.
func (p *ProvisioningConfig) BuiltInSCIMEnabled() bool {
	return p.SCIM != nil && p.SCIM.Enabled
}

// SCIMConfig is Lightrun's built-in SCIM endpoint (IdmSsoScimReadDTO).
type SCIMConfig struct {
	Enabled                    bool   `json:"enabled"`
	CreateExistingUsersEnabled bool   `json:"createExistingUsersEnabled"`
	SyncGroupsEnabled          bool   `json:"syncGroupsEnabled"`
	SyncRolesEnabled           bool   `json:"syncRolesEnabled"`
	EndpointURL                string `json:"endpointUrl,omitempty"`
	OAuthAccessTokenURL        string `json:"oauthAccessTokenUrl,omitempty"`
	OAuthAuthorizationURL      string `json:"oauthAuthorizationUrl,omitempty"`
	OAuthClientID              string `json:"oauthClientId,omitempty"`
	// OAuthClientSecret prints as "[redacted]" so it cannot reach a log by accident.
	OAuthClientSecret Secret `json:"oauthClientSecret,omitempty"`
}

// Secret is a string that fmt never prints.
type Secret string

// String implements fmt.Stringer.
func (Secret) String() string { return "[redacted]" }

// GoString implements fmt.GoStringer.
func (Secret) GoString() string { return `"[redacted]"` }

// ProvisioningConfigUpdate is the body of POST
// /api/v1/configuration/idm/provisioning (IdmProvisioningConfigurationWriteDTO).
// Every field is sent: the write DTO gives defaults to absent fields, so an
// absent field would reset the setting rather than keep it.
type ProvisioningConfigUpdate struct {
	JITProvisionEnabled            bool          `json:"jitProvisionEnabled"`
	SCIM                           *SCIMSettings `json:"scim,omitempty"`
	SelfRegistrationAllowedDomains []string      `json:"selfRegistrationAllowedDomains"`
	SelfRegistrationEnabled        bool          `json:"selfRegistrationEnabled"`
}

// SCIMSettings is IdmSsoScimWriteDTO.
type SCIMSettings struct {
	Enabled                    bool `json:"enabled"`
	CreateExistingUsersEnabled bool `json:"createExistingUsersEnabled"`
	SyncGroupsEnabled          bool `json:"syncGroupsEnabled"`
	SyncRolesEnabled           bool `json:"syncRolesEnabled"`
}

// GetAuthenticationConfig returns the company's login configuration. The
// operator provisions only when CurrentLoginMethod is SSO.
func (c *Client) GetAuthenticationConfig(ctx context.Context) (*AuthenticationConfig, error) {
	cl := newCall(http.MethodGet, "/api/v1/configuration/idm/authentication")
	a := &AuthenticationConfig{}
	cl.out = a
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	if a.CurrentLoginMethod == "" {
		a.CurrentLoginMethod = LoginMethodPassword
	}
	return a, nil
}

// SetAuthenticationConfig changes the company's login method. The operator
// never calls it; tests and the development setup use it to turn SSO on.
func (c *Client) SetAuthenticationConfig(ctx context.Context, update AuthenticationConfigUpdate) error {
	cl := newCall(http.MethodPost, "/api/v1/configuration/idm/authentication")
	cl.body = update
	return c.do(ctx, cl)
}

// GetProvisioningConfig returns the company's provisioning configuration,
// including whether Lightrun's built-in SCIM is on.
func (c *Client) GetProvisioningConfig(ctx context.Context) (*ProvisioningConfig, error) {
	cl := newCall(http.MethodGet, "/api/v1/configuration/idm/provisioning")
	p := &ProvisioningConfig{}
	cl.out = p
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return p, nil
}

// SetProvisioningConfig replaces the company's provisioning configuration. The
// operator never calls it; tests and the development setup do.
func (c *Client) SetProvisioningConfig(ctx context.Context, update ProvisioningConfigUpdate) error {
	cl := newCall(http.MethodPost, "/api/v1/configuration/idm/provisioning")
	if update.SelfRegistrationAllowedDomains == nil {
		update.SelfRegistrationAllowedDomains = []string{}
	}
	cl.body = update
	return c.do(ctx, cl)
}

// CompanyID returns the id of the company behind the API key, as Lightrun
// reports it: the path segment after /api/company/ in its SCIM endpoint URL
// (IdmSsoScimReadDTO.endpointUrl, example
// https://some.host:8443/api/company/<id>/scim/v2), else the segment after
// /broker/ in an SSO redirect URL (IdmSsoSamlReadDTO and IdmSsoOidcReadDTO
// .redirectUrl, example https://some.host:8443/auth/realms/lightrun/broker/<id>/endpoint).
// The API has no call that names the company outright; "" means Lightrun
// reported none of these URLs.
func CompanyID(auth *AuthenticationConfig, prov *ProvisioningConfig) string {
	var urls []string
	if prov != nil && prov.SCIM != nil {
		urls = append(urls, prov.SCIM.EndpointURL)
	}
	if auth != nil && auth.SSO != nil {
		if auth.SSO.SAML != nil {
			urls = append(urls, auth.SSO.SAML.RedirectURL)
		}
		if auth.SSO.OIDC != nil {
			urls = append(urls, auth.SSO.OIDC.RedirectURL)
		}
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		segments := strings.Split(strings.Trim(u.Path, "/"), "/")
		for i := 0; i+1 < len(segments); i++ {
			if (segments[i] == "company" && i > 0 && segments[i-1] == "api") || segments[i] == "broker" {
				if id := segments[i+1]; id != "" {
					return id
				}
			}
		}
	}
	return ""
}
