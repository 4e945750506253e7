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
	"fmt"
	"maps"
	"reflect"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// This file maps between SCIM representations (map[string]any) and the
// ScimUser/ScimGroup custom resources. The json tags of ScimUserSpec and
// ScimGroupSpec are the SCIM attribute names (convert_test.go checks them
// against the schemas), so attributes go across through encoding/json and
// a new attribute needs no code here. What is not the same on both sides is
// handled by name below:
//   - id, meta and schemas come from the object and the extensions present
//     (RFC 7643 §3, §3.1), never from the spec;
//   - identityConfigRef is the tenant, set by the server;
//   - a user's groups are stored as group ids and rendered as the readOnly
//     "groups" (RFC 7643 §4.1.2); a group's members are stored on its users;
//   - the enterprise extension is spec.enterprise, in SCIM the object under
//     its URN (RFC 7643 §3.3), and its manager's "$ref" is spelled "ref";
//   - password never reaches here: scim.Normalize drops it.

// The json names of spec fields that are not SCIM attributes of the same name.
const (
	// specTenantKey is identityConfigRef, which the server sets from the URL.
	specTenantKey = "identityConfigRef"
	// specGroupsKey is a user's group ids; SCIM "groups" is readOnly.
	specGroupsKey = "groups"
	// specEnterpriseKey holds the enterprise User extension.
	specEnterpriseKey = "enterprise"
	// specManagerRefKey is the enterprise manager's "$ref": the API keeps to
	// Kubernetes field names, which have no "$".
	specManagerRefKey = "ref"
	// scimRefKey is the SCIM spelling of a reference sub-attribute (RFC 7643 §2.3.7).
	scimRefKey = "$ref"
	// membersKey is Group "members"; membership is stored on the users.
	membersKey = "members"
	// typeKey is the "type" sub-attribute of a multi-valued attribute
	// (RFC 7643 §2.4) or of an authentication scheme (RFC 7643 §5).
	typeKey = "type"
)

// specFromResource reads a normalized SCIM resource into spec (a pointer to
// a spec type) through the spec's json tags.
func specFromResource(res map[string]any, spec any) error {
	in := make(map[string]any, len(res))
	for k, v := range res {
		if list, ok := v.([]any); ok && len(list) == 0 {
			// RFC 7643 §2.5: an empty array is unassigned, so the spec's
			// list stays nil, as the API server would store it.
			continue
		}
		in[k] = v
	}
	if err := withJSON(in, func(data []byte) error { return json.Unmarshal(data, spec) }); err != nil {
		return fmt.Errorf("reading the resource into %T: %w", spec, err)
	}
	return nil
}

// resourceFromSpec returns a spec's fields as SCIM attributes by their json
// tags; omitempty leaves unassigned ones out, as RFC 7643 §2.5 allows.
func resourceFromSpec(spec any) (map[string]any, error) {
	if plain, ok := plainValue(reflect.ValueOf(spec)); ok {
		if res, ok := plain.(map[string]any); ok {
			return res, nil
		}
	}
	var res map[string]any
	if err := withJSON(spec, func(data []byte) error { return json.Unmarshal(data, &res) }); err != nil {
		return nil, fmt.Errorf("rendering %T: %w", spec, err)
	}
	return res, nil
}

// jsonName is the name a struct field has in JSON: its json tag's name, or
// the field name when the tag gives none.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// withManagerRef returns the enterprise extension ext with its manager's key
// from renamed to to, copying what it changes so that ext is left as it is.
func withManagerRef(ext map[string]any, from, to string) map[string]any {
	manager, ok := ext["manager"].(map[string]any)
	if !ok {
		return ext
	}
	ref, ok := manager[from]
	if !ok {
		return ext
	}
	manager = maps.Clone(manager)
	delete(manager, from)
	manager[to] = ref
	ext = maps.Clone(ext)
	ext["manager"] = manager
	return ext
}

