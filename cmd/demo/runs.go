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
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"
)

// SCIM schema URNs the IdPs list.
const (
	schemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	schemaPatchOp    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	// schemaEntraGroup is listed by Entra ID's Create Group, with no attributes.
	schemaEntraGroup = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

	// oktaUserAgent is the User-Agent of Okta's documented requests.
	oktaUserAgent = "Okta SCIM Client 1.0.0"
	// entraUserAgent names what sends the Entra-style requests; the
	// requests themselves follow Microsoft's documented shapes.
	entraUserAgent = "lightrun-identity-demo (Microsoft Entra ID-style requests)"

	// Okta's operations are lower case, Entra ID's capitalised.
	oktaAdd      = "add"
	entraReplace = "Replace"

	attrActive      = "active"
	attrMembers     = "members"
	attrDisplayName = "displayName"
)

// idpRun is one identity provider's provisioning run: the requests it sends,
// and the SCIM ids it learns, by userName and group display name.
type idpRun struct {
	c      *scimClient
	bar    *bar
	users  map[string]string
	groups map[string]string
}

func newRun(c *scimClient, b *bar) *idpRun {
	return &idpRun{c: c, bar: b, users: map[string]string{}, groups: map[string]string{}}
}

// oktaRun provisions people the way Okta's SCIM client does, following
// "Okta and SCIM Version 2.0" (developer.okta.com): for each assigned user a
// lookup by userName, then POST /Users, or, when the user exists, a PUT of
// the whole profile (the app integration wizard's custom apps update with
// PUT); Push Groups: POST /Groups with no members (or linking a group of the
// same name), PATCH add of the members, and the rename PATCH Okta sends with
// every membership update; then a user moving between groups (PATCH remove by
// value filter, PATCH add) and leavers deactivated (PATCH replace
// {"active": false}). Okta never deletes users.
func oktaRun(ctx context.Context, w io.Writer, c *scimClient, people []person) (*idpRun, error) {
	groups := groupsOf(people)
	steps := len(people) + 2*len(groups) + 2 + len(oktaLeavers)
	r := newRun(c, newBar(w, "Okta-style run", "steps", steps))
	for _, p := range people {
		if err := r.oktaAssign(ctx, p); err != nil {
			return r, err
		}
	}
	for _, g := range groups {
		if err := r.pushGroup(ctx, g, oktaGroup(g), "startIndex=1", "count=100"); err != nil {
			return r, err
		}
	}
	for _, g := range groups {
		if err := r.oktaPushMembers(ctx, g, people); err != nil {
			return r, err
		}
	}
	// The mover: removed from one pushed group, added to another.
	id := r.users[oktaMover]
	remove := patchOperation{Op: "remove", Path: `members[value eq "` + id + `"]`}
	if err := r.patchGroup(ctx, groupPayments, patchOp(remove)); err != nil {
		return r, err
	}
	add := patchOperation{Op: oktaAdd, Path: attrMembers, Value: []oktaMember{{Value: id, Display: oktaMover}}}
	if err := r.patchGroup(ctx, groupPlatform, patchOp(add)); err != nil {
		return r, err
	}
	for _, u := range oktaLeavers {
		deactivate := patchOp(patchOperation{Op: "replace", Value: map[string]bool{attrActive: false}})
		if err := c.do(ctx, http.MethodPatch, "/Users/"+r.users[u], deactivate, nil); err != nil {
			return r, err
		}
		r.bar.Add(1)
	}
	return r, nil
}

func (r *idpRun) oktaAssign(ctx context.Context, p person) error {
	id, err := r.assign(ctx, p, oktaUser(p), "startIndex=1", "count=100")
	if err != nil {
		return err
	}
	r.users[p.userName()] = id
	r.bar.Add(1)
	return nil
}

// assign looks a user up by userName and creates it with body, or, when
// found, puts body as the user's whole profile, as Okta does.
func (r *idpRun) assign(ctx context.Context, p person, body userBody, extra ...string) (string, error) {
	found, err := r.c.lookup(ctx, "Users", filterQuery(`userName eq "`+p.userName()+`"`, extra...))
	if err != nil {
		return "", err
	}
	var got resource
	if found == nil {
		body.Password = randomPassword() // Okta sends one; the endpoint drops it
		err = r.c.do(ctx, http.MethodPost, "/Users", body, &got, http.StatusCreated)
	} else {
		body.ID, body.Meta = found.ID, &scimMeta{ResourceType: "User"}
		err = r.c.do(ctx, http.MethodPut, "/Users/"+found.ID, body, &got)
	}
	return got.ID, err
}

// pushGroup finds a group by displayName or creates it with body.
func (r *idpRun) pushGroup(ctx context.Context, name string, body groupBody, extra ...string) error {
	found, err := r.c.lookup(ctx, "Groups", filterQuery(`displayName eq "`+name+`"`, extra...))
	if err != nil {
		return err
	}
	if found == nil {
		var got resource
		if err := r.c.do(ctx, http.MethodPost, "/Groups", body, &got, http.StatusCreated); err != nil {
			return err
		}
		found = &got
	}
	r.groups[name] = found.ID
	r.bar.Add(1)
	return nil
}

