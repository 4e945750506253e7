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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kevents "k8s.io/client-go/tools/events"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/connect"
)

func TestEmailKey(t *testing.T) {
	work := v1.ScimMultiValue{Value: "Work@Example.com", Type: "work"}
	home := v1.ScimMultiValue{Value: "home@example.org", Type: "home"}
	primary := v1.ScimMultiValue{Value: "Primary@Example.com", Type: "other", Primary: true}
	cases := []struct {
		name    string
		spec    v1.ScimUserSpec
		want    string
		refused string // part of the reason when want is ""
	}{
		{"the primary email wins over the work email", v1.ScimUserSpec{UserName: "u@x.io", Emails: []v1.ScimMultiValue{work, primary}}, "primary@example.com", ""},
		{"without a primary, the work email", v1.ScimUserSpec{UserName: "u@x.io", Emails: []v1.ScimMultiValue{home, work}}, "work@example.com", ""},
		{"without primary or work, a userName that is an email", v1.ScimUserSpec{UserName: "Jane.Doe@Example.com", Emails: []v1.ScimMultiValue{home}}, "jane.doe@example.com", ""},
		{"a userName that is no email gives NoEmail", v1.ScimUserSpec{UserName: "jdoe", Emails: []v1.ScimMultiValue{home}}, "", "no primary or work email"},
		{"no emails and a plain userName gives NoEmail", v1.ScimUserSpec{UserName: "jdoe"}, "", "no primary or work email"},
		{"an invalid primary email is refused, not skipped", v1.ScimUserSpec{UserName: "u@x.io", Emails: []v1.ScimMultiValue{{Value: "not an email", Primary: true}}}, "", "primary email"},
		{"a display-name address is not a bare email", v1.ScimUserSpec{UserName: "Jane <jane@x.io>"}, "", "no primary or work email"},
		{"the work type is matched case-insensitively", v1.ScimUserSpec{UserName: "u", Emails: []v1.ScimMultiValue{{Value: "w@x.io", Type: "Work"}}}, "w@x.io", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why := emailKey(c.spec)
			if got != c.want {
				t.Fatalf("emailKey = %q (%s), want %q", got, why, c.want)
			}
			if c.want == "" && !strings.Contains(why, c.refused) {
				t.Fatalf("reason %q does not mention %q", why, c.refused)
			}
		})
	}
}

func TestLightrunNames(t *testing.T) {
	cases := []struct {
		name        string
		spec        v1.ScimUserSpec
		first, last string
	}{
		{"given and family name", v1.ScimUserSpec{Name: &v1.ScimName{GivenName: "Ada", FamilyName: "Lovelace", Formatted: "X Y"}}, "Ada", "Lovelace"},
		{"displayName split at its last space", v1.ScimUserSpec{DisplayName: "Mary Ann Evans"}, "Mary Ann", "Evans"},
		{"formatted when there is no displayName", v1.ScimUserSpec{Name: &v1.ScimName{Formatted: "Alan Turing"}}, "Alan", "Turing"},
		{"a single word", v1.ScimUserSpec{DisplayName: "Prince"}, "Prince", ""},
		{"no name at all: the email's local part", v1.ScimUserSpec{}, "jdoe", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			first, last := lightrunNames(c.spec, "jdoe@example.com")
			if first != c.first || last != c.last {
				t.Fatalf("lightrunNames = %q %q, want %q %q", first, last, c.first, c.last)
			}
		})
	}
}

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

func TestDuplicateWinnerIsOldestThenName(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Second))
	ic := func(ns, name string, at metav1.Time) *v1.IdentityConfig {
		return &v1.IdentityConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: at}}
	}
	if !before(ic("z", "z", t0), ic("a", "a", t1)) {
		t.Fatal("the older IdentityConfig must win")
	}
	if !before(ic("a", "b", t0), ic("b", "a", t0)) || before(ic("b", "a", t0), ic("a", "b", t0)) {
		t.Fatal("same age: namespace/name decides")
	}
	holder := ic("z", "z", t1)
	holder.Status.Conditions = []metav1.Condition{{Type: v1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1.ReasonReconciled}}
	if !before(holder, ic("a", "a", t0)) {
		t.Fatal("the IdentityConfig already feeding the company must stay the winner")
	}
	refused := ic("a", "a", t0)
	refused.Status.Conditions = []metav1.Condition{{Type: v1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1.ReasonDuplicateIdentityProvider}}
	if !before(holder, refused) {
		t.Fatal("a refused duplicate does not hold the company")
	}
}

