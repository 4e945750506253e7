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
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"
)

// Defaults for Options fields left zero.
const (
	DefaultRateLimit      rate.Limit = 10
	DefaultMaxAttempts               = 5
	DefaultBaseBackoff               = 500 * time.Millisecond
	DefaultMaxBackoff                = 30 * time.Second
	DefaultMaxRetryAfter             = 2 * time.Minute
	DefaultRequestTimeout            = 30 * time.Second
)

// maxResponseBytes bounds how much of a response body the client reads. The
// largest legitimate body is a page of groups with their members.
const maxResponseBytes = 32 << 20

// Options configure a Client. Only BaseURL and APIKey are required.
type Options struct {
	// BaseURL is the Lightrun server, e.g. "https://app.lightrun.com". A path
	// prefix is kept ("https://host/lightrun" calls "https://host/lightrun/api/v1/...").
	BaseURL string
	// APIKey is sent as "Authorization: Bearer <key>". It is never logged.
	APIKey string

	// HTTPClient sends the requests; nil means a client with its own
	// http.Transport cloned from http.DefaultTransport. Its Timeout, if any,
	// applies per attempt.
	HTTPClient *http.Client
	// RequestTimeout bounds one attempt (not the whole call with its retries);
	// zero means DefaultRequestTimeout, negative means no bound beyond the
	// caller's context.
	RequestTimeout time.Duration

	// RateLimit is the client-side limit in requests per second over all
	// operations and retries; zero means DefaultRateLimit, rate.Inf disables it.
	RateLimit rate.Limit
	// Burst is the token-bucket size; zero means max(1, RateLimit).
	Burst int

	// MaxAttempts is how many times one call is sent at most (first try plus
	// retries); zero means DefaultMaxAttempts, 1 disables retries.
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the exponential backoff between retries;
	// zero means DefaultBaseBackoff / DefaultMaxBackoff.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits out by itself.
	// A longer one is returned at once as a RateLimited (or Unavailable) error
	// carrying the duration, so a controller can requeue instead of blocking a
	// worker; zero means DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration

	// Logger receives one V(1) line per attempt and a line per retry. Headers
	// and bodies are never logged.
	Logger logr.Logger
}

// Client calls Lightrun's public API. It is safe for concurrent use.
type Client struct {
	base          *url.URL
	apiKey        string
	http          *http.Client
	limiter       *rate.Limiter
	maxAttempts   int
	baseBackoff   time.Duration
	maxBackoff    time.Duration
	maxRetryAfter time.Duration
	timeout       time.Duration
	userAgent     string
	log           logr.Logger
}

// New returns a Client for opts.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		return nil, errors.New("lightrun: BaseURL is required")
	}
	base, err := url.Parse(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("lightrun: parsing BaseURL: %w", err)
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("lightrun: BaseURL %q must be an absolute http(s) URL", opts.BaseURL)
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("lightrun: BaseURL %q must not have a query or fragment", opts.BaseURL)
	}
	if opts.APIKey == "" {
		return nil, errors.New("lightrun: APIKey is required")
	}
	if strings.ContainsAny(opts.APIKey, "\r\n") {
		return nil, errors.New("lightrun: APIKey contains a line break")
	}

	c := &Client{
		base:          base,
		apiKey:        opts.APIKey,
		http:          opts.HTTPClient,
		maxAttempts:   opts.MaxAttempts,
		baseBackoff:   opts.BaseBackoff,
		maxBackoff:    opts.MaxBackoff,
		maxRetryAfter: opts.MaxRetryAfter,
		timeout:       opts.RequestTimeout,
		userAgent:     userAgent(),
		log:           opts.Logger,
	}
	if c.http == nil {
		c.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = DefaultMaxAttempts
	}
	if c.baseBackoff <= 0 {
		c.baseBackoff = DefaultBaseBackoff
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = DefaultMaxBackoff
	}
	if c.maxBackoff < c.baseBackoff {
		c.maxBackoff = c.baseBackoff
	}
	if c.maxRetryAfter <= 0 {
		c.maxRetryAfter = DefaultMaxRetryAfter
	}
	if c.timeout == 0 {
		c.timeout = DefaultRequestTimeout
	}
	limit := opts.RateLimit
	if limit == 0 {
		limit = DefaultRateLimit
	}
	if limit < 0 {
		return nil, fmt.Errorf("lightrun: RateLimit %v must not be negative", opts.RateLimit)
	}
	burst := opts.Burst
	if burst <= 0 {
		burst = max(1, int(limit))
		if limit == rate.Inf {
			burst = 1
		}
	}
	c.limiter = rate.NewLimiter(limit, burst)
	return c, nil
}

// BaseURL returns the Lightrun server the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }
