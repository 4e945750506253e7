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
	"fmt"
	"net/mail"
	"strings"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"k8s.io/utils/ptr"
)

// Lightrun's bounds on an email (CreateUserPublicDTO.email).
const (
	minEmailLength = 5
	maxEmailLength = 254
)

// validEmail reports whether s is a bare address Lightrun accepts: no display
// name, no angle brackets, within Lightrun's length bounds.
func validEmail(s string) bool {
	if len(s) < minEmailLength || len(s) > maxEmailLength || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@")+1:], ".")
}

// emailKey picks the email a ScimUser is keyed by in Lightrun, which keys
// users by email and has no rename: the primary email, else the work email,
// else the userName when it is an email. The key is lower-cased because
// Lightrun compares emails case-insensitively. When there is no usable email
// the second result says why, for the NoEmail condition.
func emailKey(s v1.ScimUserSpec) (string, string) {
	pick := func(what, value string) (string, string) {
		value = strings.TrimSpace(value)
		if !validEmail(value) {
			return "", fmt.Sprintf("the %s %q is not an email address Lightrun accepts", what, value)
		}
		return strings.ToLower(value), ""
	}
	for _, e := range s.Emails {
		if ptr.Deref(e.Primary, false) {
			return pick("primary email", e.Value)
		}
	}
	for _, e := range s.Emails {
		if strings.EqualFold(e.Type, "work") {
			return pick("work email", e.Value)
		}
	}
	if validEmail(strings.TrimSpace(s.UserName)) {
		return strings.ToLower(strings.TrimSpace(s.UserName)), ""
	}
	return "", "the user has no primary or work email and its userName is not an email address"
}

// lightrunNames gives the first and last name Lightrun stores for a user:
// the SCIM name's givenName and familyName; when the IdP sends neither, the
// displayName (or name.formatted) split at its last space; when there is no
// name at all, the email's local part as first name.
func lightrunNames(s v1.ScimUserSpec, email string) (first, last string) {
	if s.Name != nil && (s.Name.GivenName != "" || s.Name.FamilyName != "") {
		return strings.TrimSpace(s.Name.GivenName), strings.TrimSpace(s.Name.FamilyName)
	}
	full := strings.TrimSpace(s.DisplayName)
	if full == "" && s.Name != nil {
		full = strings.TrimSpace(s.Name.Formatted)
	}
	if full != "" {
		if i := strings.LastIndex(full, " "); i > 0 {
			return strings.TrimSpace(full[:i]), strings.TrimSpace(full[i+1:])
		}
		return full, ""
	}
	local, _, _ := strings.Cut(email, "@")
	return local, ""
}

// active reports the SCIM active flag; absent means active (RFC 7643 §4.1.1
// leaves the default to the provider, and the CRD defaults it to true).
func active(s v1.ScimUserSpec) bool { return s.Active == nil || *s.Active }
