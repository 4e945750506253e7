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

package emulator

import (
	"net/http"
)

// authenticationDTO is IdmAuthenticationConfigurationReadDTO.
type authenticationDTO struct {
	CurrentLoginMethod string  `json:"currentLoginMethod"`
	SSO                *ssoDTO `json:"sso,omitempty"`
}

// ssoDTO is IdmSsoReadDTO, with IdmSsoSamlReadDTO / IdmSsoOidcReadDTO.
type ssoDTO struct {
	Protocol string `json:"protocol"`
	SAML     *struct {
		EntityID    string `json:"entityId"`
		RedirectURL string `json:"redirectUrl"`
	} `json:"saml,omitempty"`
	OIDC *struct {
		RedirectURL string `json:"redirectUrl"`
	} `json:"oidc,omitempty"`
}

// authenticationBody is IdmAuthenticationConfigurationWriteDTO.
type authenticationBody struct {
	LoginMethod        string `json:"loginMethod"`
	SSOProtocolOptions *struct {
		Protocol string `json:"protocol"`
	} `json:"ssoProtocolOptions"`
}

// provisioningDTO is IdmProvisioningConfigurationReadDTO.
type provisioningDTO struct {
	JITProvisionEnabled            bool     `json:"jitProvisionEnabled"`
	SCIM                           scimDTO  `json:"scim"`
	SelfRegistrationAllowedDomains []string `json:"selfRegistrationAllowedDomains"`
	SelfRegistrationEnabled        bool     `json:"selfRegistrationEnabled"`
}

// scimDTO is IdmSsoScimReadDTO. The OAuth fields stay absent: the built-in SCIM
// endpoint of the emulator is a switch, not a server.
type scimDTO struct {
	Enabled                    bool   `json:"enabled"`
	CreateExistingUsersEnabled bool   `json:"createExistingUsersEnabled"`
	SyncGroupsEnabled          bool   `json:"syncGroupsEnabled"`
	SyncRolesEnabled           bool   `json:"syncRolesEnabled"`
	EndpointURL                string `json:"endpointUrl"`
}

// provisioningBody is IdmProvisioningConfigurationWriteDTO. Pointers tell an
// absent field from a false one: an absent field takes the spec's default.
type provisioningBody struct {
	JITProvisionEnabled            *bool     `json:"jitProvisionEnabled"`
	SelfRegistrationAllowedDomains *[]string `json:"selfRegistrationAllowedDomains"`
	SelfRegistrationEnabled        *bool     `json:"selfRegistrationEnabled"`
	SCIM                           *struct {
		Enabled                    *bool `json:"enabled"`
		CreateExistingUsersEnabled *bool `json:"createExistingUsersEnabled"`
		SyncGroupsEnabled          *bool `json:"syncGroupsEnabled"`
		SyncRolesEnabled           *bool `json:"syncRolesEnabled"`
	} `json:"scim"`
}

func orDefault(v *bool, def bool) bool {
	if v == nil {
		return def
	}
	return *v
}

// baseURL is the emulator's URL as the caller reached it; Lightrun builds its
// SSO and SCIM URLs from its own public address.
func baseURL(r *http.Request) string { return "http://" + r.Host }

func (e *Emulator) getAuthentication(r *http.Request, _ []byte) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.st.Authentication
	dto := authenticationDTO{CurrentLoginMethod: a.LoginMethod}
	if a.SSOProtocol != "" {
		// The redirect URL has the shape of the spec's example:
		// https://some.host:8443/auth/realms/lightrun/broker/<id>/endpoint
		realm := baseURL(r) + "/auth/realms/lightrun"
		redirect := realm + "/broker/" + e.st.CompanyID + "/endpoint"
		dto.SSO = &ssoDTO{Protocol: a.SSOProtocol}
		switch a.SSOProtocol {
		case SSOProtocolSAML:
			dto.SSO.SAML = &struct {
				EntityID    string `json:"entityId"`
				RedirectURL string `json:"redirectUrl"`
			}{EntityID: realm, RedirectURL: redirect}
		case SSOProtocolOIDC:
			dto.SSO.OIDC = &struct {
				RedirectURL string `json:"redirectUrl"`
			}{RedirectURL: redirect}
		}
	}
	return reply(http.StatusOK, dto)
}

