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

package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
)

// The corpus of testdata/idp/corpus: the requests Entra ID's and Okta's
// documentation shows, verbatim, replayed in order (see its README for the
// format and the placeholder syntax).

const corpusDir = "testdata/idp/corpus"

// documentedRequest is one fixture of the corpus.
type documentedRequest struct {
	file         string
	method, path string
	headers      []string // key, value pairs, as the page prints them
	body         string

	status     int    // the documented status; 0 when the page shows none
	response   string // the documented response body, as printed
	hasResBody bool

	replace   [][2]string       // doc literal, {{placeholder}}
	captures  [][2]string       // variable, response field
	differs   map[string]string // field pattern -> why we differ
	override  int               // #! status: what we answer instead, or where the page shows none
	thens     []string          // #! then GET ... checks
	unordered map[string]string // list path -> the key its elements are matched by
}

func readDocumentedRequest(name string) documentedRequest {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join("testdata", "idp", name))
	Expect(err).NotTo(HaveOccurred())
	d := documentedRequest{file: name, differs: map[string]string{}, unordered: map[string]string{}}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		if dir, ok := strings.CutPrefix(lines[0], "#!"); ok {
			d.directive(strings.TrimSpace(dir))
		}
		lines = lines[1:]
	}
	Expect(lines).NotTo(BeEmpty(), "%s has no request line", name)
	fields := strings.Fields(lines[0])
	Expect(len(fields)).To(BeNumerically(">=", 2), "%s: bad request line %q", name, lines[0])
	d.method = fields[0]
	target := strings.TrimSpace(strings.TrimPrefix(lines[0], d.method))
	target = strings.TrimSpace(strings.TrimSuffix(target, "HTTP/1.1"))
	for _, base := range documentedBases {
		target = strings.TrimPrefix(target, base)
	}
	d.path = target
	rest := lines[1:]
	i := 0
	// A body may follow the headers without a blank line, as the tutorial's
	// sample-code examples print it.
	for ; i < len(rest) && strings.TrimSpace(rest[i]) != "" && !isResponseMarker(rest[i]) && !strings.HasPrefix(rest[i], "{"); i++ {
		k, v, ok := strings.Cut(rest[i], ":")
		Expect(ok).To(BeTrue(), "%s: bad header line %q", name, rest[i])
		d.headers = append(d.headers, strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if i < len(rest) && strings.TrimSpace(rest[i]) == "" {
		i++
	}
	var bodyLines []string
	for ; i < len(rest) && !isResponseMarker(rest[i]); i++ {
		bodyLines = append(bodyLines, rest[i])
	}
	d.body = strings.TrimSpace(strings.Join(bodyLines, "\n"))
	if i < len(rest) {
		d.readResponse(rest[i+1:])
	}
	return d
}

// documentedBases are the base URLs the pages print before a resource path:
// ours (/scim/v2), and the tutorial's placeholders (https://.../scim, ~/scim).
var documentedBases = []string{server.BasePath, "https://.../scim", "~/scim"}

func isResponseMarker(line string) bool { return strings.HasPrefix(line, "### Response") }

func (d *documentedRequest) readResponse(lines []string) {
	GinkgoHelper()
	i := 0
	if i < len(lines) && strings.HasPrefix(lines[i], "HTTP/") {
		fields := strings.Fields(lines[i])
		Expect(len(fields)).To(BeNumerically(">=", 2), "%s: bad status line %q", d.file, lines[i])
		status, err := strconv.Atoi(fields[1])
		Expect(err).NotTo(HaveOccurred(), "%s: bad status line %q", d.file, lines[i])
		d.status = status
		i++
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ { // headers: not compared
		}
	}
	d.response = strings.TrimSpace(strings.Join(lines[i:], "\n"))
	d.hasResBody = d.response != ""
}

func (d *documentedRequest) directive(dir string) {
	GinkgoHelper()
	verb, arg, _ := strings.Cut(dir, " ")
	arg = strings.TrimSpace(arg)
	switch verb {
	case "replace":
		from, to, ok := strings.Cut(arg, " ")
		Expect(ok && isPlaceholder(strings.TrimSpace(to))).To(BeTrue(), "%s: bad replace %q", d.file, dir)
		d.replace = append(d.replace, [2]string{from, strings.TrimSpace(to)})
	case "capture":
		v, field, ok := strings.Cut(arg, " ")
		Expect(ok).To(BeTrue(), "%s: bad capture %q", d.file, dir)
		d.captures = append(d.captures, [2]string{v, strings.TrimSpace(field)})
	case "differs":
		field, why, ok := strings.Cut(arg, ":")
		Expect(ok && strings.TrimSpace(why) != "").To(BeTrue(), "%s: a difference says why: %q", d.file, dir)
		d.differs[strings.TrimSpace(field)] = strings.TrimSpace(why)
	case "status":
		code, why, ok := strings.Cut(arg, ":")
		n, err := strconv.Atoi(strings.TrimSpace(code))
		Expect(ok && err == nil && strings.TrimSpace(why) != "").To(BeTrue(), "%s: bad status %q (it says why)", d.file, dir)
		d.override = n
	case "then":
		d.thens = append(d.thens, arg)
	case "unordered":
		list, key, ok := strings.Cut(arg, " by ")
		Expect(ok).To(BeTrue(), "%s: bad unordered %q", d.file, dir)
		d.unordered[strings.TrimSpace(list)] = strings.TrimSpace(key)
	default:
		Fail(fmt.Sprintf("%s: unknown directive %q", d.file, dir))
	}
}

var placeholderRE = regexp.MustCompile(`\{\{([A-Za-z0-9_]+)\}\}`)

func isPlaceholder(s string) bool { return placeholderRE.FindString(s) == s }

// expand puts the values of vars in for the page's ids and the placeholders.
func (d documentedRequest) expand(s string, vars map[string]string) string {
	GinkgoHelper()
	for _, r := range d.replace {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return expandVars(d.file, s, vars)
}

func expandVars(file, s string, vars map[string]string) string {
	GinkgoHelper()
	return placeholderRE.ReplaceAllStringFunc(s, func(p string) string {
		name := placeholderRE.FindStringSubmatch(p)[1]
		v, ok := vars[name]
		Expect(ok).To(BeTrue(), "%s: %s is not captured by an earlier request", file, p)
		return v
	})
}

// encodeQuery percent-encodes a query the way an HTTP client sends it: the
// pages print filters decoded (spaces and quotes); Okta's are encoded already.
func encodeQuery(target string) string {
	GinkgoHelper()
	path, query, ok := strings.Cut(target, "?")
	if !ok {
		return target
	}
	var parts []string
	for pair := range strings.SplitSeq(query, "&") {
		k, v, _ := strings.Cut(pair, "=")
		raw, err := url.QueryUnescape(v)
		Expect(err).NotTo(HaveOccurred())
		parts = append(parts, k+"="+url.QueryEscape(raw))
	}
	return path + "?" + strings.Join(parts, "&")
}

// send replays the request on the tenant's endpoint with its token, the
// page's Authorization placeholder replaced by it.
func (d documentedRequest) send(t *tenantEndpoint) response {
	GinkgoHelper()
	return d.sendWith(t, nil)
}

func (d documentedRequest) sendWith(t *tenantEndpoint, vars map[string]string) response {
	GinkgoHelper()
	headers := []string{}
	for i := 0; i+1 < len(d.headers); i += 2 {
		if !strings.EqualFold(d.headers[i], "Authorization") {
			headers = append(headers, d.headers[i], d.headers[i+1])
		}
	}
	var body any
	if d.body != "" {
		body = d.expand(d.body, vars)
	}
	return sendExactly(d.method, t.base+encodeQuery(d.expand(d.path, vars)), "Bearer "+t.token, body, headers...)
}

// wantStatus is the status we answer: the page's, or the fixture's own
// where the page shows none or we deliberately differ.
func (d documentedRequest) wantStatus() int {
	GinkgoHelper()
	if d.override != 0 {
		return d.override
	}
	Expect(d.status).NotTo(BeZero(), "%s: the page shows no status; say what we answer with #! status", d.file)
	return d.status
}

// lenientJSON reads a documented body: the pages print trailing commas and
// line breaks inside strings, which JSON does not allow.
func lenientJSON(file, s string) any {
	GinkgoHelper()
	var b strings.Builder
	inString, escaped := false, false
	for _, c := range s {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString && c == '\n':
			c = ' '
		}
		b.WriteRune(c)
	}
	cleaned := regexp.MustCompile(`,(\s*[}\]])`).ReplaceAllString(b.String(), "$1")
	var out any
	Expect(json.Unmarshal([]byte(cleaned), &out)).To(Succeed(), "%s: the documented response does not read as JSON", file)
	return out
}

// serverAssigned are the fields whose documented values are the page's
// server's: only their presence is compared.
var serverAssigned = regexp.MustCompile(`^(Resources\[\d+\]\.)?(id|meta\.created|meta\.lastModified|meta\.location|meta\.version)$`)

// differsFrom reports whether path is one the fixture says we differ on:
// the pattern itself or below it; [*] stands for any index.
func (d documentedRequest) differsFrom(path string) bool {
	for pattern := range d.differs {
		re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\[\*\]`, `\[\d+\]`) + `($|[.\[])`
		if regexp.MustCompile(re).MatchString(path) {
			return true
		}
	}
	return false
}

// compareDocumented checks every field the documented response shows
// against ours, and returns the paths it compared.
func (d documentedRequest) compareDocumented(doc, ours any, path string, compared *[]string) {
	GinkgoHelper()
	if path != "" && d.differsFrom(path) {
		return
	}
	if serverAssigned.MatchString(path) {
		Expect(ours).NotTo(BeNil(), "%s: %s is missing", d.file, path)
		*compared = append(*compared, path)
		return
	}
	switch dv := doc.(type) {
	case map[string]any:
		om, ok := ours.(map[string]any)
		Expect(ok).To(BeTrue(), "%s: %s is %v, not an object", d.file, path, ours)
		for k, v := range dv {
			d.compareDocumented(v, om[k], join(path, k), compared)
		}
	case []any:
		if len(dv) == 0 {
			Expect(isEmpty(ours)).To(BeTrue(), "%s: %s is %v, the page shows none", d.file, path, ours)
			*compared = append(*compared, path)
			return
		}
		ol, ok := ours.([]any)
		Expect(ok).To(BeTrue(), "%s: %s is %v, not a list", d.file, path, ours)
		Expect(ol).To(HaveLen(len(dv)), "%s: %s", d.file, path)
		if key, ok := d.unordered[path]; ok {
			ol = inOrderOf(dv, ol, key)
		}
		for i := range dv {
			d.compareDocumented(dv[i], ol[i], fmt.Sprintf("%s[%d]", path, i), compared)
		}
	case nil:
		Expect(isEmpty(ours)).To(BeTrue(), "%s: %s is %v, the page shows null", d.file, path, ours)
		*compared = append(*compared, path)
	default:
		Expect(ours).To(Equal(dv), "%s: %s", d.file, path)
		*compared = append(*compared, path)
	}
}

// inOrderOf puts ours in the order of doc, matching elements by key; an
// element of doc that ours lacks leaves nil in its place.
func inOrderOf(doc, ours []any, key string) []any {
	out := make([]any, len(doc))
	for i, de := range doc {
		dm, _ := de.(map[string]any)
		for _, oe := range ours {
			if om, _ := oe.(map[string]any); om != nil && om[key] == dm[key] {
				out[i] = oe
			}
		}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// isEmpty: an absent attribute, null and an empty list are the same
// (RFC 7643 §2.5).
func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	l, ok := v.([]any)
	return ok && len(l) == 0
}

// lookup finds a field by a path such as members[*].value or
// Resources[0].userName; [*] yields every element.
func lookup(v any, path string) []any {
	if path == "" {
		return []any{v}
	}
	m, _ := v.(map[string]any)
	// A key may hold dots (an extension URN such as …:2.0:User): the
	// longest key of m the path starts with is the first step.
	for k := range m {
		if after, ok := strings.CutPrefix(path, k+"."); ok && strings.Contains(k, ".") {
			return lookup(m[k], after)
		}
	}
	head, rest, _ := strings.Cut(path, ".")
	name, index, hasIndex := strings.Cut(head, "[")
	child := m[name]
	if !hasIndex {
		return lookup(child, rest)
	}
	list, _ := child.([]any)
	index = strings.TrimSuffix(index, "]")
	var out []any
	for i, e := range list {
		if index == "*" || index == strconv.Itoa(i) {
			out = append(out, lookup(e, rest)...)
		}
	}
	return out
}

var thenRE = regexp.MustCompile(`^GET (\S+) -> (\d+)(?: (\S+) = (.+))?$`)

// checkThen makes a #! then check: a GET that is not a request of the page,
// to see that the documented request did what it says.
func (d documentedRequest) checkThen(t *tenantEndpoint, then string, vars map[string]string) {
	GinkgoHelper()
	m := thenRE.FindStringSubmatch(expandVars(d.file, then, vars))
	Expect(m).NotTo(BeNil(), "%s: bad then %q", d.file, then)
	r := t.do("GET", encodeQuery(m[1]), nil)
	Expect(r.status).To(Equal(atoi(m[2])), "%s: then GET %s: %s", d.file, m[1], r.String())
	if m[3] == "" {
		return
	}
	var want any
	Expect(json.Unmarshal([]byte(m[4]), &want)).To(Succeed(), "%s: bad value in %q", d.file, then)
	got := lookup(r.body, m[3])
	if isEmpty(want) {
		Expect(len(got) == 0 || (len(got) == 1 && isEmpty(got[0]))).To(BeTrue(), "%s: then %s: %s", d.file, m[3], r.String())
		return
	}
	Expect(got).To(ContainElement(want), "%s: then %s: %s", d.file, m[3], r.String())
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// replay sends the request, checks what the page documents, captures the
// ids later requests need, and makes its then checks.
func (d documentedRequest) replay(t *tenantEndpoint, vars map[string]string) {
	GinkgoHelper()
	r := d.sendWith(t, vars)
	Expect(r.status).To(Equal(d.wantStatus()), "%s: %s", d.file, r.String())
	if d.hasResBody && len(r.raw) > 0 {
		var ours any
		Expect(json.Unmarshal(r.raw, &ours)).To(Succeed())
		var compared []string
		d.compareDocumented(lenientJSON(d.file, d.response), ours, "", &compared)
		Expect(compared).NotTo(BeEmpty(), "%s: no documented field was compared", d.file)
	} else if d.hasResBody {
		// Only a status we deliberately answer differently drops the body.
		Expect(d.override).NotTo(BeZero(), "%s: the page shows a body, we sent none", d.file)
	}
	for _, c := range d.captures {
		v, ok := r.body[c[1]].(string)
		Expect(ok && v != "").To(BeTrue(), "%s: no %s to capture: %s", d.file, c[1], r.String())
		vars[c[0]] = v
	}
	for _, then := range d.thens {
		d.checkThen(t, then, vars)
	}
}

// corpusFlows lists the corpus's flows and their fixtures, in order.
func corpusFlows() map[string][]string {
	flows := map[string][]string{}
	dirs, _ := os.ReadDir(corpusDir)
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(corpusDir, dir.Name(), "*.http"))
		slices.Sort(files)
		for _, f := range files {
			rel, _ := filepath.Rel(filepath.Join("testdata", "idp"), f)
			flows[dir.Name()] = append(flows[dir.Name()], rel)
		}
	}
	return flows
}

var _ = Describe("the documented requests of Entra ID and Okta, replayed in order", func() {
	flows := corpusFlows()
	It("has the four flows", func() {
		Expect(flows).To(HaveKey("entra-tutorial"))
		Expect(flows).To(HaveKey("entra-sample"))
		Expect(flows).To(HaveKey("entra-compat"))
		Expect(flows).To(HaveKey("okta"))
	})
	names := make([]string, 0, len(flows))
	for name := range flows {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		files := flows[name]
		It("answers "+name+" as documented", func() {
			// A tenant per flow: the documented names are fixed.
			t := startServer(cfg, server.Options{}).newTenant("corpus", "corpus-token")
			vars := map[string]string{}
			for _, f := range files {
				By(f)
				readDocumentedRequest(f).replay(t, vars)
			}
		})
	}
})

var _ = Describe("the requests Entra ID and Okta document", func() {
	var t *tenantEndpoint
	BeforeEach(func() {
		// A tenant per request: the documented names are fixed.
		t = startServer(cfg, server.Options{}).newTenant("documented", "documented-token")
	})

	for _, name := range []string{"entra_create_user.http", "entra_create_group.http", "okta_create_user.http", "okta_create_group.http"} {
		It("accepts "+name, func() {
			r := readDocumentedRequest(name).send(t)
			Expect(r.status).To(Equal(http.StatusCreated), r.String())
			// A schema URN that brought no attributes is not echoed back
			// (RFC 7643 §3: schemas lists the schemas the resource has).
			Expect(r.body["schemas"]).NotTo(ContainElement(ContainSubstring("schemas.microsoft.com")))
		})
	}

	It("refuses a schema URN whose attributes it does not support (RFC 7644 §3.3)", func() {
		r := t.do("POST", "/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
			"displayName": "adscim with attributes",
			"http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group": {"description": "x"}}`)
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("invalidValue"))
		Expect(r.str("detail")).To(ContainSubstring("ADSCIM/2.0/Group"))

		r = t.do("POST", "/Users", `{"schemas": ["`+scim.UserSchemaURN+`", "urn:example:params:scim:schemas:extension:acme:2.0:User"],
			"userName": "acme-extension@example.com",
			"urn:example:params:scim:schemas:extension:acme:2.0:User:costCenter": "42"}`)
		Expect(r.status).To(Equal(http.StatusBadRequest), r.String())
		Expect(r.scimType()).To(Equal("invalidValue"))
	})
})
