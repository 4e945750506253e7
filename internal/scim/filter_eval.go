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
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/fold"
)

// boundExpr is a filter resolved against a resource type. eval receives the
// resource, or for the filter inside a value path one value (an object) of
// the bracketed attribute.
type boundExpr interface {
	eval(m map[string]any) bool
}

type boundLogical struct {
	and         bool
	left, right boundExpr
}

type boundNot struct{ x boundExpr }

type boundCompare struct {
	// path is the canonical path of the compared attribute (for
	// Equalities), e.g. "emails.value" also inside emails[...].
	path string
	def  *Attribute
	op   string
	lit  literal
	// values returns the values compared, flattened (RFC 7644 §3.4.2.2: a
	// multi-valued attribute matches when any of its values matches).
	values func(m map[string]any) []any
}

type boundValuePath struct {
	attr  ResolvedAttribute
	inner boundExpr
}

// literal is a comparison value prepared once for its attribute type.
type literal struct {
	null bool
	raw  string // string literal as given
	str  string // string literal, case-folded when the attribute is not caseExact
	b    bool
	t    time.Time
	rat  *big.Rat
}

func (e *boundLogical) eval(m map[string]any) bool {
	if e.and {
		return e.left.eval(m) && e.right.eval(m)
	}
	return e.left.eval(m) || e.right.eval(m)
}

func (e *boundNot) eval(m map[string]any) bool { return !e.x.eval(m) }

func (e *boundValuePath) eval(m map[string]any) bool {
	// RFC 7644 §3.4.2.2: the value filter selects values of the attribute;
	// the resource matches when at least one value satisfies it.
	for _, v := range e.attr.Values(m) {
		if em, ok := v.(map[string]any); ok && e.inner.eval(em) {
			return true
		}
	}
	return false
}

func (e *boundCompare) eval(m map[string]any) bool {
	values := e.values(m)
	switch e.op {
	case "pr":
		// RFC 7644 §3.4.2.2: pr matches a non-empty value or a non-empty
		// node of a complex attribute; RFC 7643 §2.5: null, unassigned and
		// an empty array are the same state.
		return slices.ContainsFunc(values, isPresent)
	case "eq":
		if e.lit.null {
			return !anyPresent(values)
		}
	case "ne":
		if e.lit.null {
			return anyPresent(values)
		}
		// An attribute with no value is "not equal" to any value.
		if len(values) == 0 {
			return true
		}
	}
	return slices.ContainsFunc(values, e.compare)
}

func anyPresent(values []any) bool {
	return slices.ContainsFunc(values, isPresent)
}

// compare applies the operator to one value.
func (e *boundCompare) compare(v any) bool {
	switch e.def.Type {
	case TypeString, TypeReference, TypeBinary:
		s, ok := v.(string)
		if !ok {
			return false
		}
		// RFC 7644 §3.4.2.2: string comparisons follow the attribute's
		// caseExact characteristic.
		if !e.def.CaseExact {
			s = fold.String(s)
		}
		return compareStrings(e.op, s, e.lit.str)
	case TypeDateTime:
		s, ok := v.(string)
		if !ok {
			return false
		}
		switch e.op {
		case "co", "sw", "ew":
			return compareStrings(e.op, s, e.lit.str)
		}
		// RFC 7644 §3.4.2.2: dateTime values compare chronologically.
		t, ok := parseDateTime(s)
		if !ok {
			return false
		}
		return orderMatches(e.op, t.Compare(e.lit.t))
	case TypeBoolean:
		b, ok := toBool(v)
		if !ok {
			return false
		}
		return (b == e.lit.b) == (e.op == "eq")
	case TypeInteger, TypeDecimal:
		r, ok := toRat(v)
		if !ok {
			return false
		}
		return orderMatches(e.op, r.Cmp(e.lit.rat))
	}
	return false
}

// toBool reads a stored boolean. Booleans stored as the strings Entra ID
// sends ("True", "False") are read as booleans too, so a resource stored
// before normalisation still filters correctly.
func toBool(v any) (bool, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		switch {
		case strings.EqualFold(t, "true"):
			return true, true
		case strings.EqualFold(t, "false"):
			return false, true
		}
	}
	return false, false
}

