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
	"strings"
	"time"
)

// RetryAfterCap bounds every wait the operator takes from a Retry-After
// header: the client's own waits and the waits its errors report, and the
// gate that holds every caller of one Lightrun (internal/lightrun/connect).
// A longer wait is read as this one, so an absurd header can neither
// overflow a time.Duration nor stop provisioning for days.
const RetryAfterCap = 10 * time.Minute

// ParseRetryAfter reads a Retry-After header value (RFC 9110 §10.2.3): either
// delay-seconds (a non-negative decimal integer) or an HTTP-date, which is
// turned into a delay relative to now (a date in the past means "now", 0).
// The delay is at most RetryAfterCap. ok is false for an absent or malformed
// value; the caller then falls back to its own backoff. The value comes from the network and is untrusted
// (FuzzParseRetryAfter).
func ParseRetryAfter(value string, now time.Time) (d time.Duration, ok bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if isDigits(value) {
		secs, err := strconv.ParseInt(value, 10, 64)
		if err != nil || secs > int64(RetryAfterCap/time.Second) {
			// More than the cap, or too many digits to be meant: clamp
			// rather than overflow.
			return RetryAfterCap, true
		}
		return time.Duration(secs) * time.Second, true
	}
	// http.ParseTime accepts the three date formats RFC 9110 §5.6.7 requires a
	// recipient to accept (IMF-fixdate, RFC 850, asctime).
	t, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), RetryAfterCap), true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
