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
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"
)

// Limits on untrusted filters. A filter arrives in a URL or a /.search body;
// these bound the work one request can ask of the parser and evaluator.
const (
	// MaxFilterLength is the longest filter ParseFilter accepts, in bytes.
	MaxFilterLength = 8 << 10
	// maxFilterDepth bounds nesting of parentheses.
	maxFilterDepth = 32
)

// Filter is a parsed filter (RFC 7644 §3.4.2.2). The zero Filter is "no
// filter" and matches every resource. A Filter is safe for concurrent use.
//
// ParseFilter checks syntax only; attribute names and the fit between
// attribute types and comparison values depend on the resource type and are
// checked by Validate (Match treats a filter that does not validate as
// matching nothing).
type Filter struct {
	p *parsedFilter
}

type parsedFilter struct {
	raw  string
	root expr

	mu    sync.Mutex
	bound map[string]boundResult
}

type boundResult struct {
	root boundExpr
	err  error
}

// The filter AST. The parser's own AST is converted into this one so that
// string literals are unescaped, value paths may hold any filter, and the
// evaluator does not depend on the parser's types.
type expr interface{ isExpr() }

type logicalExpr struct {
	and         bool
	left, right expr
}

type notExpr struct{ x expr }

// compareExpr is "attrPath op value" or "attrPath pr". Inside a value path,
// path names a sub-attribute of the value path's attribute.
type compareExpr struct {
	path attrRef
	op   string
	// value is a string, bool, json.Number or nil (JSON null), or nil for pr.
	value any
}

// valuePathExpr is "attrPath[valFilter]".
type valuePathExpr struct {
	path   attrRef
	filter expr
}

type attrRef struct{ uri, name, sub string }

func (r attrRef) String() string {
	s := r.name
	if r.uri != "" {
		s = r.uri + ":" + s
	}
	if r.sub != "" {
		s += "." + r.sub
	}
	return s
}

func (*logicalExpr) isExpr()   {}
func (*notExpr) isExpr()       {}
func (*compareExpr) isExpr()   {}
func (*valuePathExpr) isExpr() {}

// String returns the filter as given to ParseFilter.
func (f Filter) String() string {
	if f.p == nil {
		return ""
	}
	return f.p.raw
}

// IsZero reports whether f is the zero Filter (no filter).
func (f Filter) IsZero() bool { return f.p == nil }

// ParseFilter parses a filter expression: the whole grammar of RFC 7644
// §3.4.2.2 (attribute operators eq ne co sw ew gt ge lt le pr, logical
// and/or/not, grouping with parentheses, value paths in brackets, URN
// prefixed attribute paths). Errors are *Error with scimType invalidFilter.
//
// It parses with github.com/scim2/filter-parser/v2 after a lexical pre-pass
// that closes three gaps of that parser:
//   - it keeps string literals escaped ("a\"b" stays a\"b) and rejects
//     lowercase \u escapes: the pre-pass decodes every literal as the JSON
//     string it is (RFC 7644 §3.4.2.2: compValue follows RFC 7159) and hands
//     the parser a placeholder;
//   - inside brackets it accepts only "a op v", "a op v and|or b op v" or
//     "not(...)", while the RFC grammar (valFilter) allows any filter: the
//     pre-pass parses the bracket contents as a filter of their own;
//   - it rejects "emails[type eq "work"].value eq "x"", the form Microsoft
//     Entra ID sends (its attribute mappings are written emails[type eq
//     "work"].value): the pre-pass rewrites it to the equivalent
//     emails[type eq "work" and value eq "x"].
func ParseFilter(s string) (Filter, error) {
	root, err := parseFilterExpr(s, true)
	if err != nil {
		return Filter{}, err
	}
	return Filter{p: &parsedFilter{raw: s, root: root}}, nil
}

// MustParseFilter is ParseFilter for filters known to be valid (tests,
// constants); it panics on error.
func MustParseFilter(s string) Filter {
	f, err := ParseFilter(s)
	if err != nil {
		panic(err)
	}
	return f
}

