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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScimGroupSpec is a SCIM Group (RFC 7643 §4.2) without its members: members
// are stored on the member side (ScimUser.spec.groups for users,
// ScimGroup.spec.groups for nested groups) so that a group of 100,000 users
// never hits etcd's object size limit. The SCIM id is the object's
// metadata.name.
type ScimGroupSpec struct {
	// identityConfigRef names the IdentityConfig (same namespace) whose SCIM
	// endpoint received the group. Immutable.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="identityConfigRef is immutable"
	IdentityConfigRef IdentityConfigReference `json:"identityConfigRef"`

	// displayName is the group's name; unique per IdentityConfig, compared
	// case-insensitively. AgentPools select groups by it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	DisplayName string `json:"displayName"`

	// externalId is the IdP's own identifier for the group, kept verbatim.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ExternalID string `json:"externalId,omitempty"`

	// groups are the SCIM ids of the ScimGroups this group is a direct
	// member of (nested groups, RFC 7643 §4.2 members of type "Group").
	// Membership is stored here, on the member side, as for ScimUsers; a
	// group's group members are derived from an index over this field. The
	// SCIM endpoint refuses a change that would make a group its own
	// member, directly or through other groups.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=4096
	// +kubebuilder:validation:items:MaxLength=253
	Groups []string `json:"groups,omitempty"`
}

// ScimGroupStatus is the observed state of a ScimGroup.
type ScimGroupStatus struct {
	// conditions about the group.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// memberCount is the number of ScimUsers that list this group directly
	// (spec.groups). Users of nested groups and the nested groups themselves
	// are not counted, so that it stays one index lookup.
	// +optional
	MemberCount int32 `json:"memberCount,omitempty"`

	// agentPools are the names of the AgentPools that select this group.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=253
	AgentPools []string `json:"agentPools,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sg,categories=lightrun-identity
// +kubebuilder:printcolumn:name="DisplayName",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.memberCount`
// +kubebuilder:printcolumn:name="AgentPools",type=string,JSONPath=`.status.agentPools`
// +kubebuilder:printcolumn:name="IdentityConfig",type=string,JSONPath=`.spec.identityConfigRef.name`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ScimGroup is a group pushed by the identity provider through the SCIM
// endpoint. Only the operator writes it.
type ScimGroup struct {
	metav1.TypeMeta `json:",inline"`

	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// +required
	Spec ScimGroupSpec `json:"spec"`

	// +optional
	Status ScimGroupStatus `json:"status,omitzero"`

	// lastModified is when the SCIM endpoint last changed the resource
	// after creating it: SCIM meta.lastModified (RFC 7643 §3.1), which is
	// the creation time until the first change. Only the SCIM endpoint
	// writes it. (Earlier versions kept it in the annotation
	// identity.lightrun.com/last-modified, still read, and removed by the
	// next change.)
	// +optional
	LastModified *metav1.MicroTime `json:"lastModified,omitempty"`
}

// +kubebuilder:object:root=true

// ScimGroupList is a list of ScimGroups.
type ScimGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []ScimGroup `json:"items"`
}

func init() {
	register(&ScimGroup{}, &ScimGroupList{})
}
