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

// IdentityProviderKind names the identity provider that pushes into the SCIM
// endpoint. Requests are normalised for every known dialect whatever the
// kind; the kind selects defaults and documents the integration.
// +kubebuilder:validation:Enum=Okta;EntraID;OneLogin;JumpCloud;Generic
type IdentityProviderKind string

// The identity providers the operator knows by name.
const (
	IdentityProviderOkta      IdentityProviderKind = "Okta"
	IdentityProviderEntraID   IdentityProviderKind = "EntraID"
	IdentityProviderOneLogin  IdentityProviderKind = "OneLogin"
	IdentityProviderJumpCloud IdentityProviderKind = "JumpCloud"
	IdentityProviderGeneric   IdentityProviderKind = "Generic"
)

// DeprovisionPolicy says what happens in Lightrun to a user the IdP deletes.
// +kubebuilder:validation:Enum=Disable;Delete
type DeprovisionPolicy string

// The deprovision policies.
const (
	// DeprovisionDisable disables the Lightrun user and keeps its history.
	DeprovisionDisable DeprovisionPolicy = "Disable"
	// DeprovisionDelete deletes the Lightrun user.
	DeprovisionDelete DeprovisionPolicy = "Delete"
)

// LightrunConnection says which Lightrun company an IdentityConfig feeds and how to reach it.
type LightrunConnection struct {
	// url is the base URL of the Lightrun server, e.g. https://app.lightrun.com.
	// +required
	// +kubebuilder:validation:MinLength=8
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['https', 'http'] && url(self).getHostname() != ''",message="url must be an absolute http or https URL"
	URL string `json:"url"`

	// companyId is the Lightrun company the users are provisioned into.
	// Only one IdentityConfig may feed a given company (Lightrun rule 1).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][-A-Za-z0-9_]*$`
	CompanyID string `json:"companyId"`

	// apiKeySecretRef points at the Lightrun API key the operator calls the API with.
	// +required
	APIKeySecretRef SecretKeyReference `json:"apiKeySecretRef"`
}

// MinBearerTokenLength is the shortest SCIM bearer token accepted, in bytes,
// once surrounding whitespace is trimmed: a shorter token is guessable, and
// the SCIM endpoint refuses it.
const MinBearerTokenLength = 32

// BearerTokenSecretReference selects the bearer token(s) the IdP presents to the SCIM endpoint.
// +kubebuilder:validation:XValidation:rule="!has(self.previousKey) || self.previousKey != self.key",message="previousKey must differ from key"
type BearerTokenSecretReference struct {
	// name of the Secret, in the namespace of the IdentityConfig.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`

	// key within the Secret that holds the current token: at least 32 bytes
	// once surrounding whitespace (such as the trailing newline of a file
	// given to kubectl create secret --from-file) is trimmed.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`

	// previousKey, when set and present in the Secret, holds the token being
	// rotated out; it is accepted alongside the current one until removed
	// from the Secret. Rotation: copy the old token to previousKey, write the
	// new one to key, update the IdP, then delete previousKey. Secret changes
	// take effect without a restart.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	PreviousKey string `json:"previousKey,omitempty"`
}

// ScimEndpointSpec configures the SCIM 2.0 endpoint for one IdentityConfig.
// +kubebuilder:validation:XValidation:rule="!self.enabled || has(self.bearerTokenSecretRef)",message="bearerTokenSecretRef is required when the SCIM endpoint is enabled"
type ScimEndpointSpec struct {
	// enabled turns the SCIM endpoint for this IdentityConfig on or off. When
	// off, SCIM requests are refused and the stored users keep reconciling.
	// +optional
	// +kubebuilder:default=true
	Enabled bool `json:"enabled"`

	// idpKind names the identity provider that pushes users.
	// +optional
	// +kubebuilder:default=Generic
	IdPKind IdentityProviderKind `json:"idpKind,omitempty"`

	// bearerTokenSecretRef selects the token the IdP must present.
	// +optional
	BearerTokenSecretRef *BearerTokenSecretReference `json:"bearerTokenSecretRef,omitempty"`

	// rateLimit overrides, for this IdentityConfig's bearer tokens, the
	// requests per second and burst the manager allows every token
	// (--scim-rate-limit, --scim-rate-burst). Beyond it the endpoint answers
	// 429 with Retry-After. A change applies at the token's next request.
	// +optional
	RateLimit *ScimRateLimit `json:"rateLimit,omitempty"`
}

// ScimRateLimit is how many SCIM requests a bearer token may make. A field
// left out keeps the manager's default.
// +kubebuilder:validation:MinProperties=1
type ScimRateLimit struct {
	// requestsPerSecond is the sustained rate.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	RequestsPerSecond *int32 `json:"requestsPerSecond,omitempty"`

	// burst is how many requests may come at once above the sustained
	// rate. A Bulk request costs one per operation.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	Burst *int32 `json:"burst,omitempty"`
}

