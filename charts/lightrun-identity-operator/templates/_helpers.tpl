{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "lio.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name. */}}
{{- define "lio.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "lio.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "lio.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lightrun-identity-operator
{{- end }}

{{- define "lio.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lio.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "lio.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lio.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the metrics Service, and so the job label of its ServiceMonitor's series. */}}
{{- define "lio.metricsService" -}}
{{- include "lio.fullname" . }}-metrics
{{- end }}

{{/* Fails when a monitoring feature is on while the metrics endpoint is off. */}}
{{- define "lio.requireMetrics" -}}
{{- if not .root.Values.metrics.enabled }}
{{- fail (printf "metrics.%s.enabled needs metrics.enabled" .feature) }}
{{- end }}
{{- end }}

{{/*
The SCIM endpoint's public base URL: scim.publicURL, else the first Ingress
host (https when the Ingress has TLS), else empty.
*/}}
{{- define "lio.scimPublicURL" -}}
{{- $ing := .Values.scim.ingress }}
{{- if .Values.scim.publicURL }}
{{- .Values.scim.publicURL }}
{{- else if and $ing.enabled $ing.hosts }}
{{- printf "%s://%s" (ternary "https" "http" (not (empty $ing.tls))) (first $ing.hosts) }}
{{- end }}
{{- end }}

{{/*
The protocol the SCIM port speaks: https when the pods serve TLS from
scim.tlsSecretName, else http (for a TLS-terminating ingress in front).
*/}}
{{- define "lio.scimProtocol" -}}
{{- if .Values.scim.tlsSecretName }}https{{ else }}http{{ end }}
{{- end }}
