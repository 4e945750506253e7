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
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
)

// userGen makes random Users from the schemas: every attribute a client
// may write (RFC 7643 §7: not readOnly, not returned "never"), each present
// or not, booleans true or false, multi-valued attributes with one to three
// values whose "primary" is true, false or absent (at most one true,
// RFC 7643 §2.4).
type userGen struct {
	rnd *rand.Rand
	n   int
}

var genRunes = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.éßø日本")

func (g *userGen) str(path string) string {
	r := make([]rune, 1+g.rnd.Intn(12))
	for i := range r {
		r[i] = genRunes[g.rnd.Intn(len(genRunes))]
	}
	return path + "-" + string(r)
}

func writable(a *scim.Attribute) bool {
	return a.EffectiveMutability() != scim.MutabilityReadOnly && a.EffectiveReturned() != scim.ReturnedNever
}

func (g *userGen) single(a *scim.Attribute, path string) any {
	switch a.Type {
	case scim.TypeBoolean:
		return g.rnd.Intn(2) == 0
	case scim.TypeBinary:
		return base64.StdEncoding.EncodeToString([]byte(g.str(path)))
	case scim.TypeComplex:
		m := map[string]any{}
		for i := range a.SubAttributes {
			sub := &a.SubAttributes[i]
			if !writable(sub) || sub.Name == "primary" || sub.Name == "$ref" {
				continue
			}
			if sub.Name == "value" || g.rnd.Intn(2) == 0 {
				m[sub.Name] = g.single(sub, path+"."+sub.Name)
			}
		}
		if len(m) == 0 {
			// An empty complex value is unassigned (RFC 7643 §2.5).
			sub := &a.SubAttributes[0]
			m[sub.Name] = g.single(sub, path+"."+sub.Name)
		}
		return m
	default:
		return g.str(path)
	}
}

func (g *userGen) value(a *scim.Attribute, path string) any {
	if !a.MultiValued {
		return g.single(a, path)
	}
	n := 1 + g.rnd.Intn(3)
	primary := g.rnd.Intn(n + 1) // n: none is primary
	list := make([]any, n)
	for i := range list {
		v := g.single(a, fmt.Sprintf("%s%d", path, i))
		if m, ok := v.(map[string]any); ok && a.SubAttribute("primary") != nil {
			switch {
			case i == primary:
				m["primary"] = true
			case g.rnd.Intn(2) == 0:
				m["primary"] = false
			}
		}
		list[i] = v
	}
	return list
}

// attributes returns a random set of writable attributes of the User and
// enterprise schemas (userName always, so the body is a valid User).
func (g *userGen) attributes() map[string]any {
	g.n++
	out := map[string]any{}
	for i := range scim.UserSchema.Attributes {
		a := &scim.UserSchema.Attributes[i]
		if writable(a) && g.rnd.Intn(3) > 0 {
			out[a.Name] = g.value(a, a.Name)
		}
	}
	out["userName"] = fmt.Sprintf("gen-%d-%s@example.com", g.n, g.str("u"))
	ext := map[string]any{}
	for i := range scim.EnterpriseUserSchema.Attributes {
		a := &scim.EnterpriseUserSchema.Attributes[i]
		if writable(a) && g.rnd.Intn(2) == 0 {
			ext[a.Name] = g.value(a, a.Name)
		}
	}
	if len(ext) > 0 {
		out[scim.EnterpriseUserSchemaURN] = ext
	}
	return out
}

func userBody(attrs map[string]any) map[string]any {
	body := map[string]any{"schemas": []string{scim.UserSchemaURN, scim.EnterpriseUserSchemaURN}}
	maps.Copy(body, attrs)
	return body
}

// jsonValue is v as encoding/json decodes it, for comparison.
func jsonValue(v any) any {
	GinkgoHelper()
	data, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	var out any
	Expect(json.Unmarshal(data, &out)).To(Succeed())
	return out
}

// expectReturnedAsWritten checks that every attribute written comes back
// with the value written; the manager's $ref, which the server derives from
// its value (RFC 7643 §4.3), is left out of the comparison.
func expectReturnedAsWritten(got map[string]any, written map[string]any) {
	GinkgoHelper()
	got = jsonValue(got).(map[string]any)
	if ext, ok := got[scim.EnterpriseUserSchemaURN].(map[string]any); ok {
		if m, ok := ext["manager"].(map[string]any); ok {
			delete(m, "$ref")
		}
	}
	for k, want := range jsonValue(written).(map[string]any) {
		gotJSON, _ := json.Marshal(got[k])
		wantJSON, _ := json.Marshal(want)
		Expect(string(gotJSON)).To(Equal(string(wantJSON)), "attribute %s", k)
	}
}

