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

// LabelIdentityConfig is set by the SCIM endpoint on every ScimUser and
// ScimGroup to the name of the IdentityConfig it belongs to, so that list
// calls and informers can select one IdentityConfig's objects.
const LabelIdentityConfig = "identity.lightrun.com/identity-config"

// LabelWatch, set to "true" on a Secret an IdentityConfig names (its API key
// or SCIM bearer token), lets the operator watch that Secret's metadata, so a
// rotated key takes effect at once. The manager's cache holds only Secrets
// with this label (and only their metadata, never their data). A Secret
// without it still works: it is read by name with get and re-read at most
// once per backend check interval, so a rotation takes effect within that
// interval instead of at once. See docs/security.md.
const LabelWatch = "identity.lightrun.com/watch"

// AnnotationResyncRequestedAt, set on an IdentityConfig to any new value
// (e.g. the current time), makes the operator re-read Lightrun and revert
// drift now instead of waiting for spec.resyncPeriod. The value handled last
// is recorded in status.lastHandledResyncRequest.
const AnnotationResyncRequestedAt = "identity.lightrun.com/resync-requested-at"

// AnnotationLightrunUser held, in versions before ScimUser
// status.createAttempt, the email of the Lightrun user the operator was about
// to create (the write-ahead record of the create). The operator moves it
// into status.createAttempt and removes it from the ScimUsers that still
// carry it.
const AnnotationLightrunUser = "identity.lightrun.com/lightrun-user"

// AnnotationLightrunUserCreateAttempt held, with AnnotationLightrunUser, when
// that create was attempted (RFC 3339); moved into status.createAttempt too.
const AnnotationLightrunUserCreateAttempt = "identity.lightrun.com/lightrun-user-create-attempt"

// FinalizerLightrun is held by ScimUsers and AgentPools until their Lightrun
// counterpart has been deprovisioned or removed.
const FinalizerLightrun = "identity.lightrun.com/lightrun"

// LabelReservation, set to "true", marks a ScimUser that is no user: it
// occupies the object name derived from a userName (see DerivedNameLen) for
// the user that holds that userName after a rename, so that a create of the
// userName, one write of that object name, fails on it. The manager's cache
// leaves reservations out, and nothing the operator serves or provisions
// reads them; the SCIM endpoint writes and removes them.
const LabelReservation = "identity.lightrun.com/reservation"

// ReservationIdentityConfig is the spec.identityConfigRef of every
// reservation: no IdentityConfig may have this name, so no tenant's lookups
// and no controller of any version take a reservation for a user.
const ReservationIdentityConfig = "scim-reservation"

// AnnotationNameHeldBy, on a reservation or on a user renamed away from the
// userName its object name is derived from, is the SCIM id of the user that
// holds that userName now; AnnotationNameClaim is the name of the holder's
// uniqueness claim (a Lease in the same namespace).
const (
	AnnotationNameHeldBy = "identity.lightrun.com/name-held-by"
	AnnotationNameClaim  = "identity.lightrun.com/name-claim"
)

// FinalizerNameGuard is held by a user renamed away from the userName its
// object name is derived from while another user holds that userName: the
// object name stays occupied, even after the user is deleted, until the
// holder lets the userName go.
const FinalizerNameGuard = "identity.lightrun.com/name-guard"

// SecretKeyReference selects one key of a Secret in the referring object's namespace.
// +structType=atomic
type SecretKeyReference struct {
	// name of the Secret, in the namespace of the referring object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`

	// key is the key within the Secret's data that holds the value.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// IdentityConfigReference names an IdentityConfig in the referring object's namespace.
// +structType=atomic
type IdentityConfigReference struct {
	// name of the IdentityConfig.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
}

// LightrunUserRole is a Lightrun user role, as Lightrun's public API names it
// (CreateUserPublicDTO.roles). With RBAC off, Lightrun accepts only DEVELOPER
// and SYSTEM_ADMIN.
// +kubebuilder:validation:Enum=SYSTEM_ADMIN;COMPANY_VIEWER;GROUP_ADMIN;SECURITY;APP_SEC;INCIDENT_RESPONDER;DEVELOPER
type LightrunUserRole string

// The Lightrun user roles.
const (
	RoleSystemAdmin       LightrunUserRole = "SYSTEM_ADMIN"
	RoleCompanyViewer     LightrunUserRole = "COMPANY_VIEWER"
	RoleGroupAdmin        LightrunUserRole = "GROUP_ADMIN"
	RoleSecurity          LightrunUserRole = "SECURITY"
	RoleAppSec            LightrunUserRole = "APP_SEC"
	RoleIncidentResponder LightrunUserRole = "INCIDENT_RESPONDER"
	RoleDeveloper         LightrunUserRole = "DEVELOPER"
)

// AccessLevel is the access a Lightrun user group grants on its agent pools
// (UserGroupPublicDTO.roles).
// +kubebuilder:validation:Enum=STANDARD;PRIVILEGED
type AccessLevel string

// The Lightrun agent pool access levels.
const (
	AccessLevelStandard   AccessLevel = "STANDARD"
	AccessLevelPrivileged AccessLevel = "PRIVILEGED"
)