// userSpecFromResource reads a normalized SCIM User into a ScimUser spec.
// patchedSpec applies PATCH operations to the resource as stored (RFC 7644
// §3.5.2), normalises the result like a PUT body, and converts it back to a
// spec: the one way a PATCH of either kind reaches storage.
func patchedSpec[S any](rt scim.ResourceType, res map[string]any, ops []scim.PatchOperation,
	fromResource func(map[string]any) (S, error)) (S, error) {
	var zero S
	res, err := scim.ApplyPatch(rt, res, ops)
	if err != nil {
		return zero, err
	}
	normalized, err := scim.Normalize(rt, res)
	if err != nil {
		return zero, err
	}
	return fromResource(normalized)
}

func userSpecFromResource(res map[string]any) (v1.ScimUserSpec, error) {
	in := maps.Clone(res)
	delete(in, specTenantKey)
	delete(in, specGroupsKey)
	delete(in, specEnterpriseKey)
	if ext, ok := in[scim.EnterpriseUserSchemaURN].(map[string]any); ok {
		in[specEnterpriseKey] = withManagerRef(ext, scimRefKey, specManagerRefKey)
	}
	delete(in, scim.EnterpriseUserSchemaURN)
	var spec v1.ScimUserSpec
	if err := specFromResource(in, &spec); err != nil {
		return spec, fmt.Errorf("reading a SCIM User: %w", err)
	}
	spec.UserName = strings.TrimSpace(spec.UserName)
	if spec.UserName == "" {
		// RFC 7643 §4.1.1: userName is REQUIRED.
		return spec, scim.ErrInvalidValue("userName is required")
	}
	// An absent active stays absent (a PATCH may remove it, RFC 7644
	// §3.5.2.2); Lightrun counts such a user as active (docs/scim.md).
	if spec.Name != nil && *spec.Name == (v1.ScimName{}) {
		spec.Name = nil
	}
	if err := requireMultiValues(&spec); err != nil {
		return spec, err
	}
	if e := spec.Enterprise; e != nil {
		if m := e.Manager; m != nil && m.Value == "" && m.Ref == "" {
			// RFC 7643 §4.3: a manager is named by its id or URI;
			// displayName alone is readOnly and names nobody.
			e.Manager = nil
		}
		if *e == (v1.ScimEnterpriseUser{}) {
			spec.Enterprise = nil
		}
	}
	return spec, nil
}

// requireMultiValues refuses a multi-valued attribute value without its
// "value" (RFC 7643 §2.4), which ScimMultiValue requires.
func requireMultiValues(spec *v1.ScimUserSpec) error {
	v := reflect.ValueOf(spec).Elem()
	for i := range v.NumField() {
		values, ok := reflect.TypeAssert[[]v1.ScimMultiValue](v.Field(i))
		if !ok {
			continue
		}
		for j, mv := range values {
			if mv.Value == "" {
				return scim.ErrInvalidValue("%s[%d].value is required", jsonName(v.Type().Field(i)), j)
			}
		}
	}
	return nil
}

// groupSpecFromResource reads a normalized SCIM Group into a ScimGroup
// spec; its members are the caller's to read.
func groupSpecFromResource(res map[string]any) (v1.ScimGroupSpec, error) {
	in := maps.Clone(res)
	delete(in, specTenantKey)
	delete(in, membersKey)
	delete(in, specGroupsKey) // a group's own groups are derived, as a user's
	var spec v1.ScimGroupSpec
	if err := specFromResource(in, &spec); err != nil {
		return spec, fmt.Errorf("reading a SCIM Group: %w", err)
	}
	if spec.DisplayName == "" {
		// RFC 7643 §4.2: displayName is REQUIRED.
		return spec, scim.ErrInvalidValue("displayName is required")
	}
	return spec, nil
}

// groupRef is a group a user belongs to, as User "groups" shows it.
type groupRef struct {
	ID          string
	DisplayName string
	// Type is groupDirect or groupIndirect (RFC 7643 §4.1.2).
	Type string
}

// The types of a user's groups (RFC 7643 §4.1.2): a member of the group
// itself, or of a group nested in it.
const (
	groupDirect   = "direct"
	groupIndirect = "indirect"
)

