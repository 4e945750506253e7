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
	"errors"
	"io"
	"net/http"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// The /Users endpoints (RFC 7644 §3.3-§3.6). Handlers are thin: decode,
// validate against the schema, apply through the store, encode.

// conflictRetries bounds how often a PUT or PATCH without If-Match is
// re-applied to a fresh read when another writer got in first.
const conflictRetries = 5

func (s *Server) createUser(w http.ResponseWriter, r *request) error {
	body, err := decodeBody(r)
	if err != nil {
		return err
	}
	spec, err := userSpecFromBody(body)
	if err != nil {
		return err
	}
	created, err := s.users.CreateUser(r.Context(), r.tenant.Tenant, &v1.ScimUser{Spec: spec})
	if err != nil {
		return err
	}
	return s.respondUser(w, r, http.StatusCreated, created)
}

// userSpecFromBody reads a POST or PUT body into a spec.
func userSpecFromBody(body map[string]any) (v1.ScimUserSpec, error) {
	if err := scim.CheckSchemas(scim.UserResourceType, body); err != nil {
		return v1.ScimUserSpec{}, err
	}
	res, err := scim.Normalize(scim.UserResourceType, body)
	if err != nil {
		return v1.ScimUserSpec{}, err
	}
	return userSpecFromResource(res)
}

func (s *Server) getUser(w http.ResponseWriter, r *request) error {
	return getOne(w, r, scim.UserResourceTypeName, s.users.GetUser, s.respondUser)
}

func (s *Server) replaceUser(w http.ResponseWriter, r *request) error {
	body, err := decodeBody(r)
	if err != nil {
		return err
	}
	spec, err := userSpecFromBody(body)
	if err != nil {
		return err
	}
	return s.updateUser(w, r, func(current *v1.ScimUser) (*v1.ScimUser, error) {
		next := current.DeepCopy()
		groups := next.Spec.Groups // readOnly in SCIM; PUT never changes membership
		next.Spec = spec
		next.Spec.Groups = groups
		next.Spec.IdentityConfigRef = current.Spec.IdentityConfigRef
		return next, nil
	})
}

func (s *Server) patchUser(w http.ResponseWriter, r *request) error {
	data, err := readAll(r)
	if err != nil {
		return err
	}
	patch, err := scim.ParsePatch(data)
	if err != nil {
		return err
	}
	return s.updateUser(w, r, func(current *v1.ScimUser) (*v1.ScimUser, error) {
		groups, err := s.userGroups(r, current)
		if err != nil {
			return nil, err
		}
		res, err := userResource(current, groups, r.baseURL)
		if err != nil {
			return nil, err
		}
		spec, err := patchedSpec(scim.UserResourceType, res, patch.Operations, userSpecFromResource)
		if err != nil {
			return nil, err
		}
		next := current.DeepCopy()
		spec.Groups = current.Spec.Groups
		spec.IdentityConfigRef = current.Spec.IdentityConfigRef
		next.Spec = spec
		return next, nil
	})
}

// updateUser applies change to the user and answers with the result.
func (s *Server) updateUser(w http.ResponseWriter, r *request, change func(*v1.ScimUser) (*v1.ScimUser, error)) error {
	u, err := applyUpdate(r, s.userStore(), change)
	if err != nil {
		return err
	}
	return s.respondUser(w, r, http.StatusOK, u)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *request) error {
	return deleteResource(w, r, s.userStore())
}

// respondUser writes one user, projected by the attributes and
// excludedAttributes query parameters (RFC 7644 §3.9).
func (s *Server) respondUser(w http.ResponseWriter, r *request, status int, u *v1.ScimUser) error {
	attrs, err := attributeSetFromQuery(r, scim.UserResourceType)
	if err != nil {
		return err
	}
	var groups []groupRef
	if attrs.Includes("groups") {
		if groups, err = s.userGroups(r, u); err != nil {
			return err
		}
	}
	res, err := userResource(u, groups, r.baseURL)
	if err != nil {
		return err
	}
	writeResource(w, status, attrs.ApplyInPlace(res), u.ResourceVersion, r.baseURL+"/Users/"+u.SCIMID())
	return nil
}