// parseFilterExpr parses s; fast as parseText's.
func parseFilterExpr(s string, fast bool) (expr, error) {
	if len(s) > MaxFilterLength {
		return nil, ErrInvalidFilter("filter is longer than %d bytes", MaxFilterLength)
	}
	if strings.TrimSpace(s) == "" {
		return nil, ErrInvalidFilter("filter is empty")
	}
	if !utf8.ValidString(s) {
		return nil, ErrInvalidFilter("filter is not valid UTF-8")
	}
	text, lits, err := extractLiterals(s)
	if err != nil {
		return nil, err
	}
	if err := checkDepth(text); err != nil {
		return nil, err
	}
	return parseText(text, lits, false, fast)
}

// extractLiterals replaces every JSON string literal of s with a placeholder
// literal holding its index ("0", "1"...) and returns the decoded literals.
// Afterwards no quote, bracket or backslash inside a literal can confuse the
// passes that follow.
func extractLiterals(s string) (string, []string, error) {
	var b strings.Builder
	var lits []string
	for i := 0; i < len(s); i++ {
		if s[i] != '"' {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(s) {
			return "", nil, ErrInvalidFilter("unterminated string literal at offset %d", i)
		}
		var v string
		// RFC 7644 §3.4.2.2: compValue strings are JSON strings (RFC 7159 §7).
		if err := json.Unmarshal([]byte(s[i:j+1]), &v); err != nil {
			return "", nil, ErrInvalidFilter("invalid string literal at offset %d: %v", i, err)
		}
		b.WriteString(`"` + strconv.Itoa(len(lits)) + `"`)
		lits = append(lits, v)
		i = j
	}
	return b.String(), lits, nil
}

func checkDepth(text string) error {
	depth := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '(':
			depth++
			if depth > maxFilterDepth {
				return ErrInvalidFilter("filter nests parentheses deeper than %d", maxFilterDepth)
			}
		case ')':
			depth--
		}
	}
	return nil
}

// valuePathPlaceholder names the attribute that stands in for a value path
// while the parser sees the text. No SCIM attribute has this name, and
// parseText refuses input that already contains it.
const valuePathPlaceholder = "scimvaluepathplaceholder"

type rawValuePath struct {
	attr     string // the attribute path before "["
	inner    string // the filter between the brackets
	trailing string // Entra's ".sub op value" after "]", as "sub op value"
}

// parseText parses a filter whose literals are placeholders. inValuePath is
// set for the contents of brackets, where attribute paths are relative to
// the bracketed attribute and brackets cannot nest. fast lets the shapes
// identity providers send (see simpleComparison) skip the parser, which
// allocated about 65 KB for "userName eq "x"" and 255 KB for Entra's
// emails[type eq "work"].value eq "x" (BenchmarkGetUserRequest);
// FuzzFilterFastPaths holds the result to the parser's.
func parseText(text string, lits []string, inValuePath, fast bool) (expr, error) {
	if strings.Contains(strings.ToLower(text), valuePathPlaceholder) {
		return nil, ErrInvalidFilter("unknown attribute in filter")
	}
	if fast {
		if e, ok := simpleComparison(text, lits, inValuePath); ok {
			return e, nil
		}
	}
	outer, vps, err := extractValuePaths(text)
	if err != nil {
		return nil, err
	}
	if inValuePath && len(vps) > 0 {
		// RFC 7643 §2.3.8: a sub-attribute cannot itself be complex, so a
		// value path inside a value path designates nothing.
		return nil, ErrInvalidFilter("value filters cannot be nested")
	}
	if fast && len(vps) == 1 && outer == valuePathPlaceholder+"0 pr" {
		// The whole filter is one value path: what the parser would read
		// from the placeholder is known.
		return convertValuePath(vps[0], lits, fast)
	}
	parsed, err := libraryParse(outer)
	if err != nil {
		return nil, err
	}
	return convertExpr(parsed, lits, vps, inValuePath, fast)
}

