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

// AgentPoolDeletionPolicy says what deleting an AgentPool does to the Lightrun agent pool.
// +kubebuilder:validation:Enum=Retain;Delete
type AgentPoolDeletionPolicy string

// The agent pool deletion policies.
const (
	// AgentPoolRetain keeps the Lightrun agent pool; only the linked user group is removed.
	AgentPoolRetain AgentPoolDeletionPolicy = "Retain"
	// AgentPoolDelete also deletes the Lightrun agent pool (never the default pool).
	AgentPoolDelete AgentPoolDeletionPolicy = "Delete"
)

// AgentPoolMembers selects the users that belong to an agent pool.
type AgentPoolMembers struct {
	// groups are SCIM group display names (case-insensitive); every member of
	// each group belongs to the pool.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	Groups []string `json:"groups,omitempty"`

	// userNames are SCIM userNames (case-insensitive) that belong to the pool.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=1024
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=512
	UserNames []string `json:"userNames,omitempty"`
}

// AgentPoolSpec declares a Lightrun agent pool and who belongs to it.
type AgentPoolSpec struct {
	// identityConfigRef names the IdentityConfig (same namespace) whose
	// Lightrun company holds the pool and whose users are selected. Immutable.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="identityConfigRef is immutable"
	IdentityConfigRef IdentityConfigReference `json:"identityConfigRef"`

	// poolName is the Lightrun agent pool's name. An existing pool of that
	// name is adopted. Immutable: declare a new AgentPool to use another pool.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="poolName is immutable"
	PoolName string `json:"poolName"`

	// description of the agent pool in Lightrun.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Description string `json:"description,omitempty"`

	// accessLevel is the access the pool's linked user group grants on the pool.
	// +optional
	// +kubebuilder:default=STANDARD
	AccessLevel AccessLevel `json:"accessLevel,omitempty"`

	// roles are the Lightrun user roles the pool's members inherit (Lightrun
	// rule 4). A user's roles are the union over its pools. Empty means the
	// IdentityConfig's default roles.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=7
	Roles []LightrunUserRole `json:"roles,omitempty"`

	// members selects the users that belong to the pool.
	// +optional
	Members AgentPoolMembers `json:"members,omitzero"`

	// deletionPolicy says whether deleting this AgentPool also deletes the
	// Lightrun agent pool (Delete) or keeps it (Retain, the default). The linked
	// user group is always removed. Lightrun's default pool is never deleted.
	// +optional
	// +kubebuilder:default=Retain
	DeletionPolicy AgentPoolDeletionPolicy `json:"deletionPolicy,omitempty"`
}

// AgentPoolStatus is the observed state of an AgentPool.
type AgentPoolStatus struct {
	// conditions: Ready, PoolReady, MembersSynced.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// poolId is the Lightrun agent pool's id.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	PoolID string `json:"poolId,omitempty"`

	// groupId is the id of the Lightrun user group linked to the pool.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	GroupID string `json:"groupId,omitempty"`

	// memberCount is the number of users in the linked Lightrun group.
	// +optional
	MemberCount int32 `json:"memberCount,omitempty"`

	// adopted is true when the pool existed in Lightrun before this AgentPool.
	// +optional
	Adopted bool `json:"adopted,omitempty"`

	// membersDigest is a digest of the member emails the linked group was
	// last brought in line with. When the selection is unchanged and Lightrun
	// differs, the difference was made in Lightrun and is reverted as drift.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	MembersDigest string `json:"membersDigest,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=agp,categories=lightrun-identity
// +kubebuilder:printcolumn:name="Pool",type=string,JSONPath=`.spec.poolName`
// +kubebuilder:printcolumn:name="Access",type=string,JSONPath=`.spec.accessLevel`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.memberCount`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Pool ID",type=string,JSONPath=`.status.poolId`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// AgentPool is a Lightrun agent pool declared in git, with the users that
// belong to it and the roles they inherit.
type AgentPool struct {
	metav1.TypeMeta `json:",inline"`

	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// +required
	Spec AgentPoolSpec `json:"spec"`

	// +optional
	Status AgentPoolStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// AgentPoolList is a list of AgentPools.
type AgentPoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []AgentPool `json:"items"`
}

func init() {
	register(&AgentPool{}, &AgentPoolList{})
}
