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

// Package devenv starts what `make dev` runs: a local control plane (the
// kube-apiserver and etcd built into bin/) with the CRDs installed and the
// samples applied, the Lightrun emulator (SSO on) the sample IdentityConfig
// points at, and the operator's manager against both. cmd/devenv runs it
// until Ctrl-C; the demo and the benchmark start it for themselves.
package devenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
)

// Config says where the environment's parts come from and listen.
type Config struct {
	// Assets holds kube-apiserver, etcd and kubectl (make control-plane builds them).
	Assets string
	// StateDir keeps the kubeconfig, etcd's data, the emulator's state and
	// the SCIM token between runs.
	StateDir string
	// Samples is the directory of sample objects to apply; CRDs the CRDs to install.
	Samples, CRDs string
	// SCIMAddr and LightrunAddr are where the SCIM endpoint and the Lightrun
	// emulator listen (the sample IdentityConfig's url names LightrunAddr).
	SCIMAddr, LightrunAddr string
	// Emulator, when set, adjusts the emulator's options before it starts.
	Emulator func(*emulator.Options)
	// Manager, when set, adjusts the manager's options before it is built.
	Manager func(*operator.Options)
	Log     logr.Logger
}

// Env is a running development environment.
type Env struct {
	// Kubeconfig is the path of a cluster-admin kubeconfig for bin/kubectl.
	Kubeconfig string
	// REST and Client reach the local control plane as cluster-admin.
	REST   *rest.Config
	Client client.Client
	// Emulator is the Lightrun the sample IdentityConfig points at.
	Emulator *emulator.Emulator
	// Manager is built but not started: Run starts it.
	Manager manager.Manager
	// SCIMBaseURL is the sample IdentityConfig's SCIM base URL, Token its bearer token.
	SCIMBaseURL, Token string

	cfg Config
	env *envtest.Environment
}

// Start brings up the emulator and the control plane, applies the samples
// and builds the manager. Stop undoes it, whatever Start got to.
func Start(ctx context.Context, c Config) (e *Env, err error) {
	if err := os.MkdirAll(c.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	stateDir, err := filepath.Abs(c.StateDir)
	if err != nil {
		return nil, err
	}
	e = &Env{cfg: c}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.Stop())
			e = nil
		}
	}()

	// The Lightrun emulator, as a new company would be after an admin
	// turned SSO on (Lightrun rule 2) with RBAC, so that every role an
	// AgentPool declares is accepted. Its state file keeps provisioned users
	// across restarts, like etcd keeps the custom resources.
	emuOpts := emulator.Options{
		ListenAddr:  c.LightrunAddr,
		CompanyID:   CompanyID,
		APIKeys:     []string{APIKey},
		LoginMethod: emulator.LoginMethodSSO,
		RBAC:        true,
		StateFile:   filepath.Join(stateDir, "lightrun-emulator.json"),
		Logger:      c.Log.WithName("lightrun-emulator"),
	}
	if c.Emulator != nil {
		c.Emulator(&emuOpts)
	}
	if e.Emulator, err = emulator.Start(emuOpts); err != nil {
		return e, fmt.Errorf("starting the Lightrun emulator: %w", err)
	}

	e.env = &envtest.Environment{
		CRDDirectoryPaths:     []string{c.CRDs},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: c.Assets,
		// etcd keeps its data in the state directory, so objects survive a restart.
		ControlPlane: envtest.ControlPlane{Etcd: &envtest.Etcd{DataDir: filepath.Join(stateDir, "etcd")}},
	}
	c.Log.Info("Starting the local control plane", "assets", c.Assets)
	if e.REST, err = e.env.Start(); err != nil {
		return e, fmt.Errorf("starting the local control plane: %w", err)
	}
	e.Kubeconfig = filepath.Join(stateDir, "kubeconfig")
	if err := writeKubeconfig(e.env, e.Kubeconfig); err != nil {
		return e, err
	}
	if e.Client, err = client.New(e.REST, client.Options{Scheme: operator.NewScheme()}); err != nil {
		return e, fmt.Errorf("creating a client: %w", err)
	}
	if e.Token, err = loadOrCreateToken(filepath.Join(stateDir, "scim-token")); err != nil {
		return e, err
	}
	if err := applyDevObjects(ctx, e.Client, c.Samples, e.Token, e.Emulator.URL()); err != nil {
		return e, err
	}

	opts := operator.Options{
		MetricsBindAddress:      "0",
		HealthProbeBindAddress:  "0",
		SCIMBindAddress:         c.SCIMAddr,
		SCIMPublicURL:           "http://" + c.SCIMAddr,
		GracefulShutdownTimeout: 10 * time.Second,
	}
	if c.Manager != nil {
		c.Manager(&opts)
	}
	if e.Manager, err = operator.NewManager(e.REST, opts); err != nil {
		return e, err
	}
	e.SCIMBaseURL = fmt.Sprintf("http://%s/scim/v2/%s/%s", c.SCIMAddr, Namespace, IdentityConfig)
	state := State{SCIMBaseURL: e.SCIMBaseURL, LightrunURL: e.Emulator.URL(), Kubeconfig: e.Kubeconfig}
	if err := writeState(stateDir, state); err != nil {
		return e, err
	}
	return e, nil
}

// StateFile is the file in the state directory that says where a running
// environment listens, so that tools (make demo) can find it.
const StateFile = "env.json"

// State is what StateFile holds. The SCIM bearer token is in the file
// scim-token beside it, never in this one.
type State struct {
	SCIMBaseURL string `json:"scimBaseURL"`
	LightrunURL string `json:"lightrunURL"`
	Kubeconfig  string `json:"kubeconfig"`
}

// LoadState reads where the environment last started from stateDir said it
// listens, and its SCIM bearer token. The environment may have stopped since:
// callers check that it answers.
func LoadState(stateDir string) (State, string, error) {
	var s State
	data, err := os.ReadFile(filepath.Join(stateDir, StateFile))
	if err != nil {
		return s, "", fmt.Errorf("reading the development environment's state: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, "", fmt.Errorf("decoding %s: %w", filepath.Join(stateDir, StateFile), err)
	}
	token, err := os.ReadFile(filepath.Join(stateDir, "scim-token"))
	if err != nil {
		return s, "", fmt.Errorf("reading the SCIM token: %w", err)
	}
	return s, string(token), nil
}

func writeState(stateDir string, s State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the development environment's state: %w", err)
	}
	if err := os.WriteFile(filepath.Join(stateDir, StateFile), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing the development environment's state: %w", err)
	}
	return nil
}

// Run runs the manager until ctx is done.
func (e *Env) Run(ctx context.Context) error {
	if err := e.Manager.Start(ctx); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	return nil
}

// Stop stops the control plane and the emulator (the manager stops with
// Run's context).
func (e *Env) Stop() error {
	var errs []error
	if e.env != nil && e.REST != nil {
		e.cfg.Log.Info("Stopping the local control plane")
		if err := e.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stopping the local control plane: %w", err))
		}
	}
	if e.Emulator != nil {
		e.cfg.Log.Info("Stopping the Lightrun emulator")
		if err := e.Emulator.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stopping the Lightrun emulator: %w", err))
		}
	}
	return errors.Join(errs...)
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago, for environments that must not collide with a running `make dev`.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
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
// so the token given to an IdP stays valid across restarts.
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
