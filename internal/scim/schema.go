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
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// AttributeType is an attribute's data type (RFC 7643 §2.3).
type AttributeType string

// The data types of RFC 7643 §2.3.
const (
	TypeString    AttributeType = "string"
	TypeBoolean   AttributeType = "boolean"
	TypeDecimal   AttributeType = "decimal"
	TypeInteger   AttributeType = "integer"
	TypeDateTime  AttributeType = "dateTime"
	TypeBinary    AttributeType = "binary"
	TypeReference AttributeType = "reference"
	TypeComplex   AttributeType = "complex"
)

// Mutability says whether and how an attribute can be modified (RFC 7643 §7).
type Mutability string

// The mutability values of RFC 7643 §7.
const (
	MutabilityReadOnly  Mutability = "readOnly"
	MutabilityReadWrite Mutability = "readWrite"
	MutabilityImmutable Mutability = "immutable"
	MutabilityWriteOnly Mutability = "writeOnly"
)

// Returned says when an attribute appears in a response (RFC 7643 §7).
type Returned string

// The returned values of RFC 7643 §7.
const (
	ReturnedAlways  Returned = "always"
	ReturnedNever   Returned = "never"
	ReturnedDefault Returned = "default"
	ReturnedRequest Returned = "request"
)

// Uniqueness says how an attribute's values must be unique (RFC 7643 §7).
type Uniqueness string

// The uniqueness values of RFC 7643 §7.
const (
	UniquenessNone   Uniqueness = "none"
	UniquenessServer Uniqueness = "server"
	UniquenessGlobal Uniqueness = "global"
)

// Attribute is an attribute definition (RFC 7643 §7). Definitions are shared
// package data: treat them as read-only.
type Attribute struct {
	Name        string
	Type        AttributeType
	MultiValued bool
	Description string
	Required    bool
	// CaseExact applies to string, reference and binary attributes: when
	// false, comparisons, filters and sorting ignore case (RFC 7643 §2.3.1).
	CaseExact bool
	// Mutability defaults to readWrite when empty (RFC 7643 §7).
	Mutability Mutability
	// Returned defaults to "default" when empty (RFC 7643 §7).
	Returned Returned
	// Uniqueness defaults to none when empty (RFC 7643 §7). It is written to
	// JSON only when set, which lets the definitions reproduce RFC 7643
	// §8.7.1, where booleans and most complex attributes carry none.
	Uniqueness Uniqueness
	// CanonicalValues is written to JSON when non-nil; an empty non-nil
	// slice is written as [] as RFC 7643 §8.7.1 does for roles.type.
	CanonicalValues []string
	ReferenceTypes  []string
	SubAttributes   []Attribute
}

// EffectiveMutability is Mutability with the RFC 7643 §7 default applied.
func (a *Attribute) EffectiveMutability() Mutability {
	if a.Mutability == "" {
		return MutabilityReadWrite
	}
	return a.Mutability
}

// EffectiveReturned is Returned with the RFC 7643 §7 default applied.
func (a *Attribute) EffectiveReturned() Returned {
	if a.Returned == "" {
		return ReturnedDefault
	}
	return a.Returned
}

// SubAttribute returns the sub-attribute called name, matched
// case-insensitively (RFC 7643 §2.1), or nil.
func (a *Attribute) SubAttribute(name string) *Attribute {
	for i := range a.SubAttributes {
		if strings.EqualFold(a.SubAttributes[i].Name, name) {
			return &a.SubAttributes[i]
		}
	}
	return nil
}

// isStringLike reports whether values are JSON strings compared as text.
func (a *Attribute) isStringLike() bool {
	switch a.Type {
	case TypeString, TypeReference, TypeBinary:
		return true
	}
	return false
}

