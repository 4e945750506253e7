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
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// want is where each person of the demo ends up in Lightrun: the pools
// config/samples' AgentPools give them (the default pool when none does),
// their roles, and whether they are enabled.
type want struct {
	pools, roles string
	enabled      bool
}

// The roles of the pools (config/samples), and of users in none.
const (
	developer = "DEVELOPER"                     // platform-shared; the IdentityConfig's defaultRoles
	responder = "DEVELOPER, INCIDENT_RESPONDER" // payments-production; platform-shared with production-incidents
	security  = "APP_SEC, SECURITY"             // security-review
	data      = "COMPANY_VIEWER, DEVELOPER"     // data-platform
)

var wantLightrun = map[string]want{
	// Okta: Payments Engineers (alice also by userName); lukas moved to
	// Platform Engineers; sofia and ravi deactivated.
	"alice":         {"payments-production", responder, true},
	"maya.chen":     {"payments-production", responder, true},
	"omar.haddad":   {"payments-production", responder, true},
	"priya.raman":   {"payments-production", responder, true},
	"sofia.rossi":   {"payments-production", responder, false},
	"daniel.kim":    {"payments-production", responder, true},
	"lukas.becker":  {"platform-shared", developer, true},
	"hannah.muller": {"platform-shared", developer, true},
	"kwame.mensah":  {"platform-shared", developer, true},
	"aisha.bello":   {"platform-shared", developer, true},
	"tomas.garcia":  {"platform-shared", developer, true},
	// SRE On-Call is selected by two pools: the union of their roles.
	"elena.petrova":  {"platform-shared production-incidents", responder, true},
	"jonas.berg":     {"platform-shared production-incidents", responder, true},
	"noah.williams":  {"platform-shared production-incidents", responder, true},
	"yuki.tanaka":    {"platform-shared production-incidents", responder, true},
	"fatima.zahra":   {"default", developer, true},
	"liam.obrien":    {"default", developer, true},
	"chloe.martin":   {"default", developer, true},
	"ravi.patel":     {"default", developer, false},
	"emma.johansson": {"default", developer, true},
	"mateo.silva":    {"default", developer, true},
	// Entra: ingrid left Security Champions; ahmed disabled; ethan deleted
	// (deprovisionPolicy Disable keeps his Lightrun user, disabled).
	"zoe.adams":      {"security-review", security, true},
	"arjun.mehta":    {"security-review", security, true},
	"samuel.okafor":  {"security-review", security, true},
	"ingrid.nilsen":  {"default", developer, true},
	"lena.vogel":     {"data-platform", data, true},
	"marco.bianchi":  {"data-platform", data, true},
	"amara.nwosu":    {"data-platform", data, true},
	"pedro.alves":    {"data-platform", data, true},
	"chen.wei":       {"data-platform", data, true},
	"julia.nowak":    {"data-platform security-review", "APP_SEC, COMPANY_VIEWER, DEVELOPER, SECURITY", true},
	"olivia.brown":   {"default", developer, true},
	"ahmed.karim":    {"default", developer, false},
	"nina.kowalski":  {"default", developer, true},
	"ethan.clarke":   {"default", developer, false},
	"sara.lindqvist": {"default", developer, true},
	"diego.romero":   {"default", developer, true},
}

