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
// stops everything.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
)

func main() {
	var (
		assets   string
		stateDir string
		samples  string
		crds     string
		scimAddr string
		lrAddr   string
	)
	flag.StringVar(&assets, "assets", "bin",
		"Directory with kube-apiserver, etcd and kubectl (make control-plane builds them).")
	flag.StringVar(&stateDir, "state-dir", "bin/dev",
		"Directory for the kubeconfig, etcd data and the SCIM token; kept between runs.")
	flag.StringVar(&samples, "samples", "config/samples", "Directory of sample objects to apply.")
	flag.StringVar(&crds, "crds", "config/crd/bases", "Directory of CRDs to install.")
	flag.StringVar(&scimAddr, "scim-bind-address", "127.0.0.1:8080", "Address the SCIM endpoint listens on.")
	flag.StringVar(&lrAddr, "lightrun-address", "127.0.0.1:8090",
		"Address the Lightrun emulator listens on (the sample IdentityConfig's url).")
	zapOpts := zap.Options{Development: true}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("devenv")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := config{
		assets: assets, stateDir: stateDir, samples: samples, crds: crds,
		scimAddr: scimAddr, lightrunAddr: lrAddr,
	}
	if err := run(ctx, log, cfg); err != nil {
		log.Error(err, "Development environment failed")
		os.Exit(1)
	}
}

type config struct {
	assets, stateDir, samples, crds, scimAddr, lightrunAddr string
}

func run(ctx context.Context, log logr.Logger, c config) (err error) {
	if err := os.MkdirAll(c.stateDir, 0o700); err != nil {
		return fmt.Errorf("creating state directory: %w", err)
	}
	stateDir, err := filepath.Abs(c.stateDir)
	if err != nil {
		return err
	}

	// The Lightrun emulator, as a new company would be after an admin
	// turned SSO on (Lightrun rule 2) with RBAC, so that every role an
	// AgentPool declares is accepted. Its state file keeps provisioned users
	// across restarts, like etcd keeps the custom resources.
	emu, err := emulator.Start(emulator.Options{
		ListenAddr:  c.lightrunAddr,
		CompanyID:   devCompanyID,
		APIKeys:     []string{devAPIKey},
		LoginMethod: emulator.LoginMethodSSO,
		RBAC:        true,
		StateFile:   filepath.Join(stateDir, "lightrun-emulator.json"),
		Logger:      log.WithName("lightrun-emulator"),
	})
	if err != nil {
		return fmt.Errorf("starting the Lightrun emulator: %w", err)
	}
	defer func() {
		log.Info("Stopping the Lightrun emulator")
		if closeErr := emu.Close(); closeErr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the Lightrun emulator: %w", closeErr))
		}
	}()

	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{c.crds},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: c.assets,
		// etcd keeps its data in the state directory, so objects survive a restart of make dev.
		ControlPlane: envtest.ControlPlane{Etcd: &envtest.Etcd{DataDir: filepath.Join(stateDir, "etcd")}},
	}
	log.Info("Starting the local control plane", "assets", c.assets)
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("starting the local control plane: %w", err)
	}
	defer func() {
		log.Info("Stopping the local control plane")
		if stopErr := env.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the local control plane: %w", stopErr))
		}
	}()

	kubeconfig := filepath.Join(stateDir, "kubeconfig")
	if err := writeKubeconfig(env, kubeconfig); err != nil {
		return err
	}

	k8s, err := client.New(cfg, client.Options{Scheme: operator.NewScheme()})
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	token, err := loadOrCreateToken(filepath.Join(stateDir, "scim-token"))
	if err != nil {
		return err
	}
	if err := applyDevObjects(ctx, k8s, c.samples, token); err != nil {
		return err
	}

	mgr, err := operator.NewManager(cfg, operator.Options{
		MetricsBindAddress:      "0",
		HealthProbeBindAddress:  "0",
		SCIMBindAddress:         c.scimAddr,
		SCIMPublicURL:           "http://" + c.scimAddr,
		GracefulShutdownTimeout: 10 * time.Second,
	})
	if err != nil {
		return err
	}

	printBanner(kubeconfig, c, token, emu.URL())
	log.Info("Starting the operator; press Ctrl-C to stop everything")
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	return nil
}

// writeKubeconfig provisions a cluster-admin user and writes its kubeconfig,
// so that bin/kubectl can talk to the local control plane.
func writeKubeconfig(env *envtest.Environment, path string) error {
	user, err := env.AddUser(envtest.User{Name: "dev-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("provisioning the dev-admin user: %w", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("rendering the kubeconfig: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return nil
}

// loadOrCreateToken keeps one random SCIM bearer token per state directory,
// so the token given to an IdP stays valid across restarts of make dev.
func loadOrCreateToken(path string) (string, error) {
	if data, err := os.ReadFile(path); err == nil && len(data) > 0 {
		return string(data), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generating the SCIM token: %w", err)
	}
	token := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
		return "", fmt.Errorf("saving the SCIM token: %w", err)
	}
	return token, nil
}

func printBanner(kubeconfig string, c config, token, lightrunURL string) {
	fmt.Printf(`
==========================================================================
 lightrun-identity-operator development environment is up.

 In another terminal:
   export KUBECONFIG=%s
   bin/kubectl get lightrun-identity -A

 SCIM base URL (give this and the token to your IdP):
   http://%s/scim/v2/%s/%s
 SCIM bearer token:
   %s

 Lightrun emulator (SSO on; users the IdP pushes show up here):
   %s
   curl -s -H 'Authorization: Bearer %s' %s/api/v1/users

 Press Ctrl-C to stop everything.
==========================================================================

`, kubeconfig, c.scimAddr, devNamespace, devIdentityConfig, token, lightrunURL, devAPIKey, lightrunURL)
}
