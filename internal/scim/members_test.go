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
	"slices"
	"testing"
)

func TestSplitMemberOpsFixtures(t *testing.T) {
	tests := []struct {
		name     string
		fixture  string
		want     MemberDelta
		restLen  int
		restPath string
	}{
		{"Okta remove by filter then add", "okta_patch_group_members.json",
			MemberDelta{Add: []string{"23a35c27-23d3-4c03-b4c5-6443c09e7173"}, Remove: []string{"89bb1940-b905-4575-9e7f-6f887cfb368e"}}, 0, ""},
		{"Okta full push replaces the member set", "okta_patch_group_replace_members.json",
			MemberDelta{ReplaceSet: true, Replace: []string{"23a35c27-23d3-4c03-b4c5-6443c09e7173", "89bb1940-b905-4575-9e7f-6f887cfb368e"}}, 0, ""},
		{"Okta rename has no member operation", "okta_patch_group_rename.json",
			MemberDelta{}, 1, ""},
		{"Entra Add members", "entra_patch_group_add_members.json",
			MemberDelta{Add: []string{"f648f8d5ea4e4cd38e9c"}}, 0, ""},
		{"Entra Remove members with a value array removes only those", "entra_patch_group_remove_members.json",
			MemberDelta{Remove: []string{"f648f8d5ea4e4cd38e9c"}}, 0, ""},
		{"Entra Remove member without the flag", "entra_patch_group_remove_member_noflag.json",
			MemberDelta{Remove: []string{"u1091"}}, 0, ""},
		{"Entra remove member with the flag (filter)", "entra_patch_group_remove_member_flag.json",
			MemberDelta{Remove: []string{"7f4bc1a3-285e-48ae-8202-5accb43efb0e"}}, 0, ""},
		{"Entra rename has no member operation", "entra_patch_group_displayname.json",
			MemberDelta{}, 1, "displayName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := patchFixture(t, tt.fixture)
			rest, delta, err := SplitMemberOps(ops)
			if err != nil {
				t.Fatal(err)
			}
			eqJSON(t, delta, tt.want)
			if len(rest) != tt.restLen || (tt.restPath != "" && rest[0].Path != tt.restPath) {
				t.Fatalf("rest = %+v", rest)
			}
			if tt.want.IsZero() != delta.IsZero() {
				t.Fatalf("IsZero = %v", delta.IsZero())
			}
		})
	}
}