// simpleComparison reads "attr op "N"" or "attr.sub op "N"": a plain
// attribute path (no URI), one space, a lowercase comparison operator, one
// space and a string literal's placeholder, the shape of every lookup Okta
// and Entra ID send. ok is false for anything else, which the parser reads.
func simpleComparison(text string, lits []string, inValuePath bool) (expr, bool) {
	path, rest, found := strings.Cut(text, " ")
	if !found {
		return nil, false
	}
	op, lit, found := strings.Cut(rest, " ")
	if !found || !isCompareOp(op) {
		return nil, false
	}
	name, sub, ok := simpleAttrPath(path)
	if !ok || inValuePath && sub != "" {
		return nil, false
	}
	if len(lit) < 3 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return nil, false
	}
	value, ok := placeholderLiteral(lits, lit[1:len(lit)-1])
	if !ok {
		return nil, false
	}
	return &compareExpr{path: attrRef{name: name, sub: sub}, op: op, value: value}, true
}

// placeholderLiteral is the literal a placeholder ("0", "1"...; see
// extractLiterals) stands for.
func placeholderLiteral(lits []string, placeholder string) (string, bool) {
	idx, err := strconv.Atoi(placeholder)
	if err != nil || idx < 0 || idx >= len(lits) || strconv.Itoa(idx) != placeholder {
		return "", false
	}
	return lits[idx], true
}

// libraryParse runs the filter parser, turning its errors (and any panic on
// hostile input) into invalidFilter.
func libraryParse(text string) (e filter.Expression, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, ErrInvalidFilter("malformed filter")
		}
	}()
	e, err = filter.ParseFilterNumber([]byte(text))
	if err != nil {
		return nil, ErrInvalidFilter("malformed filter: %v", err)
	}
	return e, nil
}

func isPathChar(c byte) bool {
	return isNameChar(c) || c == '.' || c == ':'
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '$'
}

func isCompareOp(op string) bool {
	switch op {
	case "eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le":
		return true
	}
	return false
}

// extractValuePaths replaces each "attr[...]" (and Entra's
// "attr[...].sub op value") of text with a placeholder attribute expression
// "scimvaluepathplaceholderN pr", and returns the pieces.
func extractValuePaths(text string) (string, []rawValuePath, error) {
	var b strings.Builder
	var vps []rawValuePath
	last := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case ']':
			return "", nil, ErrInvalidFilter("unbalanced ']' at offset %d", i)
		case '[':
		default:
			continue
		}
		end := i
		for end > last && text[end-1] == ' ' {
			end--
		}
		start := end
		for start > last && isPathChar(text[start-1]) {
			start--
		}
		if start == end {
			return "", nil, ErrInvalidFilter("'[' at offset %d does not follow an attribute", i)
		}
		rel := strings.IndexAny(text[i+1:], "[]")
		if rel < 0 || text[i+1+rel] == '[' {
			return "", nil, ErrInvalidFilter("'[' at offset %d is not closed before the next '['", i)
		}
		closing := i + 1 + rel
		vp := rawValuePath{attr: text[start:end], inner: text[i+1 : closing]}
		k := closing + 1
		if k < len(text) && text[k] == '.' {
			trailing, next, err := entraSubAttrComparison(text, k)
			if err != nil {
				return "", nil, err
			}
			vp.trailing, k = trailing, next
		}
		b.WriteString(text[last:start])
		b.WriteString(valuePathPlaceholder + strconv.Itoa(len(vps)) + " pr")
		vps = append(vps, vp)
		last = k
		i = k - 1
	}
	b.WriteString(text[last:])
	return b.String(), vps, nil
}