// BuiltInSCIMPolicy says what to do while Lightrun's built-in SCIM is on.
// +kubebuilder:validation:Enum=Hold;RiskConflictingWrites
type BuiltInSCIMPolicy string

const (
	// BuiltInSCIMHold holds provisioning while Lightrun's built-in SCIM is on.
	BuiltInSCIMHold BuiltInSCIMPolicy = "Hold"
	// BuiltInSCIMRiskConflictingWrites provisions even while Lightrun's
	// built-in SCIM is on, accepting that two identity providers write the
	// same users.
	BuiltInSCIMRiskConflictingWrites BuiltInSCIMPolicy = "RiskConflictingWrites"
)

// LightrunSettings is what Lightrun reported about the company at the last
// check.
type LightrunSettings struct {
	// companyId is the company id Lightrun reports in its SCIM endpoint and
	// SSO redirect URLs; empty when it reports none.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	CompanyID string `json:"companyId,omitempty"`
	// loginMethod is Lightrun's current login method: SSO, PASSWORD or GOOGLE.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	LoginMethod string `json:"loginMethod,omitempty"`
	// builtInSCIMEnabled says Lightrun's own SCIM provisioning is on.
	// +optional
	BuiltInSCIMEnabled bool `json:"builtInSCIMEnabled,omitempty"`
	// createExistingUsersEnabled is Lightrun's built-in SCIM setting of the
	// same purpose as spec.provisionExistingUsers. It applies to Lightrun's
	// own SCIM endpoint only; the operator reports it and follows
	// spec.provisionExistingUsers.
	// +optional
	CreateExistingUsersEnabled bool `json:"createExistingUsersEnabled,omitempty"`
}

// IdentityConfigSpec declares one Lightrun company and the one identity provider that feeds it.
type IdentityConfigSpec struct {
	// lightrun is the Lightrun company the users land in.
	// +required
	Lightrun LightrunConnection `json:"lightrun"`

	// scim configures the SCIM endpoint the identity provider pushes into.
	// +required
	SCIM ScimEndpointSpec `json:"scim"`

	// provisionExistingUsers adopts a pushed user whose email already exists
	// in Lightrun (recorded in the ScimUser's status) instead of refusing it
	// with reason ExistingUnmanagedUser (Lightrun rule 5).
	// +optional
	// +kubebuilder:default=false
	ProvisionExistingUsers bool `json:"provisionExistingUsers"`

	// deprovisionPolicy says what a SCIM DELETE does in Lightrun: Disable
	// (default) keeps the user disabled, Delete removes it.
	// +optional
	// +kubebuilder:default=Disable
	DeprovisionPolicy DeprovisionPolicy `json:"deprovisionPolicy,omitempty"`

	// defaultAgentPool is the Lightrun agent pool a user lands in when no
	// AgentPool selects it. Empty means Lightrun's default pool (Lightrun rule 4).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	DefaultAgentPool string `json:"defaultAgentPool,omitempty"`

	// defaultRoles are the Lightrun roles of a user no AgentPool selects.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=7
	// +kubebuilder:default={"DEVELOPER"}
	DefaultRoles []LightrunUserRole `json:"defaultRoles,omitempty"`

	// builtInSCIM says what the operator does while Lightrun's own built-in
	// SCIM provisioning is enabled for the company, which means a second
	// identity provider may be writing the same users (Lightrun rule 1).
	// Hold (default) provisions nothing until it is turned off.
	// RiskConflictingWrites provisions anyway: the two identity providers
	// may then overwrite, disable or delete each other's users.
	// +optional
	// +kubebuilder:default=Hold
	BuiltInSCIM BuiltInSCIMPolicy `json:"builtInSCIM,omitempty"`

	// resyncPeriod is how often Lightrun is re-read to revert drift made in
	// the Lightrun portal. Between 30s and 24h.
	// +optional
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('30s') && duration(self) <= duration('24h')",message="resyncPeriod must be between 30s and 24h"
	ResyncPeriod *metav1.Duration `json:"resyncPeriod,omitempty"`
}

// UserCounts counts the ScimUsers of an IdentityConfig by sync state.
type UserCounts struct {
	// total is the number of ScimUsers of this IdentityConfig.
	// +optional
	Total int32 `json:"total"`
	// synced users are in Lightrun as declared.
	// +optional
	Synced int32 `json:"synced"`
	// pending users wait for a prerequisite or a retry.
	// +optional
	Pending int32 `json:"pending"`
	// failed users were refused for a reason retrying cannot fix.
	// +optional
	Failed int32 `json:"failed"`
}