var _ = Describe("values are returned as they were written (RFC 7643 §2.4, RFC 7644 §3.3, §3.5)", func() {
	It("round-trips generated users through POST, PUT and PATCH", func() {
		t := startServer(cfg, server.Options{}).newTenant("fidelity", "fidelity-token")
		g := &userGen{rnd: rand.New(rand.NewSource(7643))}
		for range 25 {
			attrs := g.attributes()
			r := t.do("POST", "/Users", userBody(attrs))
			Expect(r.status).To(Equal(http.StatusCreated), r.String())
			id := r.str("id")
			expectReturnedAsWritten(r.body, attrs)
			expectReturnedAsWritten(t.do("GET", "/Users/"+id, nil).body, attrs)

			attrs = g.attributes()
			r = t.do("PUT", "/Users/"+id, userBody(attrs))
			Expect(r.status).To(Equal(http.StatusOK), r.String())
			expectReturnedAsWritten(t.do("GET", "/Users/"+id, nil).body, attrs)

			patch := g.attributes()
			delete(patch, "userName")
			r = t.do("PATCH", "/Users/"+id, map[string]any{
				"schemas":    []string{scim.PatchOpURN},
				"Operations": []any{map[string]any{"op": "replace", "value": patch}},
			})
			Expect(r.status).To(Equal(http.StatusOK), r.String())
			expectReturnedAsWritten(t.do("GET", "/Users/"+id, nil).body, replaced(attrs, patch))
		}
	})
})

// replaced is what a path-less replace of patch makes of attrs (RFC 7644
// §3.5.2.3): a complex attribute's sub-attributes in patch replace its own,
// the others stay; any other attribute is replaced whole. Only the keys of
// patch are returned.
func replaced(attrs, patch map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range patch {
		old, okOld := attrs[k].(map[string]any)
		sub, okNew := v.(map[string]any)
		if okOld && okNew {
			merged := map[string]any{}
			maps.Copy(merged, old)
			maps.Copy(merged, replaced(old, sub))
			out[k] = merged
			continue
		}
		out[k] = v
	}
	return out
}

var _ = Describe("PATCH of a whole extension (RFC 7644 §3.5.2)", func() {
	It("adds, replaces and removes the enterprise extension by its URN", func() {
		id := endpoint.createUser("whole-extension@example.com")
		ent := scim.EnterpriseUserSchemaURN
		patch := func(ops string) response {
			GinkgoHelper()
			r := endpoint.do("PATCH", "/Users/"+id, `{`+patchSchema+`, "Operations": `+ops+`}`)
			Expect(r.status).To(Equal(http.StatusOK), r.String())
			return endpoint.do("GET", "/Users/"+id, nil)
		}
		r := patch(`[{"op": "add", "path": "` + ent + `", "value": {"department": "Tour", "costCenter": "4130"}}]`)
		Expect(r.body[ent]).To(Equal(map[string]any{"department": "Tour", "costCenter": "4130"}))
		Expect(r.body["schemas"]).To(ContainElement(ent))

		r = patch(`[{"op": "replace", "path": "` + ent + `", "value": {"department": "Sales"}}]`)
		Expect(r.body[ent]).To(Equal(map[string]any{"department": "Sales", "costCenter": "4130"}))

		r = patch(`[{"op": "remove", "path": "` + ent + `"}]`)
		Expect(r.body).NotTo(HaveKey(ent))
		Expect(r.body["schemas"]).NotTo(ContainElement(ent))
	})
})

var _ = Describe("remove of active (RFC 7644 §3.5.2.2)", func() {
	It("removes it: a GET no longer shows it", func() {
		id := endpoint.createUser("remove-active@example.com")
		r := endpoint.do("PATCH", "/Users/"+id, `{`+patchSchema+`, "Operations": [{"op": "remove", "path": "active"}]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body).NotTo(HaveKey("active"))
		Expect(endpoint.do("GET", "/Users/"+id, nil).body).NotTo(HaveKey("active"))

		// Written again, it is back as written.
		r = endpoint.do("PATCH", "/Users/"+id, `{`+patchSchema+`, "Operations": [{"op": "add", "path": "active", "value": false}]}`)
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(endpoint.do("GET", "/Users/"+id, nil).body).To(HaveKeyWithValue("active", false))
	})
})

// userName and displayName are unique without regard to case (RFC 7643
// §4.1.1, caseExact false) and to Unicode normalisation: a precomposed and
// a decomposed "é" (UAX #15 canonical equivalents) are the same name. The
// value stays as the IdP sent it.
var _ = Describe("uniqueness after Unicode normalisation", func() {
	It("refuses a userName that differs only in the form of its é", func() {
		precomposed, decomposed := "ren\u00e9.nfc@example.com", "rene\u0301.nfc@example.com"
		id := endpoint.createUser(decomposed)
		r := endpoint.do("POST", "/Users", map[string]any{"schemas": []string{scim.UserSchemaURN}, "userName": precomposed})
		Expect(r.status).To(Equal(http.StatusConflict), r.String())
		Expect(r.scimType()).To(Equal("uniqueness"))
		Expect(endpoint.do("GET", "/Users/"+id, nil).body["userName"]).To(Equal(decomposed))

		r = endpoint.do("GET", "/Users"+filterQuery(`userName eq "`+strings.ToUpper(precomposed)+`"`), nil)
		Expect(r.body["totalResults"]).To(BeEquivalentTo(1), r.String())
	})

	It("refuses a group displayName that differs only in the form of its é", func() {
		r := endpoint.do("POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchemaURN}, "displayName": "Caf\u00e9 NFC"})
		Expect(r.status).To(Equal(http.StatusCreated), r.String())
		r = endpoint.do("POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchemaURN}, "displayName": "cafe\u0301 nfc"})
		Expect(r.status).To(Equal(http.StatusConflict), r.String())
		Expect(r.scimType()).To(Equal("uniqueness"))
	})
})