// attributeJSON is the RFC 7643 §7 representation of an attribute, fields in
// the order RFC 7643 §8.7.1 lists them.
type attributeJSON struct {
	Name            string          `json:"name"`
	Type            AttributeType   `json:"type"`
	ReferenceTypes  []string        `json:"referenceTypes,omitempty"`
	MultiValued     bool            `json:"multiValued"`
	Description     string          `json:"description"`
	Required        bool            `json:"required"`
	CaseExact       *bool           `json:"caseExact,omitempty"`
	CanonicalValues *[]string       `json:"canonicalValues,omitempty"`
	SubAttributes   []attributeJSON `json:"subAttributes,omitempty"`
	Mutability      Mutability      `json:"mutability"`
	Returned        Returned        `json:"returned"`
	Uniqueness      Uniqueness      `json:"uniqueness,omitempty"`
}

func (a *Attribute) toJSON() attributeJSON {
	out := attributeJSON{
		Name:           a.Name,
		Type:           a.Type,
		ReferenceTypes: a.ReferenceTypes,
		MultiValued:    a.MultiValued,
		Description:    a.Description,
		Required:       a.Required,
		Mutability:     a.EffectiveMutability(),
		Returned:       a.EffectiveReturned(),
		Uniqueness:     a.Uniqueness,
	}
	// RFC 7643 §7: caseExact is meaningful for string and reference (and
	// binary) values only; RFC 7643 §8.7.1 omits it for booleans and for
	// complex attributes.
	if a.isStringLike() {
		ce := a.CaseExact
		out.CaseExact = &ce
	}
	if a.CanonicalValues != nil {
		cv := a.CanonicalValues
		out.CanonicalValues = &cv
	}
	for i := range a.SubAttributes {
		out.SubAttributes = append(out.SubAttributes, a.SubAttributes[i].toJSON())
	}
	return out
}

// MarshalJSON writes the attribute as RFC 7643 §7 defines it.
func (a Attribute) MarshalJSON() ([]byte, error) {
	return json.Marshal(a.toJSON())
}

// Schema is a schema definition (RFC 7643 §7).
type Schema struct {
	ID          string
	Name        string
	Description string
	Attributes  []Attribute
	// Location is written as meta.location when set. The definitions leave it
	// empty: the handler, which knows the base URL, sets it on a copy.
	Location string
}

// Attribute returns the top-level attribute called name, matched
// case-insensitively (RFC 7643 §2.1), or nil.
func (s *Schema) Attribute(name string) *Attribute {
	for i := range s.Attributes {
		if strings.EqualFold(s.Attributes[i].Name, name) {
			return &s.Attributes[i]
		}
	}
	return nil
}

type resourceMeta struct {
	ResourceType string `json:"resourceType"`
	Location     string `json:"location,omitempty"`
}

