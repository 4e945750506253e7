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
	"slices"
	"testing"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

func TestRolesAreSetsInEnumOrder(t *testing.T) {
	got := normalRoles([]v1.LightrunUserRole{v1.RoleDeveloper, v1.RoleAppSec, v1.RoleDeveloper, v1.RoleSystemAdmin})
	want := []v1.LightrunUserRole{v1.RoleSystemAdmin, v1.RoleAppSec, v1.RoleDeveloper}
	if !slices.Equal(got, want) {
		t.Fatalf("normalRoles = %v, want %v", got, want)
	}
	ic := &v1.IdentityConfig{}
	if d := defaultRoles(ic); !slices.Equal(d, []v1.LightrunUserRole{v1.RoleDeveloper}) {
		t.Fatalf("Lightrun rule 4: default roles without configuration = %v, want [DEVELOPER]", d)
	}
	pool := &v1.AgentPool{}
	ic.Spec.DefaultRoles = []v1.LightrunUserRole{v1.RoleCompanyViewer}
	if r := poolRoles(pool, ic); !slices.Equal(r, ic.Spec.DefaultRoles) {
		t.Fatalf("a pool without roles gives %v, want the IdentityConfig's default roles", r)
	}
}
