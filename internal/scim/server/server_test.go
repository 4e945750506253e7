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
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
)

var _ = Describe("authentication", func() {
	It("refuses a request without a token, with WWW-Authenticate", func() {
		r := send("GET", endpoint.base+"/Users", "", nil)
		Expect(r.status).To(Equal(http.StatusUnauthorized))
		Expect(r.header.Get("WWW-Authenticate")).To(HavePrefix("Bearer"))
		Expect(r.body["schemas"]).To(ConsistOf(scim.ErrorURN))
		Expect(r.body["status"]).To(Equal("401"))
	})

	It("refuses a wrong token and a token of another IdentityConfig", func() {
		Expect(send("GET", endpoint.base+"/Users", "Bearer not-the-token", nil).status).To(Equal(http.StatusUnauthorized))
		Expect(send("GET", endpoint.base+"/Users", "Basic b2t0YTpva3RhLXRva2Vu", nil).status).To(Equal(http.StatusUnauthorized))

		other := startServer(cfg, server.Options{}).newTenant("entra", "entra-token")
		id := other.createUser("only-entra@example.com")
		// Entra's token on Okta's endpoint, and Okta's token on Entra's.
		Expect(send("GET", endpoint.base+"/Users/"+id, "Bearer "+tok("entra-token"), nil).status).To(Equal(http.StatusUnauthorized))
		Expect(send("GET", other.base+"/Users/"+id, "Bearer "+tok("okta-token"), nil).status).To(Equal(http.StatusUnauthorized))
		// Even with the right token, one IdentityConfig never sees another's users.
		sameNamespace := startServer(cfg, server.Options{}).tenantIn(other.namespace, "okta2", "okta2-token")
		Expect(sameNamespace.do("GET", "/Users/"+id, nil).status).To(Equal(http.StatusNotFound))
		Expect(sameNamespace.do("GET", "/Users", nil).body["totalResults"]).To(BeEquivalentTo(0))
	})

	It("accepts the previous token during a rotation and applies Secret changes without a restart", func() {
		t := startServer(cfg, server.Options{}).newTenant("rotating", "old-token")
		secret := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: t.namespace, Name: "rotating-scim"}, secret)).To(Succeed())
		secret.Data = map[string][]byte{"token": []byte(tok("new-token")), "previous": []byte(tok("old-token"))}
		Expect(k8sClient.Update(ctx, secret)).To(Succeed())

		Eventually(func() int { return send("GET", t.base+"/Users", "Bearer "+tok("new-token"), nil).status }).WithTimeout(5 * time.Second).Should(Equal(http.StatusOK))
		Expect(send("GET", t.base+"/Users", "Bearer "+tok("old-token"), nil).status).To(Equal(http.StatusOK))

		delete(secret.Data, "previous")
		Expect(k8sClient.Update(ctx, secret)).To(Succeed())
		Eventually(func() int { return send("GET", t.base+"/Users", "Bearer "+tok("old-token"), nil).status }).WithTimeout(5 * time.Second).Should(Equal(http.StatusUnauthorized))
		Expect(send("GET", t.base+"/Users", "Bearer "+tok("new-token"), nil).status).To(Equal(http.StatusOK))
	})

	It("refuses with 403 while the endpoint is disabled", func() {
		t := startServer(cfg, server.Options{}).newTenant("disabled", "disabled-token")
		setSCIMEnabled(t, false)
		Eventually(func() int { return t.do("GET", "/Users", nil).status }).Should(Equal(http.StatusForbidden))
		Expect(t.do("GET", "/Users", nil).body["detail"]).To(ContainSubstring("disabled"))
	})
})

var badInputUsers int

