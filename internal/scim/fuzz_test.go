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
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Fuzz targets for every parser of untrusted input. Without -fuzz they run
// their seed corpus as part of go test.

// seedFilters are the filters of the tests and fixtures.
var seedFilters = []string{
	`userName eq "bjensen"`,
	`name.familyName co "O'Malley"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
	`title pr`,
	`meta.lastModified gt "2011-05-13T04:42:34Z"`,
	`title pr and userType eq "Employee"`,
	`title pr or userType eq "Intern"`,
	`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
	`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
	`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
	`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
	`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
	`emails[type eq "work"].value eq "x@example.com"`,
	`not(emails[type eq "work"].value eq "x") and userName pr`,
	`members[value eq "a" or value eq "b" or value eq "c"]`,
	`displayName eq "a\"b" or displayName eq "caf\u00e9"`,
	`active eq true and x509Certificates.value eq "AA=="`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
	`emails[not (type eq "work")]`,
	`meta.created eq null or id ne "x" and externalId le "z"`,
	`emails[type eq "work"].value pr`,
	`(((userName eq "a")))`,
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range seedFilters {
		f.Add(s)
	}
	var idp []struct {
		Filter string `json:"filter"`
	}
	if err := json.Unmarshal(readFixture(f, "idp_filters.json"), &idp); err != nil {
		f.Fatal(err)
	}
	for _, c := range idp {
		f.Add(c.Filter)
	}
	for _, s := range hostileFilters(f) {
		f.Add(s)
	}
	user := fixture(f, "rfc7643_user_full.json")
	group := js(f, `{"id":"g","displayName":"a\"b","members":[{"value":"a"},{"value":"m2","display":"M"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 || se.ScimType != ScimTypeInvalidFilter {
				t.Fatalf("ParseFilter(%q): want invalidFilter, got %v", s, err)
			}
			return
		}
		for _, c := range []struct {
			rt  ResourceType
			res map[string]any
		}{{UserResourceType, user}, {GroupResourceType, group}, {UserResourceType, map[string]any{}}} {
			before := mustJSON(t, c.res)
			verr := flt.Validate(c.rt)
			if verr != nil {
				var se *Error
				if !errors.As(verr, &se) || se.ScimType != ScimTypeInvalidFilter {
					t.Fatalf("Validate(%q): want invalidFilter, got %v", s, verr)
				}
			}
			m := flt.Match(c.rt, c.res)
			if m != flt.Match(c.rt, c.res) {
				t.Fatalf("Match(%q) is not deterministic", s)
			}
			if mustJSON(t, c.res) != before {
				t.Fatalf("Match(%q) modified the resource", s)
			}
			if verr != nil && m {
				t.Fatalf("%q does not validate but matched", s)
			}
			if !m {
				continue
			}
			// Equalities are sound: a matching resource satisfies each.
			for _, eq := range flt.Equalities(c.rt) {
				check, err := ParseFilter(eq.Path + " eq " + mustJSON(t, eq.Value))
				if err != nil {
					t.Fatalf("equality %s = %q of %q does not parse: %v", eq.Path, eq.Value, s, err)
				}
				if !check.Match(c.rt, c.res) {
					t.Fatalf("%q matches but its equality %s eq %q does not", s, eq.Path, eq.Value)
				}
			}
		}
	})
}

// seedPatchBodies returns the PATCH fixtures and inline bodies.
func seedPatchBodies(f *testing.F) [][]byte {
	var out [][]byte
	names, err := filepath.Glob(filepath.Join("testdata", "*_patch_*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	for _, ops := range []string{
		`[{"op":"add","path":"emails","value":[{"value":"c@x","primary":true}]}]`,
		`[{"op":"replace","path":"addresses[type eq \"work\"].streetAddress","value":"1010 Broadway"}]`,
		`[{"op":"remove","path":"emails[type eq \"home\"]"},{"op":"add","path":"title","value":"t"}]`,
		`[{"op":"Add","path":"emails[type eq \"work\"].value","value":"w@x"}]`,
		`[{"op":"remove","path":"members[value eq \"a\" or value eq \"b\"]"},{"op":"add","path":"members","value":[{"value":"c"}]}]`,
		`[{"op":"replace","value":{"members":[{"value":"a"}],"displayName":"n","id":"g"}}]`,
		`[{"op":"remove","path":"members"}]`,
		// Nested groups: members of type Group (RFC 7643 §4.2), in any case,
		// a type that is neither, and a filter on type (refused as a path).
		`[{"op":"add","path":"members","value":[{"value":"g2","type":"Group"},{"value":"u1","type":"User","display":"U"}]}]`,
		`[{"op":"replace","path":"members","value":[{"value":"g2","type":"group","$ref":"../Groups/g2"}]}]`,
		`[{"op":"remove","path":"members[value eq \"g2\"]"},{"op":"Add","value":{"members":[{"value":"g3","type":"Group"}],"displayName":"n"}}]`,
		`[{"op":"add","path":"members","value":[{"value":"x","type":"Robot"}]}]`,
		`[{"op":"remove","path":"members[type eq \"Group\"]"}]`,
		`[{"op":"Remove","path":"urn:ietf:params:scim:schemas:core:2.0:Group:members","value":[{"value":"g2","type":"Group"}]}]`,
		`[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":null}]`,
		`[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]`,
		`[{"op":"replace","path":"name","value":{"givenName":null,"familyName":"F"}}]`,
		`[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"d"},"password":"p"}}]`,
		`[{"op":"replace","path":"id","value":"other"}]`,
	} {
		out = append(out, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`+ops+`}`))
	}
	return out
}

func fuzzResources(t testing.TB) []struct {
	rt  ResourceType
	res map[string]any
} {
	user := fixture(t, "rfc7643_user_full.json")
	user["password"] = "stored"
	group := js(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g","displayName":"G","members":[{"value":"a"},{"value":"b","display":"B"},{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e"},{"value":"g2","type":"Group","$ref":"../Groups/g2"}]}`)
	return []struct {
		rt  ResourceType
		res map[string]any
	}{{UserResourceType, user}, {GroupResourceType, group}, {UserResourceType, map[string]any{}}}
}

func FuzzPatch(f *testing.F) {
	for _, b := range append(seedPatchBodies(f), hostilePatchBodies(f)...) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParsePatch(body)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 {
				t.Fatalf("ParsePatch: want a 400 *Error, got %v", err)
			}
			return
		}
		checkApplyInvariants(t, req.Operations)
	})
}

