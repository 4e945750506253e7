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

package controller_test

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/controller"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/operator"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// The suite runs the operator's real manager (operator.NewManager: SCIM
// endpoint, indexes, the four controllers) against the locally built
// kube-apiserver and etcd, and one in-process Lightrun emulator per spec, so
// that each spec has a Lightrun company of its own.

var (
	ctx       context.Context
	cancel    context.CancelFunc
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	scimAddr  string
	// stopShared stops the manager every spec shares; the restart spec
	// stops it to run managers of its own, and starts it again.
	stopShared func()
)

// answers is how the emulators of this run answer where the operator relies
// on statuses Lightrun's OpenAPI document does not declare (409 on a
// duplicate, 403 on the default group, 404 on members):
// LIGHTRUN_EMULATOR_ANSWERS=alternative makes them answer with the declared
// alternatives (400, 207 with per-member failures...), and `make test` runs
// the suite both ways (docs/lightrun-api.md).
var answers emulator.Answers

func TestControllers(t *testing.T) {
	var err error
	if answers, err = emulator.ParseAnswers(os.Getenv("LIGHTRUN_EMULATOR_ANSWERS")); err != nil {
		t.Fatal(err)
	}
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	RunSpecs(t, "Controllers suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true), zap.Level(zapcore.InfoLevel)))
	ctx, cancel = context.WithCancel(context.Background())
	var err error
	testEnv, err = testenv.New()
	Expect(err).NotTo(HaveOccurred())
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: operator.NewScheme()})
	Expect(err).NotTo(HaveOccurred())
	scimAddr = freeAddr()
	stopShared = startManager(managerOptions())
})

var _ = AfterSuite(func() {
	if stopShared != nil {
		stopShared()
	}
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr() string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	return addr
}

// maxResyncUsers is the suite's cap on the users one resync lists: above
// the largest company of the other specs (500 users), low enough for a spec
// to reach it.
const maxResyncUsers = 1000

// managerOptions are the operator's options scaled down to test time: fast
// retries and checks, a generous client rate limit (the emulator's faults are
// what limits the rate in the specs that need it).
func managerOptions() operator.Options {
	return operator.Options{
		MetricsBindAddress:           "0",
		HealthProbeBindAddress:       "0",
		SCIMBindAddress:              scimAddr,
		SCIMPublicURL:                "http://" + scimAddr,
		GracefulShutdownTimeout:      5 * time.Second,
		SkipControllerNameValidation: true,
		Controllers: controller.Options{
			Lightrun: lightrun.Options{
				RateLimit:      1000,
				Burst:          100,
				MaxAttempts:    3,
				BaseBackoff:    20 * time.Millisecond,
				MaxBackoff:     200 * time.Millisecond,
				RequestTimeout: 5 * time.Second,
			},
			MaxConcurrentReconciles: 8,
			RetryBaseDelay:          50 * time.Millisecond,
			RetryMaxDelay:           2 * time.Second,
			RetryQPS:                200,
			RetryBurst:              200,
			BackendCheckInterval:    time.Second,
			StatusDelay:             200 * time.Millisecond,
			GuardRecheck:            200 * time.Millisecond,
			MaxResyncUsers:          maxResyncUsers,
			// Every user is old enough for the IdentityConfig's journal of
			// create records at once: the specs run the journal, as a
			// large sync does ("records in its own status the create of a
			// user younger than…" runs the other way).
			CreateAttemptsMinAge: time.Nanosecond,
		},
	}
}

// startManager runs a manager until the returned function stops it (and
// waits for it to stop).
func startManager(opts operator.Options) func() {
	GinkgoHelper()
	mgr, err := operator.NewManager(cfg, opts)
	Expect(err).NotTo(HaveOccurred())
	mctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		Expect(mgr.Start(mctx)).To(Succeed())
	}()
	Expect(mgr.GetCache().WaitForCacheSync(mctx)).To(BeTrue())
	return func() {
		stop()
		Eventually(done).WithTimeout(30 * time.Second).Should(BeClosed())
	}
}
