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

package lightrun

import "runtime"

// Version is the operator version reported in the User-Agent header. Release
// builds set it with
//
//	-ldflags "-X github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun.Version=v1.2.3"
var Version = "dev"

// productName identifies the operator to Lightrun, so Lightrun's access logs and
// support can tell its calls from a person's or another integration's.
const productName = "lightrun-identity-operator"

// userAgent follows RFC 9110 §10.1.5: product/version, then a comment.
func userAgent() string {
	return productName + "/" + Version + " (" + runtime.GOOS + "/" + runtime.GOARCH + "; " + runtime.Version() + ")"
}
