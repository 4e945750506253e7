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

package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// docsWithCommands are the documents whose shell commands (```sh blocks)
// are checked: each is a make target that exists, or runs here, against the
// demo's environment, or is in notRunHere with what checks it instead.
var docsWithCommands = []string{
	"README.md", "docs/quickstart.md", "docs/troubleshooting.md", "docs/okta.md", "docs/entra-id.md",
}

// notRunHere are the commands (by prefix) the docs show that need what a
// test here does not have: another cluster, the network, a real IdP. Each
// says what covers it instead.
var notRunHere = map[string]string{
	"git clone ": "needs the network; the tests run in a clone",
	"helm install ": "installs into a real cluster: charts/*_test.go render, lint and admit the chart, " +
		"test/e2e installs it",
}

// runDocCommands runs the docs' commands against env, the way a reader runs
// them against make dev: from a directory whose bin/ has kubectl and whose
// bin/dev is env's state directory, with make dev's addresses replaced by
// env's, and with a kubectl on PATH for the commands written for a cluster.
func runDocCommands(ctx context.Context, t *testing.T, env *target) {
	root := testenv.RepoRoot()
	targets := makeTargets(t, filepath.Join(root, "Makefile"))
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	kubectl := filepath.Join(testenv.AssetsDir(), "kubectl")
	for name, to := range map[string]string{"kubectl": kubectl, "dev": env.StateDir} {
		if err := os.Symlink(to, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	scimURL, err := url.Parse(env.SCIMBaseURL)
	if err != nil {
		t.Fatal(err)
	}
	lightrunURL, err := url.Parse(env.LightrunURL)
	if err != nil {
		t.Fatal(err)
	}
	addresses := strings.NewReplacer("127.0.0.1:8080", scimURL.Host, "127.0.0.1:8090", lightrunURL.Host)

	for _, doc := range docsWithCommands {
		data, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		var script []string
		for _, cmd := range shellCommands(string(data)) {
			fields := strings.Fields(cmd)
			switch {
			case fields[0] == "make":
				for _, target := range fields[1:] {
					if !strings.Contains(target, "=") && !targets[target] {
						t.Errorf("%s shows %q, but the Makefile has no target %q", doc, cmd, target)
					}
				}
			case notRun(cmd) != "":
				t.Logf("%s: not run here: %q (%s)", doc, firstLine(cmd), notRun(cmd))
			default:
				script = append(script, "echo '>>> "+strings.ReplaceAll(firstLine(cmd), "'", `'\''`)+"'", addresses.Replace(cmd))
			}
		}
		if len(script) == 0 {
			continue
		}
		sh := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", strings.Join(script, "\n"))
		sh.Dir = work
		sh.Env = append(os.Environ(), "KUBECONFIG="+env.Kubeconfig,
			"PATH="+filepath.Dir(kubectl)+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := sh.CombinedOutput()
		if err != nil {
			t.Errorf("the commands of %s failed: %v\n%s", doc, err, out)
			continue
		}
		t.Logf("ran %d commands of %s", len(script)/2, doc)
	}
}

func notRun(cmd string) string {
	for prefix, why := range notRunHere {
		if strings.HasPrefix(cmd, prefix) {
			return why
		}
	}
	return ""
}

func firstLine(cmd string) string {
	line, _, _ := strings.Cut(cmd, "\n")
	return line
}

// makeTargets lists the targets the Makefile defines.
func makeTargets(t *testing.T, makefile string) map[string]bool {
	data, err := os.ReadFile(makefile)
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-zA-Z0-9][a-zA-Z0-9_-]*):`).FindAllStringSubmatch(string(data), -1) {
		targets[m[1]] = true
	}
	return targets
}

// shellCommands returns the commands of the markdown's ```sh blocks: lines
// joined where they end in a backslash or a quote is open, comments dropped.
func shellCommands(markdown string) []string {
	var cmds []string
	inBlock := false
	var cur strings.Builder
	var quote rune
	for line := range strings.SplitSeq(markdown, "\n") {
		trimmed := strings.TrimSpace(line)
		if !inBlock {
			inBlock = trimmed == "```sh"
			continue
		}
		if trimmed == "```" && quote == 0 {
			inBlock = false
			continue
		}
		var code string
		code, quote = stripComment(line, quote)
		cur.WriteString(code)
		if quote != 0 {
			cur.WriteString("\n")
			continue
		}
		if strings.HasSuffix(strings.TrimRight(code, " "), `\`) {
			cur.WriteString("\n")
			continue
		}
		if cmd := strings.TrimSpace(cur.String()); cmd != "" {
			cmds = append(cmds, cmd)
		}
		cur.Reset()
	}
	return cmds
}

// stripComment drops a shell comment from line, given the quote open at its
// start, and returns the quote open at its end.
func stripComment(line string, quote rune) (string, rune) {
	prev := ' '
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (prev == ' ' || prev == '\t'):
			return strings.TrimRight(line[:i], " \t"), 0
		}
		prev = r
	}
	return line, quote
}

func TestShellCommands(t *testing.T) {
	md := "text\n```sh\nmake dev    # a comment\n# a whole-line comment\n" +
		"curl -s -X POST http://x \\\n  -d '{\"a\": 1,\n  \"b\": \"#not a comment\"}'\n" +
		"echo \"a # b\" # c\n```\n```yaml\nnot: a command\n```\n"
	got := shellCommands(md)
	want := []string{
		"make dev",
		"curl -s -X POST http://x \\\n  -d '{\"a\": 1,\n  \"b\": \"#not a comment\"}'",
		`echo "a # b"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("shellCommands:\n got %q\nwant %q", got, want)
	}
}
