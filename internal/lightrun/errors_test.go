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
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestKindForStatus(t *testing.T) {
	cases := []struct {
		status int
		want   ErrorKind
	}{
		{http.StatusBadRequest, KindInvalid},
		{http.StatusUnprocessableEntity, KindInvalid},
		{http.StatusRequestEntityTooLarge, KindInvalid},
		{http.StatusUnauthorized, KindUnauthorized},
		{http.StatusForbidden, KindForbidden},
		{http.StatusNotFound, KindNotFound},
		{http.StatusConflict, KindConflict},
		{http.StatusTooManyRequests, KindRateLimited},
		{http.StatusInternalServerError, KindUnavailable},
		{http.StatusBadGateway, KindUnavailable},
		{http.StatusServiceUnavailable, KindUnavailable},
		{http.StatusGatewayTimeout, KindUnavailable},
		{http.StatusNotImplemented, KindUnknown},
		{http.StatusTeapot, KindUnknown},
		{http.StatusFound, KindUnknown},
	}
	for _, tc := range cases {
		if got := kindForStatus(tc.status); got != tc.want {
			t.Errorf("kindForStatus(%d) = %v, want %v", tc.status, got, tc.want)
		}
	}
}

func TestHelpersMatchOnlyTheirKind(t *testing.T) {
	helpers := map[ErrorKind]func(error) bool{
		KindInvalid: IsInvalid, KindUnauthorized: IsUnauthorized, KindForbidden: IsForbidden,
		KindNotFound: IsNotFound, KindConflict: IsConflict, KindRateLimited: IsRateLimited,
		KindUnavailable: IsUnavailable,
	}
	sentinels := map[ErrorKind]error{
		KindInvalid: ErrInvalid, KindUnauthorized: ErrUnauthorized, KindForbidden: ErrForbidden,
		KindNotFound: ErrNotFound, KindConflict: ErrConflict, KindRateLimited: ErrRateLimited,
		KindUnavailable: ErrUnavailable,
	}
	for kind := range helpers {
		// Wrapped, as a controller would return it.
		err := fmt.Errorf("reconciling: %w", &Error{Kind: kind, StatusCode: 418})
		for other, is := range helpers {
			if got := is(err); got != (other == kind) {
				t.Errorf("Is%v(error of kind %v) = %v", other, kind, got)
			}
			if got := errors.Is(err, sentinels[other]); got != (other == kind) {
				t.Errorf("errors.Is(error of kind %v, Err%v) = %v", kind, other, got)
			}
		}
	}
	for _, is := range helpers {
		if is(nil) || is(errors.New("plain")) || is(context.Canceled) {
			t.Error("a helper matched an error that is not a Lightrun error")
		}
	}
}

func TestRetryAfterOfAnError(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &Error{Kind: KindRateLimited, RetryAfter: 7 * time.Second})
	if got := RetryAfter(err); got != 7*time.Second {
		t.Errorf("RetryAfter = %v, want 7s", got)
	}
	if got := RetryAfter(errors.New("other")); got != 0 {
		t.Errorf("RetryAfter of a foreign error = %v, want 0", got)
	}
}

func TestErrorString(t *testing.T) {
	err := &Error{Kind: KindRateLimited, StatusCode: 429, Message: "slow down", Method: "GET", Path: "/api/v1/users",
		RetryAfter: 3 * time.Second, Attempts: 2}
	want := "lightrun: GET /api/v1/users: 429 Too Many Requests: slow down (retry after 3s) (after 2 attempts)"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	netErr := &Error{Kind: KindUnavailable, Method: "PUT", Path: "/x", Err: errors.New("connection refused")}
	if got := netErr.Error(); got != "lightrun: PUT /x: Unavailable: connection refused" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(fmt.Errorf("outer: %w", netErr), netErr.Err) {
		t.Error("the transport error is not reachable with errors.Is")
	}
}

func TestErrorMessage(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"Lightrun's documented 401", `{"message": "401 Unauthorized"}`, "401 Unauthorized"},
		{"Spring Boot's default error", `{"timestamp":"2026-01-01T00:00:00Z","status":404,"error":"Not Found","message":"User not found","path":"/api/v1/users/x"}`, "User not found"},
		{"Spring Boot without a message", `{"status":500,"error":"Internal Server Error"}`, "Internal Server Error"},
		{"an empty message falls through", `{"message":"","error":"Conflict"}`, "Conflict"},
		{"not JSON", "<html><body>Bad Gateway</body></html>", "<html><body>Bad Gateway</body></html>"},
		{"control characters", "line1\r\nline2\x00\tend", "line1 line2 end"},
		{"empty", "   ", ""},
		{"a non-string message", `{"message": 42}`, `{"message": 42}`},
	}
	for _, tc := range cases {
		if got := errorMessage([]byte(tc.body)); got != tc.want {
			t.Errorf("%s: errorMessage = %q, want %q", tc.name, got, tc.want)
		}
	}
	long := errorMessage([]byte(strings.Repeat("é", 1000)))
	if len(long) > maxMessageLen+len("…") || !strings.HasSuffix(long, "…") {
		t.Errorf("a long body is not truncated: %d bytes", len(long))
	}
}

// FuzzErrorMessage: error bodies come from the network. Whatever they hold,
// the message is bounded, valid UTF-8 and free of control characters (it ends
// up in conditions, events and logs).
func FuzzErrorMessage(f *testing.F) {
	f.Add([]byte(`{"message": "401 Unauthorized"}`))
	f.Add([]byte(`{"error":"Not Found","message":null}`))
	f.Add([]byte("\xff\xfe{\"message\":\"\\u0000\"}"))
	f.Add([]byte(strings.Repeat("a\n", 600)))
	f.Fuzz(func(t *testing.T, body []byte) {
		msg := errorMessage(body)
		if len(msg) > maxMessageLen+len("…") {
			t.Fatalf("message of %d bytes exceeds the bound", len(msg))
		}
		if !utf8.ValidString(msg) {
			t.Fatalf("message is not valid UTF-8: %q", msg)
		}
		for _, r := range msg {
			if unicode.IsControl(r) {
				t.Fatalf("message has a control character: %q", msg)
			}
		}
		if strings.HasPrefix(msg, " ") || strings.HasSuffix(msg, " ") {
			t.Fatalf("message is not trimmed: %q", msg)
		}
	})
}
