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

package connect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
)

// Options configure Connections. The zero value of each field means its
// documented default.
type Options struct {
	// Lightrun is the template of every Lightrun client (BaseURL and APIKey
	// come from each IdentityConfig): its rate limit is the token bucket
	// toward one Lightrun, its retries and Retry-After handling apply per call.
	Lightrun lightrun.Options
	// CheckInterval is how often a healthy connection is checked again;
	// default 1m.
	CheckInterval time.Duration
	// CheckBackoff is the first wait after a failed check, doubled on each
	// failure up to CheckInterval; default 1s.
	CheckBackoff time.Duration
	// SecretWatched says whether the manager's cache holds the Secrets
	// labelled identity.lightrun.com/watch=true of a namespace (metadata
	// only); nil means every namespace. Other Secrets are read by name and
	// re-read at most once per CheckInterval.
	SecretWatched func(namespace string) bool
}

func (o *Options) defaults() {
	if o.CheckInterval <= 0 {
		o.CheckInterval = time.Minute
	}
	if o.CheckBackoff <= 0 {
		o.CheckBackoff = time.Second
	}
	if o.Lightrun.Logger.GetSink() == nil {
		o.Lightrun.Logger = ctrl.Log.WithName("lightrun")
	}
}

type digest = [sha256.Size]byte

// Connections hands out one Lightrun per IdentityConfig, built from its URL
// and API key Secret, and keeps what is known of each connection's health.
// Clients are shared by every IdentityConfig with the same URL and key (keyed
// by a digest of both, so the key itself is never a map key or a log field)
// and therefore share the client's token bucket and Retry-After gate toward
// that Lightrun. All in-memory state lives in one map of per-IdentityConfig
// entries; after a restart everything is learnt again.
type Connections struct {
	secrets *secrets
	opts    Options
	build   func(url, apiKey string) (Lightrun, error)
	wake    chan event.GenericEvent

	mu      sync.Mutex
	clients map[digest]Lightrun
	entries map[types.NamespacedName]*entry
}

// entry is what Connections keeps for one IdentityConfig.
type entry struct {
	// url and apiKeyVersion say which client backend was built from.
	url           string
	apiKeyVersion string
	digest        digest
	backend       Lightrun

	// bearerVersion and bearerErr are the verdict on the bearer-token
	// Secret at a version.
	bearerVersion string
	bearerErr     error

	// check is the last check of the connection; suspect says a reconciler
	// has seen Lightrun fail since.
	check   *Check
	suspect bool
}

// New returns Connections that read Secret metadata from cached (the
// manager's cache, whose Secret informer holds the metadata of labelled
// Secrets only) and Secret data from live (the API reader), only when a
// Secret changed; see secrets.
func New(cached, live client.Reader, opts Options) *Connections {
	opts.defaults()
	c := &Connections{
		secrets: newSecrets(cached, live, opts.SecretWatched, opts.CheckInterval),
		opts:    opts,
		wake:    make(chan event.GenericEvent, 256),
		clients: map[digest]Lightrun{},
		entries: map[types.NamespacedName]*entry{},
	}
	c.build = c.newClient
	return c
}

