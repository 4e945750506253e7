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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

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