// IdentityConfigStatus is the observed state of an IdentityConfig.
type IdentityConfigStatus struct {
	// conditions: Ready, SSOEnabled, BackendReachable, EndpointReady, BuiltInSCIMDisabled.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// scimBaseURL is the SCIM base URL to give the identity provider.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ScimBaseURL string `json:"scimBaseURL,omitempty"`

	// users counts this IdentityConfig's ScimUsers by sync state.
	// +optional
	Users UserCounts `json:"users,omitzero"`

	// groups is the number of this IdentityConfig's ScimGroups.
	// +optional
	Groups int32 `json:"groups,omitempty"`

	// lightrun is what Lightrun reported about the company at the last check.
	// +optional
	Lightrun LightrunSettings `json:"lightrun,omitzero"`

	// lastResyncTime is when Lightrun was last re-read for drift.
	// +optional
	LastResyncTime *metav1.Time `json:"lastResyncTime,omitempty"`

	// lastHandledResyncRequest is the value of the
	// identity.lightrun.com/resync-requested-at annotation the last resync
	// answered.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	LastHandledResyncRequest string `json:"lastHandledResyncRequest,omitempty"`

	// deprovisionedUsers are the Lightrun users the operator disabled because
	// the identity provider deleted them (deprovisionPolicy Disable), newest
	// last, at most MaxDeprovisionedUsers. A resync disables again any of
	// them re-enabled in Lightrun by hand (Lightrun rule 3); an entry goes
	// when the identity provider provisions the email again, or when the
	// Lightrun user is gone.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1000
	DeprovisionedUsers []DeprovisionedUser `json:"deprovisionedUsers,omitempty"`

	// createAttempts are write-ahead records of Lightrun user creates whose
	// outcome no ScimUser status records yet, kept for many ScimUsers in one
	// list so that one write records the creates of a whole batch of users
	// (Lightrun rule 6). An entry goes once its ScimUser's status records the
	// Lightrun user, when Lightrun refused the create, or when the ScimUser
	// is gone. A ScimUser created less than two minutes ago, or one whose
	// record does not fit (at most MaxCreateAttempts), keeps its own record
	// in its status.createAttempt instead.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=500
	CreateAttempts []UserCreateAttempt `json:"createAttempts,omitempty"`
}

// MaxCreateAttempts bounds status.createAttempts: 500 entries of at most
// about 600 bytes keep the IdentityConfig far below the API server's object
// size limit. The list holds the creates in flight (one per ScimUser worker)
// and those a crash left unanswered until their users are reconciled again.
const MaxCreateAttempts = 500

// UserCreateAttempt is the write-ahead record of a create call for the
// Lightrun user of one ScimUser.
type UserCreateAttempt struct {
	// user is the ScimUser's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	User string `json:"user"`

	// uid is the ScimUser's UID: an object made again under the same name is
	// another user, and the record is not its.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	UID string `json:"uid"`

	// email of the Lightrun user the call creates.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email"`

	// time the call was made.
	// +required
	Time metav1.Time `json:"time"`
}

// MaxDeprovisionedUsers bounds status.deprovisionedUsers: 1,000 entries of
// about 150 bytes keep the IdentityConfig far below the API server's object
// size limit; past it the oldest entry is dropped.
const MaxDeprovisionedUsers = 1000

// DeprovisionedUser is a Lightrun user the operator disabled because the
// identity provider deleted its ScimUser.
type DeprovisionedUser struct {
	// email is the Lightrun user's email (lower-cased).
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email"`

	// lightrunUserId is the Lightrun user's id when it was disabled: a user
	// made again by hand under the same email is another user, left alone.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	LightrunUserID string `json:"lightrunUserId,omitempty"`

	// disabledAt is when the operator disabled it.
	DisabledAt metav1.Time `json:"disabledAt"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=idc,categories=lightrun-identity
// +kubebuilder:validation:XValidation:rule="self.metadata.name != 'scim-reservation'",message="scim-reservation is the tenant of the SCIM endpoint's userName reservations; choose another name"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Company",type=string,JSONPath=`.spec.lightrun.companyId`
// +kubebuilder:printcolumn:name="IdP",type=string,JSONPath=`.spec.scim.idpKind`
// +kubebuilder:printcolumn:name="Users",type=integer,JSONPath=`.status.users.total`
// +kubebuilder:printcolumn:name="Synced",type=integer,JSONPath=`.status.users.synced`
// +kubebuilder:printcolumn:name="Failed",type=integer,JSONPath=`.status.users.failed`
// +kubebuilder:printcolumn:name="SCIM URL",type=string,JSONPath=`.status.scimBaseURL`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// IdentityConfig connects one Lightrun company to the one identity provider
// that feeds it through the operator's SCIM endpoint.
type IdentityConfig struct {
	metav1.TypeMeta `json:",inline"`

	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// +required
	Spec IdentityConfigSpec `json:"spec"`

	// +optional
	Status IdentityConfigStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// IdentityConfigList is a list of IdentityConfigs.
type IdentityConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []IdentityConfig `json:"items"`
}

func init() {
	register(&IdentityConfig{}, &IdentityConfigList{})
}
