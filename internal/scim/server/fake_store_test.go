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

package server

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// fakeStore is an in-memory store.Users, store.Groups and store.Tenants for
// the package's own tests: no API server, and hooks where a test must hold
// a request inside the store. Only what those tests use is implemented; the
// rest panics through the nil embedded interfaces.
type fakeStore struct {
	store.Users
	store.Groups

	mu      sync.Mutex
	users   map[string]*v1.ScimUser
	nextID  int
	tenants map[store.Tenant]*store.TenantConfig
	// onGet, when set, runs inside every GetUser (a test blocks in it).
	onGet func(store.Tenant)
}

func newFakeStore() *fakeStore {
	return &fakeStore{users: map[string]*v1.ScimUser{}, tenants: map[store.Tenant]*store.TenantConfig{}}
}

// addTenant registers namespace/name with the given bearer token.
func (f *fakeStore) addTenant(namespace, name, token string) *store.TenantConfig {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := store.Tenant{Namespace: namespace, IdentityConfig: name}
	cfg := &store.TenantConfig{Tenant: t, Enabled: true, TokenDigests: [][32]byte{sha256.Sum256([]byte(token))}}
	f.tenants[t] = cfg
	return cfg
}

func (f *fakeStore) Tenant(_ context.Context, namespace, name string) (*store.TenantConfig, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cfg, ok := f.tenants[store.Tenant{Namespace: namespace, IdentityConfig: name}]
	if !ok {
		return nil, fmt.Errorf("IdentityConfig %s/%s: %w", namespace, name, store.ErrNotFound)
	}
	out := *cfg
	return &out, nil
}

func (f *fakeStore) CreateUser(_ context.Context, t store.Tenant, u *v1.ScimUser) (*v1.ScimUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	out := u.DeepCopy()
	out.Name = fmt.Sprintf("user-%d", f.nextID)
	out.Namespace = t.Namespace
	out.ResourceVersion = "1"
	f.users[out.Name] = out
	return out.DeepCopy(), nil
}

func (f *fakeStore) GetUser(_ context.Context, t store.Tenant, id string) (*v1.ScimUser, error) {
	if f.onGet != nil {
		f.onGet(t)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil, fmt.Errorf("ScimUser %s: %w", id, store.ErrNotFound)
	}
	return u.DeepCopy(), nil
}

// ListUsers answers the lookups by id, userName, externalId and email
// (what the benchmarks ask); other selectors list every user.
func (f *fakeStore) ListUsers(_ context.Context, t store.Tenant, sel store.Selector) ([]*v1.ScimUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*v1.ScimUser
	for _, u := range f.users {
		if u.Namespace != t.Namespace {
			continue
		}
		var match bool
		switch sel.Index {
		case store.IndexID:
			match = u.Name == sel.Value
		case store.IndexUserName:
			match = strings.EqualFold(u.Spec.UserName, sel.Value)
		case store.IndexExternalID:
			match = u.Spec.ExternalID == sel.Value
		case store.IndexEmail:
			match = slices.ContainsFunc(u.Spec.Emails, func(e v1.ScimMultiValue) bool { return strings.EqualFold(e.Value, sel.Value) })
		default:
			match = true
		}
		if match {
			out = append(out, u)
		}
	}
	return out, nil
}

func (f *fakeStore) userCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.users)
}

// newFakeServer is a Server over a fakeStore holding tenant ns/ic with testToken.
func newFakeServer(opts Options) (*Server, *fakeStore) {
	st := newFakeStore()
	st.addTenant("ns", "ic", testToken)
	return NewServer(opts, st, st, st, logr.Discard()), st
}

// testToken is long enough to be accepted (v1.MinBearerTokenLength).
const testToken = "fake-token-0123456789abcdef0123456789abcdef"

// serve sends one request with testToken for ns/ic's endpoint to s's
// handler and returns the recorder.
func serve(s *Server, method, path, body string) *httptest.ResponseRecorder {
	return serveAt(s, "ic", method, path, testToken, body)
}

// serveAt sends one request for the endpoint of IdentityConfig ns/name.
func serveAt(s *Server, name, method, path, token, body string) *httptest.ResponseRecorder {
	target := "http://scim.test" + BasePath + "/ns/" + name + path
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/scim+json")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// serveWith sends GET /Users/none for ns/ic from remoteAddr with extra
// headers (pairs).
func serveWith(s *Server, token, remoteAddr string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "http://scim.test"+BasePath+"/ns/ic/Users/none", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	r.RemoteAddr = remoteAddr
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// bulkBody is a BulkRequest of the given operations (JSON objects).
func bulkBody(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// postUserOp is a Bulk POST of a user whose externalId is ref.
func postUserOp(bulkID, ref string) string {
	return fmt.Sprintf(`{"method":"POST","path":"/Users","bulkId":%q,"data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"externalId":%q}}`,
		bulkID, bulkID+"@example.com", ref)
}

func TestFakeServerServesAUser(t *testing.T) {
	s, st := newFakeServer(Options{})
	if w := serve(s, http.MethodPost, "/Bulk", bulkBody(postUserOp("a", "x"))); w.Code != http.StatusOK {
		t.Fatalf("bulk: %d %s", w.Code, w.Body)
	}
	if st.userCount() != 1 {
		t.Fatalf("%d users stored, want 1", st.userCount())
	}
}
