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

package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/scim/store"
)

// Options configure the SCIM endpoint. Zero values mean the defaults.
type Options struct {
	// Addr is the listen address (default ":8443").
	Addr string
	// CertDir holds tls.crt and tls.key; empty serves plain HTTP.
	CertDir string
	// CertReloadInterval is how often the files in CertDir are checked for
	// a new key pair (default 10s).
	CertReloadInterval time.Duration
	// PublicURL is the scheme://host[:port] prefix IdPs reach the endpoint
	// at; empty derives it from each request's Host.
	PublicURL string
	// MaxBodyBytes caps a request body (default 1 MiB); more is 413.
	MaxBodyBytes int64
	// MaxResults caps a page, advertised as filter.maxResults (default 1000).
	MaxResults int
	// MaxCandidates caps how many resources one unindexed filter may scan
	// before it is refused with tooMany (default 250,000).
	MaxCandidates int
	// MaxBulkOperations is advertised and enforced as bulk.maxOperations (default 1000).
	MaxBulkOperations int
	// RateLimit is the sustained requests per second allowed per bearer
	// token (default 100); RateBurst is the burst (default 200).
	RateLimit float64
	RateBurst int
	// AuthFailureBurst is how many failed authentications (401) one client
	// address may make before its requests are answered 429 without looking
	// at the token (default 10); AuthFailureRate is how many more it earns
	// per second (default 1).
	AuthFailureBurst int
	AuthFailureRate  float64
	// MaxAuthFailureClients bounds how many client addresses the failed
	// authentication limiter remembers (default 10,000).
	MaxAuthFailureClients int
	// TrustForwardedFor counts failed authentications against the last
	// X-Forwarded-For entry instead of the TCP peer: set it only when every
	// request comes through a proxy that appends that header (an ingress
	// controller), or anyone can pick the address they are counted as.
	TrustForwardedFor bool
	// MaxInFlight caps the requests of one IdentityConfig served at once
	// (default 64); more are answered 429 with Retry-After.
	MaxInFlight int
	// RetryAfter is what 503 answers advertise (default 5s).
	RetryAfter time.Duration
	// ShutdownTimeout bounds how long in-flight requests get on stop (default 25s).
	ShutdownTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included (default
	// 60s): a client that sends its body too slowly is cut off.
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its response (default 120s): a client that reads the response too
	// slowly is cut off.
	ReadTimeout, WriteTimeout time.Duration
}

func (o *Options) defaults() {
	if o.Addr == "" {
		o.Addr = ":8443"
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MaxResults == 0 {
		o.MaxResults = 1000
	}
	if o.MaxCandidates == 0 {
		o.MaxCandidates = 250_000
	}
	if o.MaxBulkOperations == 0 {
		o.MaxBulkOperations = 1000
	}
	if o.RateLimit == 0 {
		o.RateLimit = 100
	}
	if o.RateBurst == 0 {
		o.RateBurst = 200
	}
	if o.AuthFailureBurst == 0 {
		o.AuthFailureBurst = 10
	}
	if o.AuthFailureRate == 0 {
		o.AuthFailureRate = 1
	}
	if o.MaxAuthFailureClients == 0 {
		o.MaxAuthFailureClients = 10_000
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 64
	}
	if o.CertReloadInterval == 0 {
		o.CertReloadInterval = 10 * time.Second
	}
	if o.RetryAfter == 0 {
		o.RetryAfter = 5 * time.Second
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 25 * time.Second
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 60 * time.Second
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 120 * time.Second
	}
	o.PublicURL = strings.TrimSuffix(o.PublicURL, "/")
}

// BasePath is where every IdentityConfig's SCIM endpoint lives:
// /scim/v2/{namespace}/{identityconfig}.
const BasePath = "/scim/v2"

// Server is the SCIM 2.0 endpoint. It is a controller-runtime Runnable that
// runs on every replica (it needs no leader: writes go through the API
// server, which arbitrates between replicas).
type Server struct {
	opts    Options
	users   store.Users
	groups  store.Groups
	tenants store.Tenants
	log     logr.Logger
	mux     *http.ServeMux
	metrics *metrics

	limitersMu sync.Mutex
	limiters   map[[32]byte]*tokenLimiter
	// authFailures limits failed authentications per client address.
	authFailures *authFailures

	// inFlight counts each IdentityConfig's requests being served; an
	// IdentityConfig with none has no entry.
	inFlightMu sync.Mutex
	inFlight   map[store.Tenant]int

	// certs serves the TLS key pair when CertDir is set.
	certs *certLoader

	listening chan string // receives the bound address once listening
	// serving is true from the moment the listener accepts connections
	// until the server stops.
	serving atomic.Bool
}

// NewServer returns the endpoint over the given storage.
func NewServer(opts Options, users store.Users, groups store.Groups, tenants store.Tenants, log logr.Logger) *Server {
	opts.defaults()
	s := &Server{
		opts:      opts,
		users:     users,
		groups:    groups,
		tenants:   tenants,
		log:       log,
		metrics:   defaultMetrics,
		limiters:  map[[32]byte]*tokenLimiter{},
		inFlight:  map[store.Tenant]int{},
		listening: make(chan string, 1),
	}
	s.authFailures = newAuthFailures(opts.AuthFailureRate, opts.AuthFailureBurst, opts.MaxAuthFailureClients)
	s.routes()
	return s
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: every
// replica serves SCIM.
func (s *Server) NeedLeaderElection() bool { return false }

// Listening returns a channel that receives the bound address once the
// server listens (useful with Addr ":0").
func (s *Server) Listening() <-chan string { return s.listening }

// Ready is a readiness check (healthz.Checker): nil while the endpoint
// accepts connections, so a replica whose SCIM listener is not up (still
// starting, failed to bind, stopping) takes no IdP traffic.
func (s *Server) Ready(*http.Request) error {
	if !s.serving.Load() {
		return errors.New("the SCIM endpoint is not serving")
	}
	return nil
}

// Start implements manager.Runnable: it serves until ctx is done, then lets
// in-flight requests finish within ShutdownTimeout.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listening for SCIM on %s: %w", s.opts.Addr, err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          nil,
	}
	if s.opts.CertDir != "" {
		// The key pair is parsed once per change of the mounted Secret
		// and swapped in without a restart (cert-manager renews it); see
		// certLoader.
		s.certs = newCertLoader(s.opts.CertDir, s.log)
		if err := s.certs.load(); err != nil {
			_ = ln.Close()
			return fmt.Errorf("loading the SCIM TLS certificate: %w", err)
		}
		go s.certs.watch(ctx, s.opts.CertReloadInterval)
		srv.TLSConfig = &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: s.certs.GetCertificate,
		}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	// The listener accepts connections from here on (they queue until
	// Serve picks them up).
	s.serving.Store(true)
	defer s.serving.Store(false)
	s.listening <- ln.Addr().String()
	s.log.Info("Serving SCIM 2.0", "address", ln.Addr().String(), "tls", s.opts.CertDir != "", "basePath", BasePath)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving SCIM: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stopping the SCIM server: %w", err)
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if dotSegments(r.URL.Path) {
		// The mux would redirect to the cleaned path, another resource
		// than the one asked for; "." and ".." are no SCIM ids, so the
		// resource asked for does not exist (RFC 7644 §3.12).
		s.metrics.observe(r.Method, "Other", http.StatusNotFound, 0)
		writeJSON(w, http.StatusNotFound, scim.ErrNotFound("no SCIM resource at %s", r.URL.Path))
		return
	}
	s.mux.ServeHTTP(w, canonicalPath(r))
}

// dotSegments reports whether a path under BasePath has a "." or ".."
// segment once decoded.
func dotSegments(path string) bool {
	rest, ok := strings.CutPrefix(path, BasePath+"/")
	if !ok {
		return false
	}
	for seg := range strings.SplitSeq(rest, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// resourceSegments are the endpoint names of RFC 7644 §3.2 as the routes
// spell them.
var resourceSegments = []string{"Users", "Groups", "ServiceProviderConfig", "Schemas", "ResourceTypes", "Bulk", ".search", "Me"}

// canonicalPath spells the endpoint segments of a request's path as the
// routes do, so that they match without regard to case, as attribute names
// do (RFC 7643 §2.1): Microsoft's SCIM validator sends /users and
// /serviceproviderconfig. Only the segment after
// /scim/v2/{namespace}/{identityconfig}, and a ".search" after /Users or
// /Groups, are rewritten; the namespace and IdentityConfig are Kubernetes
// names and ids are the resource's, so they stay as sent.
func canonicalPath(r *http.Request) *http.Request {
	escaped := r.URL.EscapedPath()
	if !strings.HasPrefix(escaped, BasePath+"/") {
		return r
	}
	// "", "scim", "v2", ns, ic, resource, rest...
	parts := strings.Split(escaped, "/")
	if len(parts) < 6 {
		return r
	}
	changed := false
	canon := func(i int, names ...string) {
		for _, name := range names {
			if parts[i] != name && strings.EqualFold(parts[i], name) {
				parts[i], changed = name, true
			}
		}
	}
	canon(5, resourceSegments...)
	if len(parts) == 7 && (parts[5] == "Users" || parts[5] == "Groups") {
		canon(6, ".search")
	}
	if !changed {
		return r
	}
	path, err := url.PathUnescape(strings.Join(parts, "/"))
	if err != nil {
		return r
	}
	out := new(http.Request)
	*out = *r
	u := *r.URL
	u.Path, u.RawPath = path, strings.Join(parts, "/")
	out.URL = &u
	return out
}

// request is what every tenant handler gets: the authenticated tenant and
// the URL prefix for meta.location.
type request struct {
	*http.Request
	tenant  *store.TenantConfig
	baseURL string
	// limiter is the bearer token's rate limiter.
	limiter *rate.Limiter
}

type handlerFunc func(w http.ResponseWriter, r *request) error

// resourceLabel names the resource in metrics without unbounded ids.
func (s *Server) handle(pattern, resource string, h handlerFunc) {
	method, _, _ := strings.Cut(pattern, " ")
	// Bulk pays the rate limit per operation, once it knows how many.
	selfCharged := resource == "Bulk"
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		err := s.serveTenant(rec, r, h, selfCharged)
		if err != nil {
			s.writeError(rec, r, err)
		}
		s.metrics.observe(method, resource, rec.status, time.Since(start))
	})
}

func (s *Server) serveTenant(w http.ResponseWriter, r *http.Request, h handlerFunc, selfCharged bool) error {
	ns, name := r.PathValue("ns"), r.PathValue("ic")
	client := s.clientAddress(r)
	if wait, blocked := s.authFailures.blocked(client); blocked {
		// Too many failed authentications from this address: its token
		// is not even looked at until the bucket refills.
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return scim.ErrTooManyRequests("too many failed authentications from this address")
	}
	tenant, digest, err := s.authenticate(r, ns, name)
	if err != nil {
		if scimErr, ok := errors.AsType[*scim.Error](err); ok && scimErr.Status == http.StatusUnauthorized {
			s.authFailures.failed(client)
		}
		return err
	}
	if !tenant.Enabled {
		return scim.ErrForbidden("the SCIM endpoint of IdentityConfig %s/%s is disabled (spec.scim.enabled is false)", ns, name)
	}
	if tenant.Refusal != "" {
		return scim.ErrForbidden("IdentityConfig %s/%s is refused: %s", ns, name, tenant.Refusal)
	}
	if !s.enter(tenant.Tenant) {
		// RFC 6585 §4 (429), as the rate limit answers: it is this
		// IdentityConfig's client that asks too much at once, and the
		// endpoint keeps serving the others (503 would say it is down).
		w.Header().Set("Retry-After", "1")
		return scim.ErrTooManyRequests("IdentityConfig %s/%s already has %d requests in flight; retry later", ns, name, s.opts.MaxInFlight)
	}
	defer s.leave(tenant.Tenant)
	limiter := s.limiter(digest, tenant)
	// A handler that charges by its own measure (Bulk, per operation) is
	// only let in while the bucket holds a token; the others pay one here.
	if err := charge(w, limiter, 1, !selfCharged); err != nil {
		return err
	}
	if err := checkContentType(r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	return h(w, &request{Request: r, tenant: tenant, baseURL: s.baseURL(r, ns, name), limiter: limiter})
}

// charge takes n tokens from a rate limiter (only checks that they are
// there unless take), all or none. When the bucket cannot cover them it
// answers 429 with Retry-After, in whole seconds rounded up.
func charge(w http.ResponseWriter, l *rate.Limiter, n int, take bool) error {
	now := time.Now()
	if take && l.AllowN(now, n) || !take && l.TokensAt(now) >= float64(n) {
		return nil
	}
	wait := time.Duration((float64(n) - l.TokensAt(now)) / float64(l.Limit()) * float64(time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	return scim.ErrTooManyRequests("rate limit of %g requests per second (burst %d) exceeded", float64(l.Limit()), l.Burst())
}

// authenticate finds the IdentityConfig a request names and checks its
// bearer token.
func (s *Server) authenticate(r *http.Request, ns, name string) (*store.TenantConfig, [32]byte, error) {
	token, ok := bearerToken(r)
	if !ok {
		return nil, [32]byte{}, scim.ErrUnauthorized("a bearer token is required")
	}
	if len(token) < v1.MinBearerTokenLength {
		// No configured token is this short (the store drops those).
		return nil, [32]byte{}, errBadToken()
	}
	tenant, err := s.tenants.Tenant(r.Context(), ns, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, [32]byte{}, err
	}
	// Unknown and unauthorised look the same, and cost the same: the token
	// is hashed and compared against as many digests either way (dummy
	// ones for an IdentityConfig that does not exist), so nobody learns
	// which IdentityConfigs exist without a token for one.
	digest := sha256.Sum256([]byte(token))
	var accepted [][32]byte // none: only dummies are compared
	if tenant != nil {
		accepted = tenant.TokenDigests
	}
	if !tokenAccepted(accepted, digest) || tenant == nil {
		return nil, [32]byte{}, errBadToken()
	}
	return tenant, digest, nil
}

// errBadToken is the one answer to a token that opens nothing, whether the
// IdentityConfig exists or not.
func errBadToken() *scim.Error {
	return scim.ErrUnauthorized("the bearer token is not valid for this endpoint")
}

// comparedDigests is how many digests every authentication compares
// against: an IdentityConfig accepts its current token and, during a
// rotation, the previous one; fewer are padded with dummies.
const comparedDigests = 2

// dummyDigests stand in for the digests of an IdentityConfig that does not
// exist, and pad those of one with a single token. They are digests of no
// token anyone can present (a SHA-256 preimage).
var dummyDigests = func() (d [comparedDigests][32]byte) {
	for i := range d {
		d[i] = sha256.Sum256([]byte(fmt.Sprintf("lightrun-identity-operator: no token %d", i)))
	}
	return d
}()

// onTokenCompare, when set (by tests), is called on every constant-time
// digest compare.
var onTokenCompare func()

// tokenAccepted compares in constant time against every accepted digest,
// without stopping at the first match, so timing reveals nothing.
func tokenAccepted(accepted [][32]byte, digest [32]byte) bool {
	ok := 0
	if len(accepted) <= comparedDigests {
		// The same fixed-size array either way: dummies, overwritten by
		// the digests there are.
		padded := dummyDigests
		copy(padded[:], accepted)
		accepted = padded[:]
	}
	for _, d := range accepted {
		if onTokenCompare != nil {
			onTokenCompare()
		}
		ok |= subtle.ConstantTimeCompare(d[:], digest[:])
	}
	return ok == 1
}

func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// enter counts a request of tenant in, unless it already has MaxInFlight.
func (s *Server) enter(tenant store.Tenant) bool {
	s.inFlightMu.Lock()
	defer s.inFlightMu.Unlock()
	if s.inFlight[tenant] >= s.opts.MaxInFlight {
		return false
	}
	s.inFlight[tenant]++
	return true
}

// leave counts a request of tenant out.
func (s *Server) leave(tenant store.Tenant) {
	s.inFlightMu.Lock()
	defer s.inFlightMu.Unlock()
	if s.inFlight[tenant]--; s.inFlight[tenant] <= 0 {
		delete(s.inFlight, tenant)
	}
}

// inFlightTenants is how many IdentityConfigs have requests in flight.
func (s *Server) inFlightTenants() int {
	s.inFlightMu.Lock()
	defer s.inFlightMu.Unlock()
	return len(s.inFlight)
}

// tokenLimiter is one bearer token's bucket and the settings it was made
// with.
type tokenLimiter struct {
	limiter *rate.Limiter
	limit   rate.Limit
	burst   int
}

// limiter returns the rate limiter of a bearer token: the IdentityConfig's
// spec.scim.rateLimit where set, else the endpoint's defaults. A bucket
// whose settings changed is made anew, so a changed rateLimit applies at
// the token's next request, without a restart.
func (s *Server) limiter(digest [32]byte, tenant *store.TenantConfig) *rate.Limiter {
	limit, burst := rate.Limit(s.opts.RateLimit), s.opts.RateBurst
	if tenant.RateLimit > 0 {
		limit = rate.Limit(tenant.RateLimit)
	}
	if tenant.RateBurst > 0 {
		burst = tenant.RateBurst
	}
	s.limitersMu.Lock()
	defer s.limitersMu.Unlock()
	l, ok := s.limiters[digest]
	if !ok || l.limit != limit || l.burst != burst {
		l = &tokenLimiter{limiter: rate.NewLimiter(limit, burst), limit: limit, burst: burst}
		s.limiters[digest] = l
	}
	return l.limiter
}

// checkContentType accepts application/scim+json (RFC 7644 §3.1) and
// application/json (which Entra ID and many clients send) on requests with a
// body; a request without Content-Type is read as JSON.
func checkContentType(r *http.Request) error {
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(ct)
	if err != nil || (mediaType != "application/scim+json" && mediaType != "application/json") {
		return scim.ErrUnsupportedMediaType("Content-Type %q is not supported; use application/scim+json or application/json", ct)
	}
	return nil
}

func (s *Server) baseURL(r *http.Request, ns, name string) string {
	prefix := s.opts.PublicURL
	if prefix == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		prefix = scheme + "://" + r.Host
	}
	return prefix + BasePath + "/" + ns + "/" + name
}

// writeError answers with a SCIM error body (RFC 7644 §3.12). Storage
// errors become the status they mean; anything unexpected is logged and
// answered as a 500 without internals.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var scimErr *scim.Error
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &scimErr):
	case errors.As(err, &maxBytes):
		scimErr = scim.ErrPayloadTooLarge("the request body exceeds %d bytes", maxBytes.Limit)
	case errors.Is(err, store.ErrNotFound):
		scimErr = scim.ErrNotFound("%s", storeDetail(err))
	case errors.Is(err, store.ErrUniqueness):
		scimErr = scim.ErrUniqueness("%s", storeDetail(err))
	case errors.Is(err, store.ErrPrecondition):
		scimErr = scim.ErrPreconditionFailed("the resource changed since it was read; fetch it again")
	case errors.Is(err, store.ErrInvalid):
		scimErr = scim.ErrInvalidValue("%s", storeDetail(err))
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		s.log.Error(err, "Kubernetes API unavailable", "method", r.Method, "path", r.URL.Path)
		w.Header().Set("Retry-After", strconv.Itoa(int(s.opts.RetryAfter.Seconds())))
		scimErr = scim.ErrServiceUnavailable("storage is temporarily unavailable; retry later")
	default:
		s.log.Error(err, "SCIM request failed", "method", r.Method, "path", r.URL.Path)
		scimErr = scim.AsError(err)
	}
	if scimErr.Status == http.StatusUnauthorized {
		// RFC 6750 §3: tell the client which scheme to use.
		w.Header().Set("WWW-Authenticate", `Bearer realm="SCIM"`)
	}
	writeJSON(w, scimErr.Status, scimErr)
}

