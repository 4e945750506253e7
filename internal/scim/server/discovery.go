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

package server

import (
	"encoding/json"
	"net/http"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

// serviceProviderConfig answers RFC 7643 §5 with what this server does.
func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *request) error {
	type supported struct {
		Supported bool `json:"supported"`
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{scim.ServiceProviderConfigSchemaURN},
		"documentationUri": "https://github.com/lightrun-platform/lightrun-identity-operator",
		"patch":            supported{true},
		"bulk": map[string]any{
			"supported":      true,
			"maxOperations":  s.opts.MaxBulkOperations,
			"maxPayloadSize": s.opts.MaxBodyBytes,
		},
		"filter":         map[string]any{"supported": true, "maxResults": s.opts.MaxResults},
		"changePassword": supported{false},
		"sort":           supported{true},
		"etag":           supported{true},
		// RFC 9865 §4: both ways of paging; index stays the default, as
		// Okta and Entra ID page by startIndex. Cursors do not expire, so
		// cursorTimeout is not given.
		"pagination": map[string]any{
			"cursor":                  true,
			"index":                   true,
			"defaultPaginationMethod": "index",
			"defaultPageSize":         s.opts.MaxResults,
			"maxPageSize":             s.opts.MaxResults,
		},
		"authenticationSchemes": []map[string]any{{
			typeKey:       "oauthbearertoken",
			"name":        "OAuth Bearer Token",
			"description": "A bearer token from the IdentityConfig's Secret (spec.scim.bearerTokenSecretRef).",
			"specUri":     "https://www.rfc-editor.org/info/rfc6750",
			"primary":     true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     r.baseURL + "/ServiceProviderConfig",
		},
	})
	return nil
}

var schemas = []*scim.Schema{&scim.UserSchema, &scim.EnterpriseUserSchema, &scim.GroupSchema}

func (s *Server) listSchemas(w http.ResponseWriter, r *request) error {
	out := make([]map[string]any, 0, len(schemas))
	for _, sc := range schemas {
		m, err := toMap(s.locatedSchema(sc, r))
		if err != nil {
			return err
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, scim.NewListResponse(len(out), 1, out))
	return nil
}

func (s *Server) getSchema(w http.ResponseWriter, r *request) error {
	sc := scim.LookupSchema(r.PathValue("id"))
	if sc == nil {
		return scim.ErrNotFound("no schema %q", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, s.locatedSchema(sc, r))
	return nil
}

func (s *Server) locatedSchema(sc *scim.Schema, r *request) scim.Schema {
	located := *sc
	located.Location = r.baseURL + "/Schemas/" + sc.ID
	return located
}

var resourceTypes = []*scim.ResourceType{&scim.UserResourceType, &scim.GroupResourceType}

func (s *Server) listResourceTypes(w http.ResponseWriter, r *request) error {
	out := make([]map[string]any, 0, len(resourceTypes))
	for _, rt := range resourceTypes {
		m, err := toMap(locatedResourceType(rt, r))
		if err != nil {
			return err
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, scim.NewListResponse(len(out), 1, out))
	return nil
}

func (s *Server) getResourceType(w http.ResponseWriter, r *request) error {
	rt := scim.LookupResourceType(r.PathValue("id"))
	if rt == nil {
		return scim.ErrNotFound("no resource type %q", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, locatedResourceType(rt, r))
	return nil
}

func locatedResourceType(rt *scim.ResourceType, r *request) scim.ResourceType {
	located := *rt
	located.Location = r.baseURL + "/ResourceTypes/" + rt.ID
	return located
}

// toMap turns a value into its generic JSON form, for list responses.
func toMap(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(data, &m)
}
