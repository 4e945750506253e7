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

package scim

// Helpers that spell the attribute definitions compactly. Each sets the
// characteristics RFC 7643 §8.7.1 gives the attribute; the definitions below
// override what differs.

func stringAttr(name, description string) Attribute {
	return Attribute{
		Name:        name,
		Type:        TypeString,
		Description: description,
		Mutability:  MutabilityReadWrite,
		Returned:    ReturnedDefault,
		Uniqueness:  UniquenessNone,
	}
}

func referenceAttr(name, description string, referenceTypes ...string) Attribute {
	a := stringAttr(name, description)
	a.Type = TypeReference
	a.ReferenceTypes = referenceTypes
	return a
}

func booleanAttr(name, description string) Attribute {
	// RFC 7643 §8.7.1 gives booleans no caseExact and no uniqueness.
	return Attribute{
		Name:        name,
		Type:        TypeBoolean,
		Description: description,
		Mutability:  MutabilityReadWrite,
		Returned:    ReturnedDefault,
	}
}

func complexAttr(name, description string, multiValued bool, subs ...Attribute) Attribute {
	return Attribute{
		Name:          name,
		Type:          TypeComplex,
		MultiValued:   multiValued,
		Description:   description,
		Mutability:    MutabilityReadWrite,
		Returned:      ReturnedDefault,
		SubAttributes: subs,
	}
}

func withCanonical(a Attribute, values ...string) Attribute {
	if values == nil {
		values = []string{}
	}
	a.CanonicalValues = values
	return a
}

func withMutability(a Attribute, m Mutability) Attribute {
	a.Mutability = m
	return a
}

func caseExact(a Attribute) Attribute {
	a.CaseExact = true
	return a
}

func withUniqueness(a Attribute, u Uniqueness) Attribute {
	a.Uniqueness = u
	return a
}

// multiValuedSubs builds the default sub-attributes of a multi-valued
// attribute (RFC 7643 §2.4: value, display, type, primary).
func multiValuedSubs(value Attribute, typeDescription string, canonical []string, hasCanonical bool) []Attribute {
	typ := stringAttr("type", typeDescription)
	if hasCanonical {
		typ = withCanonical(typ, canonical...)
	}
	return []Attribute{
		value,
		stringAttr("display", "A human-readable name, primarily used for display purposes. READ-ONLY."),
		typ,
		booleanAttr("primary", "A Boolean value indicating the 'primary' or preferred attribute value for this attribute. The primary attribute value 'true' MUST appear no more than once."),
	}
}

