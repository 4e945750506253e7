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
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrorKind classifies a failed call by what a caller can do about it.
type ErrorKind int

const (
	// KindUnknown is a failure that fits no other kind (e.g. an unexpected 3xx or 501).
	KindUnknown ErrorKind = iota
	// KindInvalid: Lightrun rejected the request as malformed or breaking a rule
	// (400, 405, 413, 415, 422), or the client refused to send it. Retrying the
	// same request cannot succeed.
	KindInvalid
	// KindUnauthorized: the API key is missing, wrong or revoked (401).
	KindUnauthorized
	// KindForbidden: the key is valid but may not do this, or Lightrun forbids
	// the operation itself, e.g. deleting the default agent pool (403).
	KindForbidden
	// KindNotFound: the user, group or agent pool does not exist (404).
	KindNotFound
	// KindConflict: the object already exists, e.g. a user with that email (409).
	KindConflict
	// KindRateLimited: Lightrun answered 429; RetryAfter(err) tells how long to wait.
	KindRateLimited
	// KindUnavailable: Lightrun could not be reached or answered 5xx, after retries.
	KindUnavailable
)

func (k ErrorKind) String() string {
	switch k {
	case KindInvalid:
		return "Invalid"
	case KindUnauthorized:
		return "Unauthorized"
	case KindForbidden:
		return "Forbidden"
	case KindNotFound:
		return "NotFound"
	case KindConflict:
		return "Conflict"
	case KindRateLimited:
		return "RateLimited"
	case KindUnavailable:
		return "Unavailable"
	default:
		return "Unknown"
	}
}

// Sentinel errors, one per kind, so errors.Is works as well as the Is* helpers:
// errors.Is(err, lightrun.ErrNotFound).
var (
	ErrInvalid      = &kindError{KindInvalid}
	ErrUnauthorized = &kindError{KindUnauthorized}
	ErrForbidden    = &kindError{KindForbidden}
	ErrNotFound     = &kindError{KindNotFound}
	ErrConflict     = &kindError{KindConflict}
	ErrRateLimited  = &kindError{KindRateLimited}
	ErrUnavailable  = &kindError{KindUnavailable}
)

type kindError struct{ kind ErrorKind }

func (e *kindError) Error() string { return "lightrun: " + e.kind.String() }

// Error is a failed Lightrun API call. It carries Lightrun's own message so a
// controller can put it in a condition without parsing anything.
type Error struct {
	// Kind classifies the failure.
	Kind ErrorKind
	// StatusCode is the HTTP status of the last attempt; 0 when no answer came.
	StatusCode int
	// Message is Lightrun's message from the error body, or the body itself
	// (sanitised and truncated) when it carries no message field.
	Message string
	// Method and Path name the operation, e.g. "GET /api/v1/users/a@b.c".
	Method string
	Path   string
	// RetryAfter is the wait Lightrun asked for with a Retry-After header
	// (429 or 503); zero when it asked for none.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is the transport error when no HTTP answer came (network failure).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("lightrun")
	if e.Method != "" {
		b.WriteString(": ")
		b.WriteString(e.Method)
		b.WriteString(" ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	switch {
	case e.StatusCode != 0:
		fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	default:
		b.WriteString(e.Kind.String())
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap exposes the transport error, so errors.Is(err, context.DeadlineExceeded)
// and net.Error checks keep working.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(*kindError)
	return ok && k.kind == e.Kind
}

// kindForStatus maps an HTTP status to the kind a caller acts on.
func kindForStatus(status int) ErrorKind {
	switch {
	case status == http.StatusBadRequest, status == http.StatusMethodNotAllowed,
		status == http.StatusRequestEntityTooLarge, status == http.StatusUnsupportedMediaType,
		status == http.StatusUnprocessableEntity:
		return KindInvalid
	case status == http.StatusUnauthorized:
		return KindUnauthorized
	case status == http.StatusForbidden:
		return KindForbidden
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusConflict:
		return KindConflict
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusNotImplemented, status == http.StatusHTTPVersionNotSupported:
		// A 501 says the server will never do this; retrying or waiting does not help.
		return KindUnknown
	case status >= 500 && status <= 599:
		return KindUnavailable
	default:
		return KindUnknown
	}
}

func errorKind(err error) (ErrorKind, bool) {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind, true
	}
	return KindUnknown, false
}

func isKind(err error, k ErrorKind) bool {
	got, ok := errorKind(err)
	return ok && got == k
}

// IsInvalid reports whether Lightrun (or the client, before sending) rejected the
// request as invalid. Retrying the same request cannot succeed.
func IsInvalid(err error) bool { return isKind(err, KindInvalid) }

// IsUnauthorized reports whether the API key was refused (401).
func IsUnauthorized(err error) bool { return isKind(err, KindUnauthorized) }

// IsForbidden reports whether Lightrun forbade the operation (403).
func IsForbidden(err error) bool { return isKind(err, KindForbidden) }

// IsNotFound reports whether the object does not exist (404).
func IsNotFound(err error) bool { return isKind(err, KindNotFound) }

// IsConflict reports whether the object already exists or the operation
// conflicts with Lightrun's state (409).
func IsConflict(err error) bool { return isKind(err, KindConflict) }

// IsRateLimited reports whether Lightrun kept answering 429 (after the client's
// retries, or with a Retry-After longer than Options.MaxRetryAfter). Use
// RetryAfter(err) to learn how long Lightrun asked to wait.
func IsRateLimited(err error) bool { return isKind(err, KindRateLimited) }

// IsUnavailable reports whether Lightrun was unreachable or answered 5xx after
// the client's retries.
func IsUnavailable(err error) bool { return isKind(err, KindUnavailable) }

// RetryAfter returns the wait Lightrun asked for in a Retry-After header on the
// call that produced err, or 0 when it asked for none. A controller can use it
// as RequeueAfter.
func RetryAfter(err error) time.Duration {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.RetryAfter
	}
	return 0
}

// maxMessageLen bounds how much of an error body ends up in an error string
// (and from there in conditions and logs).
const maxMessageLen = 512

// errorMessage extracts Lightrun's message from an error body. The OpenAPI
// document does not standardise error bodies (many 4xx responses are described
// with the success schema); Lightrun's API introduction gives
// {"message": "401 Unauthorized"}, and Spring Boot's default error body has
// "message" and "error". Anything else falls back to the body text. The body is
// untrusted: the result is valid UTF-8, free of control characters and bounded
// (FuzzErrorMessage).
func errorMessage(body []byte) string {
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return ""
	}
	if strings.HasPrefix(trimmed, "{") {
		var fields map[string]json.RawMessage
		if json.Unmarshal([]byte(trimmed), &fields) == nil {
			for _, key := range []string{"message", "error_description", "detail", "error", "title"} {
				var s string
				if raw, ok := fields[key]; ok && json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) != "" {
					return sanitizeMessage(s)
				}
			}
		}
	}
	return sanitizeMessage(trimmed)
}

// sanitizeMessage makes untrusted text safe to place in an error string, a
// Kubernetes condition or a log line: invalid UTF-8 and control characters become
// spaces, runs of whitespace collapse, and the length is bounded.
func sanitizeMessage(s string) string {
	var b strings.Builder
	space := false
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				r = ' '
			}
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		sep := 0
		if space && b.Len() > 0 {
			sep = 1
		}
		space = false
		if b.Len()+sep+utf8.RuneLen(r) > maxMessageLen {
			b.WriteString("…")
			break
		}
		if sep == 1 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
