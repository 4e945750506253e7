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

package v1alpha1_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

func TestScimUserSCIMID(t *testing.T) {
	const derived = "0123456789abcdef0123456789abcdef"
	const uid = "7f3e9a1c-42b0-4d1e-9c33-0a1b2c3d4e5f"
	for _, c := range []struct {
		name, uid, want string
	}{
		{derived, uid, derived + ".7f3e9a1c42b0"},
		{derived, "", derived}, // not stored yet
		{"2b1c7c52-9d0e-4c55-a3f2-6a0e8d9b1f00", uid, "2b1c7c52-9d0e-4c55-a3f2-6a0e8d9b1f00"},
		{"0123456789ABCDEF0123456789ABCDEF", uid, "0123456789ABCDEF0123456789ABCDEF"},
		{"alice.example", uid, "alice.example"},
	} {
		u := &v1.ScimUser{ObjectMeta: metav1.ObjectMeta{Name: c.name, UID: k8stypes.UID(c.uid)}}
		if got := u.SCIMID(); got != c.want {
			t.Errorf("SCIMID of %q (uid %q) = %q, want %q", c.name, c.uid, got, c.want)
		}
		if got := v1.ScimUserNameOf(c.want); got != c.name {
			t.Errorf("ScimUserNameOf(%q) = %q, want %q", c.want, got, c.name)
		}
	}
	for id, name := range map[string]string{
		derived:                   derived,
		derived + ".7F3E9A1C42B0": derived + ".7F3E9A1C42B0", // not an id this endpoint hands out: no such object name
		derived + ".7f3e9a1c42":   derived + ".7f3e9a1c42",
		"a.b":                     "a.b",
	} {
		if got := v1.ScimUserNameOf(id); got != name {
			t.Errorf("ScimUserNameOf(%q) = %q, want %q", id, got, name)
		}
	}
}