func TestResyncDue(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ic := &v1.IdentityConfig{Spec: v1.IdentityConfigSpec{ResyncPeriod: &metav1.Duration{Duration: 10 * time.Minute}}}
	if due, _ := resyncDue(ic, now); !due {
		t.Fatal("never resynced: due")
	}
	ic.Status.LastResyncTime = &metav1.Time{Time: now.Add(-4 * time.Minute)}
	if due, wait := resyncDue(ic, now); due || wait != 6*time.Minute {
		t.Fatalf("4m after a resync with a 10m period: due=%v wait=%s, want false 6m", due, wait)
	}
	ic.Status.LastResyncTime = &metav1.Time{Time: now.Add(-10 * time.Minute)}
	if due, _ := resyncDue(ic, now); !due {
		t.Fatal("a full period after the last resync: due")
	}
	ic.Status.LastResyncTime = &metav1.Time{Time: now}
	ic.Annotations = map[string]string{v1.AnnotationResyncRequestedAt: "1"}
	if due, _ := resyncDue(ic, now); !due {
		t.Fatal("a new resync request: due")
	}
	ic.Status.LastHandledResyncRequest = "1"
	if due, _ := resyncDue(ic, now); due {
		t.Fatal("a handled resync request: not due")
	}
}

func TestClassifyLightrunErrors(t *testing.T) {
	cases := []struct {
		err         error
		reason      string
		terminal    bool
		unreachable bool
	}{
		{&lightrun.Error{Kind: lightrun.KindInvalid, StatusCode: 400}, v1.ReasonLightrunRejected, true, false},
		{&lightrun.Error{Kind: lightrun.KindUnavailable, StatusCode: 503}, v1.ReasonBackendUnreachable, false, true},
		{&lightrun.Error{Kind: lightrun.KindUnauthorized, StatusCode: 401}, v1.ReasonUnauthorized, false, true},
		{&lightrun.Error{Kind: lightrun.KindForbidden, StatusCode: 403}, v1.ReasonForbidden, false, false},
		{&lightrun.Error{Kind: lightrun.KindRateLimited, StatusCode: 429, RetryAfter: 3 * time.Second}, v1.ReasonRateLimited, false, false},
		{&connect.SecretError{Reason: v1.ReasonSecretKeyMissing}, v1.ReasonSecretKeyMissing, false, false},
	}
	for _, c := range cases {
		f := classify(c.err)
		if f.Reason != c.reason || f.Terminal != c.terminal || f.Unreachable != c.unreachable {
			t.Errorf("classify(%v) = %+v, want reason %s terminal %v unreachable %v", c.err, f, c.reason, c.terminal, c.unreachable)
		}
	}
	// 429 Retry-After is respected exactly, not replaced by backoff.
	res, err := classify(&lightrun.Error{Kind: lightrun.KindRateLimited, StatusCode: 429, RetryAfter: 3 * time.Second}).result()
	if err != nil || res.RequeueAfter != 3*time.Second {
		t.Fatalf("429 with Retry-After 3s: result %+v, %v", res, err)
	}
}

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

func TestEndpointDisabledKeepsProvisioning(t *testing.T) {
	r := &IdentityConfigReconciler{shared: &shared{opts: Options{SCIMEnabled: false}}}
	ic := &v1.IdentityConfig{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
	if err := r.setEndpoint(context.Background(), ic, ""); err != nil {
		t.Fatal(err)
	}
	if !conditionIs(ic.Status.Conditions, v1.ConditionEndpointReady, metav1.ConditionFalse) ||
		conditionReason(ic.Status.Conditions, v1.ConditionEndpointReady) != v1.ReasonEndpointDisabled {
		t.Fatalf("EndpointReady = %+v, want False/EndpointDisabled", ic.Status.Conditions)
	}
	setCondition(&ic.Status.Conditions, 3, v1.ConditionBackendReachable, metav1.ConditionTrue, v1.ReasonReconciled, "")
	setCondition(&ic.Status.Conditions, 3, v1.ConditionSSOEnabled, metav1.ConditionTrue, v1.ReasonSSOLoginMethod, "")
	if !r.setReady(ic, nil, "") {
		t.Fatal("a disabled SCIM endpoint must not hold provisioning of the stored users")
	}
	if !conditionIs(ic.Status.Conditions, v1.ConditionReady, metav1.ConditionTrue) {
		t.Fatalf("Ready = %+v, want True", ic.Status.Conditions)
	}
	if provisioningHold(ic) != "" {
		t.Fatalf("provisioning held: %s", provisioningHold(ic))
	}
	setCondition(&ic.Status.Conditions, 3, v1.ConditionSSOEnabled, metav1.ConditionFalse, v1.ReasonSSONotEnabled, "PASSWORD")
	if r.setReady(ic, nil, "") || provisioningHold(ic) == "" {
		t.Fatal("Lightrun rule 2: without SSO provisioning is held")
	}
	if conditionReason(ic.Status.Conditions, v1.ConditionReady) != v1.ReasonSSONotEnabled {
		t.Fatalf("Ready reason %s, want SSONotEnabled", conditionReason(ic.Status.Conditions, v1.ConditionReady))
	}
}