// TestDemo runs what make demo runs, against an environment the demo starts
// for itself on free ports (what happens when no make dev is running), and
// checks that Lightrun ends up as the AgentPools say. Then it runs the demo
// again through the state directory of that environment (what happens with
// make dev running), which must converge to the same state, runs the
// commands the docs show against it, and pushes a few generated users.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root := testenv.RepoRoot()
	assets := testenv.AssetsDir()
	o := options{
		stateDir: t.TempDir(), // no env.json: the demo starts its own environment
		assets:   assets, samples: filepath.Join(root, "config", "samples"), crds: testenv.CRDDir(),
		kubectl: filepath.Join(assets, "kubectl"), concurrency: 4, timeout: time.Minute, lightrunQPS: 100,
	}
	var out bytes.Buffer
	started := time.Now()
	env, err := connect(ctx, o, &out)
	if err != nil {
		t.Fatalf("starting the environment: %v\n%s", err, out.String())
	}
	defer func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the environment: %v", err)
		}
	}()
	if !env.Own {
		t.Fatalf("the demo used a make dev from %s instead of starting its own", o.stateDir)
	}
	if err := runDemo(ctx, &out, env, o); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	t.Logf("demo against its own environment: %s", seconds(time.Since(started)))
	checkOutput(t, out.String())
	checkLightrun(ctx, t, env)

	t.Run("against a running make dev, twice", func(t *testing.T) {
		again := o
		again.stateDir = env.StateDir // where the running environment wrote env.json
		var out bytes.Buffer
		if err := run(ctx, again, &out); err != nil {
			t.Fatalf("demo: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "Using the make dev environment recorded in "+env.StateDir) {
			t.Errorf("the demo did not use the running environment:\n%s", out.String())
		}
		checkOutput(t, out.String())
		checkLightrun(ctx, t, env)
	})

	t.Run("docs commands", func(t *testing.T) { runDocCommands(ctx, t, env) })

	t.Run("load", func(t *testing.T) {
		load := o
		load.users = 25
		var out bytes.Buffer
		if err := runLoad(ctx, &out, env, load); err != nil {
			t.Fatalf("load: %v\n%s", err, out.String())
		}
		for _, s := range []string{"Push summary: 25 users", "Sync summary:", "0 failed"} {
			if !strings.Contains(out.String(), s) {
				t.Errorf("the load summary lacks %q:\n%s", s, out.String())
			}
		}
	})
}

func checkOutput(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{
		"Okta-style run", "Entra ID-style run", "users synced",
		"What the cluster holds", "identityconfig.identity.lightrun.com/okta",
		"What Lightrun holds", "payments-production  (PRIVILEGED; AgentPool payments selects",
		"sofia.rossi@example.com", "(disabled)",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("the demo's output lacks %q:\n%s", s, out)
		}
	}
}

// checkLightrun compares every demo user's pools, roles and state in
// Lightrun with wantLightrun.
func checkLightrun(ctx context.Context, t *testing.T, env *target) {
	t.Helper()
	views, err := env.poolViews(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pools := map[string][]string{} // email -> pools other than the default, or "default"
	for _, v := range views {
		for e := range v.members {
			if !v.deflt {
				pools[e] = append(pools[e], v.pool.Name)
			}
		}
	}
	seen := 0
	for u, err := range env.Lightrun.AllUsers(ctx, lightrun.ListUsersOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		local, _, _ := strings.Cut(u.Email, "@")
		w, ok := wantLightrun[local]
		if !ok {
			continue // a generated load user
		}
		seen++
		p := pools[u.Email]
		if len(p) == 0 {
			p = []string{"default"}
		}
		slices.Sort(p)
		roles := make([]string, 0, len(u.Roles))
		for _, r := range u.Roles {
			roles = append(roles, string(r))
		}
		slices.Sort(roles)
		if got := strings.Join(p, " "); got != w.pools {
			t.Errorf("%s is in pools %q, want %q", u.Email, got, w.pools)
		}
		if got := strings.Join(roles, ", "); got != w.roles {
			t.Errorf("%s has roles %q, want %q", u.Email, got, w.roles)
		}
		if u.Enabled != w.enabled {
			t.Errorf("%s is enabled=%v, want %v", u.Email, u.Enabled, w.enabled)
		}
		if u.Email == entraRenamed && u.LastName != entraRenamedTo {
			t.Errorf("%s's last name is %q, want %q (Entra's Replace of name.familyName)", u.Email, u.LastName, entraRenamedTo)
		}
	}
	if seen != len(wantLightrun) {
		t.Errorf("Lightrun has %d of the demo's %d people", seen, len(wantLightrun))
	}
}
