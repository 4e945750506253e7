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

package index

import (
	"testing"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

func TestCompanyKey(t *testing.T) {
	a := CompanyKey(v1.LightrunConnection{URL: "https://App.Lightrun.com/", CompanyID: "ACME"})
	b := CompanyKey(v1.LightrunConnection{URL: "https://app.lightrun.com", CompanyID: "acme"})
	c := CompanyKey(v1.LightrunConnection{URL: "https://app.lightrun.com", CompanyID: "other"})
	d := CompanyKey(v1.LightrunConnection{URL: "https://eu.lightrun.com", CompanyID: "acme"})
	if a != b {
		t.Fatalf("one IdP per company: %q and %q name the same company", a, b)
	}
	if a == c || a == d {
		t.Fatalf("different companies share a key: %q %q %q", a, c, d)
	}
}
