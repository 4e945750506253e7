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
	"net/http"
	"slices"
	"strings"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// The /Groups endpoints. Members are stored on the member side (each
// ScimUser lists its groups): a group's "members" is derived from the
// store's group index and is only gathered when a response includes it.

// groupFromBody reads a POST or PUT body: the spec, and the members (nil ids
// when the body has no members attribute) with the types the body gives.
func groupFromBody(body map[string]any) (v1.ScimGroupSpec, store.MemberChange, error) {
	if err := scim.CheckSchemas(scim.GroupResourceType, body); err != nil {
		return v1.ScimGroupSpec{}, store.MemberChange{}, err
	}
	res, err := scim.Normalize(scim.GroupResourceType, body)
	if err != nil {
		return v1.ScimGroupSpec{}, store.MemberChange{}, err
	}
	spec, err := groupSpecFromResource(res)
	if err != nil {
		return spec, store.MemberChange{}, err
	}
	members, err := bodyMembers(res)
	return spec, members, err
}

func bodyMembers(res map[string]any) (store.MemberChange, error) {
	list, ok := res["members"].([]any)
	if !ok {
		return store.MemberChange{}, nil
	}
	change := store.MemberChange{Add: make([]string, 0, len(list))}
	for i, e := range list {
		m, _ := e.(map[string]any)
		id, _ := m["value"].(string)
		if id == "" {
			return change, scim.ErrInvalidValue("members[%d].value is required", i)
		}
		given, _ := m[typeKey].(string)
		t, ok := scim.MemberType(given)
		if !ok {
			return change, scim.ErrInvalidValue("members[%d].type is %q: want %q or %q", i, given, scim.UserResourceTypeName, scim.GroupResourceTypeName)
		}
		if t != "" {
			if change.Types == nil {
				change.Types = map[string]string{}
			}
			change.Types[id] = t
		}
		change.Add = append(change.Add, id)
	}
	return change, nil
}

// checkMembers refuses a request naming a member that is not a user or group
// of the tenant, of another type than the request says, or that would make
// a group its own member, before anything is written.
func (s *Server) checkMembers(r *request, groupID string, change store.MemberChange) error {
	if len(change.Add) == 0 {
		return nil
	}
	return s.groups.CheckMembers(r.Context(), r.tenant.Tenant, groupID, change)
}

func (s *Server) createGroup(w http.ResponseWriter, r *request) error {
	body, err := decodeBody(r)
	if err != nil {
		return err
	}
	spec, members, err := groupFromBody(body)
	if err != nil {
		return err
	}
	// The group does not exist yet: no cycle can go through it.
	if err := s.checkMembers(r, "", members); err != nil {
		return err
	}
	created, err := s.groups.CreateGroup(r.Context(), r.tenant.Tenant, &v1.ScimGroup{Spec: spec})
	if err != nil {
		return err
	}
	if len(members.Add) > 0 {
		if err := s.groups.ChangeMembers(r.Context(), r.tenant.Tenant, created.Name, members); err != nil {
			return err
		}
	}
	return s.respondGroup(w, r, http.StatusCreated, created)
}

func (s *Server) getGroup(w http.ResponseWriter, r *request) error {
	return getOne(w, r, scim.GroupResourceTypeName, s.groups.GetGroup, s.respondGroup)
}

func (s *Server) replaceGroup(w http.ResponseWriter, r *request) error {
	body, err := decodeBody(r)
	if err != nil {
		return err
	}
	spec, change, err := groupFromBody(body)
	if err != nil {
		return err
	}
	if err := s.checkMembers(r, r.PathValue("id"), change); err != nil {
		return err
	}
	// RFC 7644 §3.5.1: PUT replaces the resource, members included.
	change.Replace = true
	return s.updateGroup(w, r, change, false, func(current *v1.ScimGroup) (*v1.ScimGroup, error) {
		next := current.DeepCopy()
		spec.IdentityConfigRef = current.Spec.IdentityConfigRef
		spec.Groups = current.Spec.Groups // the groups this one is in: not the group's to say
		next.Spec = spec
		return next, nil
	})
}

