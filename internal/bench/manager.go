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

package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/devenv"
)

// buildManager builds the manager binary as it ships (hack/build-manager.sh)
// into dir.
func buildManager(ctx context.Context, repoRoot, dir string) (string, error) {
	out := filepath.Join(dir, "manager")
	script, err := filepath.Abs(filepath.Join(repoRoot, "hack", "build-manager.sh"))
	if err != nil {
		return "", fmt.Errorf("locating hack/build-manager.sh: %w", err)
	}
	cmd := exec.CommandContext(ctx, script, out, "bench")
	cmd.Dir = repoRoot
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the manager: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// managerProc is the manager running as a subprocess.
type managerProc struct {
	cmd        *exec.Cmd
	done       chan struct{}
	waitErr    error
	logPath    string
	metricsURL string
	pprofURL   string
	scimAddr   string
}

// startManager starts the manager binary against the control plane, with
// metrics on loopback over plain HTTP, leader election on (the harness
// holds the Lease until it lets the controllers start), the SCIM rate limit
// out of the way and the Lightrun budget set.
func (e *env) startManager(binary string) error {
	metricsAddr, err := devenv.FreeAddr()
	if err != nil {
		return err
	}
	pprofAddr, err := devenv.FreeAddr()
	if err != nil {
		return err
	}
	scimAddr, err := devenv.FreeAddr()
	if err != nil {
		return err
	}
	args := []string{
		"--kubeconfig=" + e.kubeconfig,
		"--metrics-bind-address=" + metricsAddr,
		"--metrics-secure=false",
		"--health-probe-bind-address=0",
		"--pprof-bind-address=" + pprofAddr,
		"--scim-bind-address=" + scimAddr,
		"--scim-public-url=http://" + scimAddr,
		"--scim-rate-limit=1000000",
		"--scim-rate-burst=1000000",
		"--scim-max-in-flight=1000000",
		"--leader-elect",
		"--leader-election-namespace=" + Namespace,
		"--lightrun-qps=" + strconv.FormatFloat(e.cfg.LightrunQPS, 'f', -1, 64),
		"--lightrun-burst=" + strconv.Itoa(e.cfg.LightrunBurst),
		"--graceful-shutdown-timeout=10s",
	}
	if e.cfg.MaxConcurrentReconciles > 0 {
		args = append(args, "--max-concurrent-reconciles="+strconv.Itoa(e.cfg.MaxConcurrentReconciles))
	}
	args = append(args, e.cfg.ManagerArgs...)
	logPath := filepath.Join(e.work, "manager.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("creating the manager's log: %w", err)
	}
	// Not CommandContext: stop sends SIGTERM first, so the manager shuts
	// down as it would in a cluster.
	cmd := exec.Command(binary, args...) //nolint:gosec // the binary the harness built, on loopback
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "KUBECONFIG="+e.kubeconfig)
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("starting the manager: %w", err)
	}
	m := &managerProc{cmd: cmd, done: make(chan struct{}), logPath: logPath,
		metricsURL: "http://" + metricsAddr + "/metrics", pprofURL: "http://" + pprofAddr, scimAddr: scimAddr}
	go func() {
		m.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(m.done)
	}()
	e.mgr = m
	e.logf("manager started (pid %d, log %s)", cmd.Process.Pid, logPath)
	cpu, err := newCPUMeter(cmd.Process.Pid)
	if err != nil {
		e.logf("no CPU per phase: %v", err)
	}
	e.cpu = cpu
	return nil
}

// exited returns an error when the manager is no longer running.
func (m *managerProc) exited() error {
	select {
	case <-m.done:
		return fmt.Errorf("the manager exited (%v); its log: %s\n%s", m.waitErr, m.logPath, tail(m.logPath, 20))
	default:
		return nil
	}
}

