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

// Package e2e holds the end-to-end install test: `helm install` of the chart
// into the locally built control plane, the built manager binary run as the
// chart's ServiceAccount with the flags the chart's Deployment renders,
// provisioning runs of Okta and Entra ID through its SCIM endpoint into two
// Lightrun emulators, the admission policies, `helm upgrade` and
// `helm uninstall`. The test is in e2e_test; this package has no code.
package e2e
