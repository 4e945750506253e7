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
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kevents "k8s.io/client-go/tools/events"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/connect"
)

// memberRecorder is a Lightrun that records group member calls; any other
// call panics (the embedded nil interface), so the test proves syncMembers
// makes no other call.
type memberRecorder struct {
	connect.Lightrun
	adds, removes [][]string
}

func (m *memberRecorder) AddMembers(_ context.Context, _ string, emails []string) ([]connect.MemberFailure, error) {
	m.adds = append(m.adds, append([]string(nil), emails...))
	return nil, nil
}

func (m *memberRecorder) RemoveMembers(_ context.Context, _ string, emails []string) ([]connect.MemberFailure, error) {
	m.removes = append(m.removes, append([]string(nil), emails...))
	return nil, nil
}

func TestMembershipDiffsAreBatched(t *testing.T) {
	r := &AgentPoolReconciler{shared: &shared{opts: Options{MemberBatchSize: 100}}}
	events := kevents.NewFakeRecorder(10)
	r.recorder = events
	desired := map[string]bool{}
	for i := range 250 {
		desired[fmt.Sprintf("user-%03d@x.io", i)] = true
	}
	have := []string{"stale-1@x.io", "stale-2@x.io"}
	for e := range desired {
		if len(have) < 52 {
			have = append(have, e) // 50 already members
		}
	}
	rec := &memberRecorder{}
	p := &v1.AgentPool{}
	if _, err := r.syncMembers(context.Background(), p, &v1.IdentityConfig{}, rec, &connect.Group{ID: "g", Name: "g", Members: have}, desired); err != nil {
		t.Fatal(err)
	}
	var added int
	for _, b := range rec.adds {
		if len(b) > 100 {
			t.Fatalf("a batch of %d emails exceeds the batch size of 100", len(b))
		}
		added += len(b)
	}
	if len(rec.adds) != 2 || added != 200 {
		t.Fatalf("added %d emails in %d calls, want the 200 missing ones in 2 batches", added, len(rec.adds))
	}
	if len(rec.removes) != 1 || !slices.Equal(rec.removes[0], []string{"stale-1@x.io", "stale-2@x.io"}) {
		t.Fatalf("removed %v, want exactly the two stale members", rec.removes)
	}
	if p.Status.MemberCount != 250 || !conditionIs(p.Status.Conditions, v1.ConditionMembersSynced, metav1.ConditionTrue) {
		t.Fatalf("status %+v, want 250 members and MembersSynced", p.Status)
	}
	if e := <-events.Events; !strings.Contains(e, EventMembersChanged) || !strings.Contains(e, "added 200") || !strings.Contains(e, "removed 2") {
		t.Fatalf("event %q does not report the membership change", e)
	}
}
