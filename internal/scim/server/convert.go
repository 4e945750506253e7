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
	"strings"
	"time"

	"k8s.io/utils/ptr"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// This file maps between SCIM representations (map[string]any) and the
// ScimUser/ScimGroup custom resources.

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
			return nil, scim.ErrInvalidValue("%s[%d].value is required", key, i)
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
		return spec, scim.ErrInvalidValue("userName is required")
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
	if ent := object(res, scim.EnterpriseUserSchemaURN); ent != nil {
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
		"schemas":  []any{scim.UserSchemaURN},
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
			res[scim.EnterpriseUserSchemaURN] = ent
			res["schemas"] = []any{scim.UserSchemaURN, scim.EnterpriseUserSchemaURN}
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
		"schemas":     []any{scim.GroupSchemaURN},
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