// checkApplyInvariants applies ops to each fuzz resource and checks that
// ApplyPatch never modifies its inputs, fails with a 400 *Error and no
// result, never keeps a password, and is all-or-nothing: the batch gives what
// applying the operations one by one gives (RFC 7644 §3.5.2).
func checkApplyInvariants(t *testing.T, ops []PatchOperation) {
	opsBefore := mustJSON(t, ops)
	for _, c := range fuzzResources(t) {
		before := mustJSON(t, c.res)
		out, err := ApplyPatch(c.rt, c.res, ops)
		if mustJSON(t, c.res) != before {
			t.Fatal("ApplyPatch modified its input")
		}
		if mustJSON(t, ops) != opsBefore {
			t.Fatal("ApplyPatch modified the operations")
		}
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 || out != nil {
				t.Fatalf("ApplyPatch failed without a 400 *Error and nil result: %v, %v", err, out)
			}
		} else if _, _, has := lookupKey(out, "password"); has {
			t.Fatal("password kept")
		}
		// All or nothing (RFC 7644 §3.5.2): the batch gives what applying
		// the operations one by one gives, and fails exactly when one of
		// them fails.
		cur, seqErr := c.res, error(nil)
		for _, op := range ops {
			if cur, seqErr = ApplyPatch(c.rt, cur, []PatchOperation{op}); seqErr != nil {
				break
			}
		}
		if (err == nil) != (seqErr == nil) {
			t.Fatalf("batch error %v, one-by-one error %v", err, seqErr)
		}
		if err == nil && mustJSON(t, cur) != mustJSON(t, out) {
			t.Fatalf("batch result %s differs from one-by-one %s", mustJSON(t, out), mustJSON(t, cur))
		}
	}
}

