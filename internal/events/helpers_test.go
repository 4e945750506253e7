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

package events

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedeventsv1 "k8s.io/client-go/kubernetes/typed/events/v1"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
)

func testScheme(t testing.TB) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := v1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// user is a ScimUser as the controllers hand it to the recorder.
func user(name string) *v1.ScimUser {
	return &v1.ScimUser{ObjectMeta: metav1.ObjectMeta{
		Namespace: "tenant-a", Name: name, UID: types.UID("uid-" + name), ResourceVersion: "7",
	}}
}

// start runs b until the test ends, and waits for Start to return then.
func start(t *testing.T, b *Broadcaster) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Start(ctx) }()
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Start: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Start did not return 10s after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

func testOptions(t testing.TB) Options {
	return Options{Hostname: "host-1", Logger: testr.NewWithInterface(t, testr.Options{}), RetryDelay: time.Millisecond}
}

// eventually polls cond every 5ms for 5s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sink is an events.k8s.io client that keeps nothing: it counts the writes
// and, while block is open, holds each until block closes or its context
// ends. Only Events(ns).Create and Patch are implemented.
type sink struct {
	typedeventsv1.EventsV1Interface
	block            chan struct{}
	creates, patches atomic.Int64
	waiting          atomic.Int64
}

func (s *sink) Events(string) typedeventsv1.EventInterface { return sinkEvents{s: s} }

func (s *sink) wait(ctx context.Context) error {
	if s.block == nil {
		return nil
	}
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	select {
	case <-s.block:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type sinkEvents struct {
	typedeventsv1.EventInterface
	s *sink
}

func (e sinkEvents) Create(ctx context.Context, ev *eventsv1.Event, _ metav1.CreateOptions) (*eventsv1.Event, error) {
	if err := e.s.wait(ctx); err != nil {
		return nil, err
	}
	e.s.creates.Add(1)
	return ev, nil
}

func (e sinkEvents) Patch(ctx context.Context, _ string, _ types.PatchType, _ []byte, _ metav1.PatchOptions, _ ...string) (*eventsv1.Event, error) {
	if err := e.s.wait(ctx); err != nil {
		return nil, err
	}
	e.s.patches.Add(1)
	return &eventsv1.Event{}, nil
}
