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

package scim

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/utils/ptr"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// This file maps between SCIM representations (map[string]any) and the
// ScimUser/ScimGroup custom resources.

// normalizeResource validates a POST or PUT body against rt's schemas and
// returns it with attribute names in schema spelling. readOnly attributes
// (id, meta, groups; RFC 7644 §3.3, §3.5.1: "SHALL be ignored") and the
// writeOnly password (never stored) are dropped, as are attributes no
// schema defines (IdPs send custom attributes freely; RFC 7644 §3.3 lets the
// provider ignore what it does not support). Boolean strings from Entra
// ("True") are read as booleans.
func normalizeResource(rt ResourceType, in map[string]any) (map[string]any, error) {
	out := map[string]any{}
	core := LookupSchema(rt.Schema)
	for _, key := range sortedKeys(in) {
		v := in[key]
		if strings.EqualFold(key, "schemas") {
			continue // checked by checkSchemas, rewritten on output
		}
		if ext := rt.extension(key); ext != nil {
			m, ok := v.(map[string]any)
			if !ok {
				if v == nil {
					continue
				}
				return nil, ErrInvalidValue("%s must be an object", ext.ID)
			}
			extOut := map[string]any{}
			for _, sk := range sortedKeys(m) {
				attr := ext.Attribute(sk)
				if attr == nil {
					continue
				}
				cv, keep, err := normalizeAttribute(attr, m[sk], ext.ID+":"+attr.Name)
				if err != nil {
					return nil, err
				}
				if keep {
					extOut[attr.Name] = cv
				}
			}
			if len(extOut) > 0 {
				out[ext.ID] = extOut
			}
			continue
		}
		attr := core.Attribute(key)
		if attr == nil {
			attr = commonAttribute(key)
		}
		if attr == nil {
			continue
		}
		cv, keep, err := normalizeAttribute(attr, v, attr.Name)
		if err != nil {
			return nil, err
		}
		if keep {
			out[attr.Name] = cv
		}
	}
	return out, nil
}

// normalizeAttribute checks one attribute's value; keep is false for values
// the server ignores (null, readOnly, writeOnly).
func normalizeAttribute(attr *Attribute, v any, path string) (any, bool, error) {
	if v == nil || attr.EffectiveMutability() == MutabilityReadOnly || attr.EffectiveReturned() == ReturnedNever {
		return nil, false, nil
	}
	v = coerceBooleans(attr, v, false)
	if !attr.MultiValued {
		cv, err := checkValue(attr, v, path)
		return cv, err == nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false, ErrInvalidValue("%s is multi-valued and must be an array, got %s", path, jsonKind(v))
	}
	out := make([]any, 0, len(list))
	primaries := 0
	for i, e := range list {
		if e == nil {
			continue
		}
		cv, err := checkValue(attr, e, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, false, err
		}
		if m, ok := cv.(map[string]any); ok && m["primary"] == true {
			primaries++
		}
		out = append(out, cv)
	}
	if primaries > 1 {
		// RFC 7643 §2.4: the primary attribute value "true" MUST appear no more than once.
		return nil, false, ErrInvalidValue("at most one value of %s may be primary", path)
	}
	return out, true, nil
}

