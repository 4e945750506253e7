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

// Command lightrun-emulator serves an in-memory Lightrun for the identity
// subset of Lightrun's public API (users, user groups, agent pools, IdM
// configuration), validating every request and response against Lightrun's
// OpenAPI document. `make dev` runs it next to the operator; see
// docs/lightrun-api.md for its flags and administrative endpoints.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lightrun-emulator:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then stops and saves the state. ready, when not
// nil, receives the URL once the emulator listens.
func run(ctx context.Context, args []string, getenv func(string) string, output io.Writer,
	ready func(url string)) error {
	cfg, err := parseConfig(args, getenv, output)
	if err != nil {
		return err
	}
	cfg.zap.DestWriter = output
	log := zap.New(zap.UseFlagOptions(&cfg.zap)).WithName("lightrun-emulator")
	cfg.opts.Logger = log

	emu, err := emulator.New(cfg.opts)
	if err != nil {
		return err
	}
	if err := emu.Start(); err != nil {
		return err
	}
	settings := emu.Settings()
	// The API keys are never logged; their number is.
	log.Info("Lightrun emulator listening", "url", emu.URL(), "companyId", emu.CompanyID(),
		"apiKeys", len(cfg.opts.APIKeys), "devApiKeys", len(cfg.opts.DevAPIKeys),
		"loginMethod", settings.LoginMethod, "rbac", settings.RBAC,
		"builtInScim", settings.BuiltInSCIM, "answers", settings.Answers, "stateFile", cfg.opts.StateFile)
	if ready != nil {
		ready(emu.URL())
	}
	<-ctx.Done()
	log.Info("Stopping the Lightrun emulator")
	if err := emu.Close(); err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	return nil
}
