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

// Package fold is the one case-folding function of the operator. Every
// comparison of a name that is not case-exact goes through it: SCIM userName,
// emails and Group displayName (RFC 7643 §2.1, caseExact=false), the filter
// evaluator, the field indexes and uniqueness claims built on those values,
// and AgentPool pool and member names. One function means an index lookup,
// a filter match and a uniqueness check can never disagree about whether two
// names are the same.
//
// It is a package of its own, with no dependencies, because both the SCIM
// protocol package (which imports nothing of the operator's API) and the
// field indexes beside the API types use it.
package fold

import "strings"

// String maps s to its case-folded form. Upper-then-lower casing folds the
// Unicode pairs a single ToLower misses (U+017F LONG S and "s", the Kelvin
// sign and "k").
func String(s string) string {
	return strings.ToLower(strings.ToUpper(s))
}

// Equal reports whether a and b are the same name when case is ignored.
func Equal(a, b string) bool { return String(a) == String(b) }
