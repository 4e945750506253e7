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

package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// helmRunner runs the helm binary against the test's control plane with a
// private, empty Helm configuration, so nothing on the machine changes the
// outcome.
type helmRunner struct {
	bin        string
	kubeconfig string
	home       string
}

// run runs helm with args and returns its standard output.
func (h helmRunner) run(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, append(args, "--kubeconfig", h.kubeconfig)...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(h.home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(h.home, "config"),
		"HELM_DATA_HOME="+filepath.Join(h.home, "data"),
		"KUBECONFIG="+h.kubeconfig,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// helmBinary is $HELM, which make test sets. Without it the test fails:
// an install test that does not install is no test.
func helmBinary() (string, error) {
	bin := os.Getenv("HELM")
	if bin == "" {
		return "", errors.New("HELM is not set: run the test with make test, or set HELM=bin/helm (make helm builds it)")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("HELM=%s: %w (make helm builds it)", bin, err)
	}
	return bin, nil
}

// buildManager builds the manager the way every image does
// (hack/build-manager.sh: static, -trimpath), into dir. cmd's TestBuildScript
// runs the same script, so the compiled packages come from Go's build cache
// and only the link is repeated.
func buildManager(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "manager")
	cmd := exec.CommandContext(ctx, filepath.Join(testenv.RepoRoot(), "hack", "build-manager.sh"), bin, "v0.0.0-e2e")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("hack/build-manager.sh: %w\n%s", err, out)
	}
	return bin, nil
}

// readInputs reads every file the test uses through a subprocess: the chart
// (helm reads it) and the manager's main package and build script (go build
// reads them). go test caches a passing result until a file the test itself
// opened changes; without this, a changed chart or flag would be "(cached)".
func readInputs(chartDir string) error {
	root := testenv.RepoRoot()
	files := []string{filepath.Join(root, "hack", "build-manager.sh")}
	mains, err := filepath.Glob(filepath.Join(root, "cmd", "*.go"))
	if err != nil {
		return fmt.Errorf("listing the manager's sources: %w", err)
	}
	files = append(files, mains...)
	err = filepath.WalkDir(chartDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("listing the chart: %w", err)
	}
	for _, f := range files {
		if _, err := os.ReadFile(f); err != nil {
			return fmt.Errorf("reading %s: %w", f, err)
		}
	}
	return nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// probeStatus GETs an HTTP probe the way the kubelet does, and returns
// its status code.
func probeStatus(ctx context.Context, target string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, fmt.Errorf("building the probe: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("probing %s: %w", target, err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// pod is what the kubelet would run for the chart's Deployment: the manager
// container's arguments and environment, the ServiceAccount it runs as, and
// its readiness probe's path.
type pod struct {
	serviceAccount string
	args           []string
	env            []string
	readinessPath  string
	container      corev1.Container
}

// kubeletVar is a $(VAR) reference in a container's arguments.
var kubeletVar = regexp.MustCompile(`\$\([A-Za-z_][A-Za-z0-9_]*\)`)

// podOf reads the manager container of the Deployment the chart created, as
// the kubelet would run it: a variable from the container's own memory limit
// (resourceFieldRef limits.memory) gets that limit in bytes, and $(VAR) in
// an argument is replaced by the variable's value. An environment variable
// the test cannot reproduce outside a kubelet (any other valueFrom, envFrom)
// is an error rather than silently dropped.
func podOf(dep *appsv1.Deployment) (pod, error) {
	spec := dep.Spec.Template.Spec
	for _, c := range spec.Containers {
		if c.Name != "manager" {
			continue
		}
		// The image's entrypoint is the manager; a command replaces it, and
		// its first word is the binary the test runs instead.
		args := c.Args
		if len(c.Command) > 0 {
			args = slices.Concat(c.Command[1:], c.Args)
		}
		p := pod{serviceAccount: spec.ServiceAccountName, args: args, container: c}
		if len(c.EnvFrom) > 0 {
			return pod{}, errors.New("the manager container has envFrom, which the test cannot reproduce")
		}
		vars := map[string]string{}
		for _, e := range c.Env {
			value := e.Value
			if e.ValueFrom != nil {
				ref := e.ValueFrom.ResourceFieldRef
				limit, ok := c.Resources.Limits[corev1.ResourceMemory]
				ownLimit := ref != nil && ref.Resource == "limits.memory" &&
					(ref.ContainerName == "" || ref.ContainerName == c.Name)
				if !ownLimit || !ok {
					return pod{}, fmt.Errorf("the manager container's env %s has a valueFrom the test cannot reproduce", e.Name)
				}
				value = strconv.FormatInt(limit.Value(), 10)
			}
			vars[e.Name] = value
			p.env = append(p.env, e.Name+"="+value)
		}
		p.args = slices.Clone(p.args)
		for i, a := range p.args {
			p.args[i] = kubeletVar.ReplaceAllStringFunc(a, func(ref string) string {
				if v, ok := vars[ref[2:len(ref)-1]]; ok {
					return v
				}
				return ref // the kubelet leaves an unknown reference as it is
			})
		}
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil {
			return pod{}, errors.New("the manager container has no HTTP readiness probe")
		}
		p.readinessPath = c.ReadinessProbe.HTTPGet.Path
		return p, nil
	}
	return pod{}, fmt.Errorf("deployment %s has no container named manager", dep.Name)
}

// flagValues returns every value given to --name in args, in order (a flag
// given twice is set twice; the manager keeps the last).
func flagValues(args []string, name string) []string {
	var out []string
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

// containerPort returns the container port with this name, or 0.
func containerPort(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// serviceAccountKubeconfig obtains a token for the ServiceAccount through
// the TokenRequest API, as the kubelet does for a pod's projected token, and
// writes a kubeconfig that carries it and nothing else.
func serviceAccountKubeconfig(ctx context.Context, admin kubernetes.Interface, cfg *rest.Config,
	namespace, name, path string) error {
	expiry := int64(3600)
	tr, err := admin.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: name, Namespace: namespace}
	kc.CurrentContext = "e2e"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("writing the kubeconfig of %s/%s: %w", namespace, name, err)
	}
	return nil
}

// managerProcess is the manager binary running as a pod of the Deployment
// would, its output in a log file.
type managerProcess struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	mu      sync.Mutex
	err     error
}

// startManager runs bin with args and env only (a pod does not inherit the
// test's environment), in dir, logging to logPath.
func startManager(bin string, args, env []string, dir, logPath string) (*managerProcess, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the manager's log: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = env, dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting the manager: %w", err)
	}
	m := &managerProcess{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		_ = logFile.Close()
		m.mu.Lock()
		m.err = err
		m.mu.Unlock()
		close(m.done)
	}()
	return m, nil
}

// exited reports whether the process has ended, and how.
func (m *managerProcess) exited() (bool, error) {
	select {
	case <-m.done:
		m.mu.Lock()
		defer m.mu.Unlock()
		return true, m.err
	default:
		return false, nil
	}
}

// stop sends SIGTERM, as the kubelet does, and waits for the manager to
// exit; after timeout it kills it and says so. It returns the process's exit
// error (nil for a clean exit).
func (m *managerProcess) stop(timeout time.Duration) error {
	if done, err := m.exited(); done {
		return err
	}
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling the manager (pid %d): %w", m.cmd.Process.Pid, err)
	}
	select {
	case <-m.done:
		_, err := m.exited()
		return err
	case <-time.After(timeout):
		_ = m.cmd.Process.Kill()
		<-m.done
		return fmt.Errorf("the manager (pid %d) did not stop within %s of SIGTERM and was killed", m.cmd.Process.Pid, timeout)
	}
}

