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

// Package bench is the end-to-end benchmark behind `make bench`: it starts
// the local control plane (envtest with the kube-apiserver and etcd built
// into bin/), the Lightrun emulator in-process with a set rate limit, and
// the real manager binary as a subprocess, then plays an identity provider
// against the SCIM endpoint and measures what issue 13 asks for: create
// throughput and latency beside bare API-server creates, lookup and page
// latencies, the large-group PATCH, the sync to Lightrun against the bound
// its rate limit sets, Lightrun requests per user, and the manager's memory
// per user. Run returns a Result; cmd/bench prints it and writes it as JSON
// under bench/results/, and compares two such files.
package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// DefaultQPSShare is the share of the emulator's rate limit the manager's
// --lightrun-qps gets unless the run sets it.
const DefaultQPSShare = 0.95

// Config says what to run and where the parts come from. Zero values mean
// the defaults set by Defaults.
type Config struct {
	// Users is N, the number of users the IdP pushes (default 1,000).
	Users int
	// Concurrency lists the create concurrencies (default 1, 8, 32). The
	// first level creates SerialShare of the users, the others split the
	// rest equally.
	Concurrency []int
	// SerialShare is the share of Users created at the first concurrency
	// level (default 0.1): one request at a time is slow, and its latency
	// does not need as many samples.
	SerialShare float64
	// Reads is how many requests each lookup and page kind makes (default
	// 500), ReadTime the most time each kind may take (default 60s; fewer
	// samples are taken when it runs out).
	Reads    int
	ReadTime time.Duration
	// PageSize is the count of list and cursor pages (default 100).
	PageSize int
	// GroupBatch is how many members one group PATCH carries (default
	// 1,000, capped at half the users), GroupPatches how many such PATCHes
	// are timed once the group holds every user (default 4, alternately
	// removing and adding the same members).
	GroupBatch   int
	GroupPatches int
	// EmulatorRate and EmulatorBurst are the Lightrun emulator's own rate
	// limit, in requests per second (default 100, burst 100).
	EmulatorRate  float64
	EmulatorBurst int
	// LightrunQPS and LightrunBurst are the manager's --lightrun-qps and
	// --lightrun-burst (default: 95% of the emulator's rate, and its burst),
	// set as docs/sizing.md tells users to: a little below Lightrun's limit.
	// At exactly the limit, the two token buckets run in step and the
	// network's jitter alone makes Lightrun answer 429, each of which holds
	// every call for the whole Retry-After second.
	LightrunQPS   float64
	LightrunBurst int
	// MaxConcurrentReconciles, when set, is passed as the manager's
	// --max-concurrent-reconciles.
	MaxConcurrentReconciles int
	// ProfileDir, when set, receives profiles of the manager (from its
	// --pprof-bind-address, on loopback): CPU during the last create level,
	// the timed group PATCHes and the sync, and the heap once synced) and
	// of kube-apiserver: CPU during both arms of every create level, in
	// back-to-back windows (`go tool pprof` merges the files of an arm).
	ProfileDir string
	// ManagerArgs are extra flags for the manager.
	ManagerArgs []string

	// RepoRoot is the repository (default "."); Assets holds kube-apiserver
	// and etcd (default <RepoRoot>/bin); CRDs and Samples default to
	// config/crd/bases and config/samples under RepoRoot.
	RepoRoot, Assets, CRDs, Samples string
	// Manager is the manager binary; empty builds it with
	// hack/build-manager.sh into the work directory.
	Manager string
	// WorkDir holds etcd's data, the kubeconfig, the manager binary and its
	// log; empty means a new temporary directory, removed at the end unless
	// KeepWorkDir.
	WorkDir     string
	KeepWorkDir bool
	// Log receives progress lines; nil means os.Stderr.
	Log io.Writer
	// Command is recorded in the result (how the run was started).
	Command string
}

// Defaults fills the zero fields.
func (c *Config) Defaults() {
	if c.Users == 0 {
		c.Users = 1000
	}
	if len(c.Concurrency) == 0 {
		c.Concurrency = []int{1, 8, 32}
	}
	if c.SerialShare == 0 {
		c.SerialShare = 0.1
	}
	if c.Reads == 0 {
		c.Reads = 500
	}
	if c.ReadTime == 0 {
		c.ReadTime = time.Minute
	}
	if c.PageSize == 0 {
		c.PageSize = 100
	}
	if c.GroupBatch == 0 {
		c.GroupBatch = 1000
	}
	if c.GroupPatches == 0 {
		c.GroupPatches = 4
	}
	if c.EmulatorRate == 0 {
		c.EmulatorRate = 100
	}
	if c.EmulatorBurst == 0 {
		c.EmulatorBurst = max(1, int(c.EmulatorRate))
	}
	if c.LightrunQPS == 0 {
		c.LightrunQPS = DefaultQPSShare * c.EmulatorRate
	}
	if c.LightrunBurst == 0 {
		c.LightrunBurst = c.EmulatorBurst
	}
	if c.RepoRoot == "" {
		c.RepoRoot = "."
	}
	if c.Assets == "" {
		c.Assets = filepath.Join(c.RepoRoot, "bin")
	}
	if c.CRDs == "" {
		c.CRDs = filepath.Join(c.RepoRoot, "config", "crd", "bases")
	}
	if c.Samples == "" {
		c.Samples = filepath.Join(c.RepoRoot, "config", "samples")
	}
	if c.Log == nil {
		c.Log = os.Stderr
	}
}

// Validate says what is wrong with a defaulted Config.
func (c *Config) Validate() error {
	var errs []error
	if c.Users < 2 {
		errs = append(errs, fmt.Errorf("users must be at least 2, not %d", c.Users))
	}
	if c.Users > 1_000_000 {
		errs = append(errs, fmt.Errorf("users must be at most 1,000,000, not %d", c.Users))
	}
	for _, n := range c.Concurrency {
		if n < 1 || n > 256 {
			errs = append(errs, fmt.Errorf("concurrency %d is not between 1 and 256", n))
		}
	}
	if len(c.Concurrency) > c.Users {
		errs = append(errs, fmt.Errorf("%d concurrency levels need at least as many users", len(c.Concurrency)))
	}
	if c.SerialShare <= 0 || c.SerialShare >= 1 {
		errs = append(errs, fmt.Errorf("serial share %v is not between 0 and 1", c.SerialShare))
	}
	if c.Reads < 1 || c.PageSize < 1 || c.GroupBatch < 1 || c.GroupPatches < 1 {
		errs = append(errs, errors.New("reads, page size, group batch and group patches must be positive"))
	}
	if c.EmulatorRate <= 0 || c.LightrunQPS <= 0 {
		errs = append(errs, errors.New("the emulator's rate limit and the manager's Lightrun QPS must be positive"))
	}
	return errors.Join(errs...)
}

// createShares splits users over the concurrency levels: SerialShare to the
// first, the rest equally (the remainder to the last).
func createShares(users int, levels []int, serialShare float64) []int {
	shares := make([]int, len(levels))
	if len(levels) == 1 {
		shares[0] = users
		return shares
	}
	shares[0] = max(1, int(float64(users)*serialShare))
	rest := users - shares[0]
	each := rest / (len(levels) - 1)
	for i := 1; i < len(levels); i++ {
		shares[i] = each
	}
	shares[len(levels)-1] += rest - each*(len(levels)-1)
	return shares
}