func (e *Emulator) setAuthentication(_ *http.Request, body []byte) response {
	var req authenticationBody
	if err := decode(body, &req); err != nil {
		return refuse("%v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	protocol := e.st.Authentication.SSOProtocol
	if req.SSOProtocolOptions != nil {
		protocol = req.SSOProtocolOptions.Protocol
	}
	if req.LoginMethod == LoginMethodSSO && protocol == "" {
		// SSO needs a protocol: "SSO protocol options for either SAML or OIDC".
		return failf(http.StatusBadRequest, "ssoProtocolOptions.protocol is required to enable SSO")
	}
	e.st.Authentication = Authentication{LoginMethod: req.LoginMethod, SSOProtocol: protocol}
	e.markDirty()
	// The spec declares the 200 without content.
	return response{status: http.StatusOK}
}

func (e *Emulator) getProvisioning(r *http.Request, _ []byte) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.st.Provisioning
	return reply(http.StatusOK, provisioningDTO{
		JITProvisionEnabled:            p.JITProvisionEnabled,
		SelfRegistrationEnabled:        p.SelfRegistrationEnabled,
		SelfRegistrationAllowedDomains: append([]string{}, p.SelfRegistrationAllowedDomains...),
		SCIM: scimDTO{
			Enabled: p.SCIM.Enabled, CreateExistingUsersEnabled: p.SCIM.CreateExistingUsersEnabled,
			SyncGroupsEnabled: p.SCIM.SyncGroupsEnabled, SyncRolesEnabled: p.SCIM.SyncRolesEnabled,
			// Shaped like the spec's example: https://some.host:8443/api/company/<id>/scim/v2
			EndpointURL: baseURL(r) + "/api/company/" + e.st.CompanyID + "/scim/v2",
		},
	})
}

// setProvisioning replaces the provisioning configuration. Absent fields take
// the write DTO's defaults (jitProvisionEnabled and selfRegistrationEnabled
// false, selfRegistrationAllowedDomains [], scim.createExistingUsersEnabled
// true); an absent "scim" object, which has no default, leaves SCIM as it is.
func (e *Emulator) setProvisioning(_ *http.Request, body []byte) response {
	var req provisioningBody
	if err := decode(body, &req); err != nil {
		return refuse("%v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	next := Provisioning{
		JITProvisionEnabled:            orDefault(req.JITProvisionEnabled, false),
		SelfRegistrationEnabled:        orDefault(req.SelfRegistrationEnabled, false),
		SelfRegistrationAllowedDomains: []string{},
		SCIM:                           e.st.Provisioning.SCIM,
	}
	if req.SelfRegistrationAllowedDomains != nil {
		next.SelfRegistrationAllowedDomains = append(next.SelfRegistrationAllowedDomains, *req.SelfRegistrationAllowedDomains...)
	}
	if s := req.SCIM; s != nil {
		next.SCIM = SCIM{
			Enabled:                    orDefault(s.Enabled, false),
			CreateExistingUsersEnabled: orDefault(s.CreateExistingUsersEnabled, true),
			SyncGroupsEnabled:          orDefault(s.SyncGroupsEnabled, false),
			SyncRolesEnabled:           orDefault(s.SyncRolesEnabled, false),
		}
	}
	if next.SCIM.Enabled && !e.st.Provisioning.SCIM.Enabled && e.st.Authentication.LoginMethod != LoginMethodSSO {
		// Lightrun's SCIM guide: SSO is a prerequisite of SCIM provisioning.
		return failf(http.StatusBadRequest, "SCIM provisioning requires SSO login to be configured first")
	}
	e.st.Provisioning = next
	e.markDirty()
	return response{status: http.StatusOK}
}