// checkSchemas enforces RFC 7644 §3.3: the body lists the resource's core
// schema, and no schema the resource type does not have.
func checkSchemas(rt ResourceType, body map[string]any) error {
	v, _, ok := lookupKey(body, "schemas")
	if !ok {
		return ErrInvalidValue("the request body must list its schemas, including %s", rt.Schema)
	}
	list, ok := v.([]any)
	if !ok {
		return ErrInvalidValue("schemas must be an array of URIs")
	}
	hasCore := false
	for _, s := range list {
		urn, ok := s.(string)
		if !ok {
			return ErrInvalidValue("schemas must be an array of URIs")
		}
		switch {
		case strings.EqualFold(urn, rt.Schema):
			hasCore = true
		case rt.extension(urn) != nil:
		default:
			return ErrInvalidValue("schema %q is not supported by the %s resource type", urn, rt.Name)
		}
	}
	if !hasCore {
		return ErrInvalidValue("schemas must include %s", rt.Schema)
	}
	return nil
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func boolean(m map[string]any, key string) (bool, bool) {
	b, ok := m[key].(bool)
	return b, ok
}

func object(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

func multiValues(m map[string]any, key string) ([]v1.ScimMultiValue, error) {
	list, _ := m[key].([]any)
	var out []v1.ScimMultiValue
	for i, e := range list {
		em, _ := e.(map[string]any)
		mv := v1.ScimMultiValue{Value: str(em, "value"), Display: str(em, "display"), Type: str(em, "type")}
		mv.Primary, _ = boolean(em, "primary")
		if mv.Value == "" {
			return nil, ErrInvalidValue("%s[%d].value is required", key, i)
		}
		out = append(out, mv)
	}
	return out, nil
}

// userSpecFromResource reads a normalized SCIM User into a ScimUser spec.
func userSpecFromResource(res map[string]any) (v1.ScimUserSpec, error) {
	spec := v1.ScimUserSpec{
		UserName:          strings.TrimSpace(str(res, "userName")),
		ExternalID:        str(res, "externalId"),
		DisplayName:       str(res, "displayName"),
		NickName:          str(res, "nickName"),
		ProfileURL:        str(res, "profileUrl"),
		Title:             str(res, "title"),
		UserType:          str(res, "userType"),
		PreferredLanguage: str(res, "preferredLanguage"),
		Locale:            str(res, "locale"),
		Timezone:          str(res, "timezone"),
		Active:            ptr.To(true),
	}
	if spec.UserName == "" {
		// RFC 7643 §4.1.1: userName is REQUIRED.
		return spec, ErrInvalidValue("userName is required")
	}
	if active, ok := boolean(res, "active"); ok {
		spec.Active = ptr.To(active)
	}
	if n := object(res, "name"); n != nil {
		spec.Name = &v1.ScimName{
			Formatted:       str(n, "formatted"),
			FamilyName:      str(n, "familyName"),
			GivenName:       str(n, "givenName"),
			MiddleName:      str(n, "middleName"),
			HonorificPrefix: str(n, "honorificPrefix"),
			HonorificSuffix: str(n, "honorificSuffix"),
		}
		if *spec.Name == (v1.ScimName{}) {
			spec.Name = nil
		}
	}
	var err error
	for key, dst := range map[string]*[]v1.ScimMultiValue{
		"emails": &spec.Emails, "phoneNumbers": &spec.PhoneNumbers, "ims": &spec.IMs, "photos": &spec.Photos,
		"entitlements": &spec.Entitlements, "roles": &spec.Roles, "x509Certificates": &spec.X509Certificates,
	} {
		if *dst, err = multiValues(res, key); err != nil {
			return spec, err
		}
	}
	addresses, _ := res["addresses"].([]any)
	for _, e := range addresses {
		am, _ := e.(map[string]any)
		a := v1.ScimAddress{
			Formatted: str(am, "formatted"), StreetAddress: str(am, "streetAddress"), Locality: str(am, "locality"),
			Region: str(am, "region"), PostalCode: str(am, "postalCode"), Country: str(am, "country"), Type: str(am, "type"),
		}
		a.Primary, _ = boolean(am, "primary")
		spec.Addresses = append(spec.Addresses, a)
	}
	if ent := object(res, EnterpriseUserSchemaURN); ent != nil {
		e := &v1.ScimEnterpriseUser{
			EmployeeNumber: str(ent, "employeeNumber"),
			CostCenter:     str(ent, "costCenter"),
			Organization:   str(ent, "organization"),
			Division:       str(ent, "division"),
			Department:     str(ent, "department"),
		}
		if m := object(ent, "manager"); m != nil && (str(m, "value") != "" || str(m, "$ref") != "") {
			e.Manager = &v1.ScimManager{Value: str(m, "value"), Ref: str(m, "$ref"), DisplayName: str(m, "displayName")}
		}
		if *e != (v1.ScimEnterpriseUser{}) {
			spec.Enterprise = e
		}
	}
	return spec, nil
}

// groupRef is a group a user belongs to, as User "groups" shows it.
type groupRef struct {
	ID          string
	DisplayName string
}

func putStr(m map[string]any, key, value string) {
	if value != "" {
		m[key] = value
	}
}

func multiValueList(values []v1.ScimMultiValue) []any {
	out := make([]any, len(values))
	for i, v := range values {
		m := map[string]any{"value": v.Value}
		putStr(m, "display", v.Display)
		putStr(m, "type", v.Type)
		if v.Primary {
			m["primary"] = true
		}
		out[i] = m
	}
	return out
}

// weakETag is meta.version and the ETag header: a weak entity tag from the
// object's resourceVersion (RFC 7644 §3.14).
func weakETag(resourceVersion string) string { return `W/"` + resourceVersion + `"` }

func meta(resourceType, location, resourceVersion string, created time.Time, annotations map[string]string) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      created.UTC().Format(time.RFC3339),
		"lastModified": store.LastModified(annotations, created).UTC().Format(time.RFC3339Nano),
		"location":     location,
		"version":      weakETag(resourceVersion),
	}
}

