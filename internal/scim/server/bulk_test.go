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
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"k8s.io/client-go/rest"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
)

func bulkOps(r response) []map[string]any {
	list, _ := r.body["Operations"].([]any)
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i] = e.(map[string]any)
	}
	return out
}

func bulkUser(bulkID, userName string) map[string]any {
	return map[string]any{"method": "POST", "path": "/Users", "bulkId": bulkID,
		"data": map[string]any{"schemas": []string{scim.UserSchemaURN}, "userName": userName}}
}

var _ = Describe("Bulk (RFC 7644 §3.7)", func() {
	It("creates a group whose members are users created in the same request by bulkId, whatever the order", func() {
		r := endpoint.do("POST", "/Bulk", map[string]any{
			"schemas": []string{scim.BulkRequestURN},
			"Operations": []any{
				map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": map[string]any{
					"schemas": []string{scim.GroupSchemaURN}, "displayName": "Bulk Group",
					"members": []any{map[string]any{"value": "bulkId:u1"}, map[string]any{"value": "bulkId:u2"}},
				}},
				bulkUser("u1", "bulk-1@example.com"),
				bulkUser("u2", "bulk-2@example.com"),
				map[string]any{"method": "PATCH", "path": "/Users/bulkId:u1", "data": map[string]any{
					"schemas":    []string{scim.PatchOpURN},
					"Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "Bulk Lead"}},
				}},
			},
		})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		Expect(r.body["schemas"]).To(ConsistOf(scim.BulkResponseURN))
		ops := bulkOps(r)
		Expect(ops).To(HaveLen(4))
		for _, op := range ops[:3] {
			Expect(op["status"]).To(Equal("201"), "%v", op)
			Expect(op["location"]).To(HavePrefix(endpoint.base))
			Expect(op["version"]).To(HavePrefix("W/"))
		}
		Expect(ops[0]["bulkId"]).To(Equal("g1"))
		Expect(ops[3]["status"]).To(Equal("200"))

		groupID := ops[0]["location"].(string)[strings.LastIndex(ops[0]["location"].(string), "/")+1:]
		u1 := ops[1]["location"].(string)[strings.LastIndex(ops[1]["location"].(string), "/")+1:]
		u2 := ops[2]["location"].(string)[strings.LastIndex(ops[2]["location"].(string), "/")+1:]
		Expect(memberValues(endpoint.do("GET", "/Groups/"+groupID, nil))).To(ConsistOf(u1, u2))
		Expect(endpoint.do("GET", "/Users/"+u1, nil).body["title"]).To(Equal("Bulk Lead"))
	})

	It("creates a group whose member is a group created in the same request by bulkId", func() {
		r := endpoint.do("POST", "/Bulk", map[string]any{
			"schemas": []string{scim.BulkRequestURN},
			"Operations": []any{
				map[string]any{"method": "POST", "path": "/Groups", "bulkId": "outer", "data": map[string]any{
					"schemas": []string{scim.GroupSchemaURN}, "displayName": "Bulk Outer",
					"members": []any{map[string]any{"value": "bulkId:inner", "type": "Group"}},
				}},
				map[string]any{"method": "POST", "path": "/Groups", "bulkId": "inner", "data": map[string]any{
					"schemas": []string{scim.GroupSchemaURN}, "displayName": "Bulk Inner",
					"members": []any{map[string]any{"value": "bulkId:nu"}},
				}},
				bulkUser("nu", "bulk-nested@example.com"),
			},
		})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		ops := bulkOps(r)
		Expect(ops).To(HaveLen(3))
		for _, op := range ops {
			Expect(op["status"]).To(Equal("201"), "%v", op)
		}
		idOf := func(op map[string]any) string {
			loc := op["location"].(string)
			return loc[strings.LastIndex(loc, "/")+1:]
		}
		outer, inner, user := idOf(ops[0]), idOf(ops[1]), idOf(ops[2])
		g := endpoint.do("GET", "/Groups/"+outer, nil)
		Expect(g.body["members"]).To(ConsistOf(And(HaveKeyWithValue("value", inner), HaveKeyWithValue("type", "Group"))))
		Expect(userGroupTypes(endpoint.do("GET", "/Users/"+user, nil))).To(Equal(map[string]string{inner: "direct", outer: "indirect"}))
	})

	It("reports each failure in place and stops after failOnErrors", func() {
		r := endpoint.do("POST", "/Bulk", map[string]any{
			"schemas":      []string{scim.BulkRequestURN},
			"failOnErrors": 1,
			"Operations": []any{
				map[string]any{"method": "POST", "path": "/Users", "bulkId": "bad", "data": map[string]any{"schemas": []string{scim.UserSchemaURN}}},
				bulkUser("never", "never-created@example.com"),
			},
		})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		ops := bulkOps(r)
		Expect(ops).To(HaveLen(1))
		Expect(ops[0]["status"]).To(Equal("400"))
		Expect(ops[0]["response"]).To(HaveKeyWithValue("scimType", "invalidValue"))
		Expect(endpoint.do("GET", "/Users"+filterQuery(`userName eq "never-created@example.com"`), nil).body["totalResults"]).To(BeEquivalentTo(0))
	})

	It("runs every operation without failOnErrors and refers failures onwards", func() {
		r := endpoint.do("POST", "/Bulk", map[string]any{
			"schemas": []string{scim.BulkRequestURN},
			"Operations": []any{
				bulkUser("dup1", "bulk-dup@example.com"),
				bulkUser("dup2", "BULK-DUP@example.com"),
				map[string]any{"method": "DELETE", "path": "/Users/bulkId:dup2"},
				map[string]any{"method": "DELETE", "path": "/Users/bulkId:undefined"},
			},
		})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		ops := bulkOps(r)
		Expect(ops).To(HaveLen(4))
		Expect(ops[0]["status"]).To(Equal("201"))
		Expect(ops[1]["status"]).To(Equal("409"))
		Expect(ops[1]["response"]).To(HaveKeyWithValue("scimType", "uniqueness"))
		Expect(ops[2]["status"]).To(Equal("409"), "refers to a failed POST")
		Expect(ops[3]["status"]).To(Equal("400"), "refers to no POST of the request")
	})

	It("detects circular bulkId references", func() {
		manager := func(bulkID, userName, ref string) map[string]any {
			return map[string]any{"method": "POST", "path": "/Users", "bulkId": bulkID, "data": map[string]any{
				"schemas":                    []string{scim.UserSchemaURN, scim.EnterpriseUserSchemaURN},
				"userName":                   userName,
				scim.EnterpriseUserSchemaURN: map[string]any{"manager": map[string]any{"value": "bulkId:" + ref}},
			}}
		}
		r := endpoint.do("POST", "/Bulk", map[string]any{
			"schemas":    []string{scim.BulkRequestURN},
			"Operations": []any{manager("a", "circle-a@example.com", "b"), manager("b", "circle-b@example.com", "a")},
		})
		Expect(r.status).To(Equal(http.StatusOK), r.String())
		for _, op := range bulkOps(r) {
			Expect(op["status"]).To(Equal("409"))
			Expect(op["response"]).To(HaveKeyWithValue("detail", ContainSubstring("circular")))
		}
	})

	It("enforces maxOperations and maxPayloadSize with 413 tooLarge", func() {
		t := startServer(cfg, server.Options{MaxBulkOperations: 2, MaxBodyBytes: 4096}).existing(endpoint)
		spc := t.do("GET", "/ServiceProviderConfig", nil)
		Expect(spc.body["bulk"]).To(And(HaveKeyWithValue("maxOperations", BeEquivalentTo(2)), HaveKeyWithValue("maxPayloadSize", BeEquivalentTo(4096))))

		r := t.do("POST", "/Bulk", map[string]any{
			"schemas":    []string{scim.BulkRequestURN},
			"Operations": []any{bulkUser("1", "x1@example.com"), bulkUser("2", "x2@example.com"), bulkUser("3", "x3@example.com")},
		})
		Expect(r.status).To(Equal(http.StatusRequestEntityTooLarge), r.String())
		Expect(r.scimType()).To(Equal("tooLarge"))

		big := bulkUser("big", "big@example.com")
		big["data"].(map[string]any)["title"] = strings.Repeat("x", 8192)
		r = t.do("POST", "/Bulk", map[string]any{"schemas": []string{scim.BulkRequestURN}, "Operations": []any{big}})
		Expect(r.status).To(Equal(http.StatusRequestEntityTooLarge), r.String())
		Expect(r.scimType()).To(Equal("tooLarge"))
	})

	It("refuses a request that is not a BulkRequest", func() {
		r := endpoint.do("POST", "/Bulk", `{"Operations": []}`)
		Expect(r.status).To(Equal(http.StatusBadRequest))
		r = endpoint.do("POST", "/Bulk", map[string]any{"schemas": []string{scim.BulkRequestURN}, "Operations": []any{map[string]any{"method": "POST", "path": "/Users", "data": map[string]any{}}}})
		Expect(r.status).To(Equal(http.StatusBadRequest), "a POST needs a bulkId")
	})
})

