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
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"
)

// adminPrefix is where the emulator's own endpoints live: outside /api/, so
// they can never collide with an operation of the spec.
const adminPrefix = "/_emulator"

// Emulator is an in-memory Lightrun. It is an http.Handler; Start also serves it.
type Emulator struct {
	opts    Options
	log     logr.Logger
	spec    *apiSpec
	keys    []apiKey
	api     *http.ServeMux
	paths   *http.ServeMux
	admin   *http.ServeMux
	faults  *faultInjector
	records *requestLog
	conf    conformanceLog
	answers atomic.Int32 // an Answers

	mu     sync.Mutex // guards st and dirty
	st     *store
	dirty  bool
	saveMu sync.Mutex

	limitMu sync.Mutex
	limiter *rate.Limiter // nil: unlimited

	lifecycle   sync.Mutex
	server      *http.Server
	url         string
	stopPersist chan struct{}
	persistDone chan struct{}
	closed      bool
}

// New builds an Emulator from opts, loading opts.StateFile when it exists. It
// does not listen: use Start, or serve Handler yourself.
func New(opts Options) (*Emulator, error) {
	if len(opts.APIKeys)+len(opts.DevAPIKeys) == 0 {
		return nil, errors.New("emulator: at least one API key is required")
	}
	if slices.Contains(opts.APIKeys, "") || slices.Contains(opts.DevAPIKeys, "") {
		return nil, errors.New("emulator: API keys must not be empty")
	}
	for _, k := range opts.DevAPIKeys {
		if slices.Contains(opts.APIKeys, k) {
			return nil, errors.New("emulator: an API key is both in APIKeys (COMPANY) and DevAPIKeys (DEV)")
		}
	}
	if opts.LoginMethod != "" && !validLoginMethod(opts.LoginMethod) {
		return nil, fmt.Errorf("emulator: login method %q is not PASSWORD, GOOGLE or SSO", opts.LoginMethod)
	}
	if opts.SSOProtocol != "" && opts.SSOProtocol != SSOProtocolSAML && opts.SSOProtocol != SSOProtocolOIDC {
		return nil, fmt.Errorf("emulator: SSO protocol %q is not SAML or OIDC", opts.SSOProtocol)
	}
	if opts.RateLimit < 0 {
		return nil, fmt.Errorf("emulator: rate limit %v must not be negative", opts.RateLimit)
	}
	if err := opts.Faults.validate(); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if err := opts.Answers.validate(); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if opts.ListenAddr == "" {
		opts.ListenAddr = DefaultListenAddr
	}
	if opts.MaxPageSize <= 0 {
		opts.MaxPageSize = DefaultMaxPageSize
	}
	if opts.RequestLogSize <= 0 {
		opts.RequestLogSize = DefaultRequestLogSize
	}
	if opts.PersistInterval <= 0 {
		opts.PersistInterval = DefaultPersistInterval
	}
	if opts.ActorEmail == "" {
		opts.ActorEmail = DefaultActorEmail
	}

	spec, err := sharedSpec()
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	e := &Emulator{
		opts:    opts,
		log:     opts.Logger,
		spec:    spec,
		faults:  newFaultInjector(opts.Faults, opts.FaultSeed),
		records: newRequestLog(opts.RequestLogSize),
	}
	for _, k := range opts.APIKeys {
		e.keys = append(e.keys, apiKey{digest: sha256.Sum256([]byte(k)), level: levelCompany})
	}
	for _, k := range opts.DevAPIKeys {
		e.keys = append(e.keys, apiKey{digest: sha256.Sum256([]byte(k)), level: levelDev})
	}
	e.answers.Store(int32(opts.Answers))
	e.setRateLimit(opts.RateLimit, opts.RateBurst)

	state, err := e.initialState()
	if err != nil {
		return nil, err
	}
	if e.st, err = newStore(state); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	e.routes()
	e.admin = e.adminRoutes()
	return e, nil
}

// initialState is the state file's content when there is one, else a new company.
func (e *Emulator) initialState() (*State, error) {
	if e.opts.StateFile != "" {
		s, err := loadState(e.opts.StateFile)
		switch {
		case err == nil:
			e.log.Info("Loaded emulator state", "file", e.opts.StateFile, "companyId", s.CompanyID,
				"users", len(s.Users), "groups", len(s.Groups), "agentPools", len(s.AgentPools))
			return s, nil
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("emulator: %w", err)
		}
	}
	return newCompany(e.opts, time.Now().UTC()), nil
}

// Start builds an Emulator and serves it on opts.ListenAddr (127.0.0.1 on a
// free port by default), like httptest.NewServer. Close stops it.
func Start(opts Options) (*Emulator, error) {
	e, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := e.Start(); err != nil {
		return nil, err
	}
	return e, nil
}

