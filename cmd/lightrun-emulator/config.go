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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun/emulator"
)

// envPrefix starts the environment variable that backs each flag: --rate-limit
// falls back to LIGHTRUN_EMULATOR_RATE_LIMIT. A flag given on the command line
// wins over the variable.
const envPrefix = "LIGHTRUN_EMULATOR_"

// defaultListen is the server URL of Lightrun's OpenAPI document
// ("http://localhost:8090"), on the loopback interface only.
const defaultListen = "127.0.0.1:8090"

// envName is the variable behind a flag.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// config is what the command line and environment ask for.
type config struct {
	opts emulator.Options
	zap  zap.Options
}

// parseConfig reads flags from args, with defaults taken from the environment
// through getenv.
func parseConfig(args []string, getenv func(string) string, output io.Writer) (*config, error) {
	fs := flag.NewFlagSet("lightrun-emulator", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		_, _ = fmt.Fprintf(output, "Usage: lightrun-emulator [flags]\n\n"+
			"An in-memory Lightrun for the identity subset of its public API, validating every\n"+
			"request and response against Lightrun's OpenAPI document. Every flag falls back to\n"+
			"the environment variable %s<FLAG_NAME> (e.g. %s).\n\n", envPrefix, envName("api-keys"))
		fs.PrintDefaults()
	}

	var envErrs []error
	str := func(name, def, usage string) *string {
		if v := getenv(envName(name)); v != "" {
			def = v
		}
		return fs.String(name, def, usage+" (env "+envName(name)+")")
	}
	boolean := func(name string, def bool, usage string) *bool {
		if v := getenv(envName(name)); v != "" {
			parsed, err := strconv.ParseBool(v)
			if err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s=%q: %w", envName(name), v, err))
			}
			def = parsed
		}
		return fs.Bool(name, def, usage+" (env "+envName(name)+")")
	}
	float := func(name string, def float64, usage string) *float64 {
		if v := getenv(envName(name)); v != "" {
			parsed, err := strconv.ParseFloat(v, 64)
			if err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s=%q: %w", envName(name), v, err))
			}
			def = parsed
		}
		return fs.Float64(name, def, usage+" (env "+envName(name)+")")
	}
	integer := func(name string, def int, usage string) *int {
		if v := getenv(envName(name)); v != "" {
			parsed, err := strconv.Atoi(v)
			if err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s=%q: %w", envName(name), v, err))
			}
			def = parsed
		}
		return fs.Int(name, def, usage+" (env "+envName(name)+")")
	}
	duration := func(name string, def time.Duration, usage string) *time.Duration {
		if v := getenv(envName(name)); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s=%q: %w", envName(name), v, err))
			}
			def = parsed
		}
		return fs.Duration(name, def, usage+" (env "+envName(name)+")")
	}

	listen := str("listen", defaultListen, "address to serve on")
	companyID := str("company-id", "",
		"id of the emulated company; empty means a random UUID (kept in the state file)")
	apiKeys := str("api-keys", "",
		"comma-separated bearer API keys to accept, of permission level COMPANY (every operation); "+
			"prefer --api-key-file, command lines are visible to other users")
	apiKeyFile := str("api-key-file", "", "file with one accepted COMPANY API key per line")
	devAPIKeys := str("dev-api-keys", "",
		"comma-separated bearer API keys to accept, of permission level DEV: agent pools only, "+
			"refused the COMPANY operations (users, groups, IdM configuration)")
	devAPIKeyFile := str("dev-api-key-file", "", "file with one accepted DEV API key per line")
	loginMethod := str("login-method", emulator.LoginMethodSSO,
		"initial login method of the company: SSO, PASSWORD or GOOGLE (a loaded state file keeps its own)")
	ssoProtocol := str("sso-protocol", emulator.SSOProtocolSAML, "SSO protocol when the login method is SSO: SAML or OIDC")
	rbac := boolean("rbac", true,
		"initial RBAC switch of the company; without RBAC users may only be DEVELOPER or SYSTEM_ADMIN")
	builtInSCIM := boolean("builtin-scim", false, "start with Lightrun's own SCIM provisioning enabled")
	rateLimit := float("rate-limit", 0,
		"requests per second the emulator accepts before answering 429; 0 means unlimited")
	rateBurst := integer("rate-burst", 0, "token-bucket size of --rate-limit; 0 means max(1, rate)")
	stateFile := str("state-file", "",
		"JSON file to load the state from and save it to (atomically), so a restart keeps it")
	persistInterval := duration("persist-interval", emulator.DefaultPersistInterval,
		"how often a changed state is written to --state-file")
	latency := duration("latency", 0, "fault: latency added to every API call")
	errorRate := float("error-rate", 0, "fault: share (0..1) of API calls answered with --error-status")
	errorStatus := integer("error-status", 503, "fault: the 5xx status of --error-rate")
	throttleRate := float("throttle-rate", 0, "fault: share (0..1) of API calls answered 429")
	retryAfter := duration("retry-after", time.Second,
		"fault: Retry-After sent with injected 429s (whole seconds, rounded up)")
	maxPageSize := integer("max-page-size", emulator.DefaultMaxPageSize,
		"largest page size the list calls return")
	answers := str("answers", emulator.AnswersDefault.String(),
		"where the operator relies on a status the operation does not declare (409 for a duplicate, 403 for the "+
			"default group, 404 on member operations): 'default' answers it, 'alternative' answers a declared "+
			"alternative instead (docs/lightrun-api.md)")

	c := &config{}
	c.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if len(envErrs) > 0 {
		return nil, fmt.Errorf("reading the environment: %w", errors.Join(envErrs...))
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	answersMode, err := emulator.ParseAnswers(*answers)
	if err != nil {
		return nil, fmt.Errorf("--answers: %w", err)
	}

	keys, err := readKeys(*apiKeys, *apiKeyFile, "api-key-file")
	if err != nil {
		return nil, err
	}
	devKeys, err := readKeys(*devAPIKeys, *devAPIKeyFile, "dev-api-key-file")
	if err != nil {
		return nil, err
	}
	if len(keys)+len(devKeys) == 0 {
		return nil, fmt.Errorf("no API key: set --api-keys, --api-key-file, %s or %s "+
			"(or the DEV-level --dev-api-keys, --dev-api-key-file)",
			envName("api-keys"), envName("api-key-file"))
	}

	c.opts = emulator.Options{
		ListenAddr:      *listen,
		CompanyID:       *companyID,
		APIKeys:         keys,
		DevAPIKeys:      devKeys,
		LoginMethod:     strings.ToUpper(*loginMethod),
		RBAC:            *rbac,
		BuiltInSCIM:     *builtInSCIM,
		RateLimit:       *rateLimit,
		RateBurst:       *rateBurst,
		StateFile:       *stateFile,
		PersistInterval: *persistInterval,
		MaxPageSize:     *maxPageSize,
		Answers:         answersMode,
		Faults: emulator.Faults{
			Latency:      emulator.Duration(*latency),
			ErrorRate:    *errorRate,
			ErrorStatus:  *errorStatus,
			ThrottleRate: *throttleRate,
			RetryAfter:   emulator.Duration(*retryAfter),
		},
	}
	if c.opts.LoginMethod == emulator.LoginMethodSSO {
		c.opts.SSOProtocol = strings.ToUpper(*ssoProtocol)
	}
	return c, nil
}

// readKeys reads the keys of a comma-separated list and of a file with one
// key per line; fileFlag names the file's flag in errors.
func readKeys(list, file, fileFlag string) ([]string, error) {
	keys := splitKeys(list, ",")
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading --%s: %w", fileFlag, err)
		}
		keys = append(keys, splitKeys(string(data), "\n")...)
	}
	return keys, nil
}

// splitKeys splits a list of API keys, dropping blanks and surrounding spaces.
func splitKeys(s, sep string) []string {
	var keys []string
	for k := range strings.SplitSeq(s, sep) {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}