var _ = Describe("bad input gets a SCIM error with the right status and scimType, and writes nothing", func() {
	var id string
	BeforeEach(func() {
		badInputUsers++
		id = endpoint.createUser(fmt.Sprintf("bad-input-%d@example.com", badInputUsers))
		if badInputUsers == 1 {
			endpoint.createUser("taken@example.com")
		}
	})

	patchOp := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}

	DescribeTable("requests",
		func(method, path string, body string, headers []string, status int, scimType string) {
			path = strings.ReplaceAll(path, "{id}", id)
			before := endpoint.do("GET", "/Users/"+id, nil)
			r := endpoint.do(method, path, body, headers...)
			Expect(r.status).To(Equal(status), r.String())
			Expect(r.body["schemas"]).To(ConsistOf(scim.ErrorURN))
			Expect(r.body["status"]).To(Equal(itoa(status)), "RFC 7644 §3.12: status is a string")
			Expect(r.scimType()).To(Equal(scimType))
			after := endpoint.do("GET", "/Users/"+id, nil)
			Expect(after.header.Get("ETag")).To(Equal(before.header.Get("ETag")), "the failed request changed the user")
		},
		Entry("malformed JSON", "POST", "/Users", `{"schemas": [`, nil, 400, "invalidSyntax"),
		Entry("a body that is not an object", "POST", "/Users", `["userName"]`, nil, 400, "invalidSyntax"),
		Entry("no schemas", "POST", "/Users", `{"userName": "noschemas@example.com"}`, nil, 400, "invalidValue"),
		Entry("an unknown schema", "POST", "/Users", `{"schemas": ["urn:example:Widget"], "userName": "w@example.com"}`, nil, 400, "invalidValue"),
		Entry("no userName (RFC 7643 §4.1.1)", "POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}`, nil, 400, "invalidValue"),
		Entry("a value of the wrong type", "PUT", "/Users/{id}", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@example.com", "active": "maybe"}`, nil, 400, "invalidValue"),
		Entry("two primary emails (RFC 7643 §2.4)", "PUT", "/Users/{id}", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@example.com", "emails": [{"value": "a@x.com", "primary": true}, {"value": "b@x.com", "primary": true}]}`, nil, 400, "invalidValue"),
		Entry("a userName another user has", "PUT", "/Users/{id}", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "TAKEN@example.com"}`, nil, 409, "uniqueness"),
		Entry("a PATCH of the readOnly id", "PATCH", "/Users/{id}", patchOp(`{"op": "replace", "path": "id", "value": "x"}`), nil, 400, "mutability"),
		Entry("a PATCH of the readOnly groups", "PATCH", "/Users/{id}", patchOp(`{"op": "add", "path": "groups", "value": [{"value": "g"}]}`), nil, 400, "mutability"),
		Entry("a PATCH with a malformed path", "PATCH", "/Users/{id}", patchOp(`{"op": "replace", "path": "emails[type eq", "value": "x"}`), nil, 400, "invalidPath"),
		Entry("a PATCH of an attribute that does not exist", "PATCH", "/Users/{id}", patchOp(`{"op": "replace", "path": "shoeSize", "value": "x"}`), nil, 400, "invalidPath"),
		Entry("a PATCH whose filter matches nothing", "PATCH", "/Users/{id}", patchOp(`{"op": "replace", "path": "emails[type eq \"pager\"].value", "value": "x"}`), nil, 400, "noTarget"),
		Entry("a PATCH with an unknown op (RFC 7644 §3.5.2)", "PATCH", "/Users/{id}", patchOp(`{"op": "merge", "path": "title", "value": "x"}`), nil, 400, "invalidSyntax"),
		Entry("a PATCH without the PatchOp schema", "PATCH", "/Users/{id}", `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`, nil, 400, "invalidSyntax"),
		Entry("a filter that does not parse", "GET", "/Users?filter="+escape(`userName eq`), "", nil, 400, "invalidFilter"),
		Entry("a filter on an unknown attribute", "GET", "/Users?filter="+escape(`shoeSize eq "9"`), "", nil, 400, "invalidFilter"),
		Entry("a filter comparing a boolean with a string", "GET", "/Users?filter="+escape(`active eq "yes"`), "", nil, 400, "invalidFilter"),
		Entry("an unknown sortBy", "GET", "/Users?sortBy=shoeSize", "", nil, 400, "invalidValue"),
		Entry("an unsupported media type", "POST", "/Users", `<user/>`, []string{"Content-Type", "application/xml"}, 415, ""),
		Entry("a body over the size limit", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"big@example.com","title":"`+strings.Repeat("x", 2<<20)+`"}`, nil, 413, ""),
		Entry("a stale If-Match", "PATCH", "/Users/{id}", patchOp(`{"op": "replace", "path": "title", "value": "x"}`), []string{"If-Match", `W/"1"`}, 412, ""),
		Entry("an unknown user", "GET", "/Users/00000000-0000-0000-0000-000000000000", "", nil, 404, ""),
		Entry("a method the resource does not support", "PUT", "/Users", `{}`, nil, 405, ""),
		Entry("an unknown endpoint", "GET", "/Widgets", "", nil, 404, ""),
	)
})

var _ = Describe("rate limiting", func() {
	It("answers 429 with Retry-After once a token exceeds its rate", func() {
		t := startServer(cfg, server.Options{RateLimit: 1, RateBurst: 3}).newTenant("limited", "limited-token")
		var last response
		for range 10 {
			if last = t.do("GET", "/Users", nil); last.status == http.StatusTooManyRequests {
				break
			}
		}
		Expect(last.status).To(Equal(http.StatusTooManyRequests))
		Expect(last.header.Get("Retry-After")).To(MatchRegexp(`^[1-9][0-9]*$`))
		Expect(last.body["schemas"]).To(ConsistOf(scim.ErrorURN))
	})

	It("applies an IdentityConfig's spec.scim.rateLimit over the manager's default, and its changes without a restart", func() {
		t := startServer(cfg, server.Options{}).newTenant("own-limit", "own-limit-token") // default: 100/s, burst 200
		setRateLimit := func(rl *v1.ScimRateLimit) {
			GinkgoHelper()
			Eventually(func() error {
				ic := &v1.IdentityConfig{}
				if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: t.namespace, Name: t.name}, ic); err != nil {
					return err
				}
				ic.Spec.SCIM.RateLimit = rl
				return k8sClient.Update(ctx, ic)
			}).Should(Succeed())
		}
		burstOf := func() int {
			n := 0
			for n < 50 && t.do("GET", "/ServiceProviderConfig", nil).status == http.StatusOK {
				n++
			}
			return n
		}
		setRateLimit(&v1.ScimRateLimit{RequestsPerSecond: ptr.To[int32](1), Burst: ptr.To[int32](3)})
		// Once the cache has it, a fresh bucket of 3 at 1/s: far fewer than
		// the default's 200 pass in a row.
		Eventually(burstOf).WithTimeout(10 * time.Second).Should(BeNumerically("<=", 5))
		r := t.do("GET", "/ServiceProviderConfig", nil)
		Expect(r.status).To(Equal(http.StatusTooManyRequests))
		Expect(r.header.Get("Retry-After")).To(MatchRegexp(`^[1-9][0-9]*$`))

		// A larger burst takes effect at once: the bucket is made anew.
		setRateLimit(&v1.ScimRateLimit{Burst: ptr.To[int32](40)})
		Eventually(burstOf).WithTimeout(10 * time.Second).Should(BeNumerically(">=", 30))
	})

	It("refuses a spec.scim.rateLimit below 1", func() {
		ic := &v1.IdentityConfig{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: endpoint.namespace, Name: endpoint.name}, ic)).To(Succeed())
		for _, rl := range []*v1.ScimRateLimit{{RequestsPerSecond: ptr.To[int32](0)}, {Burst: ptr.To[int32](0)}, {}} {
			bad := ic.DeepCopy()
			bad.Spec.SCIM.RateLimit = rl
			Expect(k8sClient.Update(ctx, bad)).NotTo(Succeed())
		}
	})
})

