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
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
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
	limiters   map[[32]byte]*rate.Limiter

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
		limiters:  map[[32]byte]*rate.Limiter{},
		listening: make(chan string, 1),
	}
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
		// Read the key pair on every handshake, so a renewed certificate
		// (cert-manager rotates the Secret) is used without a restart.
		certFile, keyFile := filepath.Join(s.opts.CertDir, "tls.crt"), filepath.Join(s.opts.CertDir, "tls.key")
		if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
			return fmt.Errorf("loading the SCIM TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{
			MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				cert, err := tls.LoadX509KeyPair(certFile, keyFile)
				return &cert, err
			},
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
}

type handlerFunc func(w http.ResponseWriter, r *request) error

// resourceLabel names the resource in metrics without unbounded ids.
func (s *Server) handle(pattern, resource string, h handlerFunc) {
	method, _, _ := strings.Cut(pattern, " ")
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		err := s.serveTenant(rec, r, h)
		if err != nil {
			s.writeError(rec, r, err)
		}
		s.metrics.observe(method, resource, rec.status, time.Since(start))
	})
}

func (s *Server) serveTenant(w http.ResponseWriter, r *http.Request, h handlerFunc) error {
	ns, name := r.PathValue("ns"), r.PathValue("ic")
	token, ok := bearerToken(r)
	if !ok {
		return scim.ErrUnauthorized("a bearer token is required")
	}
	if len(token) < v1.MinBearerTokenLength {
		// No configured token is this short (the store drops those).
		return scim.ErrUnauthorized("the bearer token is not valid for this endpoint")
	}
	tenant, err := s.tenants.Tenant(r.Context(), ns, name)
	if errors.Is(err, store.ErrNotFound) {
		// Unknown and unauthorised look the same: nobody learns which
		// IdentityConfigs exist without a token for one.
		return scim.ErrUnauthorized("the bearer token is not valid for this endpoint")
	}
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(token))
	if !tokenAccepted(tenant.TokenDigests, digest) {
		return scim.ErrUnauthorized("the bearer token is not valid for this endpoint")
	}
	if !tenant.Enabled {
		return scim.ErrForbidden("the SCIM endpoint of IdentityConfig %s/%s is disabled (spec.scim.enabled is false)", ns, name)
	}
	if tenant.Refusal != "" {
		return scim.ErrForbidden("IdentityConfig %s/%s is refused: %s", ns, name, tenant.Refusal)
	}
	if wait, ok := s.allow(digest); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return scim.ErrTooManyRequests("rate limit of %.0f requests per second exceeded", s.opts.RateLimit)
	}
	if err := checkContentType(r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	return h(w, &request{Request: r, tenant: tenant, baseURL: s.baseURL(r, ns, name)})
}

// tokenAccepted compares in constant time against every accepted digest,
// without stopping at the first match, so timing reveals nothing.
func tokenAccepted(accepted [][32]byte, digest [32]byte) bool {
	ok := 0
	for _, d := range accepted {
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

// allow applies the per-token rate limit; when refused it says how long to wait.
func (s *Server) allow(digest [32]byte) (time.Duration, bool) {
	s.limitersMu.Lock()
	l, ok := s.limiters[digest]
	if !ok {
		l = rate.NewLimiter(rate.Limit(s.opts.RateLimit), s.opts.RateBurst)
		s.limiters[digest] = l
	}
	s.limitersMu.Unlock()
	res := l.Reserve()
	if delay := res.Delay(); delay > 0 {
		res.Cancel()
		return delay, false
	}
	return 0, true
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
	data, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"schemas":["` + scim.ErrorURN + `"],"status":"500","detail":"encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}
