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

// Condition types. Every condition the operator writes records the generation
// it was computed from in observedGeneration.
const (
	// ConditionReady summarises an IdentityConfig or AgentPool: True when
	// everything it is responsible for is in place.
	ConditionReady = "Ready"
	// ConditionSSOEnabled on an IdentityConfig is True when Lightrun's login
	// method is SSO, the prerequisite for provisioning (Lightrun rule 2).
	ConditionSSOEnabled = "SSOEnabled"
	// ConditionBackendReachable on an IdentityConfig is True when the Lightrun
	// API answered the last call with the configured API key.
	ConditionBackendReachable = "BackendReachable"
	// ConditionEndpointReady on an IdentityConfig is True when the SCIM
	// endpoint accepts requests for it.
	ConditionEndpointReady = "EndpointReady"
	// ConditionBuiltInSCIMDisabled on an IdentityConfig is False when
	// Lightrun's own SCIM provisioning is also enabled for the company, which
	// would make two provisioning sources fight (Lightrun rule 1).
	ConditionBuiltInSCIMDisabled = "BuiltInSCIMDisabled"
	// ConditionSynced on a ScimUser is True when Lightrun holds the user as
	// the resource describes it.
	ConditionSynced = "Synced"
	// ConditionPoolReady on an AgentPool is True when the Lightrun agent pool
	// and its linked user group exist as declared.
	ConditionPoolReady = "PoolReady"
	// ConditionMembersSynced on an AgentPool is True when the linked Lightrun
	// group's members are exactly the selected, synced users.
	ConditionMembersSynced = "MembersSynced"
)

// Condition reasons. They are CamelCase, stable, and meant to be matched by
// tools: add new ones, never rename.
const (
	// ReasonReconciled: the object is in the state it declares.
	ReasonReconciled = "Reconciled"
	// ReasonReconciling: work is under way; the condition's message says what.
	ReasonReconciling = "Reconciling"

	// ReasonSecretNotFound: a referenced Secret does not exist.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonSecretKeyMissing: a referenced Secret exists but lacks the key, or the value is empty.
	ReasonSecretKeyMissing = "SecretKeyMissing"
	// ReasonBearerTokenTooShort: the SCIM bearer token, without surrounding
	// whitespace, is shorter than MinBearerTokenLength bytes.
	ReasonBearerTokenTooShort = "BearerTokenTooShort"
	// ReasonBackendUnreachable: Lightrun could not be reached or answered 5xx.
	ReasonBackendUnreachable = "BackendUnreachable"
	// ReasonUnauthorized: Lightrun rejected the API key (401).
	ReasonUnauthorized = "Unauthorized"
	// ReasonForbidden: the API key may not perform the operation (403).
	ReasonForbidden = "Forbidden"
	// ReasonRateLimited: Lightrun answered 429; work resumes after Retry-After.
	ReasonRateLimited = "RateLimited"
	// ReasonSSOLoginMethod: Lightrun's current login method is SSO.
	ReasonSSOLoginMethod = "SSOLoginMethod"
	// ReasonSSONotEnabled: Lightrun's login method is not SSO, so provisioning is held (Lightrun rule 2).
	ReasonSSONotEnabled = "SSONotEnabled"
	// ReasonDuplicateIdentityProvider: another IdentityConfig already feeds the same Lightrun company (Lightrun rule 1).
	ReasonDuplicateIdentityProvider = "DuplicateIdentityProvider"
	// ReasonCompanyMismatch: the API key belongs to another Lightrun company
	// than spec.lightrun.companyId names (Lightrun rule 1).
	ReasonCompanyMismatch = "CompanyMismatch"
	// ReasonBuiltInSCIMRiskAccepted: Lightrun's own SCIM provisioning is on and
	// spec.builtInSCIM is RiskConflictingWrites, so the operator provisions anyway.
	ReasonBuiltInSCIMRiskAccepted = "BuiltInSCIMRiskAccepted"
	// ReasonInsufficientPermissions: the API key's permission level does not
	// allow the calls provisioning needs (COMPANY level).
	ReasonInsufficientPermissions = "InsufficientPermissions"
	// ReasonManagedByAnotherIdP: the email belongs to a Lightrun user another
	// identity provider manages (Lightrun's userManagementType SCIM or LDAP);
	// it is never adopted.
	ReasonManagedByAnotherIdP = "ManagedByAnotherIdentityProvider"
	// ReasonBuiltInSCIMEnabled: Lightrun's own SCIM provisioning is enabled for the company.
	ReasonBuiltInSCIMEnabled = "BuiltInSCIMEnabled"
	// ReasonBuiltInSCIMOff: Lightrun's own SCIM provisioning is off.
	ReasonBuiltInSCIMOff = "BuiltInSCIMOff"
	// ReasonEndpointDisabled: spec.scim.enabled is false.
	ReasonEndpointDisabled = "EndpointDisabled"
	// ReasonServing: the SCIM endpoint accepts requests.
	ReasonServing = "Serving"

	// ReasonIdentityConfigNotReady: the owning IdentityConfig is missing or not Ready.
	ReasonIdentityConfigNotReady = "IdentityConfigNotReady"
	// ReasonNoEmail: the user has no primary or work email and its userName is not an email.
	ReasonNoEmail = "NoEmail"
	// ReasonExistingUnmanagedUser: the email already exists in Lightrun and
	// provisionExistingUsers is false (Lightrun rule 5).
	ReasonExistingUnmanagedUser = "ExistingUnmanagedUser"
	// ReasonEmailInUse: another ScimUser of the same IdentityConfig already uses the email as its key.
	ReasonEmailInUse = "EmailInUse"
	// ReasonDeprovisioned: the user is inactive and disabled in Lightrun.
	ReasonDeprovisioned = "Deprovisioned"
	// ReasonLightrunRejected: Lightrun refused the request with an error retrying cannot fix.
	ReasonLightrunRejected = "LightrunRejected"
	// ReasonDeleting: the object is being removed and its Lightrun counterpart cleaned up.
	ReasonDeleting = "Deleting"
)
