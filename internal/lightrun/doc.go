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

// Package lightrun is a typed client for the identity subset of Lightrun's
// public REST API: users, user groups and their members, agent pools, and the
// identity-management (IdM) configuration. It follows Lightrun's published
// OpenAPI 3.1 document (embedded in internal/lightrun/emulator) operation by
// operation; the emulator in the emulator subpackage validates every request
// this client sends against that document, so a drift shows up as a test failure.
//
// The client is safe for concurrent use. It authenticates with a bearer API key,
// limits its own request rate, retries 5xx answers and network errors with
// exponential backoff and jitter, honours 429 Retry-After, and returns typed
// errors (IsNotFound, IsConflict, IsRateLimited...) so callers never parse
// strings. Assumptions made where the OpenAPI document is vague are listed in
// docs/lightrun-api.md and next to the code that relies on them.
package lightrun
