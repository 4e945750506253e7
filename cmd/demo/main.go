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

// Command demo is what `make demo` runs. It plays two identity providers
// against the operator's SCIM endpoint and shows what came of it: an
// Okta-style provisioning run (lookup, create, group push, deactivate) and a
// Microsoft Entra ID-style one (its filters, its PATCH dialect, its group
// membership PATCHes, a hard delete), for a few dozen people over five
// groups; then it waits for the operator to sync them into Lightrun, and
// prints what the cluster holds (kubectl get lightrun-identity -A) and what
// the Lightrun emulator holds, pool by pool with each user's roles.
//
// With --users N it pushes N generated users instead, for load, with a
// summary of the push and of the sync.
//
// It talks to the make dev recorded in bin/dev (its env.json and scim-token)
// when that answers; otherwise it starts the same environment itself, on
// free ports with a temporary state directory, and stops it at the end.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	stateDir, assets, samples, crds, kubectl string
	users, concurrency                       int
	timeout                                  time.Duration
	lightrunQPS                              float64
	keepLogs                                 bool
}

func main() {
	var o options
	flag.StringVar(&o.stateDir, "state-dir", "bin/dev", "State directory of the make dev to use, if it is running.")
	flag.StringVar(&o.assets, "assets", "bin", "Directory with kube-apiserver, etcd and kubectl.")
	flag.StringVar(&o.samples, "samples", "config/samples",
		"Sample objects to apply when the demo starts its own environment.")
	flag.StringVar(&o.crds, "crds", "config/crd/bases", "CRDs to install when the demo starts its own environment.")
	flag.StringVar(&o.kubectl, "kubectl", "bin/kubectl", "The kubectl to show the cluster with.")
	flag.IntVar(&o.users, "users", 0, "Push this many generated users for load instead of the demo's people.")
	flag.IntVar(&o.concurrency, "concurrency", 8, "With --users: requests in flight at once.")
	flag.DurationVar(&o.timeout, "timeout", 0,
		"How long to wait for the operator to sync everything; 0: 5m, or with --users N the longer of 10m and N/2 seconds.")
	flag.Float64Var(&o.lightrunQPS, "lightrun-qps", 100,
		"Lightrun requests per second the operator may make, when the demo starts its own environment.")
	flag.BoolVar(&o.keepLogs, "keep-logs", false, "Keep the logs of an environment the demo starts.")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, w io.Writer) (err error) {
	if o.users < 0 || o.concurrency < 1 || o.lightrunQPS <= 0 || o.timeout < 0 {
		return errors.New("--users and --timeout must not be negative, --concurrency and --lightrun-qps must be positive")
	}
	if o.timeout == 0 {
		// At make dev's 10 Lightrun calls a second the operator syncs about
		// three generated users a second.
		o.timeout = max(5*time.Minute, time.Duration(o.users)*time.Second/2)
		if o.users > 0 {
			o.timeout = max(o.timeout, 10*time.Minute)
		}
	}
	_, _ = fmt.Fprintln(w, "\n lightrun-identity-operator demo")
	_, _ = fmt.Fprintln(w)
	t, err := connect(ctx, o, w)
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := t.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the environment: %w", stopErr))
		}
		if err != nil && t.Own && o.keepLogs {
			err = fmt.Errorf("%w (logs: %s)", err, t.LogFile)
		}
	}()
	if o.users > 0 {
		return runLoad(ctx, w, t, o)
	}
	return runDemo(ctx, w, t, o)
}

func runDemo(ctx context.Context, w io.Writer, t *target, o options) error {
	_, _ = fmt.Fprintf(w, "\n 1. Okta pushes %d people and %d groups (lookup by userName, POST or PUT, Push Groups,\n"+
		"    a move between groups, two leavers deactivated):\n", len(oktaPeople), len(groupsOf(oktaPeople)))
	start := time.Now()
	okta := newSCIMClient(t.SCIMBaseURL, t.Token, oktaUserAgent)
	r, err := oktaRun(ctx, w, okta, oktaPeople)
	if err != nil {
		r.bar.Finish("")
		return fmt.Errorf("the Okta-style run: %w", err)
	}
	r.bar.Finish(runSummary(okta, start))

	_, _ = fmt.Fprintf(w, "\n 2. Entra ID pushes %d people and %d groups (its filters, "+
		"\"Add\"/\"Replace\"/\"Remove\" PATCHes,\n"+
		"    a rename, a member removed, a user disabled, one deleted):\n", len(entraPeople), len(groupsOf(entraPeople)))
	start = time.Now()
	entra := newSCIMClient(t.SCIMBaseURL, t.Token, entraUserAgent)
	if r, err = entraRun(ctx, w, entra, entraPeople, t.waitSynced); err != nil {
		r.bar.Finish("")
		return fmt.Errorf("the Entra ID-style run: %w", err)
	}
	r.bar.Finish(runSummary(entra, start))

	_, _ = fmt.Fprintln(w, "\n 3. The operator turns the ScimUsers and ScimGroups into Lightrun users, pools and groups:")
	if err := waitForSync(ctx, w, t, o.timeout); err != nil {
		return err
	}
	if err := showCluster(ctx, w, t, displayPath(o.kubectl)); err != nil {
		return err
	}
	if err := showLightrun(ctx, w, t); err != nil {
		return err
	}
	printNext(w, t)
	return nil
}

// displayPath shows path relative to the working directory when it is
// under it (bin/kubectl rather than /home/…/bin/kubectl).
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// printNext says where to look next.
func printNext(w io.Writer, t *target) {
	if t.Own {
		_, _ = fmt.Fprintln(w, `
 This environment was the demo's own and stops now. Start one that stays with
 make dev, then run make demo again in another terminal to push into it.`)
		return
	}
	_, _ = fmt.Fprintf(w, `
 Look around:
   export KUBECONFIG=%s
   bin/kubectl get scimusers
   bin/kubectl get agentpools
   bin/kubectl describe scimuser -l identity.lightrun.com/identity-config=okta
`, t.Kubeconfig)
}