// entraSubAttrComparison reads ".sub op value" (or ".sub pr") starting at
// text[k] == '.', the tail of Entra's emails[type eq "work"].value eq "x".
// It returns "sub op value" and the offset after it.
func entraSubAttrComparison(text string, k int) (string, int, error) {
	m := k + 1
	for m < len(text) && isNameChar(text[m]) {
		m++
	}
	sub := text[k+1 : m]
	if sub == "" {
		return "", 0, ErrInvalidFilter("expected a sub-attribute after ']. ' at offset %d", k)
	}
	n := m
	for n < len(text) && text[n] == ' ' {
		n++
	}
	o := n
	for o < len(text) && (text[o] >= 'a' && text[o] <= 'z' || text[o] >= 'A' && text[o] <= 'Z') {
		o++
	}
	op := strings.ToLower(text[n:o])
	if n == m || o == n {
		return "", 0, ErrInvalidFilter("expected an operator after %q at offset %d", "]."+sub, k)
	}
	if op == "pr" {
		return sub + " pr", o, nil
	}
	if !isCompareOp(op) {
		return "", 0, ErrInvalidFilter("unknown operator %q at offset %d", text[n:o], n)
	}
	p := o
	for p < len(text) && text[p] == ' ' {
		p++
	}
	q := p
	if q < len(text) && text[q] == '"' {
		closing := strings.IndexByte(text[q+1:], '"')
		if closing < 0 {
			return "", 0, ErrInvalidFilter("unterminated string literal at offset %d", q)
		}
		q += closing + 2
	} else {
		for q < len(text) && text[q] != ' ' && text[q] != ')' && text[q] != ']' {
			q++
		}
	}
	if p == o || q == p {
		return "", 0, ErrInvalidFilter("expected a value after %q at offset %d", op, o)
	}
	return sub + " " + op + " " + text[p:q], q, nil
}

func convertExpr(e filter.Expression, lits []string, vps []rawValuePath, inValuePath, fast bool) (expr, error) {
	switch t := e.(type) {
	case *filter.LogicalExpression:
		left, err := convertExpr(t.Left, lits, vps, inValuePath, fast)
		if err != nil {
			return nil, err
		}
		right, err := convertExpr(t.Right, lits, vps, inValuePath, fast)
		if err != nil {
			return nil, err
		}
		return &logicalExpr{and: t.Operator == filter.AND, left: left, right: right}, nil
	case *filter.NotExpression:
		x, err := convertExpr(t.Expression, lits, vps, inValuePath, fast)
		if err != nil {
			return nil, err
		}
		return &notExpr{x: x}, nil
	case *filter.AttributeExpression:
		return convertAttrExpr(t, lits, vps, inValuePath, fast)
	default:
		// Every bracket was taken out before parsing, so the parser cannot
		// return a value path.
		return nil, ErrInvalidFilter("unexpected filter element %T", e)
	}
}

func convertAttrExpr(t *filter.AttributeExpression, lits []string, vps []rawValuePath, inValuePath, fast bool) (expr, error) {
	ref := attrRef{uri: t.AttributePath.URI(), name: t.AttributePath.AttributeName, sub: t.AttributePath.SubAttributeName()}
	lower := strings.ToLower(ref.name)
	if strings.HasPrefix(lower, valuePathPlaceholder) && ref.uri == "" && ref.sub == "" {
		idx, err := strconv.Atoi(lower[len(valuePathPlaceholder):])
		if err != nil || idx < 0 || idx >= len(vps) {
			return nil, ErrInvalidFilter("malformed value filter")
		}
		return convertValuePath(vps[idx], lits, fast)
	}
	if inValuePath && (ref.uri != "" || ref.sub != "") {
		return nil, ErrInvalidFilter("%q: inside brackets, name a sub-attribute of the bracketed attribute", ref.String())
	}
	c := &compareExpr{path: ref, op: string(t.Operator)}
	switch v := t.CompareValue.(type) {
	case string:
		// Every literal the parser sees is a placeholder for lits[index].
		lit, ok := placeholderLiteral(lits, v)
		if !ok {
			return nil, ErrInvalidFilter("malformed string literal")
		}
		c.value = lit
	case json.Number, bool, nil:
		c.value = v
	default:
		return nil, ErrInvalidFilter("unsupported comparison value %v", v)
	}
	return c, nil
}

