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

package bench

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// fakeCursorServer serves a ServiceProviderConfig, with RFC 9865 cursor
// pagination when cursors is set, and cursor pages over users users.
func fakeCursorServer(t *testing.T, users int, cursors bool) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/scim+json")
		switch r.URL.Path {
		case "/ServiceProviderConfig":
			spc := map[string]any{"filter": map[string]any{"supported": true, "maxResults": 1000}}
			if cursors {
				spc["pagination"] = map[string]any{"cursor": true, "index": true, "maxPageSize": 1000, "cursorTimeout": 3600}
			}
			_ = json.NewEncoder(w).Encode(spc)
		case "/Users":
			q := r.URL.Query()
			if !q.Has("cursor") {
				t.Errorf("a page without cursor: %s", r.URL.RawQuery)
			}
			start := 0
			if c := q.Get("cursor"); c != "" {
				start, _ = strconv.Atoi(c)
			}
			count, _ := strconv.Atoi(q.Get("count"))
			end := min(start+count, users)
			resources := make([]map[string]any, 0, end-start)
			for i := start; i < end; i++ {
				resources = append(resources, map[string]any{"id": strconv.Itoa(i)})
			}
			page := map[string]any{"Resources": resources, "itemsPerPage": len(resources)}
			if end < users {
				page["nextCursor"] = strconv.Itoa(end)
			}
			_ = json.NewEncoder(w).Encode(page)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
}

func TestCursorPages(t *testing.T) {
	for _, supported := range []bool{true, false} {
		srv := fakeCursorServer(t, 250, supported)
		r := &runner{
			cfg:  Config{Users: 250, PageSize: 100, Reads: 7, ReadTime: time.Minute, Log: io.Discard},
			e:    &env{scim: newSCIMClient(srv.URL, "token")},
			res:  &Result{},
			logf: func(string, ...any) {},
		}
		if err := r.cursorPages(t.Context()); err != nil {
			t.Fatal(err)
		}
		c := r.res.Reads.Cursor
		if c.Supported != supported {
			t.Errorf("Supported = %v, want %v", c.Supported, supported)
		}
		if supported && (c.Latency.Count != 7 || c.Walks != 2) {
			// Three pages (100, 100, 50) make a walk: seven pages walk twice.
			t.Errorf("cursor pages: %d pages, %d walks; want 7 pages, 2 walks", c.Latency.Count, c.Walks)
		}
		srv.Close()
	}

	// A walk that does not see every user is an error.
	srv := fakeCursorServer(t, 250, true)
	defer srv.Close()
	r := &runner{
		cfg:  Config{Users: 300, PageSize: 100, Reads: 5, ReadTime: time.Minute},
		e:    &env{scim: newSCIMClient(srv.URL, "token")},
		res:  &Result{},
		logf: func(string, ...any) {},
	}
	if err := r.cursorPages(t.Context()); err == nil {
		t.Error("a cursor walk over 250 of 300 users passed")
	}
}