func (s *Server) patchGroup(w http.ResponseWriter, r *request) error {
	data, err := readAll(r)
	if err != nil {
		return err
	}
	patch, err := scim.ParsePatch(data)
	if err != nil {
		return err
	}
	rest, delta, err := scim.SplitMemberOps(patch.Operations)
	if err != nil {
		return err
	}
	change := memberChange(delta)
	if err := s.checkMembers(r, r.PathValue("id"), change); err != nil {
		return err
	}
	// RFC 7644 §3.5.2: 200 with the resource, or 204 No Content. Entra
	// and Okta accept 204 for groups, which spares sending 100,000
	// members back; asking for attributes gets the resource.
	noContent := r.URL.Query().Get("attributes") == "" && r.URL.Query().Get("excludedAttributes") == ""
	return s.updateGroup(w, r, change, noContent, func(current *v1.ScimGroup) (*v1.ScimGroup, error) {
		if len(rest) == 0 {
			return current, nil
		}
		res, err := groupResource(current, nil, r.baseURL)
		if err != nil {
			return nil, err
		}
		spec, err := patchedSpec(scim.GroupResourceType, res, rest, groupSpecFromResource)
		if err != nil {
			return nil, err
		}
		next := current.DeepCopy()
		spec.IdentityConfigRef = current.Spec.IdentityConfigRef
		spec.Groups = current.Spec.Groups
		next.Spec = spec
		return next, nil
	})
}

func memberChange(d scim.MemberDelta) store.MemberChange {
	switch {
	case d.ReplaceSet:
		return store.MemberChange{Replace: true, Add: d.Replace, Types: d.Types}
	case d.RemoveAll:
		return store.MemberChange{Replace: true}
	default:
		return store.MemberChange{Add: d.Add, Remove: d.Remove, Types: d.Types}
	}
}

