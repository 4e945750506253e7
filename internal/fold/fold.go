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
// Names are also compared after Unicode normalisation (UAX #15, form NFC):
// an IdP may send "é" precomposed (U+00E9) or as "e" and a combining accent
// (U+0065 U+0301); people cannot tell them apart, so they are one name. Only
// the comparison key is normalised; stored values stay as the IdP sent them.
//
// It is a package of its own, depending on nothing of the operator, because
// both the SCIM protocol package (which imports nothing of the operator's
// API) and the field indexes beside the API types use it.
package fold

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// String maps s to its comparison key: NFC-normalised, then case-folded.
// Upper-then-lower casing folds the Unicode pairs a single ToLower misses
// (U+017F LONG S and "s", the Kelvin sign and "k"). Casing can decompose a
// character with no precomposed capital (U+01F0 "ǰ"), so the result is
// normalised again: keys are NFC, and String(String(s)) == String(s).
func String(s string) string {
	return norm.NFC.String(strings.ToLower(strings.ToUpper(norm.NFC.String(s))))
}

// Equal reports whether a and b are the same name when case is ignored.
func Equal(a, b string) bool { return String(a) == String(b) }