// TestErrorStatusesAreHTTPStatuses checks the protocol package's status
// numbers, which it keeps without net/http, against net/http's.
func TestErrorStatusesAreHTTPStatuses(t *testing.T) {
	for status, err := range map[int]*scim.Error{
		http.StatusBadRequest:            scim.ErrInvalidValue("x"),
		http.StatusUnauthorized:          scim.ErrUnauthorized("x"),
		http.StatusForbidden:             scim.ErrForbidden("x"),
		http.StatusNotFound:              scim.ErrNotFound("x"),
		http.StatusMethodNotAllowed:      scim.ErrMethodNotAllowed("x"),
		http.StatusConflict:              scim.ErrConflict("x"),
		http.StatusPreconditionFailed:    scim.ErrPreconditionFailed("x"),
		http.StatusRequestEntityTooLarge: scim.ErrPayloadTooLarge("x"),
		http.StatusUnsupportedMediaType:  scim.ErrUnsupportedMediaType("x"),
		http.StatusTooManyRequests:       scim.ErrTooManyRequests("x"),
		http.StatusInternalServerError:   scim.AsError(errors.New("x")),
		http.StatusNotImplemented:        scim.ErrNotImplemented("x"),
		http.StatusServiceUnavailable:    scim.ErrServiceUnavailable("x"),
	} {
		if err.Status != status {
			t.Errorf("%s: status %d, want %d", err, err.Status, status)
		}
		bare := &scim.Error{Status: status}
		if want := fmt.Sprintf("scim %d %s", status, http.StatusText(status)); bare.Error() != want {
			t.Errorf("got %q, want %q", bare.Error(), want)
		}
	}
}