// MarshalJSON writes the schema representation of RFC 7643 §7 / §8.7.
// "schemas" is included although the §8.7.1 figures leave it out: RFC 7643
// §3 requires it on every resource, and /Schemas serves schemas as resources.
func (s Schema) MarshalJSON() ([]byte, error) {
	attrs := make([]attributeJSON, 0, len(s.Attributes))
	for i := range s.Attributes {
		attrs = append(attrs, s.Attributes[i].toJSON())
	}
	return json.Marshal(struct {
		Schemas     []string        `json:"schemas"`
		ID          string          `json:"id"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Attributes  []attributeJSON `json:"attributes"`
		Meta        resourceMeta    `json:"meta"`
	}{
		Schemas:     []string{SchemaSchemaURN},
		ID:          s.ID,
		Name:        s.Name,
		Description: s.Description,
		Attributes:  attrs,
		Meta:        resourceMeta{ResourceType: "Schema", Location: s.Location},
	})
}

// LookupSchema returns the definition of a schema this server supports,
// matched case-insensitively by URN, or nil.
func LookupSchema(urn string) *Schema {
	for _, s := range []*Schema{&UserSchema, &GroupSchema, &EnterpriseUserSchema} {
		if strings.EqualFold(s.ID, urn) {
			return s
		}
	}
	return nil
}

// HasSchema reports whether the "schemas" of a resource or message list urn.
// Schema URIs are matched case-insensitively, as attribute names are
// (RFC 7643 §2.1), since IdPs do not all spell them alike.
func HasSchema(schemas []string, urn string) bool {
	for _, s := range schemas {
		if strings.EqualFold(s, urn) {
			return true
		}
	}
	return false
}

// ErrUnknownAttribute is wrapped by every resolution error: the path names no
// attribute of the resource type. Callers turn it into the scimType their
// context calls for (invalidFilter, invalidPath...).
var ErrUnknownAttribute = errors.New("unknown attribute")

// ResolvedAttribute is an attribute path resolved against a resource type:
// its definition and where it lives in a resource map.
type ResolvedAttribute struct {
	// SchemaURN is the schema that defines the attribute; empty for the
	// common attributes of RFC 7643 §3.1 (id, externalId, meta) and schemas.
	SchemaURN string
	// Container is empty when the attribute is a top-level key of the
	// resource, or the extension URN under whose key it lives
	// (RFC 7643 §3.3).
	Container string
	// Attribute is the top-level attribute.
	Attribute *Attribute
	// Sub is the sub-attribute the path names, or nil.
	Sub *Attribute
}

// Definition is the attribute the path designates: Sub when set, else
// Attribute.
func (r ResolvedAttribute) Definition() *Attribute {
	if r.Sub != nil {
		return r.Sub
	}
	return r.Attribute
}

// Path is the canonical path in standard attribute notation (RFC 7644
// §3.10): schema spelling, extension attributes prefixed by their URN, core
// attributes unprefixed. For example "name.givenName", "emails.value",
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
func (r ResolvedAttribute) Path() string {
	p := r.Attribute.Name
	if r.Container != "" {
		p = r.Container + ":" + p
	}
	if r.Sub != nil {
		p += "." + r.Sub.Name
	}
	return p
}

// container returns the map holding the top-level attribute: the resource
// itself, or its extension object. ok is false when the extension object is
// absent or not an object.
func (r ResolvedAttribute) container(res map[string]any) (map[string]any, bool) {
	if r.Container == "" {
		return res, true
	}
	v, _, ok := lookupKey(res, r.Container)
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// Values returns the values the path designates in res, flattened: for a
// multi-valued attribute every value, for a sub-attribute of a multi-valued
// complex attribute that sub-attribute of every value. Unassigned values
// (absent, null) are left out.
func (r ResolvedAttribute) Values(res map[string]any) []any {
	c, ok := r.container(res)
	if !ok {
		return nil
	}
	v, _, ok := lookupKey(c, r.Attribute.Name)
	if !ok || v == nil {
		return nil
	}
	var top []any
	if r.Attribute.MultiValued {
		top = asList(v)
	} else {
		top = []any{v}
	}
	if r.Sub == nil {
		return nonNil(top)
	}
	var out []any
	for _, e := range top {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if sv, _, ok := lookupKey(m, r.Sub.Name); ok && sv != nil {
			if r.Sub.MultiValued {
				out = append(out, nonNil(asList(sv))...)
			} else {
				out = append(out, sv)
			}
		}
	}
	return out
}

func nonNil(vs []any) []any {
	out := vs[:0:0]
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// Resolve finds the attribute an attribute path names, case-insensitively
// (RFC 7643 §2.1). Accepted forms (RFC 7644 §3.10): "userName",
// "name.givenName", "emails", "emails.value", a core attribute prefixed by
// the core schema URN ("urn:ietf:params:scim:schemas:core:2.0:User:userName"),
// and an extension attribute prefixed by its extension URN
// ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value").
// Extension attributes must carry their URN. Errors wrap ErrUnknownAttribute
// or describe a malformed path.
func (rt ResourceType) Resolve(path string) (ResolvedAttribute, error) {
	if name, sub, ok := simpleAttrPath(path); ok {
		return rt.resolveParts("", name, sub)
	}
	ap, err := parseAttrPath(path)
	if err != nil {
		return ResolvedAttribute{}, err
	}
	return rt.resolveParts(ap.URI(), ap.AttributeName, ap.SubAttributeName())
}

// simpleAttrPath splits a path without a URI, "name" or "name.sub", each
// an RFC 7644 ATTRNAME (ALPHA *(ALPHA / DIGIT / "-" / "_")), as the filter
// parser would, without it: the parser allocates about 2 KB a call, and
// rendering a page asks whether the attributes include "groups" for every
// user on it. Any other path (a URI, "$ref", anything malformed) is left to
// the parser.
func simpleAttrPath(path string) (name, sub string, ok bool) {
	name, sub, dotted := strings.Cut(path, ".")
	if !isAttrName(name) || (dotted && !isAttrName(sub)) {
		return "", "", false
	}
	return name, sub, true
}

func isAttrName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		nameChar := alpha || c >= '0' && c <= '9' || c == '-' || c == '_'
		if i == 0 && !alpha || !nameChar {
			return false
		}
	}
	return true
}

// parseAttrPath parses "[URI:]name[.sub]" with the filter parser's attrPath
// rule (RFC 7644 §3.10 and Figure 1), guarding against parser panics on
// hostile input.
func parseAttrPath(path string) (ap filter.AttributePath, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed attribute path %q", path)
		}
	}()
	if strings.TrimSpace(path) == "" {
		return filter.AttributePath{}, errors.New("empty attribute path")
	}
	ap, err = filter.ParseAttrPath([]byte(path))
	if err != nil {
		return filter.AttributePath{}, fmt.Errorf("malformed attribute path %q", path)
	}
	return ap, nil
}

func (rt ResourceType) resolveParts(uri, name, sub string) (ResolvedAttribute, error) {
	var r ResolvedAttribute
	switch {
	case uri == "" || strings.EqualFold(uri, rt.Schema):
		if a := commonAttribute(name); a != nil {
			r = ResolvedAttribute{Attribute: a}
			break
		}
		core := LookupSchema(rt.Schema)
		if core == nil {
			return r, fmt.Errorf("%w: resource type %q has no known schema", ErrUnknownAttribute, rt.Name)
		}
		a := core.Attribute(name)
		if a == nil {
			return r, fmt.Errorf("%w: %q is not an attribute of %s", ErrUnknownAttribute, name, rt.Name)
		}
		r = ResolvedAttribute{SchemaURN: core.ID, Attribute: a}
	default:
		ext := rt.extension(uri)
		if ext == nil {
			return r, fmt.Errorf("%w: schema %q is not a schema of %s", ErrUnknownAttribute, uri, rt.Name)
		}
		a := ext.Attribute(name)
		if a == nil {
			return r, fmt.Errorf("%w: %q is not an attribute of %s", ErrUnknownAttribute, name, ext.ID)
		}
		r = ResolvedAttribute{SchemaURN: ext.ID, Container: ext.ID, Attribute: a}
	}
	if sub != "" {
		if r.Attribute.Type != TypeComplex {
			return r, fmt.Errorf("%w: %q has no sub-attributes", ErrUnknownAttribute, r.Attribute.Name)
		}
		s := r.Attribute.SubAttribute(sub)
		if s == nil {
			return r, fmt.Errorf("%w: %q is not a sub-attribute of %q", ErrUnknownAttribute, sub, r.Attribute.Name)
		}
		r.Sub = s
	}
	return r, nil
}

// extension returns the schema of the extension urn of rt, or nil.
func (rt ResourceType) extension(urn string) *Schema {
	for _, e := range rt.SchemaExtensions {
		if strings.EqualFold(e.Schema, urn) {
			return LookupSchema(e.Schema)
		}
	}
	return nil
}

// lookupKey finds name in m case-insensitively (RFC 7643 §2.1), preferring an
// exact match. It returns the value and the key as spelled in m.
func lookupKey(m map[string]any, name string) (any, string, bool) {
	if v, ok := m[name]; ok {
		return v, name, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, k, true
		}
	}
	return nil, "", false
}

// asList returns v as a list: v itself when it is a JSON array, else a
// one-element list. Typed slices that Go callers may have put into a map are
// accepted too.
func asList(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case []map[string]any:
		out := make([]any, len(t))
		for i := range t {
			out[i] = t[i]
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i := range t {
			out[i] = t[i]
		}
		return out
	case nil:
		return nil
	default:
		return []any{v}
	}
}