// newClient builds a Lightrun client from the template, with a transport and
// Retry-After gate of its own.
func (c *Connections) newClient(url, apiKey string) (Lightrun, error) {
	o := c.opts.Lightrun
	o.BaseURL, o.APIKey = url, apiKey
	hc := &http.Client{}
	if o.HTTPClient != nil {
		*hc = *o.HTTPClient
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	hc.Transport = newRetryAfterGate(base)
	o.HTTPClient = hc
	lc, err := lightrun.New(o)
	if err != nil {
		return nil, err
	}
	return newClientBackend(lc), nil
}

// entryLocked returns the entry of key, creating it. c.mu must be held.
func (c *Connections) entryLocked(key types.NamespacedName) *entry {
	e := c.entries[key]
	if e == nil {
		e = &entry{}
		c.entries[key] = e
	}
	return e
}

// For returns the Lightrun of ic. A *SecretError says the API key Secret is
// unusable; other errors are transient.
func (c *Connections) For(ctx context.Context, ic *v1.IdentityConfig) (Lightrun, error) {
	key := client.ObjectKeyFromObject(ic)
	ref := ic.Spec.Lightrun.APIKeySecretRef
	url := ic.Spec.Lightrun.URL
	c.mu.Lock()
	known := c.entryLocked(key)
	knownURL, knownVersion, backend := known.url, known.apiKeyVersion, known.backend
	c.mu.Unlock()

	secretKey := types.NamespacedName{Namespace: ic.Namespace, Name: ref.Name}
	if backend != nil && knownURL != url {
		knownVersion = "" // a new URL needs a new client: read the key again
	}
	apiKey, version, err := c.secrets.read(ctx, secretKey, ref.Key, knownVersion)
	if err != nil {
		if serr := (*SecretError)(nil); errors.As(err, &serr) {
			// No connection, so nothing is known of its health either.
			c.mu.Lock()
			c.entryLocked(key).check = nil
			c.mu.Unlock()
		}
		return nil, err
	}
	if apiKey == nil {
		return backend, nil // the Secret has not changed
	}
	h := sha256.New()
	h.Write([]byte(url))
	h.Write([]byte{0})
	h.Write(apiKey)
	var d digest
	copy(d[:], h.Sum(nil))

	c.mu.Lock()
	defer c.mu.Unlock()
	shared, ok := c.clients[d]
	if !ok {
		if shared, err = c.build(url, string(apiKey)); err != nil {
			return nil, fmt.Errorf("building the Lightrun client for %s: %w", url, err)
		}
		c.clients[d] = shared
	}
	e := c.entryLocked(key)
	old := e.digest
	e.url, e.apiKeyVersion, e.digest, e.backend = url, version, d, shared
	if old != d {
		c.releaseLocked(old)
	}
	return shared, nil
}

// CheckBearerToken says whether ic's bearer-token Secret holds a token the
// SCIM endpoint can accept: nil, or a *SecretError naming why not. The
// Secret's data is read only when the Secret changed since the last look.
func (c *Connections) CheckBearerToken(ctx context.Context, ic *v1.IdentityConfig) error {
	ref := ic.Spec.SCIM.BearerTokenSecretRef
	if ref == nil {
		return &SecretError{Reason: v1.ReasonSecretNotFound, Message: "spec.scim.bearerTokenSecretRef is not set"}
	}
	key := client.ObjectKeyFromObject(ic)
	c.mu.Lock()
	e := c.entryLocked(key)
	knownVersion, knownErr := e.bearerVersion, e.bearerErr
	c.mu.Unlock()

	token, version, err := c.secrets.read(ctx, types.NamespacedName{Namespace: ic.Namespace, Name: ref.Name}, ref.Key, knownVersion)
	var verdict error
	var serr *SecretError
	switch {
	case errors.As(err, &serr):
		verdict = serr
	case err != nil:
		return err
	case token == nil:
		return knownErr // unchanged since the last verdict
	default:
		// The SCIM endpoint compares tokens without surrounding whitespace
		// (kubectl create secret --from-file keeps a file's trailing
		// newline) and refuses short ones; say so here.
		if n := len(bytes.TrimSpace(token)); n < v1.MinBearerTokenLength {
			verdict = &SecretError{Reason: v1.ReasonBearerTokenTooShort, Message: fmt.Sprintf(
				"the token under key %q of Secret %s is %d bytes long without surrounding whitespace; at least %d are required",
				ref.Key, ref.Name, n, v1.MinBearerTokenLength)}
		}
	}
	c.mu.Lock()
	e = c.entryLocked(key)
	e.bearerVersion, e.bearerErr = version, verdict
	c.mu.Unlock()
	return verdict
}

// Forget drops what was kept for a deleted IdentityConfig.
func (c *Connections) Forget(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		delete(c.entries, key)
		c.releaseLocked(e.digest)
	}
}

// releaseLocked drops the client of d when no IdentityConfig uses it any
// more (a rotated key must not keep old clients alive). c.mu must be held.
func (c *Connections) releaseLocked(d digest) {
	for _, e := range c.entries {
		if e.digest == d && e.backend != nil {
			return
		}
	}
	delete(c.clients, d)
}
