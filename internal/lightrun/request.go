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
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// call describes one API operation.
type call struct {
	method string
	// path is the request path as shown in errors and logs; rawPath is the same
	// path with its parameters percent-encoded (see pathf).
	path    string
	rawPath string
	query   url.Values
	// body, when non-nil, is sent as JSON.
	body any
	// out, when non-nil, receives the JSON body of a 2xx answer.
	out any
}

// pathf builds an API path from a format whose verbs are all %s and the path
// parameters to put in them, returning the plain path and the escaped one.
// Parameters are escaped as one path segment each: an email such as
// "a/b@x.io" must stay a single {email} segment (RFC 3986 §3.3).
func pathf(format string, params ...string) (plain, escaped string) {
	plainArgs := make([]any, len(params))
	escapedArgs := make([]any, len(params))
	for i, p := range params {
		plainArgs[i] = p
		escapedArgs[i] = url.PathEscape(p)
	}
	return fmt.Sprintf(format, plainArgs...), fmt.Sprintf(format, escapedArgs...)
}

// newCall starts a call for method and the path built by pathf.
func newCall(method, format string, params ...string) call {
	plain, escaped := pathf(format, params...)
	return call{method: method, path: plain, rawPath: escaped}
}

// invalidArgument is the error for a call the client refuses to send, e.g. an
// empty email that would turn GET /api/v1/users/{email} into the list operation.
func invalidArgument(method, path, msg string) error {
	return &Error{Kind: KindInvalid, Method: method, Path: path, Message: msg}
}

func (c *Client) endpoint(cl call) *url.URL {
	u := *c.base
	u.Path = strings.TrimSuffix(c.base.Path, "/") + cl.path
	u.RawPath = strings.TrimSuffix(c.base.EscapedPath(), "/") + cl.rawPath
	u.RawQuery = cl.query.Encode()
	u.Fragment = ""
	return &u
}

// do sends cl, retrying as the Options say, and decodes a 2xx answer into
// cl.out. It returns *Error for every failure Lightrun answered or that the
// network caused, wrapped together with ctx.Err() when the context ended first.
func (c *Client) do(ctx context.Context, cl call) error {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return fmt.Errorf("lightrun: %s %s: encoding the request body: %w", cl.method, cl.path, err)
		}
	}
	target := c.endpoint(cl)

	var last *Error
	for attempt := 1; ; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			// Wait fails early when the next token would come after ctx's
			// deadline; the caller learns it was throttled, by us.
			if ctx.Err() != nil {
				return c.ended(ctx, cl, last)
			}
			return &Error{Kind: KindRateLimited, Method: cl.method, Path: cl.path, Attempts: attempt - 1,
				Message: "client-side rate limit leaves no time before the context deadline", Err: err}
		}

		start := time.Now()
		status, header, body, err := c.send(ctx, target, cl.method, payload)
		askedToWait := false
		elapsed := time.Since(start)
		if err != nil {
			if ctx.Err() != nil {
				return c.ended(ctx, cl, last)
			}
			last = &Error{Kind: KindUnavailable, Method: cl.method, Path: cl.path, Attempts: attempt, Err: err}
			c.log.V(1).Info("Lightrun API call failed", "method", cl.method, "path", cl.path, "attempt", attempt, "duration", elapsed, "error", err.Error())
			if !retryableTransportError(err) {
				return last
			}
		} else {
			c.log.V(1).Info("Lightrun API call", "method", cl.method, "path", cl.path, "status", status, "attempt", attempt, "duration", elapsed)
			if status >= 200 && status <= 299 {
				return decodeSuccess(cl, status, body)
			}
			last = &Error{
				Kind:       kindForStatus(status),
				StatusCode: status,
				Message:    errorMessage(body),
				Method:     cl.method,
				Path:       cl.path,
				Attempts:   attempt,
			}
			// RFC 9110 §10.2.3: Retry-After accompanies 503 and 429 (RFC 6585 §4).
			if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
				if d, ok := ParseRetryAfter(header.Get("Retry-After"), time.Now()); ok {
					last.RetryAfter = d
					askedToWait = true
				}
			}
			if last.Kind != KindUnavailable && last.Kind != KindRateLimited {
				return last
			}
		}

		if attempt >= c.maxAttempts {
			return last
		}
		delay := backoff(attempt, c.baseBackoff, c.maxBackoff)
		if askedToWait {
			if last.RetryAfter > c.maxRetryAfter {
				// Waiting this long would pin a reconcile worker; hand the wait
				// back to the caller (RetryAfter(err)).
				return last
			}
			delay = last.RetryAfter
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
			// The retry could not happen before the caller gives up anyway.
			return last
		}
		c.log.Info("Retrying Lightrun API call", "method", cl.method, "path", cl.path, "attempt", attempt,
			"status", last.StatusCode, "delay", delay)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return c.ended(ctx, cl, last)
		case <-timer.C:
		}
	}
}

// ended is the error for a call whose context ended: it wraps ctx.Err() and,
// when an attempt had already failed, that failure too, so both
// errors.Is(err, context.DeadlineExceeded) and IsUnavailable(err) hold.
func (c *Client) ended(ctx context.Context, cl call, last *Error) error {
	if last != nil {
		return fmt.Errorf("lightrun: %s %s: %w (last attempt: %w)", cl.method, cl.path, ctx.Err(), last)
	}
	return fmt.Errorf("lightrun: %s %s: %w", cl.method, cl.path, ctx.Err())
}

// send performs one attempt and returns the answer's status, headers and body.
func (c *Client) send(ctx context.Context, target *url.URL, method string, payload []byte) (int, http.Header, []byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading the %d response: %w", resp.StatusCode, err)
	}
	if len(data) > maxResponseBytes {
		return 0, nil, nil, fmt.Errorf("the %d response is larger than %d bytes", resp.StatusCode, maxResponseBytes)
	}
	return resp.StatusCode, resp.Header, data, nil
}

// retryableTransportError reports whether a failure to get an answer may go
// away by itself. A certificate that does not verify will not.
func retryableTransportError(err error) bool {
	var certErr *tls.CertificateVerificationError
	return !errors.As(err, &certErr)
}

// decodeSuccess decodes a 2xx body into cl.out. Unknown fields are ignored: the
// strictness lives in the emulator, and a field Lightrun adds must not break
// a running operator.
func decodeSuccess(cl call, status int, body []byte) error {
	if cl.out == nil {
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &Error{Kind: KindUnknown, StatusCode: status, Method: cl.method, Path: cl.path,
			Message: "the response has no body"}
	}
	if err := json.Unmarshal(body, cl.out); err != nil {
		return &Error{Kind: KindUnknown, StatusCode: status, Method: cl.method, Path: cl.path,
			Message: "the response body is not the JSON the API describes", Err: err}
	}
	return nil
}
