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

// Package emulator is an in-memory Lightrun for the identity subset of
// Lightrun's public API: users, user groups and members, agent pools, and the
// IdM configuration. It serves as the test double of the operator's tests, the
// backend of `make dev`, and the target of benchmarks.
//
// It is strict on purpose, so that a client bug cannot hide behind it: every
// request is validated against Lightrun's published OpenAPI document (embedded
// from lightrun-openapi.json) and refused with 400 when it breaks it, and every
// response is checked too, errors and 204s included (see "What a valid answer
// is" in pipeline.go) — a response that would break the document is logged,
// answered with 500 and recorded. Both are counted (Conformance); tests end
// with ExpectClean or CheckClean. It applies Lightrun's rules (email uniqueness,
// the default agent pool and group, roles allowed without RBAC, per-member bulk
// results), can inject latency, 5xx, 429 and outages, and can persist its state
// to a JSON file.
//
// Use it in-process with Start (or New plus Handler), or run the
// cmd/lightrun-emulator program. Administrative endpoints live under
// /_emulator/, outside the API's /api/ namespace.
package emulator