func compareStrings(op, s, lit string) bool {
	switch op {
	case "eq":
		return s == lit
	case "ne":
		return s != lit
	case "co":
		return strings.Contains(s, lit)
	case "sw":
		return strings.HasPrefix(s, lit)
	case "ew":
		return strings.HasSuffix(s, lit)
	}
	// RFC 7644 §3.4.2.2: gt/ge/lt/le on strings use lexicographical order.
	return orderMatches(op, strings.Compare(s, lit))
}

func orderMatches(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

// bindExpr resolves e against rt. parent is the bracketed attribute when e is
// the filter inside a value path.
func bindExpr(rt ResourceType, e expr, parent *ResolvedAttribute) (boundExpr, error) {
	switch t := e.(type) {
	case *logicalExpr:
		left, err := bindExpr(rt, t.left, parent)
		if err != nil {
			return nil, err
		}
		right, err := bindExpr(rt, t.right, parent)
		if err != nil {
			return nil, err
		}
		return &boundLogical{and: t.and, left: left, right: right}, nil
	case *notExpr:
		x, err := bindExpr(rt, t.x, parent)
		if err != nil {
			return nil, err
		}
		return &boundNot{x: x}, nil
	case *valuePathExpr:
		if parent != nil {
			return nil, ErrInvalidFilter("value filters cannot be nested")
		}
		r, err := rt.resolveParts(t.path.uri, t.path.name, "")
		if err != nil {
			return nil, filterResolveError(t.path, err)
		}
		if r.Attribute.Type != TypeComplex {
			return nil, ErrInvalidFilter("%s is not a complex attribute: it cannot take a value filter", describeRef(t.path))
		}
		inner, err := bindExpr(rt, t.filter, &r)
		if err != nil {
			return nil, err
		}
		return &boundValuePath{attr: r, inner: inner}, nil
	case *compareExpr:
		return bindCompare(rt, t, parent)
	}
	return nil, ErrInvalidFilter("unexpected filter element %T", e)
}

func filterResolveError(ref attrRef, err error) error {
	if errors.Is(err, ErrUnknownAttribute) {
		// RFC 7644 §3.4.2.2 leaves undefined attributes to the server; an
		// error tells the IdP administrator about a mapping this server
		// cannot answer instead of silently matching nothing.
		return ErrInvalidFilter("%v", err)
	}
	return ErrInvalidFilter("%s: %v", describeRef(ref), err)
}

func bindCompare(rt ResourceType, c *compareExpr, parent *ResolvedAttribute) (boundExpr, error) {
	var r ResolvedAttribute
	if parent == nil {
		var err error
		r, err = rt.resolveParts(c.path.uri, c.path.name, c.path.sub)
		if err != nil {
			return nil, filterResolveError(c.path, err)
		}
	} else {
		sub := parent.Attribute.SubAttribute(c.path.name)
		if sub == nil {
			return nil, ErrInvalidFilter("%q is not a sub-attribute of %q", c.path.name, parent.Attribute.Name)
		}
		r = *parent
		r.Sub = sub
	}
	def := r.Definition()
	if def.EffectiveReturned() == ReturnedNever {
		// A value that is never returned must not be discoverable by
		// filtering either; this server does not even store it.
		return nil, ErrInvalidFilter("%s cannot be used in a filter", r.Path())
	}
	if def.Type == TypeComplex && c.op != "pr" {
		// RFC 7644 §3.4.2.2 compares a complex attribute through its
		// "value" sub-attribute: emails co "example.com" is emails.value.
		v := def.SubAttribute("value")
		if v == nil {
			return nil, ErrInvalidFilter("%s is complex and has no \"value\" sub-attribute to compare", r.Path())
		}
		r.Sub = v
		def = v
	}
	lit, err := prepareLiteral(r.Path(), def, c.op, c.value)
	if err != nil {
		return nil, err
	}
	bc := &boundCompare{path: r.Path(), def: def, op: c.op, lit: lit}
	if parent == nil {
		bc.values = r.Values
	} else {
		sub := r.Sub
		bc.values = func(m map[string]any) []any {
			v, _, ok := lookupKey(m, sub.Name)
			if !ok || v == nil {
				return nil
			}
			if sub.MultiValued {
				return nonNil(asList(v))
			}
			return []any{v}
		}
	}
	return bc, nil
}

// prepareLiteral checks that op and value fit the attribute type (RFC 7644
// §3.4.2.2) and prepares the value for comparison.
func prepareLiteral(path string, def *Attribute, op string, value any) (literal, error) {
	if op == "pr" {
		return literal{}, nil
	}
	if value == nil {
		if op != "eq" && op != "ne" {
			return literal{}, ErrInvalidFilter("%s %s null: only eq and ne compare with null", path, op)
		}
		return literal{null: true}, nil
	}
	switch def.Type {
	case TypeString, TypeReference, TypeBinary:
		s, ok := value.(string)
		if !ok {
			return literal{}, ErrInvalidFilter("%s is a %s attribute: compare it with a string, not %s", path, def.Type, jsonKind(value))
		}
		if def.Type == TypeBinary && isOrdering(op) {
			// RFC 7644 §3.4.2.2: gt/ge/lt/le on binary is invalidFilter.
			return literal{}, ErrInvalidFilter("%s is binary: %s is not supported", path, op)
		}
		lit := literal{raw: s, str: s}
		if !def.CaseExact {
			lit.str = fold.String(s)
		}
		return lit, nil
	case TypeBoolean:
		b, ok := value.(bool)
		if !ok {
			return literal{}, ErrInvalidFilter("%s is boolean: compare it with true or false, not %s", path, jsonKind(value))
		}
		if op != "eq" && op != "ne" {
			// RFC 7644 §3.4.2.2: gt/ge/lt/le on boolean is invalidFilter;
			// co/sw/ew have no meaning for booleans either.
			return literal{}, ErrInvalidFilter("%s is boolean: %s is not supported", path, op)
		}
		return literal{b: b}, nil
	case TypeDateTime:
		s, ok := value.(string)
		if !ok {
			return literal{}, ErrInvalidFilter("%s is a dateTime: compare it with a string, not %s", path, jsonKind(value))
		}
		if op == "co" || op == "sw" || op == "ew" {
			return literal{str: s}, nil
		}
		t, ok := parseDateTime(s)
		if !ok {
			return literal{}, ErrInvalidFilter("%s is a dateTime: %q is not an xsd:dateTime", path, s)
		}
		return literal{t: t}, nil
	case TypeInteger, TypeDecimal:
		n, ok := value.(json.Number)
		if !ok {
			return literal{}, ErrInvalidFilter("%s is a number: compare it with a number, not %s", path, jsonKind(value))
		}
		if op == "co" || op == "sw" || op == "ew" {
			return literal{}, ErrInvalidFilter("%s is a number: %s is not supported", path, op)
		}
		r, ok := toRat(n)
		if !ok {
			return literal{}, ErrInvalidFilter("%s: %q is not a number", path, string(n))
		}
		if def.Type == TypeInteger && !r.IsInt() {
			return literal{}, ErrInvalidFilter("%s is an integer: %q is not", path, string(n))
		}
		return literal{rat: r}, nil
	}
	return literal{}, ErrInvalidFilter("%s cannot be compared", path)
}

func isOrdering(op string) bool {
	switch op {
	case "gt", "ge", "lt", "le":
		return true
	}
	return false
}

// collectEqualities walks the top-level "and" chain (through value paths,
// whose inner "and" chain also constrains every match).
func collectEqualities(e boundExpr, out *[]Equality) {
	switch t := e.(type) {
	case *boundLogical:
		if t.and {
			collectEqualities(t.left, out)
			collectEqualities(t.right, out)
		}
	case *boundValuePath:
		collectEqualities(t.inner, out)
	case *boundCompare:
		if t.op != "eq" || t.lit.null || !t.def.isStringLike() {
			return
		}
		*out = append(*out, Equality{Path: t.path, Value: t.lit.raw, CaseExact: t.def.CaseExact})
	}
}