// weakETag is meta.version and the ETag header: a weak entity tag from the
// object's resourceVersion (RFC 7644 §3.14).
func weakETag(resourceVersion string) string { return `W/"` + resourceVersion + `"` }

func meta(resourceType, location string, obj *metav1.ObjectMeta, lastModified *metav1.MicroTime) map[string]any {
	created := obj.CreationTimestamp.Time
	return map[string]any{
		"resourceType": resourceType,
		"created":      created.UTC().Format(time.RFC3339),
		"lastModified": store.LastModified(lastModified, obj.Annotations, created).UTC().Format(time.RFC3339Nano),
		"location":     location,
		"version":      weakETag(obj.ResourceVersion),
	}
}

// userResource renders a ScimUser as a SCIM User (RFC 7643 §4.1). groups
// are the user's groups that exist, direct and indirect.
func userResource(u *v1.ScimUser, groups []groupRef, baseURL string) (map[string]any, error) {
	res, err := resourceFromSpec(u.Spec)
	if err != nil {
		return nil, fmt.Errorf("rendering ScimUser %s: %w", u.SCIMID(), err)
	}
	delete(res, specTenantKey)
	delete(res, specGroupsKey)
	res["schemas"] = []any{scim.UserSchemaURN}
	res["id"] = u.SCIMID()
	// Returned as written; absent when the IdP wrote none or removed it.
	if u.Spec.Active != nil {
		res["active"] = *u.Spec.Active
	}
	res["meta"] = meta(scim.UserResourceTypeName, baseURL+"/Users/"+u.SCIMID(), &u.ObjectMeta, u.LastModified)
	if ext, ok := res[specEnterpriseKey].(map[string]any); ok {
		delete(res, specEnterpriseKey)
		if len(ext) > 0 {
			res[scim.EnterpriseUserSchemaURN] = withManagerRef(ext, specManagerRefKey, scimRefKey)
			res["schemas"] = []any{scim.UserSchemaURN, scim.EnterpriseUserSchemaURN}
		}
	}
	if len(groups) > 0 {
		list := make([]any, len(groups))
		for i, g := range groups {
			// RFC 7643 §4.1.2: groups is readOnly; "direct" or "indirect".
			list[i] = map[string]any{"value": g.ID, scimRefKey: baseURL + "/Groups/" + g.ID, "display": g.DisplayName, typeKey: g.Type}
		}
		res[specGroupsKey] = list
	}
	return res, nil
}

// memberRef is one member of a group, as Group "members" shows it.
type memberRef struct {
	ID      string
	Display string
	// Type is scim.UserResourceTypeName or scim.GroupResourceTypeName.
	Type string
}

// groupResource renders a ScimGroup as a SCIM Group (RFC 7643 §4.2).
// members is nil when the members are not to be returned, so that a large
// group's members are never gathered needlessly.
func groupResource(g *v1.ScimGroup, members []memberRef, baseURL string) (map[string]any, error) {
	res, err := resourceFromSpec(g.Spec)
	if err != nil {
		return nil, fmt.Errorf("rendering ScimGroup %s: %w", g.Name, err)
	}
	delete(res, specTenantKey)
	delete(res, specGroupsKey) // stored on the member side; shown as the parent's members
	res["schemas"] = []any{scim.GroupSchemaURN}
	res["id"] = g.Name
	res["meta"] = meta(scim.GroupResourceTypeName, baseURL+"/Groups/"+g.Name, &g.ObjectMeta, g.LastModified)
	if members != nil {
		list := make([]any, len(members))
		for i, m := range members {
			endpoint := "/Users/"
			if m.Type == scim.GroupResourceTypeName {
				endpoint = "/Groups/"
			}
			entry := map[string]any{"value": m.ID, scimRefKey: baseURL + endpoint + m.ID, typeKey: m.Type}
			if m.Display != "" {
				entry["display"] = m.Display
			}
			list[i] = entry
		}
		res[membersKey] = list
	}
	return res, nil
}
