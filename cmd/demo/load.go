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
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/devenv"
)

// loadMemberBatch is how many members one group membership PATCH adds.
const loadMemberBatch = 100

// loadGroups are the groups generated users are spread over (one in six is
// in none, so it lands in the default pool).
var loadGroups = []string{groupPayments, groupPlatform, groupSRE, groupSecurity, groupData}

// runLoad pushes o.users generated users the way Okta does (a lookup, then
// POST or PUT), o.concurrency at a time, spreads them over the demo's
// groups with membership PATCHes, and waits for the operator to sync them.
func runLoad(ctx context.Context, w io.Writer, t *target, o options) error {
	c := newSCIMClient(t.SCIMBaseURL, t.Token, oktaUserAgent)
	n := o.users
	_, _ = fmt.Fprintf(w, "\n Pushing %d generated users, %d requests in flight, the way Okta does (lookup, then POST):\n",
		n, o.concurrency)
	start := time.Now()
	b := newBar(w, "SCIM push", "users", n)
	b.interval = 10 * time.Second
	r := newRun(c, b)
	latencies, err := r.pushLoad(ctx, n, o.concurrency)
	if err != nil {
		b.Finish("")
		return fmt.Errorf("pushing users: %w", err)
	}
	pushed := time.Since(start)
	b.Finish(seconds(pushed))
	if err := r.loadMemberships(ctx, w, n); err != nil {
		return err
	}
	total := time.Since(start)
	_, _ = fmt.Fprintf(w, "\n Push summary: %d users in %s (%.0f users/s), %d requests, "+
		"%d answers of 429/503 waited out;\n"+
		"   per user (lookup + create) p50 %s, p95 %s, p99 %s\n",
		n, seconds(pushed), float64(n)/pushed.Seconds(), c.requests.Load(), c.retries.Load(),
		percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99))
	_, _ = fmt.Fprintln(w, "\n The operator syncs them into Lightrun:")
	return waitForCounts(ctx, w, t, o.timeout, total)
}

// pushLoad assigns the n generated users, concurrency at a time, and
// returns how long each took.
func (r *idpRun) pushLoad(ctx context.Context, n, concurrency int) ([]time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex
	latencies := make([]time.Duration, 0, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := range work {
				p := loadPerson(i)
				began := time.Now()
				id, err := r.assignLoad(ctx, p)
				if err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				latencies = append(latencies, time.Since(began))
				r.users[p.userName()] = id
				mu.Unlock()
				r.bar.Add(1)
			}
		})
	}
feed:
	for i := range n {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return latencies, context.Cause(ctx)
}

func loadPerson(i int) person {
	p := person{Given: "Load", Family: fmt.Sprintf("User%06d", i+1), Department: "Load", Title: "Engineer"}
	if k := i % (len(loadGroups) + 1); k < len(loadGroups) {
		p.Groups = []string{loadGroups[k]}
	}
	return p
}

// assignLoad looks a user up by userName and creates it, or puts it back as
// generated when it exists (a second run with the same --users).
func (r *idpRun) assignLoad(ctx context.Context, p person) (string, error) {
	body := oktaUser(p)
	body.Locale, body.Groups = "", nil
	return r.assign(ctx, p, body, "startIndex=1", "count=100")
}

// loadMemberships pushes the groups and adds their members in batches.
func (r *idpRun) loadMemberships(ctx context.Context, w io.Writer, n int) error {
	members := map[string][]oktaMember{}
	for i := range n {
		p := loadPerson(i)
		for _, g := range p.Groups {
			members[g] = append(members[g], oktaMember{Value: r.users[p.userName()], Display: p.userName()})
		}
	}
	patches := 0
	for _, g := range loadGroups {
		patches += (len(members[g]) + loadMemberBatch - 1) / loadMemberBatch
	}
	start := time.Now()
	r.bar = newBar(w, "Group membership PATCHes", "requests", len(loadGroups)+patches)
	for _, g := range loadGroups {
		if err := r.pushGroup(ctx, g, oktaGroup(g), "startIndex=1", "count=100"); err != nil {
			return err
		}
		for batch := range slices.Chunk(members[g], loadMemberBatch) {
			if err := r.patchGroup(ctx, g, patchOp(patchOperation{Op: oktaAdd, Path: attrMembers, Value: batch})); err != nil {
				return err
			}
		}
	}
	r.bar.Finish(seconds(time.Since(start)))
	return nil
}

// waitForCounts follows the IdentityConfig's user counts (cheap at any
// scale) until every user is synced or failed, or timeout passes.
func waitForCounts(ctx context.Context, w io.Writer, t *target, timeout, pushed time.Duration) error {
	start := time.Now()
	b := newBar(w, "Operator syncs to Lightrun", "users synced", 0)
	b.interval = 10 * time.Second
	key := client.ObjectKey{Namespace: devenv.Namespace, Name: devenv.IdentityConfig}
	for {
		ic := &v1.IdentityConfig{}
		if err := t.K8s.Get(ctx, key, ic); err != nil {
			return fmt.Errorf("reading IdentityConfig %s: %w", key, err)
		}
		u := ic.Status.Users
		b.SetTotal(int(u.Total))
		b.Set(int(u.Synced), 0)
		if u.Pending == 0 && u.Total > 0 {
			took := time.Since(start)
			b.Finish(seconds(took))
			_, _ = fmt.Fprintf(w, "\n Sync summary: %d users synced, %d failed; Lightrun had all of them %s after the push "+
				"ended (%s after it began)\n", u.Synced, u.Failed, seconds(took), seconds(pushed+took))
			return nil
		}
		if time.Since(start) > timeout {
			b.Finish("")
			_, _ = fmt.Fprintf(w, "\n Sync summary: %d of %d users synced after %s; the operator carries on "+
				"(bin/kubectl get idc -n %s)\n", u.Synced, u.Total, seconds(timeout), devenv.Namespace)
			return nil
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
}

func percentile(d []time.Duration, p int) string {
	if len(d) == 0 {
		return "-"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	v := s[min(len(s)-1, len(s)*p/100)]
	if v >= time.Second {
		return v.Round(10 * time.Millisecond).String()
	}
	return v.Round(100 * time.Microsecond).String()
}