// Start listens on Options.ListenAddr and serves in the background; it also
// starts writing the state file when one is configured.
func (e *Emulator) Start() error {
	e.lifecycle.Lock()
	defer e.lifecycle.Unlock()
	if e.server != nil || e.closed {
		return errors.New("emulator: already started or closed")
	}
	ln, err := net.Listen("tcp", e.opts.ListenAddr)
	if err != nil {
		return fmt.Errorf("emulator: listening on %s: %w", e.opts.ListenAddr, err)
	}
	e.server = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	e.url = "http://" + ln.Addr().String()
	go func() {
		if err := e.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error(err, "Emulator server stopped")
		}
	}()
	if e.opts.StateFile != "" {
		e.stopPersist = make(chan struct{})
		e.persistDone = make(chan struct{})
		go e.persistLoop()
	}
	return nil
}

// URL is the base URL of the started emulator, e.g. "http://127.0.0.1:41234".
func (e *Emulator) URL() string {
	e.lifecycle.Lock()
	defer e.lifecycle.Unlock()
	return e.url
}

// Handler returns the emulator as an http.Handler, for serving it yourself.
func (e *Emulator) Handler() http.Handler { return e }

// Close stops serving (waiting up to five seconds for calls in flight) and
// writes the state file one last time. It is safe to call more than once.
func (e *Emulator) Close() error {
	e.lifecycle.Lock()
	defer e.lifecycle.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var errs []error
	if e.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("emulator: shutting down: %w", err))
			_ = e.server.Close()
		}
	}
	if e.stopPersist != nil {
		close(e.stopPersist)
		<-e.persistDone
	}
	if e.opts.StateFile != "" {
		if err := e.Save(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ServeHTTP implements http.Handler.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == adminPrefix || strings.HasPrefix(r.URL.Path, adminPrefix+"/") {
		e.admin.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	rec := &Request{Time: start.UTC(), Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, UserAgent: r.UserAgent()}
	sw := &statusWriter{ResponseWriter: w}
	e.serveAPI(sw, r.WithContext(context.WithValue(r.Context(), recordKey{}, rec)), start)
	rec.Status = sw.status
	rec.Duration = Duration(time.Since(start))
	e.records.add(*rec)
	e.log.V(1).Info("API call", "method", rec.Method, "path", rec.Path, "status", rec.Status,
		"duration", time.Duration(rec.Duration), "fault", rec.Fault)
}

// serveAPI answers an API call: faults first (a gateway in front of Lightrun
// fails before Lightrun sees the call), then the rate limit, authentication,
// and the operation itself.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request, now time.Time) {
	latency, fault := e.faults.decide(now)
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			// The client is gone; nobody reads an answer. 499 is nginx's
			// "client closed request", kept for the request log.
			w.WriteHeader(499)
			return
		}
	}
	if fault != nil {
		record(r).Fault = fault.kind
		e.write(w, r, nil, response{status: fault.status, header: fault.header, body: fault.body, kind: answerProtocol})
		return
	}
	if wait, limited := e.rateLimited(); limited {
		record(r).Fault = "ratelimit"
		resp := protocolf(http.StatusTooManyRequests, "Too Many Requests")
		resp.header = http.Header{"Retry-After": {retryAfterSeconds(wait)}}
		e.write(w, r, nil, resp)
		return
	}
	level := e.keyLevel(r)
	if level == levelNone {
		e.write(w, r, nil, unauthorized())
		return
	}
	record(r).APIKeyLevel = level.String()
	e.api.ServeHTTP(w, r)
}

// rateLimited reports whether the call exceeds Options.RateLimit, and when a
// token will be free.
func (e *Emulator) rateLimited() (time.Duration, bool) {
	e.limitMu.Lock()
	defer e.limitMu.Unlock()
	if e.limiter == nil {
		return 0, false
	}
	res := e.limiter.Reserve()
	if delay := res.Delay(); delay > 0 {
		res.Cancel()
		return delay, true
	}
	return 0, false
}

func (e *Emulator) setRateLimit(perSecond float64, burst int) {
	e.limitMu.Lock()
	defer e.limitMu.Unlock()
	if perSecond <= 0 {
		e.limiter = nil
		return
	}
	if burst <= 0 {
		burst = max(1, int(perSecond))
	}
	e.limiter = rate.NewLimiter(rate.Limit(perSecond), burst)
}

// markDirty records that the state changed and must be persisted. Callers hold e.mu.
func (e *Emulator) markDirty() { e.dirty = true }

type recordKey struct{}

// record returns the request-log entry of the call r belongs to.
func record(r *http.Request) *Request {
	if rec, ok := r.Context().Value(recordKey{}).(*Request); ok {
		return rec
	}
	return &Request{}
}

// statusWriter remembers the status written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func validLoginMethod(m string) bool {
	return m == LoginMethodPassword || m == LoginMethodGoogle || m == LoginMethodSSO
}
