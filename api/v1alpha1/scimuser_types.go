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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScimName is the SCIM User "name" complex attribute (RFC 7643 §4.1.1).
type ScimName struct {
	// formatted is the full name, formatted for display.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Formatted string `json:"formatted,omitempty"`
	// familyName is the family (last) name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	FamilyName string `json:"familyName,omitempty"`
	// givenName is the given (first) name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	GivenName string `json:"givenName,omitempty"`
	// middleName is the middle name(s).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	MiddleName string `json:"middleName,omitempty"`
	// honorificPrefix, e.g. "Ms.".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	// honorificSuffix, e.g. "III".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

// ScimMultiValue is one value of a SCIM multi-valued attribute such as
// emails, phoneNumbers, ims, photos, entitlements, roles or x509Certificates
// (RFC 7643 §2.4).
type ScimMultiValue struct {
	// value of the attribute, e.g. the email address.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Value string `json:"value"`
	// display is a human-readable label for the value.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Display string `json:"display,omitempty"`
	// type labels the value's function, e.g. "work" or "home".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Type string `json:"type,omitempty"`
	// primary marks the preferred value; at most one value is primary. A
	// false the IdP wrote is kept (and returned) as false.
	// +optional
	Primary *bool `json:"primary,omitempty"`
}

// ScimAddress is one value of the SCIM User "addresses" attribute (RFC 7643 §4.1.2).
type ScimAddress struct {
	// formatted is the full mailing address.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Formatted string `json:"formatted,omitempty"`
	// streetAddress is the street, house number and unit.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	StreetAddress string `json:"streetAddress,omitempty"`
	// locality is the city.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Locality string `json:"locality,omitempty"`
	// region is the state or region.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Region string `json:"region,omitempty"`
	// postalCode is the zip or postal code.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	PostalCode string `json:"postalCode,omitempty"`
	// country is the ISO 3166-1 alpha-2 country code.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Country string `json:"country,omitempty"`
	// type labels the address, e.g. "work".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Type string `json:"type,omitempty"`
	// primary marks the preferred address; a false the IdP wrote is kept.
	// +optional
	Primary *bool `json:"primary,omitempty"`
}

// ScimManager is the enterprise extension's "manager" attribute (RFC 7643 §4.3).
type ScimManager struct {
	// value is the SCIM id of the manager.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Value string `json:"value,omitempty"`
	// ref is the URI of the manager's SCIM resource (SCIM "$ref").
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Ref string `json:"ref,omitempty"`
	// displayName of the manager (readOnly in SCIM).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	DisplayName string `json:"displayName,omitempty"`
}

// ScimEnterpriseUser is the enterprise User extension,
// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User (RFC 7643 §4.3).
type ScimEnterpriseUser struct {
	// employeeNumber assigned by the organization.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	EmployeeNumber string `json:"employeeNumber,omitempty"`
	// costCenter name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	CostCenter string `json:"costCenter,omitempty"`
	// organization name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Organization string `json:"organization,omitempty"`
	// division name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Division string `json:"division,omitempty"`
	// department name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Department string `json:"department,omitempty"`
	// manager of the user.
	// +optional
	Manager *ScimManager `json:"manager,omitempty"`
}

// ScimUserSpec is a SCIM User (RFC 7643 §4.1) with the enterprise extension
// (§4.3), as the identity provider pushed it. It never holds a password: SCIM
// "password" is accepted by the endpoint and dropped. The SCIM id is the
// object's metadata.name, followed, for a name derived from the userName, by
// a dot and the first 12 hex digits of metadata.uid (ScimUser.SCIMID);
// meta.created is its creationTimestamp.
// +kubebuilder:validation:XValidation:rule="!has(self.emails) || self.emails.filter(e, has(e.primary) && e.primary).size() <= 1",message="at most one email may be primary (RFC 7643 §2.4)"
// +kubebuilder:validation:XValidation:rule="!has(self.phoneNumbers) || self.phoneNumbers.filter(e, has(e.primary) && e.primary).size() <= 1",message="at most one phone number may be primary (RFC 7643 §2.4)"
// +kubebuilder:validation:XValidation:rule="!has(self.addresses) || self.addresses.filter(e, has(e.primary) && e.primary).size() <= 1",message="at most one address may be primary (RFC 7643 §2.4)"
type ScimUserSpec struct {
	// identityConfigRef names the IdentityConfig (same namespace) whose SCIM
	// endpoint received the user. Immutable.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="identityConfigRef is immutable"
	IdentityConfigRef IdentityConfigReference `json:"identityConfigRef"`

	// userName is the unique identifier the IdP uses for the user; unique per
	// IdentityConfig, compared case-insensitively.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	UserName string `json:"userName"`

	// externalId is the IdP's own identifier for the user, kept verbatim.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ExternalID string `json:"externalId,omitempty"`

	// name is the user's name, split into its parts.
	// +optional
	Name *ScimName `json:"name,omitempty"`

	// displayName is the name to show for the user.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	DisplayName string `json:"displayName,omitempty"`

	// nickName is the casual name of the user.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	NickName string `json:"nickName,omitempty"`

	// profileUrl is a URI of the user's online profile.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ProfileURL string `json:"profileUrl,omitempty"`

	// title is the user's title, e.g. "Vice President".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Title string `json:"title,omitempty"`

	// userType labels the relationship to the organization, e.g. "Employee".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	UserType string `json:"userType,omitempty"`

	// preferredLanguage, as an HTTP Accept-Language value, e.g. "en-US".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	PreferredLanguage string `json:"preferredLanguage,omitempty"`

	// locale for localising currency, dates and numbers, e.g. "en-US".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Locale string `json:"locale,omitempty"`

	// timezone in IANA form, e.g. "America/Los_Angeles".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Timezone string `json:"timezone,omitempty"`

	// active is the user's administrative status; an inactive user is
	// disabled in Lightrun. Absent (never written, or removed by a SCIM
	// PATCH) counts as active.
	// +optional
	Active *bool `json:"active,omitempty"`

	// emails of the user; the primary one, else the work one, is the user's
	// key in Lightrun.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Emails []ScimMultiValue `json:"emails,omitempty"`

	// phoneNumbers of the user.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	PhoneNumbers []ScimMultiValue `json:"phoneNumbers,omitempty"`

	// ims are instant messaging addresses of the user.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	IMs []ScimMultiValue `json:"ims,omitempty"`

	// photos are URLs of images of the user.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Photos []ScimMultiValue `json:"photos,omitempty"`

	// addresses of the user.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Addresses []ScimAddress `json:"addresses,omitempty"`

	// entitlements of the user.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Entitlements []ScimMultiValue `json:"entitlements,omitempty"`

	// roles of the user, as the IdP names them (not Lightrun roles).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Roles []ScimMultiValue `json:"roles,omitempty"`

	// x509Certificates of the user, base64 DER.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	X509Certificates []ScimMultiValue `json:"x509Certificates,omitempty"`

	// groups are the SCIM ids of the ScimGroups the user is a direct member
	// of. Membership is stored here, on the member side, so that a group of
	// any size never grows a single object; SCIM Group "members" is derived
	// from an index over this field.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=4096
	// +kubebuilder:validation:items:MaxLength=253
	Groups []string `json:"groups,omitempty"`

	// enterprise is the enterprise User extension (RFC 7643 §4.3).
	// +optional
	Enterprise *ScimEnterpriseUser `json:"enterprise,omitempty"`
}

// ScimUserStatus is where the user stands in Lightrun.
type ScimUserStatus struct {
	// conditions: Synced.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// lightrunUserId is the id of the Lightrun user.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	LightrunUserID string `json:"lightrunUserId,omitempty"`

	// email is the Lightrun key of the user: the primary email, else the work
	// email, else the userName when it is an email.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email,omitempty"`

	// effectiveAgentPools are the Lightrun agent pools the user belongs to.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=255
	EffectiveAgentPools []string `json:"effectiveAgentPools,omitempty"`

	// effectiveRoles are the user's Lightrun roles: the union of its pools'
	// roles, or the IdentityConfig's default roles.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=7
	EffectiveRoles []LightrunUserRole `json:"effectiveRoles,omitempty"`

	// adopted is true when the user existed in Lightrun before it was pushed
	// and was taken over because provisionExistingUsers is on.
	// +optional
	Adopted bool `json:"adopted,omitempty"`

	// lastSyncTime is when Lightrun was last brought in line with the user.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// createAttempt is the write-ahead record of a create call for the
	// Lightrun user: written just before the operator asks Lightrun to create
	// it, removed once the status records the user (or Lightrun refused the
	// create). While it is set, a Lightrun user with this email that Lightrun
	// created around this time is the operator's own, made by a call whose
	// answer was lost to a timeout or a crash (Lightrun rule 6).
	// +optional
	CreateAttempt *LightrunCreateAttempt `json:"createAttempt,omitempty"`
}

// CreateUndoWindow bounds how long after a ScimUser's creation the SCIM
// endpoint may still take the create back by removing the object's
// finalizer itself (a concurrent create of the same userName won, and the
// controllers have not acted on the object); past it the controllers'
// finalizer cleans up. The endpoint's removal is conditioned on the
// object's version, so a write-ahead record in the ScimUser's own status
// stops it; a record in the IdentityConfig's status.createAttempts does
// not, which is why the ScimUser controller records there only the creates
// of users older than CreateAttemptsMinAge.
const CreateUndoWindow = time.Minute

// CreateAttemptsMinAge is the age from which a ScimUser's Lightrun create is
// recorded in the IdentityConfig's status.createAttempts: twice
// CreateUndoWindow, a margin for clocks that differ between replicas.
const CreateAttemptsMinAge = 2 * CreateUndoWindow

// LightrunCreateAttempt names the Lightrun user a create call was made for,
// and when the call was made.
type LightrunCreateAttempt struct {
	// email of the Lightrun user the call creates.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email"`

	// time the call was made.
	// +required
	Time metav1.Time `json:"time"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=su,categories=lightrun-identity
// +kubebuilder:printcolumn:name="UserName",type=string,JSONPath=`.spec.userName`
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=`.status.email`
// +kubebuilder:printcolumn:name="Active",type=boolean,JSONPath=`.spec.active`
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].reason`
// +kubebuilder:printcolumn:name="IdentityConfig",type=string,JSONPath=`.spec.identityConfigRef.name`,priority=1
// +kubebuilder:printcolumn:name="Lightrun ID",type=string,JSONPath=`.status.lightrunUserId`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ScimUser is a user pushed by the identity provider through the SCIM
// endpoint. Only the operator writes it.
type ScimUser struct {
	metav1.TypeMeta `json:",inline"`

	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// +required
	Spec ScimUserSpec `json:"spec"`

	// +optional
	Status ScimUserStatus `json:"status,omitzero"`

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

// ScimUserList is a list of ScimUsers.
type ScimUserList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []ScimUser `json:"items"`
}

func init() {
	register(&ScimUser{}, &ScimUserList{})
}
