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
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(failWithRefusals)
	// The test's own clients log here; the manager logs to its files.
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	// Every wait is bounded; the whole run takes well under a minute once
	// the manager is built.
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(200 * time.Millisecond)
	RunSpecs(t, "End-to-end install suite")
}

// managerLogs are the log files of every manager process the suite ran.
var managerLogs []string

// failWithRefusals fails with the message and, when the manager was refused
// requests, with those: a wait that timed out because the chart's RBAC or
// admission policies refused the operator then says so.
func failWithRefusals(message string, callerSkip ...int) {
	if lines, err := forbiddenLines(managerLogs...); err == nil && len(lines) > 0 {
		message += "\n\nThe manager's log says forbidden:\n" + strings.Join(lines, "\n")
	}
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	Fail(message, skip)
}
