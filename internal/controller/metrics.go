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
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The controllers' Prometheus metrics, served with controller-runtime's own
// (controller_runtime_reconcile_total, _time_seconds, _errors_total and the
// workqueue metrics) on the manager's metrics endpoint. What controller-runtime
// lacks is added here: where users stand, why a reconcile ended the way it
// did, and how much drift was reverted. What Lightrun answered is counted by
// internal/lightrun/connect.
var (
	metricUsers = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "lightrun_identity_users",
		Help: "ScimUsers by IdentityConfig and sync state (synced, pending, failed).",
	}, []string{"namespace", "identity_config", "state"})
	metricReconcileDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "lightrun_identity_reconcile_duration_seconds",
		Help:    "Reconcile duration by controller and outcome (the condition reason the reconcile ended with).",
		Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"controller", "outcome"})

	metricDriftReverted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lightrun_identity_drift_reverted_total",
		Help: "Changes made in Lightrun behind the operator's back and reverted (Lightrun rule 3), by kind.",
	}, []string{"kind"})
)

// Drift kinds of lightrun_identity_drift_reverted_total.
const (
	driftUserDeleted  = "user_deleted"
	driftUserDisabled = "user_enabled_state"
	driftUserEdited   = "user_edited"
	driftPool         = "agent_pool"
	driftGroup        = "group_settings"
	driftMembers      = "group_members"
)

func init() {
	ctrlmetrics.Registry.MustRegister(metricUsers, metricReconcileDuration, metricDriftReverted)
}
