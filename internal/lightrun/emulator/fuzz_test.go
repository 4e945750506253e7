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

package emulator

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The emulator parses input from its callers: query parameters, the
// Authorization header, admin bodies and the state file. None of it may crash
// the emulator, and each parser keeps its promise whatever it is fed.

func FuzzParsePaging(f *testing.F) {
	for _, seed := range [][2]string{{"0", "20"}, {"-1", "0"}, {"99999999999999999999", "5"}, {"", ""}, {"1", "1e3"}, {"3", "2001"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, page, size string) {
		q := url.Values{}
		if page != "" {
			q.Set("page", page)
		}
		if size != "" {
			q.Set("size", size)
		}
		p, err := parsePaging(q, DefaultMaxPageSize)
		if err != nil {
			return
		}
		if p.page < 0 || p.size < 1 || p.size > DefaultMaxPageSize {
			t.Fatalf("parsePaging(%q, %q) = %+v, out of range", page, size, p)
		}
		// A page far past the end must give an empty page, not a panic.
		out := pageOf([]int{1, 2, 3}, p, func(i int) int { return i })
		if out.Offset < 0 || len(out.Items) > p.size {
			t.Fatalf("pageOf(%+v) = %+v", p, out)
		}
	})
}

func FuzzParseSort(f *testing.F) {
	for _, seed := range []string{"email,desc", "name", "name,email,asc", ",", "email,DESC,", "a\x00b", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		specs, err := parseSort([]string{value}, userSortable)
		if err != nil {
			return
		}
		for _, s := range specs {
			if _, ok := userSortable[s.property]; !ok {
				t.Fatalf("parseSort(%q) accepted the unsortable %q", value, s.property)
			}
		}
		if len(specs) > strings.Count(value, ",")+1 {
			t.Fatalf("parseSort(%q) made %d criteria out of %d parts", value, len(specs), strings.Count(value, ",")+1)
		}
	})
}

func FuzzAuthorized(f *testing.F) {
	const key = "the-key"
	for _, seed := range []string{"Bearer the-key", "bearer the-key", "Bearer the-dev-key", "Bearer  the-key ", "Bearer the-key2", "Basic the-key", "the-key", "Bearer", ""} {
		f.Add(seed)
	}
	const devKey = "the-dev-key"
	e := &Emulator{keys: []apiKey{
		{digest: sha256.Sum256([]byte(key)), level: levelCompany},
		{digest: sha256.Sum256([]byte(devKey)), level: levelDev},
	}}
	f.Fuzz(func(t *testing.T, header string) {
		r, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/api/v1/users", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", header)
		level := e.keyLevel(r)
		if level == levelNone {
			return
		}
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		want := map[string]keyLevel{key: levelCompany, devKey: levelDev}[strings.TrimSpace(token)]
		if !strings.EqualFold(scheme, "bearer") || level != want {
			t.Fatalf("keyLevel(%q) = %v without the key of that level", header, level)
		}
	})
}

func FuzzDurationJSON(f *testing.F) {
	for _, seed := range []string{`"250ms"`, `"1h2m"`, `5`, `"-1s"`, `null`, `"9999999h"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		var d Duration
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Duration
		if err := json.Unmarshal(out, &back); err != nil || back != d {
			t.Fatalf("%s: round trip gave %v (%v), want %v", data, time.Duration(back), err, time.Duration(d))
		}
	})
}

// FuzzStateFile: a state file is a file a person may edit. Loading it either
// fails with an error or gives a store whose invariants hold.
func FuzzStateFile(f *testing.F) {
	fresh, err := json.Marshal(newCompany(Options{ActorEmail: DefaultActorEmail}, time.Unix(0, 0).UTC()))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fresh)
	f.Add([]byte(`{"version":1,"users":[{"email":"A@x.io"},{"email":"a@X.io"}]}`))
	f.Add([]byte(`{"version":1,"groups":[{"id":"g","default":true,"members":null}],"agentPools":[{"id":"p","default":true}],"users":[{"email":"u@x.io"}]}`))
	f.Add([]byte(`{"version":1,"users":[null],"groups":[null],"agentPools":[null]}`))
	f.Add([]byte(`{"version":1,"groups":[{"id":"g","default":true,"agentPoolIds":["q"],"members":{"U@X.io":{},"v@x.io":null}}],"agentPools":[{"id":"p","default":true}],"users":[{"email":"u@x.io"}]}`))
	file := filepath.Join(f.TempDir(), "state.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := loadState(file)
		if err != nil {
			return
		}
		st, err := newStore(s)
		if err != nil {
			return
		}
		def := st.defaultGroup()
		if def == nil || st.defaultPool() == nil {
			t.Fatal("a loaded store lacks the default group or pool")
		}
		for _, u := range st.Users {
			if u == nil || def.Members[u.Email] == nil {
				t.Fatalf("user %+v is not in the default group", u)
			}
		}
		for _, g := range st.Groups {
			for email, m := range g.Members {
				if m == nil || st.user(email) == nil || m.Email != email {
					t.Fatalf("group %q has member %q that is not a user", g.Name, email)
				}
			}
			for _, id := range g.AgentPoolIDs {
				if st.poolsByID[id] == nil {
					t.Fatalf("group %q links the missing pool %q", g.Name, id)
				}
			}
		}
	})
}
