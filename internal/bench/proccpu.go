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
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPU is where the machine's cores went during one phase: each process of
// the run in cores (CPU seconds over the phase's seconds), and PerOpMs,
// the CPU time of all four processes per operation of the phase (a create,
// a synced user). On a machine where the control plane, the manager and
// the harness share the cores, the throughput of two phases that keep every
// core busy is in the inverse ratio of their PerOpMs.
type CPU struct {
	APIServer float64 `json:"apiServer"`
	Etcd      float64 `json:"etcd"`
	Manager   float64 `json:"manager"`
	Harness   float64 `json:"harness"`
	// Machine is every core's busy time, other work on the machine
	// included; 0 where /proc/stat is missing.
	Machine float64 `json:"machine"`
	PerOpMs float64 `json:"perOpMs"`
	// APIServerPerOpMs is kube-apiserver's share of PerOpMs.
	APIServerPerOpMs float64 `json:"apiServerPerOpMs"`
}

// userHZ is the clock tick /proc counts CPU time in: USER_HZ, 100 on every
// Linux architecture Go supports.
const userHZ = 100

// cpuMeter reads the CPU time the run's processes have used, from Linux's
// /proc; where there is none, read reports nothing and no CPU is recorded.
type cpuMeter struct {
	apiServer, etcd, manager int
}

// cpuReading is one read of a cpuMeter: CPU seconds of each process since
// it started, and of the whole machine since boot.
type cpuReading struct {
	at                                time.Time
	apiServer, etcd, manager, harness float64
	machine                           float64
	ok                                bool
}

// newCPUMeter finds the control plane's processes among the harness's
// children (envtest starts them) by command name; manager is the
// manager's pid.
func newCPUMeter(manager int) (cpuMeter, error) {
	m := cpuMeter{manager: manager}
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		return m, nil // not Linux: nothing to measure
	}
	self := os.Getpid()
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // gone meanwhile
		}
		comm, fields, ok := parseStat(string(data))
		if !ok || len(fields) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err != nil || ppid != self {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil {
			continue
		}
		switch comm {
		case "kube-apiserver":
			m.apiServer = pid
		case "etcd":
			m.etcd = pid
		}
	}
	if m.apiServer == 0 || m.etcd == 0 {
		return m, fmt.Errorf("finding the local control plane's processes among the harness's children: kube-apiserver pid %d, etcd pid %d", m.apiServer, m.etcd)
	}
	return m, nil
}

// parseStat splits a /proc/<pid>/stat line into the command name (which
// may hold spaces and parentheses) and the fields after it, from the state
// on: fields[1] is the parent's pid, fields[11] and fields[12] the user
// and system time in clock ticks (proc(5)).
func parseStat(line string) (comm string, fields []string, ok bool) {
	open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return "", nil, false
	}
	return line[open+1 : end], strings.Fields(line[end+1:]), true
}

// processSeconds is the CPU time (user and system) pid has used.
func processSeconds(pid int) (float64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	_, fields, ok := parseStat(string(data))
	if !ok || len(fields) < 13 {
		return 0, false
	}
	user, err1 := strconv.ParseUint(fields[11], 10, 64)
	system, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return float64(user+system) / userHZ, true
}

func (m cpuMeter) read() cpuReading {
	r := cpuReading{at: time.Now(), ok: m.apiServer != 0}
	for _, p := range []struct {
		pid int
		to  *float64
	}{{m.apiServer, &r.apiServer}, {m.etcd, &r.etcd}, {m.manager, &r.manager}, {os.Getpid(), &r.harness}} {
		s, ok := processSeconds(p.pid)
		r.ok = r.ok && ok
		*p.to = s
	}
	r.machine, _ = machineBusySeconds()
	return r
}

// since is the CPU spent from before to r, over ops operations; nil when
// either read failed (a process gone, no /proc).
func (r cpuReading) since(before cpuReading, ops int) *CPU {
	wall := r.at.Sub(before.at).Seconds()
	if !r.ok || !before.ok || wall <= 0 {
		return nil
	}
	c := &CPU{
		APIServer: (r.apiServer - before.apiServer) / wall,
		Etcd:      (r.etcd - before.etcd) / wall,
		Manager:   (r.manager - before.manager) / wall,
		Harness:   (r.harness - before.harness) / wall,
		Machine:   (r.machine - before.machine) / wall,
	}
	if ops > 0 {
		c.PerOpMs = (c.APIServer + c.Etcd + c.Manager + c.Harness) * wall * 1000 / float64(ops)
		c.APIServerPerOpMs = c.APIServer * wall * 1000 / float64(ops)
	}
	return c
}

// String is the cores of each process, for the log.
func (c *CPU) String() string {
	if c == nil {
		return "CPU not measured"
	}
	return fmt.Sprintf("cores: kube-apiserver %.2f, manager %.2f, etcd %.2f, harness %.2f (machine %.2f); %.2f ms of CPU an operation, %.2f of it kube-apiserver's",
		c.APIServer, c.Manager, c.Etcd, c.Harness, c.Machine, c.PerOpMs, c.APIServerPerOpMs)
}
