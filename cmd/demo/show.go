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
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/devenv"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// showCluster prints what kubectl shows of the identity resources.
func showCluster(ctx context.Context, w io.Writer, t *target, kubectl string) error {
	_, _ = fmt.Fprintf(w, "\n What the cluster holds (%s get lightrun-identity -A):\n\n", kubectl)
	cmd := exec.CommandContext(ctx, kubectl, "get", "lightrun-identity", "-A")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+t.Kubeconfig)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s get lightrun-identity -A: %w: %s", kubectl, err, strings.TrimSpace(stderr.String()))
	}
	for line := range strings.SplitSeq(strings.TrimRight(string(out), "\n"), "\n") {
		_, _ = fmt.Fprintln(w, "   "+line)
	}
	return nil
}

// poolView is one Lightrun agent pool as the demo shows it.
type poolView struct {
	pool    lightrun.AgentPool
	access  []string        // the access levels its linked groups grant
	members map[string]bool // emails
	agent   *v1.AgentPool   // the AgentPool declaring it, if any
	deflt   bool
}

// showLightrun prints Lightrun's agent pools, each with its members (the
// members of the user groups linked to it) and their roles.
func showLightrun(ctx context.Context, w io.Writer, t *target) error {
	users := map[string]lightrun.User{}
	for u, err := range t.Lightrun.AllUsers(ctx, lightrun.ListUsersOptions{}) {
		if err != nil {
			return fmt.Errorf("listing Lightrun users: %w", err)
		}
		users[strings.ToLower(u.Email)] = u
	}
	views, err := t.poolViews(ctx)
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(w, "\n What Lightrun holds (the emulator at %s), pool by pool, with each user's roles:\n",
		t.LightrunURL)
	elsewhere := map[string]bool{} // in a pool other than the default
	for _, v := range views {
		if !v.deflt {
			for e := range v.members {
				elsewhere[e] = true
			}
		}
	}
	width := 0
	for e := range users {
		width = max(width, len(e))
	}
	for _, v := range views {
		emails := slices.Sorted(func(yield func(string) bool) {
			for e := range v.members {
				if (!v.deflt || !elsewhere[e]) && !yield(e) {
					return
				}
			}
		})
		_, _ = fmt.Fprintf(w, "\n   %s  %s\n", v.pool.Name, v.describe(len(emails)))
		for _, e := range emails {
			u := users[e]
			roles := make([]string, 0, len(u.Roles))
			for _, r := range u.Roles {
				roles = append(roles, string(r))
			}
			slices.Sort(roles)
			state := ""
			if !u.Enabled {
				state = "  (disabled)"
			}
			_, _ = fmt.Fprintf(w, "     %-*s  %s%s\n", width, e, strings.Join(roles, ", "), state)
		}
	}
	return nil
}

func (v poolView) describe(listed int) string {
	if v.deflt {
		return fmt.Sprintf("(Lightrun's default pool holds every user; listed are the %d no AgentPool selects,\n"+
			"      with the IdentityConfig's defaultRoles)", listed)
	}
	access := strings.Join(v.access, "/")
	if v.agent == nil {
		return fmt.Sprintf("(%s; no AgentPool declares it)", access)
	}
	var sel []string
	for _, g := range v.agent.Spec.Members.Groups {
		sel = append(sel, fmt.Sprintf("group %q", g))
	}
	for _, u := range v.agent.Spec.Members.UserNames {
		sel = append(sel, "user "+u)
	}
	roles := make([]string, 0, len(v.agent.Spec.Roles))
	for _, r := range v.agent.Spec.Roles {
		roles = append(roles, string(r))
	}
	return fmt.Sprintf("(%s; AgentPool %s selects %s; roles %s)", access, v.agent.Name,
		strings.Join(sel, " and "), strings.Join(roles, ", "))
}

// poolViews lists Lightrun's agent pools with the members of their linked
// groups, and the AgentPools that declare them; the default pool comes last.
func (t *target) poolViews(ctx context.Context) ([]poolView, error) {
	agentPools := &v1.AgentPoolList{}
	if err := t.K8s.List(ctx, agentPools, client.InNamespace(devenv.Namespace)); err != nil {
		return nil, fmt.Errorf("listing AgentPools: %w", err)
	}
	byName := map[string]*v1.AgentPool{}
	for i := range agentPools.Items {
		byName[agentPools.Items[i].Spec.PoolName] = &agentPools.Items[i]
	}
	var groups []lightrun.Group
	for g, err := range t.Lightrun.AllGroups(ctx, lightrun.ListGroupsOptions{IncludeMembers: true}) {
		if err != nil {
			return nil, fmt.Errorf("listing Lightrun groups: %w", err)
		}
		groups = append(groups, g)
	}
	var views []poolView
	for p, err := range t.Lightrun.AllAgentPools(ctx, lightrun.ListAgentPoolsOptions{}) {
		if err != nil {
			return nil, fmt.Errorf("listing Lightrun agent pools: %w", err)
		}
		v := poolView{pool: p, members: map[string]bool{}, agent: byName[p.Name]}
		for _, g := range groups {
			if !slices.Contains(g.AgentPoolIDs, p.ID) {
				continue
			}
			v.deflt = v.deflt || g.Default
			for _, r := range g.Roles {
				if !slices.Contains(v.access, string(r)) {
					v.access = append(v.access, string(r))
				}
			}
			for _, m := range g.Members {
				v.members[strings.ToLower(m.Email)] = true
			}
		}
		views = append(views, v)
	}
	slices.SortFunc(views, func(a, b poolView) int {
		if a.deflt != b.deflt {
			if a.deflt {
				return 1
			}
			return -1
		}
		return strings.Compare(a.pool.Name, b.pool.Name)
	})
	return views, nil
}
