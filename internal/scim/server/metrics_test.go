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

package server_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

var _ = Describe("metrics", func() {
	It("count requests by method, resource and status", func() {
		endpoint.do("GET", "/Users?count=1", nil)
		families, err := ctrlmetrics.Registry.Gather()
		Expect(err).NotTo(HaveOccurred())
		var found bool
		for _, f := range families {
			if f.GetName() == "lightrun_identity_scim_requests_total" {
				for _, m := range f.GetMetric() {
					labels := map[string]string{}
					for _, l := range m.GetLabel() {
						labels[l.GetName()] = l.GetValue()
					}
					if labels["method"] == "GET" && labels["resource"] == "Users" && labels["code"] == "200" && m.GetCounter().GetValue() > 0 {
						found = true
					}
				}
			}
		}
		Expect(found).To(BeTrue())
		count, err := testutil.GatherAndCount(ctrlmetrics.Registry, "lightrun_identity_scim_request_duration_seconds")
		Expect(err).NotTo(HaveOccurred())
		Expect(count).To(BeNumerically(">", 0))
	})
})
