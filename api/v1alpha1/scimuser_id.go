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

import "strings"

// A ScimUser the SCIM endpoint creates is named after its tenant and its
// folded userName (DerivedNameLen lowercase hex digits), so that the API
// server's name uniqueness is the userName's. Such a name is taken again when
// the user is deleted and the userName re-created, so the SCIM id adds the
// first UIDPrefixLen hex digits of metadata.uid: "<name>.<uid prefix>". An
// id is then never handed to another user (RFC 7643 §3.1) and needs no
// stored field. Users named otherwise (a random UUID, as every user created
// before, or after a rename left the derived name to another userName) have
// their object name as their SCIM id.
const (
	DerivedNameLen = 32
	UIDPrefixLen   = 12
)

// SCIMID returns the user's SCIM id.
func (u *ScimUser) SCIMID() string {
	name := u.GetName()
	if !IsDerivedName(name) {
		return name
	}
	uid := strings.ReplaceAll(string(u.GetUID()), "-", "")
	if len(uid) < UIDPrefixLen {
		return name // not stored yet: it has no id
	}
	return name + "." + strings.ToLower(uid[:UIDPrefixLen])
}

// ScimUserNameOf returns the object name a SCIM id of a ScimUser names.
// Whether the object found there has that id is for SCIMID to say: a
// derived name without its UID prefix, or with another's, is no user's id.
func ScimUserNameOf(id string) string {
	if name, prefix, ok := strings.Cut(id, "."); ok && IsDerivedName(name) && len(prefix) == UIDPrefixLen && isLowerHex(prefix) {
		return name
	}
	return id
}

// IsDerivedName reports whether name has the form of a name derived from a
// tenant and a userName: DerivedNameLen lowercase hex digits. Random UUIDs
// have dashes, so no user of an older version has such a name.
func IsDerivedName(name string) bool {
	return len(name) == DerivedNameLen && isLowerHex(name)
}

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