// forbiddenLines returns the lines of the log files that say "forbidden" in
// any case: a refused request of the operator is an RBAC or admission
// policy bug of the chart.
func forbiddenLines(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("reading the manager's log: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
		for sc.Scan() {
			if strings.Contains(strings.ToLower(sc.Text()), "forbidden") {
				out = append(out, filepath.Base(p)+": "+sc.Text())
			}
		}
		err = sc.Err()
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the manager's log %s: %w", p, err)
		}
	}
	return out, nil
}

// idpRequest is one documented request of internal/scim/server/testdata/idp
// (its README describes the format).
type idpRequest struct {
	method, path string
	header       http.Header
	body         string
}

// readIdPRequest reads a documented request; its path is made relative to
// the IdentityConfig's SCIM base URL.
func readIdPRequest(name string) (idpRequest, error) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "internal", "scim", "server", "testdata", "idp", name))
	if err != nil {
		return idpRequest{}, fmt.Errorf("reading the documented request: %w", err)
	}
	lines := strings.Split(string(data), "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		lines = lines[1:]
	}
	if len(lines) == 0 {
		return idpRequest{}, fmt.Errorf("%s has no request line", name)
	}
	fields := strings.Fields(lines[0])
	if len(fields) < 2 {
		return idpRequest{}, fmt.Errorf("%s: bad request line %q", name, lines[0])
	}
	req := idpRequest{method: fields[0], path: strings.TrimPrefix(fields[1], "/scim/v2"), header: http.Header{}}
	i := 1
	for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
		k, v, ok := strings.Cut(lines[i], ":")
		if !ok {
			return idpRequest{}, fmt.Errorf("%s: bad header line %q", name, lines[i])
		}
		req.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if i < len(lines) {
		req.body = strings.Join(lines[i+1:], "\n")
	}
	return req, nil
}

// scimClient is an identity provider: it calls one IdentityConfig's SCIM
// base URL with its bearer token.
type scimClient struct {
	base, token string
	// header is sent with every request (e.g. Okta's User-Agent).
	header http.Header
}

type scimResponse struct {
	status int
	body   map[string]any
	raw    []byte
}

func (r scimResponse) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

// id returns the response's SCIM id.
func (r scimResponse) id() string {
	id, _ := r.body["id"].(string)
	return id
}

// do sends a request; body is a string (sent as is) or a value (sent as
// JSON). header overrides the client's.
func (c scimClient) do(ctx context.Context, method, path string, body any, header http.Header) (scimResponse, error) {
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return scimResponse{}, fmt.Errorf("encoding the request: %w", err)
		}
		reader = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return scimResponse{}, fmt.Errorf("building %s %s: %w", method, path, err)
	}
	maps.Copy(req.Header, c.header)
	maps.Copy(req.Header, header)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if reader != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return scimResponse{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return scimResponse{}, fmt.Errorf("reading the answer to %s %s: %w", method, path, err)
	}
	out := scimResponse{status: resp.StatusCode, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			return out, fmt.Errorf("the answer to %s %s is not JSON: %w: %s", method, path, err, raw)
		}
	}
	return out, nil
}

// replay sends a documented request with the IdP's own headers, the
// documented Authorization placeholder replaced by the bearer token.
func (c scimClient) replay(ctx context.Context, r idpRequest) (scimResponse, error) {
	header := r.header.Clone()
	header.Del("Authorization")
	var body any
	if r.body != "" {
		body = r.body
	}
	return c.do(ctx, r.method, r.path, body, header)
}

// patchOp is a SCIM PatchOp message with these operations.
func patchOp(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}