// FuzzApplyPatchOps builds up to two operations from their parts, so the
// fuzzer explores paths, filters and values rather than JSON syntax.
func FuzzApplyPatchOps(f *testing.F) {
	f.Add("replace", `emails[type eq "work"].value`, `"x@y"`, "Add", "members", `[{"value":"c"}]`)
	f.Add("Remove", `members[value eq "a" or value eq "b"]`, ``, "replace", "", `{"displayName":"n","id":"g"}`)
	f.Add("add", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", `"m1"`, "replace", "", `{"name.givenName":"G","active":"False"}`)
	f.Add("replace", "addresses[type eq \"work\"]", `{"type":"work","primary":true}`, "remove", "emails[value ew \".org\"]", ``)
	f.Add("add", "emails", `[{"value":"a","primary":true},{"value":"b"}]`, "replace", "emails[value eq \"b\"].primary", `true`)
	f.Add("remove", "name.givenName", ``, "replace", "meta.version", `"v"`)
	f.Add("add", "members", `[{"value":"g2","type":"Group"}]`, "remove", `members[value eq "g2"]`, ``)
	f.Add("replace", "members", `[{"value":"g2","type":"GROUP"},{"value":"u1","type":"User"}]`, "add", "", `{"members":[{"value":"g3","type":"Group"}]}`)
	// Member ids that are not ours: path tricks, encoded slashes, control characters.
	f.Add("add", "members", `[{"value":".."},{"value":"a/b"},{"value":"%2F..%2Fx"}]`, "remove", `members[value eq "\u0000"]`, ``)
	f.Add("remove", `members[value eq ".."]`, ``, "add", "members", `[{"value":"a\nb"},{"value":"`+strings.Repeat("a", 254)+`"}]`)
	f.Fuzz(func(t *testing.T, op1, path1, value1, op2, path2, value2 string) {
		var ops []PatchOperation
		for _, p := range [][3]string{{op1, path1, value1}, {op2, path2, value2}} {
			op := PatchOperation{Op: p[0], Path: p[1]}
			if p[2] != "" {
				if err := decodeStrict([]byte(p[2]), &op.Value); err != nil {
					return
				}
			}
			ops = append(ops, op)
		}
		checkApplyInvariants(t, ops)
		if _, _, err := SplitMemberOps(ops); err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 {
				t.Fatalf("SplitMemberOps: want a 400 *Error, got %v", err)
			}
		}
	})
}

func memberSet(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// checkMemberTypes fails unless every type a delta records is canonical.
func checkMemberTypes(t *testing.T, delta MemberDelta) {
	t.Helper()
	for id, typ := range delta.Types {
		if typ != UserResourceTypeName && typ != GroupResourceTypeName {
			t.Fatalf("member %q has type %q, neither User nor Group: %+v", id, typ, delta)
		}
	}
}

func FuzzSplitMemberOps(f *testing.F) {
	for _, b := range seedPatchBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParsePatch(body)
		if err != nil {
			return
		}
		opsBefore := mustJSON(t, req.Operations)
		rest, delta, err := SplitMemberOps(req.Operations)
		if mustJSON(t, req.Operations) != opsBefore {
			t.Fatal("SplitMemberOps modified the operations")
		}
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 {
				t.Fatalf("want a 400 *Error, got %v", err)
			}
			return
		}
		// The delta is in one of its three shapes.
		switch {
		case delta.ReplaceSet:
			if delta.Replace == nil || delta.RemoveAll || len(delta.Add) > 0 || len(delta.Remove) > 0 {
				t.Fatalf("bad replace delta %+v", delta)
			}
		case delta.RemoveAll:
			if delta.Replace != nil || len(delta.Add) > 0 || len(delta.Remove) > 0 {
				t.Fatalf("bad remove-all delta %+v", delta)
			}
		default:
			if delta.Replace != nil {
				t.Fatalf("Replace set without ReplaceSet: %+v", delta)
			}
			for _, id := range delta.Add {
				if slices.Contains(delta.Remove, id) {
					t.Fatalf("%q both added and removed: %+v", id, delta)
				}
			}
		}
		for _, list := range [][]string{delta.Add, delta.Remove, delta.Replace} {
			if len(memberSet(list)) != len(list) {
				t.Fatalf("duplicate ids in %+v", delta)
			}
		}
		checkMemberTypes(t, delta)
		for _, op := range rest {
			if p := strings.ToLower(op.Path); strings.HasPrefix(p, "members") || strings.HasSuffix(p, ":members") {
				t.Fatalf("member operation left in rest: %+v", op)
			}
		}
		// Where ApplyPatch can apply the same operations to the whole group,
		// the delta gives the same members and rest the same other attributes.
		group := fuzzResources(t)[1].res
		full, err := ApplyPatch(GroupResourceType, group, req.Operations)
		if err != nil {
			return
		}
		if got, want := memberSet(delta.Apply(memberIDsOf(group))), memberSet(memberIDsOf(full)); !slices.Equal(got, want) {
			t.Fatalf("delta gives members %v, ApplyPatch %v", got, want)
		}
		withoutMembers := copyMap(group)
		delete(withoutMembers, "members")
		split, err := ApplyPatch(GroupResourceType, withoutMembers, rest)
		if err != nil {
			t.Fatalf("rest fails alone: %v", err)
		}
		delete(full, "members")
		if mustJSON(t, split) != mustJSON(t, full) {
			t.Fatalf("rest gives %s, ApplyPatch %s", mustJSON(t, split), mustJSON(t, full))
		}
	})
}

