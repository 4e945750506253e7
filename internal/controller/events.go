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
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
)

// Event reasons. Every change the operator makes in Lightrun is an Event on
// the object that caused it; reverting drift is a Warning, since someone
// changed Lightrun behind the operator's back (Lightrun rule 3).
const (
	EventUserCreated    = "UserCreated"
	EventUserAdopted    = "UserAdopted"
	EventUserUpdated    = "UserUpdated"
	EventUserEnabled    = "UserEnabled"
	EventUserDisabled   = "UserDisabled"
	EventUserDeleted    = "UserDeleted"
	EventEmailChanged   = "EmailChanged"
	EventDriftReverted  = "DriftReverted"
	EventPoolCreated    = "AgentPoolCreated"
	EventPoolAdopted    = "AgentPoolAdopted"
	EventPoolUpdated    = "AgentPoolUpdated"
	EventPoolDeleted    = "AgentPoolDeleted"
	EventPoolKept       = "AgentPoolKept"
	EventGroupCreated   = "GroupCreated"
	EventGroupUpdated   = "GroupUpdated"
	EventGroupDeleted   = "GroupDeleted"
	EventMembersChanged = "MembersChanged"
	EventLeftInLightrun = "LeftInLightrun"
	// EventResyncIncomplete: a resync listed MaxResyncUsers Lightrun users
	// and stopped there.
	EventResyncIncomplete = "ResyncIncomplete"
)

// eventf records an Event about obj through the events.k8s.io API. action
// says what the operator did (CreateUser, RevertGroup...): events.k8s.io
// merges Events with the same object, reason and action into one series that
// keeps the first note, so two different changes must not share an action.
func eventf(r recorder.EventRecorder, obj runtime.Object, warning bool, reason, action, format string, args ...any) {
	typ := corev1.EventTypeNormal
	if warning {
		typ = corev1.EventTypeWarning
	}
	r.Eventf(obj, nil, typ, reason, action, format, args...)
}
