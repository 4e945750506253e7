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
	"net/http"
	"slices"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

// routes maps RFC 7644's endpoints (§3.2) under /scim/v2/{ns}/{ic}.
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	base := BasePath + "/{ns}/{ic}"

	s.handle("GET "+base+"/ServiceProviderConfig", "ServiceProviderConfig", s.serviceProviderConfig)
	s.handle("GET "+base+"/Schemas", "Schemas", s.listSchemas)
	s.handle("GET "+base+"/Schemas/{id}", "Schemas", s.getSchema)
	s.handle("GET "+base+"/ResourceTypes", "ResourceTypes", s.listResourceTypes)
	s.handle("GET "+base+"/ResourceTypes/{id}", "ResourceTypes", s.getResourceType)

	s.handle("POST "+base+"/Users", "Users", s.createUser)
	s.handle("GET "+base+"/Users", "Users", s.queryUsers)
	s.handle("POST "+base+"/Users/.search", "Users", s.queryUsers)
	s.handle("GET "+base+"/Users/{id}", "Users", s.getUser)
	s.handle("PUT "+base+"/Users/{id}", "Users", s.replaceUser)
	s.handle("PATCH "+base+"/Users/{id}", "Users", s.patchUser)
	s.handle("DELETE "+base+"/Users/{id}", "Users", s.deleteUser)

	s.handle("POST "+base+"/Groups", "Groups", s.createGroup)
	s.handle("GET "+base+"/Groups", "Groups", s.queryGroups)
	s.handle("POST "+base+"/Groups/.search", "Groups", s.queryGroups)
	s.handle("GET "+base+"/Groups/{id}", "Groups", s.getGroup)
	s.handle("PUT "+base+"/Groups/{id}", "Groups", s.replaceGroup)
	s.handle("PATCH "+base+"/Groups/{id}", "Groups", s.patchGroup)
	s.handle("DELETE "+base+"/Groups/{id}", "Groups", s.deleteGroup)

	s.handle("POST "+base+"/.search", "Search", s.searchAll)
	s.handle("POST "+base+"/Bulk", "Bulk", s.bulk)

	// RFC 7644 §3.11: /Me is optional; we have no authenticated subject
	// that is a user, so it is not implemented.
	s.handle(base+"/Me", "Me", notImplemented)
	s.handle(base+"/Me/{rest...}", "Me", notImplemented)

	// The same paths with a method they do not support answer a SCIM 405,
	// not the mux's plain-text one.
	for path, allowed := range map[string][]string{
		"/ServiceProviderConfig": {http.MethodGet},
		"/Schemas":               {http.MethodGet},
		"/Schemas/{id}":          {http.MethodGet},
		"/ResourceTypes":         {http.MethodGet},
		"/ResourceTypes/{id}":    {http.MethodGet},
		"/Users":                 {http.MethodGet, http.MethodPost},
		"/Users/.search":         {http.MethodPost},
		"/Users/{id}":            {http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete},
		"/Groups":                {http.MethodGet, http.MethodPost},
		"/Groups/.search":        {http.MethodPost},
		"/Groups/{id}":           {http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete},
		"/.search":               {http.MethodPost},
		"/Bulk":                  {http.MethodPost},
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if !slices.Contains(allowed, method) {
				s.handle(method+" "+base+path, "Other", methodNotAllowed)
			}
		}
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.metrics.observe(r.Method, "Other", http.StatusNotFound, 0)
		writeJSON(w, http.StatusNotFound, scim.ErrNotFound("no SCIM endpoint at %s; the base URL is %s/{namespace}/{identityconfig}", r.URL.Path, BasePath))
	})
}

func notImplemented(http.ResponseWriter, *request) error {
	return scim.ErrNotImplemented("/Me is not supported by this service provider")
}

func methodNotAllowed(_ http.ResponseWriter, r *request) error {
	return scim.ErrMethodNotAllowed("%s is not supported on %s", r.Method, r.URL.Path)
}
