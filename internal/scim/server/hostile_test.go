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
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/server/hostile"
)

// The hostile-input corpus (testdata/hostile, format in its README.md) is
// replayed over raw TCP against a replica on the local control plane whose
// read and write timeouts are short, so that slow clients are cut off within
// the spec's time. Every case must be answered as it expects, in bounded
// time, write nothing to the API server, and leave no connection goroutine
// behind.

// hostileReadTimeout and hostileWriteTimeout are the replica's; the
// slow-drip and slow-read cases expect to be cut off after them.
const (
	hostileReadTimeout  = 3 * time.Second
	hostileWriteTimeout = 5 * time.Second
)

// hostileGoroutineTolerance is how many goroutines above the count before a
// case the process may have once the case is over. The connection
// goroutines of the endpoint are counted exactly (see serveGoroutines); the
// total may move a little for reasons that are no leak: the API client's
// HTTP/2 connection and watch goroutines come and go, as do the informers'
// resync timers and the test's own reader and writer goroutines while they
// wind down.
const hostileGoroutineTolerance = 10

var hostileCases = func() []hostile.Case {
	cases, err := hostile.Load(filepath.Join("testdata", "hostile"))
	if err != nil {
		panic(err)
	}
	return cases
}()

var _ = Describe("Hostile input", Ordered, ContinueOnFailure, func() {
	var (
		t                 *tenantEndpoint
		base              *url.URL
		fixtures          hostile.Fixtures
		beforeGoroutines  int
		beforeConnServers int
		snapshot          map[string]string
	)

	BeforeAll(func() {
		r := startServer(cfg, server.Options{ReadTimeout: hostileReadTimeout, WriteTimeout: hostileWriteTimeout})
		t = r.newTenant("hostile", "hostile-token")
		var err error
		base, err = url.Parse(t.base)
		Expect(err).NotTo(HaveOccurred())
		fixtures.User = t.createUser("fixture@example.com")
		g := t.do("POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchemaURN}, "displayName": "fixture",
			"members": []any{map[string]any{"value": fixtures.User}}})
		Expect(g.status).To(Equal(http.StatusCreated), g.String())
		fixtures.Group = g.str("id")
		// Users large enough that a list of them does not fit in the
		// sockets' buffers: the slow-read case needs the server to block
		// on writing.
		multi := func(prefix string) []any {
			out := make([]any, 32)
			for i := range out {
				out[i] = map[string]any{"value": fmt.Sprintf("%s-%d-%s", prefix, i, strings.Repeat("v", 2000)), "display": strings.Repeat("d", 1000)}
			}
			return out
		}
		for i := range 24 {
			r := t.do("POST", "/Users", map[string]any{
				"schemas":      []string{scim.UserSchemaURN},
				"userName":     fmt.Sprintf("big-%d@example.com", i),
				"phoneNumbers": multi("phone"),
				"ims":          multi("im"),
			})
			Expect(r.status).To(Equal(http.StatusCreated), r.String())
		}
	})

	BeforeEach(func() {
		snapshot = writeSnapshot(t.namespace)
		beforeConnServers = serveGoroutines()
		beforeGoroutines = runtime.NumGoroutine()
	})

	AfterEach(func() {
		Expect(writeSnapshot(t.namespace)).To(Equal(snapshot), "the case wrote to the API server")
		Eventually(serveGoroutines).WithTimeout(60*time.Second).WithPolling(200*time.Millisecond).
			Should(BeNumerically("<=", beforeConnServers), "a connection of the case is still served")
		Eventually(runtime.NumGoroutine).WithTimeout(60*time.Second).WithPolling(200*time.Millisecond).
			Should(BeNumerically("<=", beforeGoroutines+hostileGoroutineTolerance), "goroutines leaked")
	})

	entries := make([]TableEntry, 0, len(hostileCases))
	for _, c := range hostileCases {
		entries = append(entries, Entry(c.Name, c))
	}
	DescribeTable("is refused in bounded time, writes nothing and leaks nothing",
		func(c hostile.Case) {
			start := time.Now()
			res, err := hostile.Replay(c, base, "Bearer "+t.token, fixtures)
			Expect(err).NotTo(HaveOccurred())
			elapsed := time.Since(start)
			Expect(elapsed).To(BeNumerically("<", c.Timeout), "answered after %s", elapsed)
			if c.Delivery == hostile.SlowRead {
				Expect(res.Status).To(Equal(http.StatusOK), string(res.Body))
				Expect(res.Cut).To(BeTrue(), "the server sent all %d bytes to a client reading one byte per %s", len(res.Body), c.Interval)
				return
			}
			Expect(res.Status).To(BeNumerically(">=", c.StatusMin), "%d %s", res.Status, res.Body)
			Expect(res.Status).To(BeNumerically("<=", c.StatusMax), "%d %s", res.Status, res.Body)
			if res.Status < 400 || !c.SCIMError {
				return
			}
			Expect(res.Header.Get("Content-Type")).To(Equal("application/scim+json"), string(res.Body))
			var body map[string]any
			Expect(json.Unmarshal(res.Body, &body)).To(Succeed(), "not JSON: %s", res.Body)
			Expect(body).To(HaveKeyWithValue("schemas", []any{scim.ErrorURN}))
			Expect(body).To(HaveKeyWithValue("status", fmt.Sprint(res.Status)))
			scimType, _ := body["scimType"].(string)
			if c.SCIMTypes != nil {
				Expect(c.SCIMTypes).To(ContainElement(scimType), "%s", res.Body)
			}
		},
		entries,
	)

	It("has a case for every kind the corpus must cover", func() {
		kinds := map[string]bool{}
		for _, c := range hostileCases {
			kinds[strings.SplitN(c.Name, "-", 2)[0]] = true
		}
		for _, kind := range []string{"json", "nesting", "huge", "utf8", "duplicate", "filter", "id", "type", "drip", "slowread"} {
			Expect(kinds).To(HaveKey(kind))
		}
	})
})

// writeSnapshot maps every ScimUser, ScimGroup and Lease of the namespace
// to its resourceVersion: a create, update or delete changes it.
func writeSnapshot(namespace string) map[string]string {
	GinkgoHelper()
	out := map[string]string{}
	for _, list := range []client.ObjectList{&v1.ScimUserList{}, &v1.ScimGroupList{}, &coordinationv1.LeaseList{}} {
		Expect(k8sClient.List(ctx, list, client.InNamespace(namespace))).To(Succeed())
		items, err := metaItems(list)
		Expect(err).NotTo(HaveOccurred())
		for _, o := range items {
			out[fmt.Sprintf("%T/%s", list, o.GetName())] = o.GetResourceVersion()
		}
	}
	return out
}

func metaItems(list client.ObjectList) ([]client.Object, error) {
	var out []client.Object
	switch l := list.(type) {
	case *v1.ScimUserList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *v1.ScimGroupList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *coordinationv1.LeaseList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	default:
		return nil, errors.New("unexpected list type")
	}
	return out, nil
}

// serveGoroutines counts the goroutines serving an HTTP connection (one per
// open connection of any http.Server in the process, the handler included).
func serveGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("net/http.(*conn).serve(")) {
			count++
		}
	}
	return count
}
