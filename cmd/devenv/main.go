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

// Command devenv is what `make dev` runs: a local control plane (the
// kube-apiserver and etcd built into bin/) with the CRDs installed and the
// samples applied, the Lightrun emulator (SSO on) the sample IdentityConfig
// points at, and the operator's manager running against both, until Ctrl-C
// stops everything. internal/devenv does the work.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/devenv"
)

func main() {
	var c devenv.Config
	flag.StringVar(&c.Assets, "assets", "bin",
		"Directory with kube-apiserver, etcd and kubectl (make control-plane builds them).")
	flag.StringVar(&c.StateDir, "state-dir", "bin/dev",
		"Directory for the kubeconfig, etcd data and the SCIM token; kept between runs.")
	flag.StringVar(&c.Samples, "samples", "config/samples", "Directory of sample objects to apply.")
	flag.StringVar(&c.CRDs, "crds", "config/crd/bases", "Directory of CRDs to install.")
	flag.StringVar(&c.SCIMAddr, "scim-bind-address", "127.0.0.1:8080", "Address the SCIM endpoint listens on.")
	flag.StringVar(&c.LightrunAddr, "lightrun-address", "127.0.0.1:8090",
		"Address the Lightrun emulator listens on (the sample IdentityConfig's url).")
	// Info by default: the banner stays readable; --zap-log-level=debug
	// shows every Lightrun and SCIM call.
	zapOpts := zap.Options{Development: true, Level: zapcore.InfoLevel}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	c.Log = ctrl.Log.WithName("devenv")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		c.Log.Error(err, "Development environment failed")
		os.Exit(1)
	}
}

func run(ctx context.Context, c devenv.Config) (err error) {
	start := time.Now()
	env, err := devenv.Start(ctx, c)
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := env.Stop(); stopErr != nil {
			err = fmt.Errorf("%w; %w", err, stopErr)
		}
	}()
	printBanner(env, time.Since(start))
	c.Log.Info("Starting the operator; press Ctrl-C to stop everything")
	return env.Run(ctx)
}

func printBanner(env *devenv.Env, took time.Duration) {
	lightrunURL := env.Emulator.URL()
	fmt.Printf(`
==========================================================================
 lightrun-identity-operator development environment is up (%.1fs).

 In another terminal:
   export KUBECONFIG=%s
   bin/kubectl get lightrun-identity -A

 SCIM base URL (give this and the token to your IdP):
   %s
 SCIM bearer token:
   %s

 Lightrun emulator (SSO on; users the IdP pushes show up here):
   %s
   curl -s -H 'Authorization: Bearer %s' %s/api/v1/users

 Push a demo provisioning run into it (another terminal): make demo
 Press Ctrl-C to stop everything; make dev-clean then starts from scratch.
==========================================================================

`, took.Seconds(), env.Kubeconfig, env.SCIMBaseURL, env.Token, lightrunURL, devenv.APIKey, lightrunURL)
}
