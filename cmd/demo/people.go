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

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
)

// The people and groups of the demo: Acme's engineers, some in Okta, some in
// Microsoft Entra ID. The AgentPools in config/samples select the groups:
//
//	Payments Engineers  -> payments-production   DEVELOPER, INCIDENT_RESPONDER (PRIVILEGED)
//	Platform Engineers  -> platform-shared       DEVELOPER
//	SRE On-Call         -> platform-shared, production-incidents
//	                       (INCIDENT_RESPONDER, PRIVILEGED): an SRE gets both pools' roles
//	Security Champions  -> security-review       APP_SEC, SECURITY
//	Data Platform       -> data-platform         DEVELOPER, COMPANY_VIEWER
//	(no group)          -> Lightrun's default pool with the IdentityConfig's DEVELOPER
const (
	groupPayments = "Payments Engineers"
	groupPlatform = "Platform Engineers"
	groupSRE      = "SRE On-Call"
	groupSecurity = "Security Champions"
	groupData     = "Data Platform"

	// emailDomain is where the demo's people work: example.com is reserved
	// for documentation (RFC 2606), and the sample user alice is there too.
	emailDomain = "example.com"
)

// person is a user as its identity provider holds it.
type person struct {
	Given, Family string
	Department    string
	Title         string
	// Groups are the IdP groups the person is in when the run starts.
	Groups []string
	// UserName overrides the userName made from the name (alice's, from the sample).
	UserName string
	// ExternalID overrides the IdP's id made from the name.
	ExternalID string
}

// userName is what both IdPs send as userName here: the email (Okta's
// default "Unique identifier field for users", Entra's userPrincipalName).
func (p person) userName() string {
	if p.UserName != "" {
		return p.UserName
	}
	local := strings.ToLower(asciiFold(p.Given) + "." + asciiFold(p.Family))
	return strings.NewReplacer(" ", "", "'", "").Replace(local) + "@" + emailDomain
}

func (p person) displayName() string { return p.Given + " " + p.Family }

// oktaID is an Okta user id (00u + 17 characters), stable for a person.
func (p person) oktaID() string {
	if p.ExternalID != "" {
		return p.ExternalID
	}
	sum := sha256.Sum256([]byte("okta/" + p.userName()))
	return "00u" + hex.EncodeToString(sum[:])[:17]
}

// entraObjectID is an Entra object id (a GUID), stable for a name.
func entraObjectID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("entra/"+name)).String()
}

// asciiFold drops the accents of a name for its email address (Müller ->
// Muller), as mail systems usually do.
func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if r < 0x300 || r > 0x36f {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// oktaPeople are pushed by the Okta-style run. alice@example.com is the
// sample ScimUser make dev applies: Okta finds her by userName and links her.
var oktaPeople = parsePeople(`
Alice Liddell   | Payments   | Staff Engineer            | Payments Engineers | alice@example.com | 00u1esetHERCEMUWYIWU
Maya Chen       | Payments   | Senior Engineer           | Payments Engineers
Omar Haddad     | Payments   | Engineer                  | Payments Engineers
Priya Raman     | Payments   | Engineering Manager       | Payments Engineers
Lukas Becker    | Payments   | Engineer                  | Payments Engineers
Sofia Rossi     | Payments   | Engineer                  | Payments Engineers
Daniel Kim      | Payments   | Engineer                  | Payments Engineers
Hannah Müller   | Platform   | Senior Engineer           | Platform Engineers
Kwame Mensah    | Platform   | Engineer                  | Platform Engineers
Elena Petrova   | Platform   | Site Reliability Engineer | Platform Engineers, SRE On-Call
Jonas Berg      | Platform   | Site Reliability Engineer | Platform Engineers, SRE On-Call
Aisha Bello     | Platform   | Engineer                  | Platform Engineers
Tomás García    | Platform   | Engineer                  | Platform Engineers
Noah Williams   | Operations | Site Reliability Engineer | SRE On-Call
Yuki Tanaka     | Operations | Site Reliability Engineer | SRE On-Call
Fatima Zahra    | Mobile     | Engineer                  |
Liam O'Brien    | Mobile     | Engineer                  |
Chloe Martin    | Mobile     | Designer                  |
Ravi Patel      | Mobile     | Engineer                  |
Emma Johansson  | Web        | Engineer                  |
Mateo Silva     | Web        | Engineer                  |
`)

// entraPeople are pushed by the Entra ID-style run.
var entraPeople = parsePeople(`
Zoe Adams       | Security   | Security Engineer         | Security Champions
Arjun Mehta     | Security   | Security Engineer         | Security Champions
Ingrid Nilsen   | Security   | Engineer                  | Security Champions
Samuel Okafor   | Security   | Security Architect        | Security Champions
Lena Vogel      | Data       | Data Engineer             | Data Platform
Marco Bianchi   | Data       | Data Engineer             | Data Platform
Amara Nwosu     | Data       | Data Scientist            | Data Platform
Pedro Alves     | Data       | Data Engineer             | Data Platform
Julia Nowak     | Data       | Staff Data Engineer       | Data Platform, Security Champions
Chen Wei        | Data       | Analytics Engineer        | Data Platform
Olivia Brown    | Support    | Support Engineer          |
Ahmed Karim     | Support    | Support Engineer          |
Nina Kowalski   | Support    | Support Engineer          |
Ethan Clarke    | Support    | Contractor                |
Sara Lindqvist  | QA         | QA Engineer               |
Diego Romero    | QA         | QA Engineer               |
`)

// parsePeople reads a table of people, one a line: name | department |
// title | groups (comma-separated) [| userName | external id].
func parsePeople(table string) []person {
	var out []person
	for line := range strings.SplitSeq(strings.TrimSpace(table), "\n") {
		cols := strings.Split(line, "|")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		cols = append(cols, "", "", "", "", "")
		given, family, _ := strings.Cut(cols[0], " ")
		p := person{Given: given, Family: family, Department: cols[1], Title: cols[2], UserName: cols[4], ExternalID: cols[5]}
		for g := range strings.SplitSeq(cols[3], ",") {
			if g = strings.TrimSpace(g); g != "" {
				p.Groups = append(p.Groups, g)
			}
		}
		out = append(out, p)
	}
	return out
}

// What changes after the first push, and who it happens to.
const (
	// oktaMover moves from Payments Engineers to Platform Engineers.
	oktaMover = "lukas.becker@" + emailDomain
	// entraRenamed changes her family name (Entra "Replace" of name.familyName).
	entraRenamed   = "amara.nwosu@" + emailDomain
	entraRenamedTo = "Nwosu-Clarke"
	entraLeftGroup = "ingrid.nilsen@" + emailDomain // leaves Security Champions
	entraDisabled  = "ahmed.karim@" + emailDomain   // blocked from sign-in: active "False"
	// entraDeleted is deleted in Entra: soft-deleted first (active "False"),
	// then, once Lightrun has him disabled, hard-deleted (DELETE /Users/{id}),
	// as Entra does 30 days later.
	entraDeleted = "ethan.clarke@" + emailDomain
)

// oktaLeavers are deactivated in Okta: PATCH active false.
var oktaLeavers = []string{"sofia.rossi@" + emailDomain, "ravi.patel@" + emailDomain}

// groupsOf lists the group names of people, in first-seen order.
func groupsOf(people []person) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range people {
		for _, g := range p.Groups {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out
}