// stop sends SIGTERM, then SIGKILL after timeout.
func (m *managerProc) stop(timeout time.Duration) error {
	select {
	case <-m.done:
		return nil
	default:
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
		return nil
	case <-time.After(timeout):
		_ = m.cmd.Process.Kill()
		<-m.done
		return fmt.Errorf("the manager did not stop within %s of SIGTERM and was killed", timeout)
	}
}

// metrics scrapes the manager's metrics endpoint into name{labels} -> value.
func (m *managerProc) metrics(ctx context.Context) (metricSet, error) {
	if err := m.exited(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var buf bytes.Buffer
	if err := httpGet(ctx, http.DefaultClient, m.metricsURL, "scraping the manager's metrics", &buf); err != nil {
		return nil, err
	}
	return parseMetrics(&buf)
}

// pprof fetches a /debug/pprof path of the manager into dst (nowhere
// when dst is ""). /debug/pprof/heap?gc=1 collects garbage first.
func (m *managerProc) pprof(ctx context.Context, path, dst string) error {
	if err := m.exited(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := httpGet(ctx, http.DefaultClient, m.pprofURL+path, "fetching the manager's "+path, &buf); err != nil {
		return err
	}
	if dst == "" {
		return nil
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("saving the manager's %s: %w", path, err)
	}
	return nil
}

// httpGet GETs url with c into w; what names the call in errors.
func httpGet(ctx context.Context, c *http.Client, url, what string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", what, resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// metricSet maps a sample's name with its labels, as the text format
// writes them (e.g. `workqueue_depth{controller="scimuser",name="scimuser"}`),
// to its value.
type metricSet map[string]float64

// parseMetrics reads the Prometheus text format, keeping samples only.
func parseMetrics(r io.Reader) (metricSet, error) {
	out := metricSet{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// The value follows the last space outside the labels (a
		// timestamp, which the manager does not write, is not handled).
		cut := strings.LastIndexByte(line, ' ')
		if cut < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[cut+1:], 64)
		if err != nil {
			continue
		}
		out[strings.TrimSpace(line[:cut])] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading metrics: %w", err)
	}
	return out, nil
}

// get returns the value of the sample with this exact name and labels.
func (s metricSet) get(key string) (float64, bool) {
	v, ok := s[key]
	return v, ok
}

// sum adds up every sample of a metric whose labels contain all of the
// given label pairs (e.g. `name="scimuser"`).
func (s metricSet) sum(name string, labels ...string) float64 {
	var total float64
	for k, v := range s {
		base, rest, _ := strings.Cut(k, "{")
		if base != name {
			continue
		}
		match := true
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				match = false
				break
			}
		}
		if match {
			total += v
		}
	}
	return total
}

// label returns the value of a label in a sample's key, or "".
func label(key, name string) string {
	_, rest, ok := strings.Cut(key, "{")
	if !ok {
		return ""
	}
	for pair := range strings.SplitSeq(strings.TrimSuffix(rest, "}"), ",") {
		if k, v, ok := strings.Cut(pair, "="); ok && k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// kubeCalls returns the manager's Kubernetes API calls between two
// scrapes, by HTTP method, from client-go's rest_client_requests_total (the
// only REST client metric controller-runtime enables by default: counts,
// not durations).
func kubeCalls(before, after metricSet) map[string]float64 {
	const name = "rest_client_requests_total"
	out := map[string]float64{}
	for key, count := range after {
		if base, _, _ := strings.Cut(key, "{"); base != name {
			continue
		}
		if n := count - before[key]; n > 0 {
			out[label(key, "method")] += n
		}
	}
	return out
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond every interval until it is true, ctx is done or the
// manager exits.
func (e *env) waitFor(ctx context.Context, what string, interval time.Duration, cond func(context.Context) (bool, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if e.mgr != nil {
			if err := e.mgr.exited(); err != nil {
				return fmt.Errorf("waiting for %s: %w", what, err)
			}
		}
		ok, err := cond(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, context.Cause(ctx))
		case <-t.C:
		}
	}
}