func convertValuePath(vp rawValuePath, lits []string, fast bool) (expr, error) {
	var ref attrRef
	if name, sub, ok := simpleAttrPath(vp.attr); fast && ok {
		ref = attrRef{name: name, sub: sub}
	} else {
		ap, err := parseAttrPath(vp.attr)
		if err != nil {
			return nil, ErrInvalidFilter("%v", err)
		}
		ref = attrRef{uri: ap.URI(), name: ap.AttributeName, sub: ap.SubAttributeName()}
	}
	if ref.sub != "" {
		return nil, ErrInvalidFilter("%q: a value filter applies to a complex attribute, not a sub-attribute", vp.attr)
	}
	inner, err := parseText(vp.inner, lits, true, fast)
	if err != nil {
		return nil, err
	}
	if vp.trailing != "" {
		// Entra: attr[f].sub op v  ==  attr[(f) and sub op v].
		tail, err := parseText(vp.trailing, lits, true, fast)
		if err != nil {
			return nil, err
		}
		inner = &logicalExpr{and: true, left: inner, right: tail}
	}
	return &valuePathExpr{path: ref, filter: inner}, nil
}

// bind resolves f against rt once and caches the result.
func (f Filter) bind(rt ResourceType) (boundExpr, error) {
	key := rt.ID + "\x00" + strings.Join(rt.SchemaURNs(), "\x00")
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	if r, ok := f.p.bound[key]; ok {
		return r.root, r.err
	}
	root, err := bindExpr(rt, f.p.root, nil)
	if f.p.bound == nil {
		f.p.bound = map[string]boundResult{}
	}
	f.p.bound[key] = boundResult{root: root, err: err}
	return root, err
}

// Validate checks f against rt: every attribute exists, and every
// comparison fits its attribute's type (RFC 7644 §3.4.2.2). Errors are
// *Error with scimType invalidFilter. The zero Filter is valid.
func (f Filter) Validate(rt ResourceType) error {
	if f.p == nil {
		return nil
	}
	_, err := f.bind(rt)
	return err
}

// Match reports whether res, a resource of type rt, matches f. A filter
// that does not Validate against rt matches nothing; the zero Filter matches
// everything.
func (f Filter) Match(rt ResourceType, res map[string]any) bool {
	if f.p == nil {
		return true
	}
	root, err := f.bind(rt)
	if err != nil {
		return false
	}
	return root.eval(res)
}

// Equality is an "attribute eq value" constraint that every resource
// matching a filter satisfies.
type Equality struct {
	// Path is the canonical attribute path (ResolvedAttribute.Path), e.g.
	// "userName", "externalId", "id", "emails.value", "displayName",
	// "members.value".
	Path string
	// Value is the compared string as given in the filter (unescaped, not
	// case-folded: apply fold.String when CaseExact is false).
	Value string
	// CaseExact reports whether the attribute compares case-sensitively; an
	// index of a caseExact=false attribute must be looked up case-folded.
	CaseExact bool
}

// Equalities returns the string equality constraints of the top-level "and"
// chain of f, for the storage layer to answer a query from an index instead
// of a scan: userName eq "x", externalId eq "x", id eq "x", displayName eq
// "x", emails.value eq "x", emails[type eq "work" and value eq "x"] and
// Entra's emails[type eq "work"].value eq "x" (both give emails.value),
// members[value eq "x"] and members.value eq "x" (members.value),
// emails eq "x" (emails.value, RFC 7644 §3.4.2.2). Every resource that
// matches f satisfies every returned constraint; the caller must still run
// Match on the candidates the index returns. It returns nil for the zero
// Filter and for a filter that does not Validate.
func (f Filter) Equalities(rt ResourceType) []Equality {
	if f.p == nil {
		return nil
	}
	root, err := f.bind(rt)
	if err != nil {
		return nil
	}
	var out []Equality
	collectEqualities(root, &out)
	return out
}

// EqualityFor returns the values Equalities gives for path (canonical
// spelling, as Equality.Path).
func (f Filter) EqualityFor(rt ResourceType, path string) []string {
	var out []string
	for _, e := range f.Equalities(rt) {
		if e.Path == path {
			out = append(out, e.Value)
		}
	}
	return out
}

func describeRef(r attrRef) string {
	return fmt.Sprintf("%q", r.String())
}