// storeDetail is the storage error's message up to the sentinel, leaving
// out the API server's own error, which may name internal objects. Invalid
// values keep it: it says which field broke which rule.
func storeDetail(err error) string {
	msg := err.Error()
	for _, sentinel := range []error{store.ErrNotFound, store.ErrUniqueness} {
		if i := strings.Index(msg, ": "+sentinel.Error()); i >= 0 {
			return msg[:i]
		}
	}
	return msg
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	err := withJSON(body, func(data []byte) error {
		w.Header().Set("Content-Type", "application/scim+json")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(status)
		_, _ = w.Write(data)
		return nil
	})
	if err != nil {
		data := []byte(`{"schemas":["` + scim.ErrorURN + `"],"status":"500","detail":"encoding the response failed"}`)
		w.Header().Set("Content-Type", "application/scim+json")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(data)
	}
}

// jsonBuffers are the buffers withJSON encodes into, so that a response
// body, or a spec a user's rendering reads back, is not allocated anew
// each time (a page of 100 users copied 1.3 MB through json.Marshal).
var jsonBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledJSON is the largest buffer kept for reuse, so that a rare large
// body (a big group's members) is not held for the process's life.
const maxPooledJSON = 1 << 20

// withJSON encodes v as json.Marshal does (scim.AppendJSON) into a pooled
// buffer and hands the bytes to use, which must not keep them once it
// returns. It returns the encoding's error (use is then not called) or
// use's.
func withJSON(v any, use func(data []byte) error) error {
	buf := jsonBuffers.Get().(*[]byte)
	data, err := scim.AppendJSON((*buf)[:0], v)
	defer func() {
		if cap(data) <= maxPooledJSON {
			*buf = data[:0]
			jsonBuffers.Put(buf)
		}
	}()
	if err != nil {
		return err
	}
	return use(data)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}