func FuzzParseSearchRequest(f *testing.F) {
	for _, b := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"attributes":["displayName","userName"],"filter":"displayName sw \"smith\"","startIndex":1,"count":10}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"excludedAttributes":["members"],"sortBy":"emails","sortOrder":"descending","startIndex":-5,"count":-1}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"attributes":"name.givenName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","startIndex":1e30}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"emails[type eq \"work\"].value eq \"x\"","sortBy":"meta.created"}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"count":0}`,
	} {
		f.Add([]byte(b))
	}
	user := fixture(f, "rfc7643_user_full.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := ParseSearchRequest(body)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 {
				t.Fatalf("want a 400 *Error, got %v", err)
			}
			return
		}
		if q.StartIndex < 1 || (q.Count != nil && *q.Count < 0) {
			t.Fatalf("not normalised: %+v", q)
		}
		for _, total := range []int{0, 1, 7, 1000} {
			for _, maxCount := range []int{0, 5} {
				lo, hi := q.Page(total, maxCount)
				if lo < 0 || lo > hi || hi > total || (maxCount > 0 && hi-lo > maxCount) || (q.Count != nil && hi-lo > *q.Count) {
					t.Fatalf("Page(%d, %d) = [%d, %d) for %+v", total, maxCount, lo, hi, q)
				}
			}
		}
		for _, rt := range []ResourceType{UserResourceType, GroupResourceType} {
			_ = q.Validate(rt)
			before := mustJSON(t, user)
			if s, err := q.AttributeSet(rt); err == nil {
				checkApplyInPlace(t, s, user)
				out := s.Apply(user)
				if _, has := out["password"]; has {
					t.Fatal("projection returned a password")
				}
				if _, has := out["id"]; !has {
					t.Fatal("projection dropped id, which is returned always")
				}
			}
			if s, err := q.Sorter(rt); err == nil {
				list := []map[string]any{user, {}, {"userName": "x"}}
				s.Sort(list)
				if c := s.Compare(user, user); c != 0 {
					t.Fatalf("Compare(x, x) = %d", c)
				}
			}
			if mustJSON(t, user) != before {
				t.Fatal("the query modified a resource")
			}
		}
	})
}

func FuzzParseQueryParams(f *testing.F) {
	f.Add(`userName eq "a"`, "userName,emails", "members", "userName", "descending", "1", "100")
	f.Add(``, ``, ``, ``, ``, `-1`, `-1`)
	f.Add(`emails[type eq "work"].value eq "x"`, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "", "name.familyName", "ascending", "99999999999999999999", "0")
	f.Add(``, "emails.value,name.givenName,members.display", "", "", "", "", "")
	f.Add(``, "", "emails.type,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName,members", "", "", "", "")
	user := fixture(f, "rfc7643_user_full.json")
	user["password"] = "t1meMa$heen"
	group := fixture(f, "okta_create_group.json")
	group["members"] = []any{map[string]any{"value": "1", "display": "one", "type": "User"}}
	group["id"] = "g"
	group["password"] = "not in a Group's schema"
	f.Fuzz(func(t *testing.T, filter, attrs, excluded, sortBy, sortOrder, startIndex, count string) {
		q, err := ParseQueryParams(map[string][]string{
			"filter": {filter}, "attributes": {attrs}, "excludedAttributes": {excluded},
			"sortBy": {sortBy}, "sortOrder": {sortOrder}, "startIndex": {startIndex}, "count": {count},
		})
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 {
				t.Fatalf("want a 400 *Error, got %v", err)
			}
			return
		}
		if q.StartIndex < 1 || (q.Count != nil && *q.Count < 0) {
			t.Fatalf("not normalised: %+v", q)
		}
		_ = q.Validate(UserResourceType)
		_ = q.Validate(GroupResourceType)
		for _, c := range []struct {
			rt  ResourceType
			res map[string]any
		}{{UserResourceType, user}, {GroupResourceType, group}} {
			if s, err := q.AttributeSet(c.rt); err == nil {
				checkApplyInPlace(t, s, c.res)
			}
		}
	})
}

// FuzzSimpleAttrPath holds the parser-free split of "name" and "name.sub"
// to the filter parser's attrPath rule: whatever it accepts, the parser
// accepts as the same name and sub-attribute, with no URI. (It may leave to
// the parser a path the parser would take, never the reverse.)
func FuzzSimpleAttrPath(f *testing.F) {
	for _, s := range []string{"groups", "userName", "name.givenName", "emails.value", "x509Certificates.value",
		"a-b_c", "a.b.c", "1a", "$ref", "members.$ref", "urn:x:y", "name.", ".name", "", "é", "a b", "a-", "_a", "A9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		name, sub, ok := simpleAttrPath(path)
		if !ok {
			return
		}
		ap, err := parseAttrPath(path)
		if err != nil {
			t.Fatalf("%q: split as %q.%q, but the parser refuses it: %v", path, name, sub, err)
		}
		if ap.URI() != "" || ap.AttributeName != name || ap.SubAttributeName() != sub {
			t.Fatalf("%q: split as %q.%q, the parser reads URI %q, %q.%q", path, name, sub, ap.URI(), ap.AttributeName, ap.SubAttributeName())
		}
	})
}

// FuzzFilterFastPaths holds the filters read without the parser (one
// comparison of a plain attribute path with a string, and one value path,
// Entra's emails[type eq "work"].value eq "x" among them) to the parser:
// with and without the fast paths, every filter gives the same tree, or the
// same error.
func FuzzFilterFastPaths(f *testing.F) {
	for _, s := range seedFilters {
		f.Add(s)
	}
	for _, s := range []string{
		`userName eq "bjensen@example.com"`, `externalId eq "00u1"`, `displayName eq "Admins"`, `id eq "x"`,
		`emails[type eq "work"].value eq "a@example.com"`, `emails[type eq "work" and value eq "a"]`,
		`emails[value eq "a"]`, `name.givenName sw "B"`, `userName EQ "x"`, `userName eq  "x"`, ` userName eq "x"`,
		`userName eq "x" `, `userName eq x`, `userName eq "1"`, `members[value eq "a"].display eq "b"`,
		`emails[type eq "work"].value pr`, `emails[type eq "work"]`, `emails[type.sub eq "work"]`,
		`and eq "x"`, `not eq "x"`, `pr eq "x"`, `true eq "x"`, `null eq "x"`, `or eq "x"`, `eq eq "x"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`, `userName.x.y eq "x"`, `userName ne ""`,
		`emails[type eq "work"].value eq "a" or userName eq "b"`, `emails [type eq "work"].value eq "a"`,
		`scimvaluepathplaceholder0 pr`, `x[a eq "1"].b eq "2"`, `x-y_z gt "0"`, `$ref eq "x"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slow, slowErr := parseFilterExpr(s, false)
		fast, fastErr := parseFilterExpr(s, true)
		if (slowErr == nil) != (fastErr == nil) || slowErr != nil && slowErr.Error() != fastErr.Error() {
			t.Fatalf("%q: the parser's error %v, with the fast paths %v", s, slowErr, fastErr)
		}
		if !reflect.DeepEqual(slow, fast) {
			t.Fatalf("%q: the parser reads %s, the fast paths %s", s, dumpExpr(slow), dumpExpr(fast))
		}
	})
}

// dumpExpr writes a filter tree for a failure message.
func dumpExpr(e expr) string {
	switch x := e.(type) {
	case *logicalExpr:
		op := "or"
		if x.and {
			op = "and"
		}
		return "(" + dumpExpr(x.left) + " " + op + " " + dumpExpr(x.right) + ")"
	case *notExpr:
		return "not(" + dumpExpr(x.x) + ")"
	case *compareExpr:
		return fmt.Sprintf("%#v %s %#v", x.path, x.op, x.value)
	case *valuePathExpr:
		return fmt.Sprintf("%#v[%s]", x.path, dumpExpr(x.filter))
	}
	return fmt.Sprintf("%#v", e)
}
