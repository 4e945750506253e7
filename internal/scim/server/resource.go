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
	"context"
	"errors"
	"net/http"
	"reflect"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// resourceStore is what updates and deletes need of Users or Groups storage.
type resourceStore[T client.Object] struct {
	kind   string // the SCIM resource type, for messages
	get    func(ctx context.Context, t store.Tenant, id string) (T, error)
	update func(ctx context.Context, t store.Tenant, obj T) (T, error)
	remove func(ctx context.Context, t store.Tenant, id, resourceVersion string) error
	spec   func(T) any
}

func (s *Server) userStore() resourceStore[*v1.ScimUser] {
	return resourceStore[*v1.ScimUser]{kind: scim.UserResourceTypeName, get: s.users.GetUser, update: s.users.UpdateUser, remove: s.users.DeleteUser,
		spec: func(u *v1.ScimUser) any { return u.Spec }}
}

func (s *Server) groupStore() resourceStore[*v1.ScimGroup] {
	return resourceStore[*v1.ScimGroup]{kind: scim.GroupResourceTypeName, get: s.groups.GetGroup, update: s.groups.UpdateGroup, remove: s.groups.DeleteGroup,
		spec: func(g *v1.ScimGroup) any { return g.Spec }}
}

// applyUpdate reads the resource, honours If-Match (RFC 7644 §3.14),
// computes the new object and writes it with the read version as
// precondition. Without If-Match, a concurrent write is met by reading again
// and re-applying the change. An unchanged resource is not written.
func applyUpdate[T client.Object](r *request, rs resourceStore[T], change func(T) (T, error)) (T, error) {
	var zero T
	id := r.PathValue("id")
	for attempt := 0; ; attempt++ {
		current, err := rs.get(r.Context(), r.tenant.Tenant, id)
		if err != nil {
			return zero, notFoundAs(err, rs.kind, id)
		}
		pinned, failed := ifMatch(r, current.GetResourceVersion())
		if failed {
			return zero, scim.ErrPreconditionFailed("%s %s is at version %s, not the one If-Match names", rs.kind, id, weakETag(current.GetResourceVersion()))
		}
		next, err := change(current)
		if err != nil {
			return zero, err
		}
		if reflect.DeepEqual(rs.spec(next), rs.spec(current)) {
			return current, nil
		}
		updated, err := rs.update(r.Context(), r.tenant.Tenant, next)
		if errors.Is(err, store.ErrPrecondition) && pinned == "" && attempt < conflictRetries {
			continue
		}
		return updated, err
	}
}

// deleteResource answers DELETE (RFC 7644 §3.6) with 204, honouring If-Match.
func deleteResource[T client.Object](w http.ResponseWriter, r *request, rs resourceStore[T]) error {
	id := r.PathValue("id")
	var pinned string
	if r.Header.Get("If-Match") != "" {
		current, err := rs.get(r.Context(), r.tenant.Tenant, id)
		if err != nil {
			return notFoundAs(err, rs.kind, id)
		}
		var failed bool
		if pinned, failed = ifMatch(r, current.GetResourceVersion()); failed {
			return scim.ErrPreconditionFailed("%s %s is at version %s, not the one If-Match names", rs.kind, id, weakETag(current.GetResourceVersion()))
		}
	}
	if err := rs.remove(r.Context(), r.tenant.Tenant, id, pinned); err != nil {
		return notFoundAs(err, rs.kind, id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
