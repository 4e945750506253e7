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
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// authFailures limits failed authentications per client address: each 401
// takes a token from the address's bucket; an address whose bucket is empty
// is answered 429 before its token is looked at, until the bucket refills.
// Successful requests take nothing. The table is bounded: past max
// addresses, one is forgotten for each new one, preferring an address whose
// bucket has refilled (it carries no information).
type authFailures struct {
	limit rate.Limit
	burst int
	max   int
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

// evictionScan bounds how many entries one insertion looks at for a bucket
// that has refilled, so that a full table costs O(1) per new address.
const evictionScan = 64

func newAuthFailures(limit float64, burst, maxClients int) *authFailures {
	return &authFailures{limit: rate.Limit(limit), burst: burst, max: maxClients, now: time.Now, clients: map[string]*rate.Limiter{}}
}

// blocked reports whether addr has spent its failed authentications, and
// how long until it may try again.
func (a *authFailures) blocked(addr string) (time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.clients[addr]
	if !ok {
		return 0, false
	}
	now := a.now()
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return 0, false
	}
	return time.Duration((1 - tokens) / float64(a.limit) * float64(time.Second)), true
}

// failed records a failed authentication from addr.
func (a *authFailures) failed(addr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	l, ok := a.clients[addr]
	if !ok {
		if len(a.clients) >= a.max {
			a.evict(now)
		}
		l = rate.NewLimiter(a.limit, a.burst)
		a.clients[addr] = l
	}
	l.AllowN(now, 1)
}

// evict forgets one address: the first refilled one among up to
// evictionScan entries (in Go's random map order), else the last looked at.
func (a *authFailures) evict(now time.Time) {
	var victim string
	scanned := 0
	for addr, l := range a.clients {
		victim = addr
		if l.TokensAt(now) >= float64(a.burst) {
			break
		}
		if scanned++; scanned >= evictionScan {
			break
		}
	}
	delete(a.clients, victim)
}

func (a *authFailures) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.clients)
}

// clientAddress is the address failed authentications are counted against:
// the TCP peer's host, or, when the endpoint is told to trust its proxy,
// the last X-Forwarded-For entry (the one that proxy appended; entries
// before it are the client's own word).
func (s *Server) clientAddress(r *http.Request) string {
	if s.opts.TrustForwardedFor {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndex(last, ","); i >= 0 {
				last = last[i+1:]
			}
			if last = strings.TrimSpace(last); last != "" {
				return last
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