func TestSplitMemberOps(t *testing.T) {
	tests := []struct {
		name string
		ops  []PatchOperation
		want MemberDelta
		rest []PatchOperation
	}{
		{"RFC 7644 §3.5.2.2 remove members without value removes all",
			[]PatchOperation{{Op: "remove", Path: "members"}},
			MemberDelta{RemoveAll: true}, nil},
		{"RFC 7644 §3.5.2.2 remove with an or-filter of several ids",
			[]PatchOperation{{Op: "remove", Path: `members[value eq "a" or value eq "b" or value eq "c"]`}},
			MemberDelta{Remove: []string{"a", "b", "c"}}, nil},
		{"RFC 7644 §3.10 URN-prefixed members path",
			[]PatchOperation{{Op: "add", Path: "urn:ietf:params:scim:schemas:core:2.0:Group:members", Value: []any{map[string]any{"value": "a"}}}},
			MemberDelta{Add: []string{"a"}}, nil},
		{"RFC 7643 §2.1 members in another case",
			[]PatchOperation{{Op: "Add", Path: "Members", Value: []any{map[string]any{"Value": "a"}}}},
			MemberDelta{Add: []string{"a"}}, nil},
		{"RFC 7644 §3.5.2.3 replace members with an empty list",
			[]PatchOperation{{Op: "replace", Path: "members", Value: []any{}}},
			MemberDelta{ReplaceSet: true, Replace: []string{}}, nil},
		{"RFC 7643 §2.5 replace members with null removes all",
			[]PatchOperation{{Op: "replace", Path: "members"}},
			MemberDelta{RemoveAll: true}, nil},
		{"RFC 7644 §3.5.2.3 path-less replace with members and displayName",
			[]PatchOperation{{Op: "replace", Value: map[string]any{"displayName": "new", "members": []any{map[string]any{"value": "a"}}}}},
			MemberDelta{ReplaceSet: true, Replace: []string{"a"}},
			[]PatchOperation{{Op: "replace", Value: map[string]any{"displayName": "new"}}}},
		{"RFC 7644 §3.5.2.1 path-less add with only members",
			[]PatchOperation{{Op: "add", Value: map[string]any{"members": []any{map[string]any{"value": "a"}, map[string]any{"value": "b"}}}}},
			MemberDelta{Add: []string{"a", "b"}}, nil},
		{"RFC 7644 §3.5.2 other operations keep their order",
			[]PatchOperation{{Op: "replace", Path: "displayName", Value: "x"}, {Op: "add", Path: "members", Value: []any{map[string]any{"value": "a"}}}, {Op: "add", Path: "externalId", Value: "e"}},
			MemberDelta{Add: []string{"a"}},
			[]PatchOperation{{Op: "replace", Path: "displayName", Value: "x"}, {Op: "add", Path: "externalId", Value: "e"}}},
		// Order-correct folding (RFC 7644 §3.5.2: operations apply in order).
		{"RFC 7644 §3.5.2 add then remove the same id",
			[]PatchOperation{{Op: "add", Path: "members", Value: []any{map[string]any{"value": "a"}}}, {Op: "remove", Path: `members[value eq "a"]`}},
			MemberDelta{Remove: []string{"a"}}, nil},
		{"RFC 7644 §3.5.2 remove then add the same id",
			[]PatchOperation{{Op: "remove", Path: `members[value eq "a"]`}, {Op: "add", Path: "members", Value: []any{map[string]any{"value": "a"}}}},
			MemberDelta{Add: []string{"a"}}, nil},
		{"RFC 7644 §3.5.2 replace, then add and remove",
			[]PatchOperation{{Op: "replace", Path: "members", Value: []any{map[string]any{"value": "a"}, map[string]any{"value": "b"}}}, {Op: "add", Path: "members", Value: []any{map[string]any{"value": "c"}}}, {Op: "remove", Path: `members[value eq "a"]`}},
			MemberDelta{ReplaceSet: true, Replace: []string{"b", "c"}}, nil},
		{"RFC 7644 §3.5.2 remove all, then add",
			[]PatchOperation{{Op: "remove", Path: "members"}, {Op: "add", Path: "members", Value: []any{map[string]any{"value": "x"}}}},
			MemberDelta{ReplaceSet: true, Replace: []string{"x"}}, nil},
		{"RFC 7644 §3.5.2 add, then remove all",
			[]PatchOperation{{Op: "add", Path: "members", Value: []any{map[string]any{"value": "x"}}}, {Op: "remove", Path: "members"}},
			MemberDelta{RemoveAll: true}, nil},
		{"RFC 7644 §3.5.2 replace, then remove all",
			[]PatchOperation{{Op: "replace", Path: "members", Value: []any{map[string]any{"value": "x"}}}, {Op: "remove", Path: "members"}},
			MemberDelta{ReplaceSet: true, Replace: []string{}}, nil},
		{"RFC 7644 §3.5.2.1 duplicate ids are listed once",
			[]PatchOperation{{Op: "add", Path: "members", Value: []any{map[string]any{"value": "a"}, map[string]any{"value": "a"}}}, {Op: "add", Path: "members", Value: []any{map[string]any{"value": "a"}}}},
			MemberDelta{Add: []string{"a"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rest, delta, err := SplitMemberOps(tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			eqJSON(t, delta, tt.want)
			if len(rest) != len(tt.rest) || (len(rest) > 0 && !sameJSON(t, rest, tt.rest)) {
				t.Fatalf("rest = %s, want %s", mustJSON(t, rest), mustJSON(t, tt.rest))
			}
		})
	}
}

func TestSplitMemberOpsErrors(t *testing.T) {
	tests := []struct {
		name     string
		ops      []PatchOperation
		scimType string
	}{
		{"RFC 7644 §3.5.2.2 member filter on another sub-attribute", []PatchOperation{{Op: "remove", Path: `members[type eq "User"]`}}, ScimTypeInvalidPath},
		{"RFC 7644 §3.5.2.2 member filter with and", []PatchOperation{{Op: "remove", Path: `members[value eq "a" and type eq "User"]`}}, ScimTypeInvalidPath},
		{"RFC 7644 §3.5.2.2 member filter with co", []PatchOperation{{Op: "remove", Path: `members[value co "a"]`}}, ScimTypeInvalidPath},
		{"RFC 7643 §4.2 member sub-attributes are immutable", []PatchOperation{{Op: "replace", Path: `members[value eq "a"].display`, Value: "x"}}, ScimTypeMutability},
		{"RFC 7643 §4.2 replace a filtered member", []PatchOperation{{Op: "replace", Path: `members[value eq "a"]`, Value: map[string]any{"value": "b"}}}, ScimTypeMutability},
		{"RFC 7644 §3.5.2.2 remove a sub-attribute of every member", []PatchOperation{{Op: "remove", Path: "members.display"}}, ScimTypeInvalidPath},
		{"RFC 7643 §2.4 members value not an array", []PatchOperation{{Op: "add", Path: "members", Value: map[string]any{"value": "a"}}}, ScimTypeInvalidValue},
		{"RFC 7643 §4.2 member without value", []PatchOperation{{Op: "add", Path: "members", Value: []any{map[string]any{"display": "a"}}}}, ScimTypeInvalidValue},
		{"RFC 7643 §4.2 member value not a string", []PatchOperation{{Op: "add", Path: "members", Value: []any{map[string]any{"value": 5}}}}, ScimTypeInvalidValue},
		{"RFC 7644 §3.5.2.1 add members without value", []PatchOperation{{Op: "add", Path: "members"}}, ScimTypeInvalidValue},
		{"RFC 7644 §3.5.2 unknown op", []PatchOperation{{Op: "merge", Path: "members"}}, ScimTypeInvalidSyntax},
		{"RFC 7644 §3.5.2 path-less add needs an object", []PatchOperation{{Op: "add", Value: "x"}}, ScimTypeInvalidValue},
		{"RFC 7644 §3.5.2 malformed path", []PatchOperation{{Op: "remove", Path: "members["}}, ScimTypeInvalidPath},
		{"RFC 7644 §3.5.2 unknown attribute", []PatchOperation{{Op: "remove", Path: "owners"}}, ScimTypeInvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := SplitMemberOps(tt.ops)
			wantError(t, err, tt.scimType)
		})
	}
}

func TestMemberDeltaApply(t *testing.T) {
	cur := []string{"a", "b", "c"}
	tests := []struct {
		name  string
		delta MemberDelta
		want  []string
	}{
		{"no change", MemberDelta{}, []string{"a", "b", "c"}},
		{"add and remove", MemberDelta{Add: []string{"d", "a"}, Remove: []string{"b"}}, []string{"a", "c", "d"}},
		{"remove all", MemberDelta{RemoveAll: true}, []string{}},
		{"replace", MemberDelta{ReplaceSet: true, Replace: []string{"x"}}, []string{"x"}},
		{"replace with nothing", MemberDelta{ReplaceSet: true, Replace: []string{}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.delta.Apply(cur)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Apply = %v, want %v", got, tt.want)
			}
		})
	}
	if !slices.Equal(cur, []string{"a", "b", "c"}) {
		t.Fatal("Apply modified its input")
	}
}