func (r *idpRun) oktaPushMembers(ctx context.Context, group string, people []person) error {
	var members []oktaMember
	for _, p := range people {
		for _, g := range p.Groups {
			if g == group {
				members = append(members, oktaMember{Value: r.users[p.userName()], Display: p.userName()})
			}
		}
	}
	add := patchOperation{Op: oktaAdd, Path: attrMembers, Value: members}
	if err := r.patchGroup(ctx, group, patchOp(add)); err != nil {
		return err
	}
	id := r.groups[group]
	rename := patchOp(patchOperation{Op: "replace", Value: map[string]string{"id": id, attrDisplayName: group}})
	return r.c.do(ctx, http.MethodPatch, "/Groups/"+id, rename, nil)
}

func (r *idpRun) patchGroup(ctx context.Context, group string, body patchBody) error {
	if err := r.c.do(ctx, http.MethodPatch, "/Groups/"+r.groups[group], body, nil); err != nil {
		return err
	}
	r.bar.Add(1)
	return nil
}

// entraRun provisions people the way the Microsoft Entra provisioning
// service does, following "Tutorial: Develop and plan provisioning for a
// SCIM endpoint in Microsoft Entra ID" and "Known issues and resolutions with
// SCIM 2.0 protocol compliance" (learn.microsoft.com), without the
// aadOptscim062020 flag: a lookup by the matching attribute (userName, from
// userPrincipalName) and POST /Users with the enterprise extension, or PATCH
// "Replace" of the mapped attributes when the user exists; groups looked up
// by displayName with excludedAttributes=members, created with Entra's extra
// schema URN and its objectId as externalId, members added with "Add"; then
// a family name changed, a member removed with "Remove" and a value array, a
// user disabled with active "False" (a string), and a deleted user: soft
// deleted like the disabled one and, once synced (Entra waits 30 days),
// hard deleted with DELETE. synced waits until the operator has synced a
// user.
func entraRun(ctx context.Context, w io.Writer, c *scimClient, people []person,
	synced func(ctx context.Context, userName string) error) (*idpRun, error) {
	groups := groupsOf(people)
	steps := len(people) + 2*len(groups) + 5
	r := newRun(c, newBar(w, "Entra ID-style run", "steps", steps))
	for _, p := range people {
		if err := r.entraAssign(ctx, p); err != nil {
			return r, err
		}
	}
	for _, g := range groups {
		if err := r.pushGroup(ctx, g, entraGroup(g), "excludedAttributes=members"); err != nil {
			return r, err
		}
	}
	for _, g := range groups {
		var members []entraMember
		for _, p := range people {
			for _, pg := range p.Groups {
				if pg == g {
					members = append(members, entraMember{Value: r.users[p.userName()]})
				}
			}
		}
		if err := r.patchGroup(ctx, g, patchOp(patchOperation{Op: "Add", Path: attrMembers, Value: members})); err != nil {
			return r, err
		}
	}
	return r, r.entraChanges(ctx, synced)
}

func (r *idpRun) entraChanges(ctx context.Context, synced func(context.Context, string) error) error {
	rename := patchOp(entraReplaceOp("name.familyName", entraRenamedTo),
		entraReplaceOp(attrDisplayName, "Amara "+entraRenamedTo))
	if err := r.c.do(ctx, http.MethodPatch, "/Users/"+r.users[entraRenamed], rename, nil); err != nil {
		return err
	}
	r.bar.Add(1)
	remove := patchOperation{Op: "Remove", Path: attrMembers, Value: []entraMember{{Value: r.users[entraLeftGroup]}}}
	if err := r.patchGroup(ctx, groupSecurity, patchOp(remove)); err != nil {
		return err
	}
	disable := patchOp(entraReplaceOp(attrActive, "False"))
	for _, u := range []string{entraDisabled, entraDeleted} {
		if err := r.c.do(ctx, http.MethodPatch, "/Users/"+r.users[u], disable, nil); err != nil {
			return err
		}
		r.bar.Add(1)
	}
	if err := synced(ctx, entraDeleted); err != nil {
		return err
	}
	if err := r.c.do(ctx, http.MethodDelete, "/Users/"+r.users[entraDeleted], nil, nil, http.StatusNoContent); err != nil {
		return err
	}
	r.bar.Add(1)
	return nil
}

func (r *idpRun) entraAssign(ctx context.Context, p person) error {
	found, err := r.c.lookup(ctx, "Users", filterQuery(`userName eq "`+p.userName()+`"`))
	if err != nil {
		return err
	}
	var id string
	if found != nil {
		// A matched user is updated with the attributes the mappings flow.
		update := patchOp(
			entraReplaceOp(attrDisplayName, p.displayName()),
			entraReplaceOp("name.givenName", p.Given),
			entraReplaceOp("name.familyName", p.Family),
			entraReplaceOp("title", p.Title),
			entraReplaceOp(schemaEnterprise+":department", p.Department),
			entraReplaceOp(attrActive, "True"),
		)
		if err := r.c.do(ctx, http.MethodPatch, "/Users/"+found.ID, update, nil); err != nil {
			return err
		}
		id = found.ID
	} else {
		var got resource
		if err := r.c.do(ctx, http.MethodPost, "/Users", entraUser(p), &got, http.StatusCreated); err != nil {
			return err
		}
		id = got.ID
	}
	r.users[p.userName()] = id
	r.bar.Add(1)
	return nil
}

func entraReplaceOp(path string, value any) patchOperation {
	return patchOperation{Op: entraReplace, Path: path, Value: value}
}

// runSummary is what one run's bar ends with.
func runSummary(c *scimClient, start time.Time) string {
	return fmt.Sprintf("%d requests, %s", c.requests.Load(), seconds(time.Since(start)))
}

func randomPassword() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
