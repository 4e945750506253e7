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

package controller_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/controller"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// The resync's listing of Lightrun users is bounded (controller
// Options.MaxResyncUsers; the suite sets maxResyncUsers): past the cap it
// stops with a Warning Event, and an incomplete listing proves nothing about
// the users it did not reach.
var _ = Describe("Resync listing", func() {
	It("reads users with their access and permissions, in pages", func() {
		c := newCompany()
		synced(c.user("kim@example.com"))
		c.emu.ResetRequests()
		c.requestResync()
		var listings []string
		for _, r := range c.emu.Requests() {
			if r.Method == "GET" && r.Path == "/api/v1/users" {
				listings = append(listings, r.Query)
			}
		}
		Expect(listings).NotTo(BeEmpty())
		for _, q := range listings {
			Expect(q).To(ContainSubstring("includeAccessAndPermissions=true"))
			Expect(q).To(ContainSubstring("size="))
		}
	})

	It("stops at the cap with a Warning Event and takes no unlisted user as gone", func() {
		c := newCompany()
		for i := range maxResyncUsers {
			_, err := c.portal.CreateUser(ctx, lightrun.CreateUserRequest{Email: fmt.Sprintf("hand-%04d@example.com", i), FirstName: "By", LastName: "Hand"})
			Expect(err).NotTo(HaveOccurred())
		}
		// Listed after the cap: Lightrun lists users in creation order.
		synced(c.user("late@example.com"))
		c.emu.ResetRequests()
		c.requestResync()
		Expect(eventNotes(c.config(), controller.EventResyncIncomplete)).To(ContainElement(
			ContainSubstring(fmt.Sprintf("more than %d users", maxResyncUsers))))
		Consistently(func() int { return c.requests("GET", "/api/v1/users/late@example.com") }).
			WithTimeout(time.Second).Should(BeZero(), "a user past the cap was looked up as if Lightrun had lost it")
	})
})
