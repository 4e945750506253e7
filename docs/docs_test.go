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

// Package docs holds the project's documents; its tests keep them honest
// against the code.
package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// declaredReasons returns the values of api/v1alpha1's Reason constants,
// by constant name.
func declaredReasons(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "api", "v1alpha1", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Reason") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s is not a string literal", name.Name)
					}
					value, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					reasons[name.Name] = value
				}
			}
		}
	}
	if len(reasons) == 0 {
		t.Fatal("found no Reason constants in api/v1alpha1")
	}
	return reasons
}

// TestTroubleshootingCoversEveryReason: troubleshooting.md has a section
// "### `<Reason>`" for every condition reason the API declares, and none for
// a reason it does not.
func TestTroubleshootingCoversEveryReason(t *testing.T) {
	data, err := os.ReadFile("troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	var sections []string
	for _, m := range regexp.MustCompile("(?m)^### `([A-Za-z]+)`$").FindAllStringSubmatch(string(data), -1) {
		sections = append(sections, m[1])
	}
	declared := declaredReasons(t)
	for name, value := range declared {
		if !slices.Contains(sections, value) {
			t.Errorf("troubleshooting.md has no section \"### `%s`\" for %s: say where it shows, what it means and what to do",
				value, name)
		}
	}
	for _, s := range sections {
		found := false
		for _, value := range declared {
			found = found || value == s
		}
		if !found {
			t.Errorf("troubleshooting.md has a section for %q, which api/v1alpha1 does not declare", s)
		}
	}
	seen := map[string]bool{}
	for _, s := range sections {
		if seen[s] {
			t.Errorf("troubleshooting.md has two sections for %q", s)
		}
		seen[s] = true
	}
}
