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

package server_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
)

var _ = Describe("routes (RFC 7644 §3.2)", func() {
	It("answers /Me with 501 (RFC 7644 §3.11)", func() {
		r := endpoint.do("GET", "/Me", nil)
		Expect(r.status).To(Equal(http.StatusNotImplemented))
		Expect(r.body["schemas"]).To(ConsistOf(scim.ErrorURN))
	})
})
