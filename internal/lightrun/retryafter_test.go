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
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"120", 120 * time.Second, true},
		{"0", 0, true},
		{" 3 ", 3 * time.Second, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"0x10", 0, false},
		{"99999999999999999999999", RetryAfterCap, true},
		// RFC 9110 §5.6.7: IMF-fixdate, obsolete RFC 850 and asctime formats.
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true},
		{"Sun Mar  1 12:00:05 2026", 5 * time.Second, true},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},
		{"Sun, 01 Mar 2026 12:00:30 PST", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParseRetryAfter(tc.value, now)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.wantOK)
		}
	}
}

// FuzzParseRetryAfter: Retry-After comes from the network. Whatever it holds,
// the parser does not panic, never returns a negative or unbounded wait, and
// reads delay-seconds exactly.
func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{"120", "0", "-5", "1e9", "Sun, 01 Mar 2026 12:00:30 GMT",
		"Sunday, 01-Mar-26 12:01:00 GMT", "Sun Mar  1 12:00:05 2026", "18446744073709551616", " 7", "\x00"} {
		f.Add(seed)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, value string) {
		d, ok := ParseRetryAfter(value, now)
		if d < 0 || d > RetryAfterCap {
			t.Fatalf("ParseRetryAfter(%q) = %v, out of bounds", value, d)
		}
		if !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v without ok", value, d)
		}
		if secs, err := strconv.ParseUint(value, 10, 32); err == nil && secs <= uint64(RetryAfterCap/time.Second) {
			if !ok || d != time.Duration(secs)*time.Second {
				t.Fatalf("ParseRetryAfter(%q) = %v, %v; want %ds", value, d, ok, secs)
			}
		}
		if ts, err := http.ParseTime(value); err == nil && !ok {
			t.Fatalf("ParseRetryAfter(%q) refused a valid HTTP-date (%v)", value, ts)
		}
	})
}