// TestReadyFollowsTheListener: /readyz reports the SCIM listener, so a
// replica that cannot serve SCIM takes no traffic from the IdP.
func TestReadyFollowsTheListener(t *testing.T) {
	srv := server.NewServer(server.Options{Addr: "127.0.0.1:0"}, nil, nil, nil, logr.Discard())
	if srv.Ready(nil) == nil {
		t.Fatal("ready before the listener is up")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	select {
	case <-srv.Listening():
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not listen")
	}
	if err := srv.Ready(nil); err != nil {
		t.Fatalf("not ready while serving: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if srv.Ready(nil) == nil {
		t.Fatal("ready after the server stopped")
	}

	// A listener that cannot bind never becomes ready.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = busy.Close() }()
	taken := server.NewServer(server.Options{Addr: busy.Addr().String()}, nil, nil, nil, logr.Discard())
	if err := taken.Start(context.Background()); err == nil {
		t.Fatal("binding an address in use must fail")
	}
	if taken.Ready(nil) == nil {
		t.Fatal("ready without a listener")
	}
}

// Bearer tokens in Secrets are compared without surrounding whitespace (a
// Secret made with kubectl create secret --from-file keeps the file's
// trailing newline), and a token shorter than 32 bytes is never accepted.
var _ = Describe("bearer-token Secrets as people write them", func() {
	It("accepts a token the Secret holds with a trailing newline", func() {
		token := "0123456789abcdef0123456789abcdef-newline"
		t := startServer(cfg, server.Options{}).newTenantWithSecret("newline", token, token+"\n")
		Expect(t.do("GET", "/Users", nil).status).To(Equal(http.StatusOK))
		Expect(send("GET", t.base+"/Users", "Bearer "+token+"x", nil).status).To(Equal(http.StatusUnauthorized))
	})

	It("refuses a token shorter than 32 bytes, even the one in the Secret", func() {
		r := startServer(cfg, server.Options{})
		long := r.newTenant("long", "")
		short := "0123456789abcdef0123456789abcde" // 31 bytes
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "scim-"}}
		Expect(k8sClient.Create(ctx, ns)).To(Succeed())
		r.tenantSecretAndConfig(ns.Name, "short", short+"\n")
		base := r.url + server.BasePath + "/" + ns.Name + "/short"
		Consistently(func() int { return send("GET", base+"/Users", "Bearer "+short, nil).status }).
			WithTimeout(time.Second).Should(Equal(http.StatusUnauthorized))
		Expect(send("GET", long.base+"/Users", "Bearer "+long.token[:31], nil).status).To(Equal(http.StatusUnauthorized))
	})
})