// userResource renders a ScimUser as a SCIM User (RFC 7643 §4.1). groups
// are the user's direct groups that exist.
func userResource(u *v1.ScimUser, groups []groupRef, baseURL string) map[string]any {
	s := &u.Spec
	res := map[string]any{
		"schemas":  []any{UserSchemaURN},
		"id":       u.Name,
		"userName": s.UserName,
		"active":   ptr.Deref(s.Active, true),
		"meta":     meta("User", baseURL+"/Users/"+u.Name, u.ResourceVersion, u.CreationTimestamp.Time, u.Annotations),
	}
	putStr(res, "externalId", s.ExternalID)
	putStr(res, "displayName", s.DisplayName)
	putStr(res, "nickName", s.NickName)
	putStr(res, "profileUrl", s.ProfileURL)
	putStr(res, "title", s.Title)
	putStr(res, "userType", s.UserType)
	putStr(res, "preferredLanguage", s.PreferredLanguage)
	putStr(res, "locale", s.Locale)
	putStr(res, "timezone", s.Timezone)
	if n := s.Name; n != nil {
		name := map[string]any{}
		putStr(name, "formatted", n.Formatted)
		putStr(name, "familyName", n.FamilyName)
		putStr(name, "givenName", n.GivenName)
		putStr(name, "middleName", n.MiddleName)
		putStr(name, "honorificPrefix", n.HonorificPrefix)
		putStr(name, "honorificSuffix", n.HonorificSuffix)
		res["name"] = name
	}
	for key, values := range map[string][]v1.ScimMultiValue{
		"emails": s.Emails, "phoneNumbers": s.PhoneNumbers, "ims": s.IMs, "photos": s.Photos,
		"entitlements": s.Entitlements, "roles": s.Roles, "x509Certificates": s.X509Certificates,
	} {
		if len(values) > 0 {
			res[key] = multiValueList(values)
		}
	}
	if len(s.Addresses) > 0 {
		list := make([]any, len(s.Addresses))
		for i, a := range s.Addresses {
			m := map[string]any{}
			putStr(m, "formatted", a.Formatted)
			putStr(m, "streetAddress", a.StreetAddress)
			putStr(m, "locality", a.Locality)
			putStr(m, "region", a.Region)
			putStr(m, "postalCode", a.PostalCode)
			putStr(m, "country", a.Country)
			putStr(m, "type", a.Type)
			if a.Primary {
				m["primary"] = true
			}
			list[i] = m
		}
		res["addresses"] = list
	}
	if len(groups) > 0 {
		list := make([]any, len(groups))
		for i, g := range groups {
			// RFC 7643 §4.1.2: groups is readOnly; "direct" membership.
			list[i] = map[string]any{"value": g.ID, "$ref": baseURL + "/Groups/" + g.ID, "display": g.DisplayName, "type": "direct"}
		}
		res["groups"] = list
	}
	if e := s.Enterprise; e != nil {
		ent := map[string]any{}
		putStr(ent, "employeeNumber", e.EmployeeNumber)
		putStr(ent, "costCenter", e.CostCenter)
		putStr(ent, "organization", e.Organization)
		putStr(ent, "division", e.Division)
		putStr(ent, "department", e.Department)
		if m := e.Manager; m != nil {
			manager := map[string]any{}
			putStr(manager, "value", m.Value)
			putStr(manager, "$ref", m.Ref)
			putStr(manager, "displayName", m.DisplayName)
			ent["manager"] = manager
		}
		if len(ent) > 0 {
			res[EnterpriseUserSchemaURN] = ent
			res["schemas"] = []any{UserSchemaURN, EnterpriseUserSchemaURN}
		}
	}
	return res
}

// memberRef is one member of a group, as Group "members" shows it.
type memberRef struct {
	ID      string
	Display string
}

// groupResource renders a ScimGroup as a SCIM Group (RFC 7643 §4.2).
// members is nil when the members are not to be returned, so that a large
// group's members are never gathered needlessly.
func groupResource(g *v1.ScimGroup, members []memberRef, baseURL string) map[string]any {
	res := map[string]any{
		"schemas":     []any{GroupSchemaURN},
		"id":          g.Name,
		"displayName": g.Spec.DisplayName,
		"meta":        meta("Group", baseURL+"/Groups/"+g.Name, g.ResourceVersion, g.CreationTimestamp.Time, g.Annotations),
	}
	putStr(res, "externalId", g.Spec.ExternalID)
	if members != nil {
		list := make([]any, len(members))
		for i, m := range members {
			entry := map[string]any{"value": m.ID, "$ref": baseURL + "/Users/" + m.ID, "type": "User"}
			putStr(entry, "display", m.Display)
			list[i] = entry
		}
		res["members"] = list
	}
	return res
}