// memberIDsOf lists the member ids of a group resource.
func memberIDsOf(g map[string]any) []string {
	var out []string
	for _, m := range asList(g["members"]) {
		if mm, ok := m.(map[string]any); ok {
			if id, ok := mm["value"].(string); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

// TestSplitMemberOpsAgreesWithApplyPatch: applying the delta to the member
// list gives the members ApplyPatch computes on the full group.
func TestSplitMemberOpsAgreesWithApplyPatch(t *testing.T) {
	fixtures := []string{
		"okta_patch_group_members.json", "okta_patch_group_replace_members.json", "okta_patch_group_rename.json",
		"entra_patch_group_add_members.json", "entra_patch_group_remove_members.json", "entra_patch_group_displayname.json",
	}
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			group := oktaGroup(t)
			group["members"] = append(group["members"].([]any), map[string]any{"value": "f648f8d5ea4e4cd38e9c"})
			ops := patchFixture(t, name)
			full, err := ApplyPatch(GroupResourceType, group, ops)
			if err != nil {
				t.Fatal(err)
			}
			rest, delta, err := SplitMemberOps(ops)
			if err != nil {
				t.Fatal(err)
			}
			withoutMembers := copyMap(group)
			delete(withoutMembers, "members")
			split, err := ApplyPatch(GroupResourceType, withoutMembers, rest)
			if err != nil {
				t.Fatal(err)
			}
			got := delta.Apply(memberIDsOf(group))
			want := memberIDsOf(full)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("delta gives %v, ApplyPatch gives %v", got, want)
			}
			delete(full, "members")
			eqJSON(t, split, full)
		})
	}
}
