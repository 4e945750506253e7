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
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/devenv"
)

// syncStatus is how far the operator got with the users and pools.
type syncStatus struct {
	Users, Synced int
	// Waiting says what is not in place yet; empty when everything is.
	Waiting string
}

// syncStatus compares the cluster with Lightrun: every ScimUser of the
// IdentityConfig synced at its latest generation, every AgentPool Ready, and
// each pool's linked Lightrun group holding exactly the users whose status
// names the pool.
func (t *target) syncStatus(ctx context.Context) (syncStatus, error) {
	var s syncStatus
	users := &v1.ScimUserList{}
	if err := t.K8s.List(ctx, users, client.InNamespace(devenv.Namespace),
		client.MatchingLabels{v1.LabelIdentityConfig: devenv.IdentityConfig}); err != nil {
		return s, fmt.Errorf("listing ScimUsers: %w", err)
	}
	s.Users = len(users.Items)
	for i := range users.Items {
		u := &users.Items[i]
		if u.DeletionTimestamp == nil && isCurrent(u.Status.Conditions, v1.ConditionSynced, u.Generation) {
			s.Synced++
		} else if s.Waiting == "" {
			s.Waiting = "ScimUser " + u.Spec.UserName + " is not synced yet"
		}
	}
	if s.Waiting != "" {
		return s, nil
	}
	ic := &v1.IdentityConfig{}
	if err := t.K8s.Get(ctx, client.ObjectKey{Namespace: devenv.Namespace, Name: devenv.IdentityConfig}, ic); err != nil {
		return s, fmt.Errorf("reading the IdentityConfig: %w", err)
	}
	if u := ic.Status.Users; int(u.Total) != s.Users || int(u.Synced) != s.Synced {
		s.Waiting = "IdentityConfig " + ic.Name + " has not counted the users yet"
		return s, nil
	}
	pools := &v1.AgentPoolList{}
	if err := t.K8s.List(ctx, pools, client.InNamespace(devenv.Namespace)); err != nil {
		return s, fmt.Errorf("listing AgentPools: %w", err)
	}
	for i := range pools.Items {
		p := &pools.Items[i]
		if p.Spec.IdentityConfigRef.Name != devenv.IdentityConfig {
			continue
		}
		if !isCurrent(p.Status.Conditions, v1.ConditionReady, p.Generation) || p.Status.GroupID == "" {
			s.Waiting = "AgentPool " + p.Name + " is not Ready yet"
			return s, nil
		}
		var want []string
		for j := range users.Items {
			if u := &users.Items[j]; slices.Contains(u.Status.EffectiveAgentPools, p.Spec.PoolName) {
				want = append(want, strings.ToLower(u.Status.Email))
			}
		}
		g, err := t.Lightrun.GetGroupWithMembers(ctx, p.Status.GroupID)
		if err != nil {
			return s, fmt.Errorf("reading Lightrun group %s: %w", p.Status.GroupID, err)
		}
		var got []string
		for _, m := range g.Members {
			got = append(got, strings.ToLower(m.Email))
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			s.Waiting = "Lightrun group " + g.Name + " does not have its members yet"
			return s, nil
		}
	}
	return s, nil
}

// isCurrent reports whether condition typ is True for generation.
func isCurrent(conds []metav1.Condition, typ string, generation int64) bool {
	c := meta.FindStatusCondition(conds, typ)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == generation
}

// waitSynced waits until the ScimUser of userName is synced at its latest
// generation.
func (t *target) waitSynced(ctx context.Context, userName string) error {
	return waitFor(ctx, time.Minute, func() error {
		users := &v1.ScimUserList{}
		if err := t.K8s.List(ctx, users, client.InNamespace(devenv.Namespace),
			client.MatchingLabels{v1.LabelIdentityConfig: devenv.IdentityConfig}); err != nil {
			return fmt.Errorf("listing ScimUsers: %w", err)
		}
		for i := range users.Items {
			if u := &users.Items[i]; strings.EqualFold(u.Spec.UserName, userName) &&
				isCurrent(u.Status.Conditions, v1.ConditionSynced, u.Generation) {
				return nil
			}
		}
		return fmt.Errorf("ScimUser %s is not synced", userName)
	})
}

// waitForSync shows the operator syncing users into Lightrun until
// everything is in place or timeout passes.
func waitForSync(ctx context.Context, w io.Writer, t *target, timeout time.Duration) error {
	start := time.Now()
	b := newBar(w, "Operator syncs to Lightrun", "users synced", 0)
	deadline := start.Add(timeout)
	for {
		s, err := t.syncStatus(ctx)
		if err != nil {
			return err
		}
		b.SetTotal(s.Users)
		b.Set(s.Synced, 0)
		if s.Waiting == "" {
			b.Finish(seconds(time.Since(start)))
			return nil
		}
		if time.Now().After(deadline) {
			b.Finish("")
			return fmt.Errorf("not in sync after %s: %s", seconds(timeout), s.Waiting)
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
}