// updateGroup applies a change of the group object (with the same
// If-Match and retry rules as users) and then the member change.
func (s *Server) updateGroup(w http.ResponseWriter, r *request, members store.MemberChange, noContent bool, change func(*v1.ScimGroup) (*v1.ScimGroup, error)) error {
	g, err := applyUpdate(r, s.groupStore(), change)
	if err != nil {
		return err
	}
	if members.Replace || len(members.Add) > 0 || len(members.Remove) > 0 {
		if err := s.groups.ChangeMembers(r.Context(), r.tenant.Tenant, g.Name, members); err != nil {
			return err
		}
		if g, err = s.touchGroup(r, g); err != nil {
			return err
		}
	}
	if noContent {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return s.respondGroup(w, r, http.StatusOK, g)
}

// touchGroup writes the group as it is, once its members changed: they are
// part of the Group resource, so its meta.version (RFC 7644 §3.14) and
// meta.lastModified (RFC 7643 §3.1) must change too, though the members are
// kept on the members' own objects. One write, whatever the number of
// members; rebased on a newer version when another writer came first.
func (s *Server) touchGroup(r *request, g *v1.ScimGroup) (*v1.ScimGroup, error) {
	id := g.Name
	for attempt := 0; ; attempt++ {
		touched, err := s.groups.UpdateGroup(r.Context(), r.tenant.Tenant, g)
		if !errors.Is(err, store.ErrPrecondition) || attempt == conflictRetries {
			return touched, err
		}
		if g, err = s.groups.GetGroup(r.Context(), r.tenant.Tenant, id); err != nil {
			return nil, notFoundAs(err, scim.GroupResourceTypeName, id)
		}
	}
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *request) error {
	return deleteResource(w, r, s.groupStore())
}

func (s *Server) respondGroup(w http.ResponseWriter, r *request, status int, g *v1.ScimGroup) error {
	attrs, err := attributeSetFromQuery(r, scim.GroupResourceType)
	if err != nil {
		return err
	}
	res, err := s.renderGroup(r, g, attrs)
	if err != nil {
		return err
	}
	writeResource(w, status, attrs.ApplyInPlace(res), g.ResourceVersion, r.baseURL+"/Groups/"+g.Name)
	return nil
}

// renderGroup gathers the members only when the response includes them:
// GET /Groups/{id}?excludedAttributes=members never touches the member
// indexes. Members are the users (ScimUser index) and the groups (ScimGroup
// index) that list the group in their spec.groups.
func (s *Server) renderGroup(r *request, g *v1.ScimGroup, attrs scim.AttributeSet) (map[string]any, error) {
	var members []memberRef
	if attrs.Includes("members") {
		users, err := s.users.ListUsers(r.Context(), r.tenant.Tenant, store.Selector{Index: store.IndexGroup, Value: g.Name})
		if err != nil {
			return nil, err
		}
		nested, err := s.groups.ListGroups(r.Context(), r.tenant.Tenant, store.Selector{Index: store.IndexParent, Value: g.Name})
		if err != nil {
			return nil, err
		}
		members = make([]memberRef, 0, len(users)+len(nested))
		for _, u := range users {
			display := u.Spec.DisplayName
			if display == "" {
				display = u.Spec.UserName
			}
			members = append(members, memberRef{ID: u.SCIMID(), Display: display, Type: scim.UserResourceTypeName})
		}
		for _, n := range nested {
			members = append(members, memberRef{ID: n.Name, Display: n.Spec.DisplayName, Type: scim.GroupResourceTypeName})
		}
		slices.SortFunc(members, func(a, b memberRef) int { return strings.Compare(a.ID, b.ID) })
	}
	return groupResource(g, members, r.baseURL)
}

// queryGroups answers GET /Groups and POST /Groups/.search.
func (s *Server) queryGroups(w http.ResponseWriter, r *request) error {
	return serveQuery(s, w, r, s.groupLister())
}

// groupLister answers displayName eq, externalId eq, id eq and
// members[value eq "id"] / members.value eq "id" from indexes.
func (s *Server) groupLister() lister[*v1.ScimGroup] {
	return lister[*v1.ScimGroup]{
		rt:      scim.GroupResourceType,
		derived: "members",
		page: func(r *request, req store.PageRequest) (store.Page[*v1.ScimGroup], error) {
			return s.groups.GroupPage(r.Context(), r.tenant.Tenant, req)
		},
		candidates: func(r *request, eqs []scim.Equality) ([]*v1.ScimGroup, error) {
			t := r.tenant.Tenant
			for _, eq := range eqs {
				switch eq.Path {
				case "id":
					return s.groupsByID(r, []string{eq.Value})
				case "displayName":
					return s.groups.ListGroups(r.Context(), t, store.Selector{Index: store.IndexDisplayName, Value: eq.Value})
				case "externalId":
					return s.groups.ListGroups(r.Context(), t, store.Selector{Index: store.IndexExternalID, Value: eq.Value})
				case "members.value":
					// Membership is on the member: the member's own list
					// names its groups, be it a user or a group.
					u, err := s.users.GetUser(r.Context(), t, eq.Value)
					if err == nil {
						return s.groupsByID(r, u.Spec.Groups)
					}
					if !errors.Is(err, store.ErrNotFound) {
						return nil, err
					}
					g, err := s.groups.GetGroup(r.Context(), t, eq.Value)
					if errors.Is(err, store.ErrNotFound) {
						return nil, nil
					}
					if err != nil {
						return nil, err
					}
					return s.groupsByID(r, g.Spec.Groups)
				}
			}
			return s.groups.ListGroups(r.Context(), t, store.Selector{})
		},
		render: s.renderGroup,
	}
}

func (s *Server) groupsByID(r *request, ids []string) ([]*v1.ScimGroup, error) {
	out := make([]*v1.ScimGroup, 0, len(ids))
	for _, id := range ids {
		g, err := s.groups.GetGroup(r.Context(), r.tenant.Tenant, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}
