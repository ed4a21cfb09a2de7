{{/*
Names and labels of sscsi's sync controller. Object names are SSC's (secrets-store-sync-controller's), so
that its documentation, `kubectl -n <ns> logs deploy/<controllerName> -c manager` and the admission
policies' names keep meaning the same thing.
*/}}

{{/* Labels of every object. */}}
{{- define "sscsi-sync.labels" -}}
app.kubernetes.io/name: sscsi-sync-controller
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: sscsi
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
{{- end -}}

{{/* The Deployment's selector; always among the pod's labels, whatever podLabels holds. */}}
{{- define "sscsi-sync.selectorLabels" -}}
app.kubernetes.io/name: sscsi-sync-controller
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{/*
The audiences of tokenRequestAudience ([{audience: ...}], or plain strings), trimmed, empty ones left out,
as a list.
*/}}
{{- define "sscsi-sync.audienceList" -}}
{{- $audiences := list -}}
{{- range .Values.tokenRequestAudience -}}
{{- $a := "" -}}
{{- if kindIs "map" . -}}{{- $a = .audience | default "" | toString | trim -}}{{- else if . -}}{{- $a = . | toString | trim -}}{{- end -}}
{{- if $a -}}{{- $audiences = append $audiences $a -}}{{- end -}}
{{- end -}}
{{- toJson $audiences -}}
{{- end -}}

{{/* --token-request-audience: the audiences joined with "," and no space (the controller splits on ","). */}}
{{- define "sscsi-sync.audiences" -}}
{{- include "sscsi-sync.audienceList" . | fromJsonArray | join "," -}}
{{- end -}}

{{/* The service account user name the admission policies match on. */}}
{{- define "sscsi-sync.username" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace .Values.controllerName -}}
{{- end -}}

{{/* The matchConditions of every admission policy: requests of the controller's service account only. */}}
{{- define "sscsi-sync.matchConditions" -}}
matchConditions:
  - name: user-is-secrets-store-sync-controller
    expression: {{ printf "request.userInfo.username == '%s'" (include "sscsi-sync.username" .) | quote }}
{{- end -}}

{{/* A CEL test "object.type is in the list"; false for an empty list. */}}
{{- define "sscsi-sync.typeIn" -}}
{{- if . -}}
{{- printf "object.type in %s" (toJson .) -}}
{{- else -}}
false
{{- end -}}
{{- end -}}

{{/*
True when image.repository names secrets-store-sync-controller's own image: an SSC values file names it
because it was SSC's default, not as a choice. The chart then runs sscsi's image at its appVersion (SSC's
tag and digest name SSC's releases) and NOTES says so.
*/}}
{{- define "sscsi-sync.sscImage" -}}
{{- if contains "secrets-store-sync/controller" .Values.image.repository -}}true{{- end -}}
{{- end -}}

{{/* An image reference from {repository, tag, digest}; the chart's appVersion when tag is empty. */}}
{{- define "sscsi-sync.image" -}}
{{- if include "sscsi-sync.sscImage" . -}}
{{- printf "sscsi/driver:%s" .Chart.AppVersion -}}
{{- else if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}