// userGroups resolves the user's groups (RFC 7643 §4.1.2): the groups it is
// a direct member of that exist ("direct"), then every group those are
// members of, through any depth ("indirect"), each once; direct wins. The
// walk keeps a visited set, so a cycle that concurrent requests raced into
// (docs/scim.md, Groups and membership) still ends it.
func (s *Server) userGroups(r *request, u *v1.ScimUser) ([]groupRef, error) {
	refs := make([]groupRef, 0, len(u.Spec.Groups))
	seen := make(map[string]bool, len(u.Spec.Groups))
	var queue []string
	visit := func(ids []string, kind string) error {
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			g, err := s.groups.GetGroup(r.Context(), r.tenant.Tenant, id)
			if errors.Is(err, store.ErrNotFound) {
				continue // a group deleted while its members were being released
			}
			if err != nil {
				return err
			}
			refs = append(refs, groupRef{ID: g.Name, DisplayName: g.Spec.DisplayName, Type: kind})
			queue = append(queue, g.Spec.Groups...)
		}
		return nil
	}
	if err := visit(u.Spec.Groups, groupDirect); err != nil {
		return nil, err
	}
	for len(queue) > 0 {
		next := queue
		queue = nil
		if err := visit(next, groupIndirect); err != nil {
			return nil, err
		}
	}
	return refs, nil
}

func attributeSetFromQuery(r *request, rt scim.ResourceType) (scim.AttributeSet, error) {
	q := r.URL.Query()
	return scim.NewAttributeSet(rt, scim.SplitAttributeList(q.Get("attributes")), scim.SplitAttributeList(q.Get("excludedAttributes")))
}

// notFoundAs turns the store's not-found into RFC 7644 §3.12's 404 naming the resource.
func notFoundAs(err error, resourceType, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return scim.ErrNotFound("%s %s not found", resourceType, id)
	}
	return err
}

func readAll(r *request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, err
		}
		return nil, scim.ErrInvalidSyntax("reading the request body: %v", err)
	}
	if err := checkBody(data); err != nil {
		return nil, err
	}
	return data, nil
}

// queryUsers answers GET /Users and POST /Users/.search.
func (s *Server) queryUsers(w http.ResponseWriter, r *request) error {
	return serveQuery(s, w, r, s.userLister())
}

// userLister answers the lookups IdPs send before every create
// (userName eq, externalId eq, emails[type eq "work"].value eq, id eq) from
// the store's indexes.
func (s *Server) userLister() lister[*v1.ScimUser] {
	return lister[*v1.ScimUser]{
		rt:      scim.UserResourceType,
		derived: "groups",
		page: func(r *request, req store.PageRequest) (store.Page[*v1.ScimUser], error) {
			return s.users.UserPage(r.Context(), r.tenant.Tenant, req)
		},
		candidates: func(r *request, eqs []scim.Equality) ([]*v1.ScimUser, error) {
			t := r.tenant.Tenant
			for _, eq := range eqs {
				var index store.Index
				switch eq.Path {
				case "id":
					u, err := s.users.GetUser(r.Context(), t, eq.Value)
					if errors.Is(err, store.ErrNotFound) {
						return nil, nil
					}
					if err != nil {
						return nil, err
					}
					return []*v1.ScimUser{u}, nil
				case "userName":
					index = store.IndexUserName
				case "externalId":
					index = store.IndexExternalID
				case "emails.value":
					index = store.IndexEmail
				default:
					continue
				}
				return s.users.ListUsers(r.Context(), t, store.Selector{Index: index, Value: eq.Value})
			}
			return s.users.ListUsers(r.Context(), t, store.Selector{})
		},
		render: func(r *request, u *v1.ScimUser, attrs scim.AttributeSet) (map[string]any, error) {
			var groups []groupRef
			if attrs.Includes("groups") && len(u.Spec.Groups) > 0 {
				var err error
				if groups, err = s.userGroups(r, u); err != nil {
					return nil, err
				}
			}
			return userResource(u, groups, r.baseURL)
		},
	}
}