// UserSchema is the core User schema, RFC 7643 §4.1 in the full
// representation of RFC 7643 §8.7.1.
var UserSchema = Schema{
	ID:          UserSchemaURN,
	Name:        UserResourceTypeName,
	Description: "User Account",
	Attributes: []Attribute{
		func() Attribute {
			// RFC 7643 §4.1.1: userName is REQUIRED, unique across the
			// service provider's users, and case-insensitive.
			a := stringAttr("userName", "Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Each User MUST include a non-empty userName value. This identifier MUST be unique across the service provider's entire set of Users. REQUIRED.")
			a.Required = true
			a.Uniqueness = UniquenessServer
			return a
		}(),
		withUniqueness(complexAttr("name", "The components of the user's real name.", false,
			stringAttr("formatted", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
			stringAttr("familyName", "The family name of the User, or last name in most Western languages."),
			stringAttr("givenName", "The given name of the User, or first name in most Western languages."),
			stringAttr("middleName", "The middle name(s) of the User."),
			stringAttr("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages."),
			stringAttr("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages."),
		), UniquenessNone),
		stringAttr("displayName", "The name of the User, suitable for display to end-users."),
		stringAttr("nickName", "The casual way to address the user in real life."),
		referenceAttr("profileUrl", "A fully qualified URL pointing to a page representing the User's online profile.", "external"),
		stringAttr("title", "The user's title, such as \"Vice President.\""),
		stringAttr("userType", "Used to identify the relationship between the organization and the user."),
		stringAttr("preferredLanguage", "Indicates the User's preferred written or spoken language."),
		stringAttr("locale", "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
		stringAttr("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
		booleanAttr("active", "A Boolean value indicating the User's administrative status."),
		func() Attribute {
			// RFC 7643 §4.1.1: password is writeOnly and never returned.
			// This server also never stores it (docs/scim.md, Errors).
			a := stringAttr("password", "The User's cleartext password. Accepted and discarded by this service provider.")
			a.Mutability = MutabilityWriteOnly
			a.Returned = ReturnedNever
			return a
		}(),
		withUniqueness(complexAttr("emails", "Email addresses for the user.", true,
			multiValuedSubs(stringAttr("value", "Email addresses for the user."),
				"A label indicating the attribute's function, e.g., 'work' or 'home'.",
				[]string{"work", "home", "other"}, true)...,
		), UniquenessNone),
		complexAttr("phoneNumbers", "Phone numbers for the User.", true,
			multiValuedSubs(stringAttr("value", "Phone number of the User."),
				"A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.",
				[]string{"work", "home", "mobile", "fax", "pager", "other"}, true)...,
		),
		complexAttr("ims", "Instant messaging addresses for the User.", true,
			multiValuedSubs(stringAttr("value", "Instant messaging address for the User."),
				"A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.",
				[]string{"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}, true)...,
		),
		complexAttr("photos", "URLs of photos of the User.", true,
			multiValuedSubs(referenceAttr("value", "URL of a photo of the User.", "external"),
				"A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.",
				[]string{"photo", "thumbnail"}, true)...,
		),
		withUniqueness(complexAttr("addresses", "A physical mailing address for this User.", true,
			stringAttr("formatted", "The full mailing address, formatted for display or use with a mailing label."),
			stringAttr("streetAddress", "The full street address component."),
			stringAttr("locality", "The city or locality component."),
			stringAttr("region", "The state or region component."),
			stringAttr("postalCode", "The zip code or postal code component."),
			stringAttr("country", "The country name component."),
			withCanonical(stringAttr("type", "A label indicating the attribute's function, e.g., 'work' or 'home'."), "work", "home", "other"),
			// RFC 7643 §2.4 gives every multi-valued attribute a "primary"
			// sub-attribute and §4.1.2 describes one for addresses, although
			// the §8.7.1 figure omits it; Entra ID sends addresses[].primary.
			booleanAttr("primary", "A Boolean value indicating the 'primary' or preferred address. The primary attribute value 'true' MUST appear no more than once."),
		), UniquenessNone),
		// RFC 7643 §4.1.2: groups is readOnly; membership changes go through
		// the Group resource.
		withMutability(complexAttr("groups", "A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.", true,
			// caseExact: a group id (RFC 7643 §3.1), as for Group members.value.
			withMutability(caseExact(stringAttr("value", "The identifier of the User's group.")), MutabilityReadOnly),
			withMutability(referenceAttr("$ref", "The URI of the corresponding 'Group' resource to which the user belongs.", UserResourceTypeName, GroupResourceTypeName), MutabilityReadOnly),
			withMutability(stringAttr("display", "A human-readable name, primarily used for display purposes. READ-ONLY."), MutabilityReadOnly),
			withMutability(withCanonical(stringAttr("type", "A label indicating the attribute's function, e.g., 'direct' or 'indirect'."), "direct", "indirect"), MutabilityReadOnly),
		), MutabilityReadOnly),
		complexAttr("entitlements", "A list of entitlements for the User that represent a thing the User has.", true,
			multiValuedSubs(stringAttr("value", "The value of an entitlement."),
				"A label indicating the attribute's function.", nil, false)...,
		),
		complexAttr("roles", "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.", true,
			multiValuedSubs(stringAttr("value", "The value of a role."),
				"A label indicating the attribute's function.", nil, true)...,
		),
		complexAttr("x509Certificates", "A list of certificates issued to the User.", true,
			multiValuedSubs(func() Attribute {
				a := stringAttr("value", "The value of an X.509 certificate.")
				a.Type = TypeBinary
				return a
			}(), "A label indicating the attribute's function.", nil, true)...,
		),
	},
}

// EnterpriseUserSchema is the enterprise User extension, RFC 7643 §4.3 in
// the representation of RFC 7643 §8.7.1.
var EnterpriseUserSchema = Schema{
	ID:          EnterpriseUserSchemaURN,
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []Attribute{
		stringAttr("employeeNumber", "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization."),
		stringAttr("costCenter", "Identifies the name of a cost center."),
		stringAttr("organization", "Identifies the name of an organization."),
		stringAttr("division", "Identifies the name of a division."),
		stringAttr("department", "Identifies the name of a department."),
		complexAttr("manager", "The User's manager. A complex type that optionally allows service providers to represent organizational hierarchy by referencing the 'id' attribute of another User.", false,
			stringAttr("value", "The id of the SCIM resource representing the User's manager. RECOMMENDED."),
			referenceAttr("$ref", "The URI of the SCIM resource representing the User's manager. RECOMMENDED.", UserResourceTypeName),
			// RFC 7643 §4.3: manager.displayName is readOnly.
			withMutability(stringAttr("displayName", "The displayName of the User's manager. OPTIONAL and READ-ONLY."), MutabilityReadOnly),
		),
	},
}
