{{- define "gvList" -}}
{{- $groupVersions := . -}}
# Configuration reference

<!-- Generated from the API types in api/ by crd-ref-docs (make docs); do not
edit. Change the Go types' comments and markers, then run make docs:
make verify-generated fails while this file is stale. -->

Every field of the operator's custom resources, with its type, default and
validation, as the API server enforces them. You write `IdentityConfig` and
`AgentPool` (keep them in git, [gitops.md](gitops.md)); the SCIM endpoint
writes `ScimUser` and `ScimGroup` (never edit them: change the user or group
in your identity provider). What each status condition's reason means and
what to do about it is in [troubleshooting.md](troubleshooting.md);
[okta.md](okta.md) and [entra-id.md](entra-id.md) show a whole
`IdentityConfig` for each identity provider.

{{ range $groupVersions }}
{{ template "gvDetails" . }}
{{ end }}

{{- end -}}
