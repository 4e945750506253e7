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

package controller

import (
	"testing"
	"time"

	v1 "github.com/lightrun-platform/lightrun-identity-operator/api/v1alpha1"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun"
	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/connect"
)

func TestClassifyLightrunErrors(t *testing.T) {
	cases := []struct {
		err         error
		reason      string
		terminal    bool
		unreachable bool
	}{
		{&lightrun.Error{Kind: lightrun.KindInvalid, StatusCode: 400}, v1.ReasonLightrunRejected, true, false},
		{&lightrun.Error{Kind: lightrun.KindUnavailable, StatusCode: 503}, v1.ReasonBackendUnreachable, false, true},
		{&lightrun.Error{Kind: lightrun.KindUnauthorized, StatusCode: 401}, v1.ReasonUnauthorized, false, true},
		{&lightrun.Error{Kind: lightrun.KindForbidden, StatusCode: 403}, v1.ReasonForbidden, false, false},
		{&lightrun.Error{Kind: lightrun.KindRateLimited, StatusCode: 429, RetryAfter: 3 * time.Second}, v1.ReasonRateLimited, false, false},
		{&connect.SecretError{Reason: v1.ReasonSecretKeyMissing}, v1.ReasonSecretKeyMissing, false, false},
	}
	for _, c := range cases {
		f := classify(c.err)
		if f.Reason != c.reason || f.Terminal != c.terminal || f.Unreachable != c.unreachable {
			t.Errorf("classify(%v) = %+v, want reason %s terminal %v unreachable %v", c.err, f, c.reason, c.terminal, c.unreachable)
		}
	}
	// 429 Retry-After is respected exactly, not replaced by backoff.
	res, err := classify(&lightrun.Error{Kind: lightrun.KindRateLimited, StatusCode: 429, RetryAfter: 3 * time.Second}).result()
	if err != nil || res.RequeueAfter != 3*time.Second {
		t.Fatalf("429 with Retry-After 3s: result %+v, %v", res, err)
	}
}