var _ = Describe("when the Kubernetes API server is unreachable", func() {
	It("answers 503 with Retry-After and a SCIM error, and serves again once it is back", func() {
		// The replica reaches the API server through a proxy the test can cut.
		proxy := newCuttableProxy(cfg.Host)
		DeferCleanup(proxy.close)
		viaProxy := rest.CopyConfig(cfg)
		viaProxy.Host = proxy.url()
		t := startServer(viaProxy, server.Options{RetryAfter: 7 * time.Second}).newTenant("outage", "outage-token")
		t.createUser("before-outage@example.com")

		proxy.cut()
		r := t.do("POST", "/Users", map[string]any{"schemas": []string{scim.UserSchemaURN}, "userName": "during-outage@example.com"})
		Expect(r.status).To(Equal(http.StatusServiceUnavailable), r.String())
		Expect(r.header.Get("Retry-After")).To(Equal("7"))
		Expect(r.body["schemas"]).To(ConsistOf(scim.ErrorURN))
		Expect(r.body["status"]).To(Equal("503"))

		proxy.restore()
		Eventually(func() int {
			return t.do("POST", "/Users", map[string]any{"schemas": []string{scim.UserSchemaURN}, "userName": "after-outage@example.com"}).status
		}).WithTimeout(30 * time.Second).Should(Equal(http.StatusCreated))
	})
})

// cuttableProxy forwards TCP connections to the API server until cut.
type cuttableProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newCuttableProxy(host string) *cuttableProxy {
	GinkgoHelper()
	u, err := url.Parse(host)
	Expect(err).NotTo(HaveOccurred())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	p := &cuttableProxy{ln: ln, target: u.Host, conns: map[net.Conn]bool{}}
	go p.serve()
	return p
}

func (p *cuttableProxy) url() string { return "https://" + p.ln.Addr().String() }

func (p *cuttableProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = in.Close()
			continue
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = in.Close()
			continue
		}
		p.conns[in], p.conns[out] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
		go func() { _, _ = io.Copy(in, out); _ = in.Close() }()
	}
}

// cut drops every open connection and refuses new ones.
func (p *cuttableProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *cuttableProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func (p *cuttableProxy) close() {
	p.cut()
	_ = p.ln.Close()
}
