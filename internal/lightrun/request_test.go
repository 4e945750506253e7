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

package lightrun

import (
	"encoding/json"
	"testing"
	"time"
)

func TestPathfEscapesEachParameterAsOneSegment(t *testing.T) {
	plain, escaped := pathf("/api/v1/groups/%s/members/%s", "g1", "a/b?c#d@x.io")
	if plain != "/api/v1/groups/g1/members/a/b?c#d@x.io" {
		t.Errorf("plain = %q", plain)
	}
	if escaped != "/api/v1/groups/g1/members/a%2Fb%3Fc%23d@x.io" {
		t.Errorf("escaped = %q", escaped)
	}
}

func TestTimestampReadsWhatLightrunMaySend(t *testing.T) {
	cases := map[string]time.Time{
		`"2026-03-01T12:00:00.123Z"`:      time.Date(2026, 3, 1, 12, 0, 0, 123e6, time.UTC),
		`"2026-03-01T14:00:00+02:00"`:     time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		`"2026-03-01T12:00:00.5"`:         time.Date(2026, 3, 1, 12, 0, 0, 5e8, time.UTC),
		`null`:                            {},
		`"yesterday"`:                     {},
		`1700000000`:                      {},
		`"2026-03-01T12:00:00.123456789"`: time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC),
	}
	for in, want := range cases {
		var ts Timestamp
		if err := json.Unmarshal([]byte(in), &ts); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if !ts.Equal(want) {
			t.Errorf("%s: got %v, want %v", in, ts.Time, want)
		}
	}
	out, err := json.Marshal(Timestamp{Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)})
	if err != nil || string(out) != `"2026-03-01T12:00:00Z"` {
		t.Errorf("Marshal = %s, %v", out, err)
	}
}
