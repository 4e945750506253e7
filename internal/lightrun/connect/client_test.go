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

package connect

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"golang.org/x/time/rate"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// endlessUsers answers every page of GET /api/v1/users with two new users
// and hasMore=true, as a broken or hostile server could.
func endlessUsers(pages *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		pages.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"items":[{"email":"a%[1]d@example.com","firstName":"A","lastName":"B","enabled":true},`+
			`{"email":"b%[1]d@example.com","firstName":"A","lastName":"B","enabled":true}],"offset":%[2]d,"limit":2,"total":2147483647,"hasMore":true}`,
			page, page*2)
	})
}

// TestEachUserStreamsAndIsBounded: users reach the caller page by page, and a
// listing that never ends is cut off instead of holding the resync forever.
func TestEachUserStreamsAndIsBounded(t *testing.T) {
	var pages atomic.Int64
	srv := httptest.NewServer(endlessUsers(&pages))
	defer srv.Close()
	c, err := lightrun.New(lightrun.Options{BaseURL: srv.URL, APIKey: "k", RateLimit: rate.Inf, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := newClientBackend(c)
	b.maxUsers = 9

	seen := 0
	err = b.EachUser(context.Background(), func(u *User) error {
		seen++
		if u.Email == "" {
			t.Fatal("a user without email")
		}
		return nil
	})
	if err == nil {
		t.Fatal("an endless listing must end with an error")
	}
	if seen != 9 || pages.Load() != 5 {
		t.Fatalf("saw %d users over %d pages, want the first 9 over 5 pages", seen, pages.Load())
	}

	// The callback's error stops the listing at once.
	stop := fmt.Errorf("enough")
	pages.Store(0)
	b.maxUsers = MaxListedUsers
	if err := b.EachUser(context.Background(), func(*User) error { return stop }); err != stop {
		t.Fatalf("EachUser = %v, want the callback's error", err)
	}
	if pages.Load() != 1 {
		t.Fatalf("%d pages read after the callback stopped, want 1", pages.Load())
	}
}
