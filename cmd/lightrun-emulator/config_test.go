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

package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestDefaultsReadyTheCompanyForTheOperator(t *testing.T) {
	cfg, err := parseConfig([]string{"--api-keys", "k1"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.opts
	if o.ListenAddr != defaultListen || o.LoginMethod != emulator.LoginMethodSSO ||
		o.SSOProtocol != emulator.SSOProtocolSAML || !o.RBAC || o.BuiltInSCIM {
		t.Errorf("defaults = %+v", o)
	}
	if !slices.Equal(o.APIKeys, []string{"k1"}) {
		t.Errorf("APIKeys = %q", o.APIKeys)
	}
}

func TestEnvironmentBacksEveryFlagAndFlagsWin(t *testing.T) {
	env := envOf(map[string]string{
		"LIGHTRUN_EMULATOR_LISTEN":       "127.0.0.1:0",
		"LIGHTRUN_EMULATOR_COMPANY_ID":   "c-1",
		"LIGHTRUN_EMULATOR_API_KEYS":     "a, b ,,c",
		"LIGHTRUN_EMULATOR_LOGIN_METHOD": "password",
		"LIGHTRUN_EMULATOR_RBAC":         "false",
		"LIGHTRUN_EMULATOR_BUILTIN_SCIM": "true",
		"LIGHTRUN_EMULATOR_RATE_LIMIT":   "2.5",
		"LIGHTRUN_EMULATOR_RATE_BURST":   "4",
		"LIGHTRUN_EMULATOR_STATE_FILE":   "/tmp/x.json",
		"LIGHTRUN_EMULATOR_LATENCY":      "25ms",
		"LIGHTRUN_EMULATOR_ERROR_RATE":   "0.1",
	})
	cfg, err := parseConfig([]string{"--rate-burst=9", "--login-method=SSO", "--sso-protocol=oidc"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.opts
	switch {
	case o.ListenAddr != "127.0.0.1:0", o.CompanyID != "c-1", !slices.Equal(o.APIKeys, []string{"a", "b", "c"}),
		o.RBAC, !o.BuiltInSCIM, o.RateLimit != 2.5, o.StateFile != "/tmp/x.json",
		time.Duration(o.Faults.Latency) != 25*time.Millisecond, o.Faults.ErrorRate != 0.1:
		t.Errorf("environment not applied: %+v", o)
	}
	if o.RateBurst != 9 || o.LoginMethod != emulator.LoginMethodSSO || o.SSOProtocol != emulator.SSOProtocolOIDC {
		t.Errorf("flags did not win over the environment: %+v", o)
	}
}

func TestAnswersFlag(t *testing.T) {
	cfg, err := parseConfig([]string{"--api-keys=k"}, envOf(nil), io.Discard)
	if err != nil || cfg.opts.Answers != emulator.AnswersDefault {
		t.Fatalf("default: %v, %v", cfg, err)
	}
	cfg, err = parseConfig([]string{"--api-keys=k", "--answers=alternative"}, envOf(nil), io.Discard)
	if err != nil || cfg.opts.Answers != emulator.AnswersAlternative {
		t.Fatalf("--answers=alternative: %v, %v", cfg, err)
	}
	env := envOf(map[string]string{"LIGHTRUN_EMULATOR_ANSWERS": "ALTERNATIVE"})
	cfg, err = parseConfig([]string{"--api-keys=k"}, env, io.Discard)
	if err != nil || cfg.opts.Answers != emulator.AnswersAlternative {
		t.Fatalf("LIGHTRUN_EMULATOR_ANSWERS: %v, %v", cfg, err)
	}
	if _, err := parseConfig([]string{"--api-keys=k", "--answers=sideways"}, envOf(nil), io.Discard); err == nil ||
		!strings.Contains(err.Error(), "answers") {
		t.Errorf("--answers=sideways: %v", err)
	}
}

func TestAPIKeysFromAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("first\n\n  second  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfig(nil, envOf(map[string]string{"LIGHTRUN_EMULATOR_API_KEY_FILE": file}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.opts.APIKeys, []string{"first", "second"}) {
		t.Errorf("APIKeys = %q", cfg.opts.APIKeys)
	}
}

func TestDevAPIKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dev-keys")
	if err := os.WriteFile(file, []byte("d2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfig([]string{"--dev-api-keys=d1", "--dev-api-key-file=" + file}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.opts.APIKeys) != 0 || !slices.Equal(cfg.opts.DevAPIKeys, []string{"d1", "d2"}) {
		t.Errorf("APIKeys = %q, DevAPIKeys = %q", cfg.opts.APIKeys, cfg.opts.DevAPIKeys)
	}
	cfg, err = parseConfig(nil, envOf(map[string]string{
		"LIGHTRUN_EMULATOR_API_KEYS": "c", "LIGHTRUN_EMULATOR_DEV_API_KEYS": "d",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.opts.APIKeys, []string{"c"}) || !slices.Equal(cfg.opts.DevAPIKeys, []string{"d"}) {
		t.Errorf("APIKeys = %q, DevAPIKeys = %q", cfg.opts.APIKeys, cfg.opts.DevAPIKeys)
	}
}

func TestRefusesWhatItCannotServe(t *testing.T) {
	cases := map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"no key": {nil, nil, "no API key"},
		"a bad bool in the env": {[]string{"--api-keys=k"},
			map[string]string{"LIGHTRUN_EMULATOR_RBAC": "maybe"}, "LIGHTRUN_EMULATOR_RBAC"},
		"a bad duration": {[]string{"--api-keys=k"},
			map[string]string{"LIGHTRUN_EMULATOR_LATENCY": "soon"}, "LIGHTRUN_EMULATOR_LATENCY"},
		"an unknown flag":        {[]string{"--api-keys=k", "--colour"}, nil, "colour"},
		"a stray argument":       {[]string{"--api-keys=k", "serve"}, nil, "unexpected arguments"},
		"a missing key file":     {[]string{"--api-key-file=/nonexistent/keys"}, nil, "api-key-file"},
		"a missing dev key file": {[]string{"--api-keys=k", "--dev-api-key-file=/nonexistent/keys"}, nil, "dev-api-key-file"},
	}
	for name, tc := range cases {
		_, err := parseConfig(tc.args, envOf(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", name, err, tc.want)
		}
	}
}
