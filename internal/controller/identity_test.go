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

package controller

import (
	"strings"
	"testing"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

func TestEmailKey(t *testing.T) {
	work := v1.ScimMultiValue{Value: "Work@Example.com", Type: "work"}
	home := v1.ScimMultiValue{Value: "home@example.org", Type: "home"}
	primary := v1.ScimMultiValue{Value: "Primary@Example.com", Type: "other", Primary: new(true)}
	cases := []struct {
		name    string
		spec    v1.ScimUserSpec
		want    string
		refused string // part of the reason when want is ""
	}{
		{"the primary email wins over the work email", v1.ScimUserSpec{UserName: "u@x.io", Emails: []v1.ScimMultiValue{work, primary}}, "primary@example.com", ""},
		{"without a primary, the work email", v1.ScimUserSpec{UserName: "u@x.io", Emails: []v1.ScimMultiValue{home, work}}, "work@example.com", ""},
		{"without primary or work, a userName that is an email", v1.ScimUserSpec{UserName: "Jane.Doe@Example.com", Emails: []v1.ScimMultiValue{home}}, "jane.doe@example.com", ""},
		{"a userName that is no email gives NoEmail", v1.ScimUserSpec{UserName: "jdoe", Emails: []v1.ScimMultiValue{home}}, "", "no primary or work email"},
		{"no emails and a plain userName gives NoEmail", v1.ScimUserSpec{UserName: "jdoe"}, "", "no primary or work email"},
		{"an invalid primary email is refused, not skipped", v1.ScimUserSpec{UserName: "u@x.io", Emails: []v1.ScimMultiValue{{Value: "not an email", Primary: new(true)}}}, "", "primary email"},
		{"a display-name address is not a bare email", v1.ScimUserSpec{UserName: "Jane <jane@x.io>"}, "", "no primary or work email"},
		{"the work type is matched case-insensitively", v1.ScimUserSpec{UserName: "u", Emails: []v1.ScimMultiValue{{Value: "w@x.io", Type: "Work"}}}, "w@x.io", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why := emailKey(c.spec)
			if got != c.want {
				t.Fatalf("emailKey = %q (%s), want %q", got, why, c.want)
			}
			if c.want == "" && !strings.Contains(why, c.refused) {
				t.Fatalf("reason %q does not mention %q", why, c.refused)
			}
		})
	}
}

func TestLightrunNames(t *testing.T) {
	cases := []struct {
		name        string
		spec        v1.ScimUserSpec
		first, last string
	}{
		{"given and family name", v1.ScimUserSpec{Name: &v1.ScimName{GivenName: "Ada", FamilyName: "Lovelace", Formatted: "X Y"}}, "Ada", "Lovelace"},
		{"displayName split at its last space", v1.ScimUserSpec{DisplayName: "Mary Ann Evans"}, "Mary Ann", "Evans"},
		{"formatted when there is no displayName", v1.ScimUserSpec{Name: &v1.ScimName{Formatted: "Alan Turing"}}, "Alan", "Turing"},
		{"a single word", v1.ScimUserSpec{DisplayName: "Prince"}, "Prince", ""},
		{"no name at all: the email's local part", v1.ScimUserSpec{}, "jdoe", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			first, last := lightrunNames(c.spec, "jdoe@example.com")
			if first != c.first || last != c.last {
				t.Fatalf("lightrunNames = %q %q, want %q %q", first, last, c.first, c.last)
			}
		})
	}
}
