{{- define "gvDetails" -}}
{{- $gv := . -}}

## {{ $gv.GroupVersionString }}

{{ $gv.Doc }}

{{- if $gv.Kinds }}

Resources:
{{- range $gv.SortedKinds }}
- {{ $gv.TypeForKind . | markdownRenderTypeLink }}
{{- end }}
{{ end }}

Types, in alphabetical order:

{{ range $gv.SortedTypes }}
{{ template "type" . }}
{{ end }}

{{- end -}}
