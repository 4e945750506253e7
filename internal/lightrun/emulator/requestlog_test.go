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
	"testing"
	"time"
)

func TestRequestLogKeepsTheNewest(t *testing.T) {
	l := newRequestLog(3)
	for _, p := range []string{"/a", "/b", "/c", "/d", "/e"} {
		l.add(Request{Path: p})
	}
	got := l.all()
	if len(got) != 3 || got[0].Path != "/c" || got[1].Path != "/d" || got[2].Path != "/e" {
		t.Fatalf("all() = %+v, want /c /d /e", got)
	}
	l.reset()
	if n := len(l.all()); n != 0 {
		t.Fatalf("after reset, %d entries", n)
	}
	l.add(Request{Path: "/f"})
	if got := l.all(); len(got) != 1 || got[0].Path != "/f" {
		t.Fatalf("after reset and add, all() = %+v", got)
	}
}

func TestRetryAfterSecondsRoundsUp(t *testing.T) {
	for d, want := range map[int64]string{0: "0", 1: "1", 999_999_999: "1", 1_000_000_000: "1", 1_000_000_001: "2", 59_500_000_000: "60"} {
		if got := retryAfterSeconds(durationOf(d)); got != want {
			t.Errorf("retryAfterSeconds(%dns) = %s, want %s", d, got, want)
		}
	}
}

func durationOf(ns int64) time.Duration { return time.Duration(ns) }
