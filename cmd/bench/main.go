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

// Command bench is `make bench`: it starts the local control plane, the
// Lightrun emulator and the manager binary, plays an identity provider
// pushing N users and a group of all of them, and reports create
// throughput beside bare API-server creates, lookup and page latencies, the
// large-group PATCH, the sync to Lightrun against its rate limit, Lightrun
// calls per user and the manager's memory per user, each beside its target.
// The tables go to stdout and the result to bench/results/<date>-<N>.json.
//
//	go run ./cmd/bench -n 10000
//	go run ./cmd/bench compare bench/results/OLD.json bench/results/NEW.json
//	go run ./cmd/bench table bench/results/A.json bench/results/B.json …
//
// table writes several results side by side, as docs/benchmarks.md shows
// them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/bench"
)

func main() {
	var sub string
	if len(os.Args) > 1 {
		sub = os.Args[1]
	}
	var err error
	switch sub {
	case "compare":
		err = compare(os.Args[2:])
	case "table":
		err = table(os.Args[2:])
	default:
		sub, err = "", run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, strings.TrimSpace("bench "+sub)+":", err)
		os.Exit(1)
	}
}

func run() error {
	var c bench.Config
	var concurrency, out, results, markdown, command string
	flag.IntVar(&c.Users, "n", 1000, "Users the IdP pushes (N).")
	flag.StringVar(&concurrency, "concurrency", "1,8,32", "Create concurrencies, comma-separated.")
	flag.Float64Var(&c.SerialShare, "serial-share", 0.1,
		"Share of the users created at the first concurrency; the others split the rest.")
	flag.IntVar(&c.Reads, "reads", 500, "Requests per lookup and page kind.")
	flag.DurationVar(&c.ReadTime, "read-time", 0, "Most time per lookup and page kind (default 1m).")
	flag.IntVar(&c.PageSize, "page-size", 100, "count of list and cursor pages.")
	flag.IntVar(&c.GroupBatch, "group-batch", 1000, "Members per group PATCH (at most N/2).")
	flag.IntVar(&c.GroupPatches, "group-patches", 4, "Group PATCHes timed at full size.")
	flag.Float64Var(&c.EmulatorRate, "lightrun-rate", 100, "The Lightrun emulator's rate limit, requests per second.")
	flag.IntVar(&c.EmulatorBurst, "lightrun-rate-burst", 0, "The emulator's burst (default: the rate).")
	flag.Float64Var(&c.LightrunQPS, "lightrun-qps", 0,
		"The manager's --lightrun-qps (default: 95% of the emulator's rate).")
	flag.IntVar(&c.LightrunBurst, "lightrun-burst", 0, "The manager's --lightrun-burst (default: the emulator's burst).")
	flag.IntVar(&c.MaxConcurrentReconciles, "max-concurrent-reconciles", 0,
		"The manager's --max-concurrent-reconciles (default: the manager's).")
	flag.StringVar(&c.ProfileDir, "profiles", "",
		"Directory for profiles: the manager's CPU in the last create level, the group PATCHes and the sync, "+
			"its heap once synced; kube-apiserver's CPU in every create level, both arms, in 10-second windows.")
	flag.StringVar(&c.RepoRoot, "repo", ".", "The repository's root.")
	flag.StringVar(&c.Assets, "assets", "", "Directory with kube-apiserver and etcd (default <repo>/bin).")
	flag.StringVar(&c.Manager, "manager", "", "Manager binary to run (default: built with hack/build-manager.sh).")
	flag.BoolVar(&c.KeepWorkDir, "keep", false, "Keep the work directory (etcd data, manager log).")
	flag.StringVar(&results, "results", "bench/results", "Directory the JSON result is written to as <date>-<N>.json.")
	flag.StringVar(&out, "out", "", "Write the JSON result here instead.")
	flag.StringVar(&markdown, "markdown", "", "Also write the Markdown tables to this file.")
	flag.StringVar(&command, "command", "", "How the run was started, for the record (default: this program's arguments).")
	flag.Parse()
	for f := range strings.SplitSeq(concurrency, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("-concurrency: %w", err)
		}
		c.Concurrency = append(c.Concurrency, n)
	}
	c.Command = command
	if c.Command == "" {
		c.Command = "go run ./cmd/bench " + strings.Join(os.Args[1:], " ")
	}

	// Ctrl-C, a kill or a closed terminal stop the run, and the harness
	// stops what it started. A closed pipe (bench | head) must not kill it
	// before that: writes to it fail instead.
	signal.Ignore(syscall.SIGPIPE)
	// The harness's own Kubernetes clients (envtest, the bare baseline)
	// log through controller-runtime: only their errors, to stderr.
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	res, runErr := bench.Run(ctx, c)
	if res == nil {
		return runErr
	}
	if out == "" {
		out = res.DefaultPath(results)
	} else if runErr != nil {
		out = strings.TrimSuffix(out, ".json") + "-incomplete.json"
	}
	return errors.Join(runErr, report(res, out, markdown))
}

// report writes the result as JSON to out, the tables to stdout and, when
// markdown is set, to that file.
func report(res *bench.Result, out, markdown string) error {
	if err := res.WriteFile(out); err != nil {
		return err
	}
	fmt.Println()
	if err := res.WriteMarkdown(os.Stdout); err != nil {
		return err
	}
	fmt.Println()
	if err := res.WriteTargets(os.Stdout); err != nil {
		return err
	}
	if markdown != "" {
		f, err := os.Create(markdown)
		if err != nil {
			return fmt.Errorf("creating %s: %w", markdown, err)
		}
		err = res.WriteMarkdown(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", markdown, err)
		}
	}
	fmt.Printf("\nResult written to %s\n", out)
	return nil
}

func compare(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: bench compare OLD.json NEW.json")
	}
	old, err := bench.ReadFile(args[0])
	if err != nil {
		return err
	}
	new, err := bench.ReadFile(args[1])
	if err != nil {
		return err
	}
	return bench.WriteComparison(os.Stdout, args[0], old, args[1], new)
}

func table(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: bench table RESULT.json…")
	}
	results := make([]*bench.Result, 0, len(args))
	for _, a := range args {
		r, err := bench.ReadFile(a)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	return bench.WriteSummary(os.Stdout, results)
}
