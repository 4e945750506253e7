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
	"os/exec"
	"strings"
	"testing"
)

// TestProtocolImportsNeitherHTTPNorAPI keeps the promise of the package
// comment: the protocol depends on neither net/http nor the operator's API
// types, directly or through another package (internal/scim/store, for one,
// imports the API types). The HTTP side is internal/scim/server.
func TestProtocolImportsNeitherHTTPNorAPI(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is needed to list dependencies: %v", err)
	}
	out, err := exec.Command(goCmd, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const module = "github.com/lightrun-platform/lightrun-identity-operator/"
	for dep := range strings.FieldsSeq(string(out)) {
		if dep == "net/http" || strings.HasPrefix(dep, module+"api/") {
			t.Errorf("internal/scim depends on %s", dep)
		}
	}
}
