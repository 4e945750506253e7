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

// Package secrets holds a test that runs the operator as `make dev` does
// (local control plane, Lightrun emulator, manager in process), drives it
// the way Okta does, and then searches everything the operator emits for
// the secrets it handled: its logs at the most verbose level, the Events,
// every object with its status, and the metrics.
package secrets
