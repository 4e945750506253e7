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

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	"golang.org/x/time/rate"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/devenv"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
)

// target is the development environment the demo talks to: a running make
// dev, or one the demo started for itself.
type target struct {
	devenv.State
	Token string
	// Own is true when the demo started the environment (and stops it).
	Own      bool
	StateDir string
	K8s      client.Client
	Lightrun *lightrun.Client
	// LogFile holds the logs of an environment the demo started.
	LogFile string
	stop    func() error
}

// Stop stops an environment the demo started; a make dev keeps running.
func (t *target) Stop() error {
	if t.stop == nil {
		return nil
	}
	return t.stop()
}

// connect finds a make dev that answers at the address its state directory
// records, or starts a private environment on free ports.
func connect(ctx context.Context, o options, out io.Writer) (*target, error) {
	if state, token, err := devenv.LoadState(o.stateDir); err == nil {
		if probe(ctx, state.SCIMBaseURL, token) == nil {
			t := &target{State: state, Token: token, StateDir: o.stateDir}
			_, _ = fmt.Fprintf(out, " Using the make dev environment recorded in %s:\n   SCIM endpoint %s\n",
				filepath.Join(o.stateDir, devenv.StateFile), state.SCIMBaseURL)
			return t, t.clients()
		}
	}
	return startOwn(ctx, o, out)
}

// startOwn starts what make dev starts, on free ports, with its state in a
// temporary directory, quietly: its logs go to a file.
func startOwn(ctx context.Context, o options, out io.Writer) (*target, error) {
	dir, err := os.MkdirTemp("", "lightrun-identity-demo-")
	if err != nil {
		return nil, fmt.Errorf("creating a state directory: %w", err)
	}
	logFile, err := os.Create(filepath.Join(dir, "demo.log"))
	if err != nil {
		return nil, fmt.Errorf("creating the log file: %w", err)
	}
	log := zap.New(zap.WriteTo(logFile), zap.Level(zapcore.InfoLevel))
	ctrl.SetLogger(log)
	scimAddr, err := devenv.FreeAddr()
	if err != nil {
		return nil, err
	}
	lightrunAddr, err := devenv.FreeAddr()
	if err != nil {
		return nil, err
	}
	_, _ = fmt.Fprintf(out, " No make dev answers (%s); starting a private environment on free ports...\n",
		filepath.Join(o.stateDir, devenv.StateFile))
	start := time.Now()
	env, err := devenv.Start(ctx, devenv.Config{
		Assets: o.assets, StateDir: dir, Samples: o.samples, CRDs: o.crds,
		SCIMAddr: scimAddr, LightrunAddr: lightrunAddr, Log: log.WithName("devenv"),
		Manager: func(mo *operator.Options) {
			mo.Controllers.Lightrun.RateLimit = rate.Limit(o.lightrunQPS)
			mo.Controllers.Lightrun.Burst = 2 * int(o.lightrunQPS)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w (logs: %s)", err, logFile.Name())
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- env.Run(runCtx) }()
	t := &target{Token: env.Token, Own: true, StateDir: dir, LogFile: logFile.Name(),
		State: devenv.State{SCIMBaseURL: env.SCIMBaseURL, LightrunURL: env.Emulator.URL(), Kubeconfig: env.Kubeconfig}}
	t.stop = func() error {
		cancel()
		runErr := <-done
		err := errors.Join(runErr, env.Stop(), logFile.Close())
		if err == nil && !o.keepLogs {
			err = os.RemoveAll(dir)
		}
		return err
	}
	if err := waitFor(ctx, time.Minute, func() error { return probe(ctx, t.SCIMBaseURL, t.Token) }); err != nil {
		return nil, errors.Join(fmt.Errorf("the SCIM endpoint did not come up: %w (logs: %s)", err, t.LogFile), t.Stop())
	}
	_, _ = fmt.Fprintf(out, "   up in %s: SCIM endpoint %s, Lightrun emulator %s\n",
		seconds(time.Since(start)), t.SCIMBaseURL, t.LightrunURL)
	if err := t.clients(); err != nil {
		return nil, errors.Join(err, t.Stop())
	}
	return t, nil
}

// clients builds the Kubernetes and Lightrun clients.
func (t *target) clients() error {
	rest, err := clientcmd.BuildConfigFromFlags("", t.Kubeconfig)
	if err != nil {
		return fmt.Errorf("reading the kubeconfig %s: %w", t.Kubeconfig, err)
	}
	if t.K8s, err = client.New(rest, client.Options{Scheme: operator.NewScheme()}); err != nil {
		return fmt.Errorf("creating a Kubernetes client: %w", err)
	}
	t.Lightrun, err = lightrun.New(lightrun.Options{BaseURL: t.LightrunURL, APIKey: devenv.APIKey, Logger: logr.Discard()})
	if err != nil {
		return fmt.Errorf("creating a Lightrun client: %w", err)
	}
	return nil
}

// probe checks that the SCIM endpoint answers with the token.
func probe(ctx context.Context, base, token string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c := newSCIMClient(base, token, "")
	return c.do(ctx, http.MethodGet, "/ServiceProviderConfig", nil, nil)
}

// waitFor calls check until it succeeds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}
