{{/*
Names and labels follow upstream's secrets-store-csi-driver chart, so that `helm upgrade` of an upstream
release to this chart finds the same DaemonSet (same name, same immutable selector). The base name is
upstream's chart name, not this chart's: .Chart.Name is "sscsi".
*/}}

{{/* Base name: nameOverride, else upstream's chart name; at most 63 characters. */}}
{{- define "sscsi.name" -}}
{{- default "secrets-store-csi-driver" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Release-qualified name (DaemonSet, hook objects): fullnameOverride; else the release name when it
already contains the base name; else <release>-<base name>. Upstream's rule.
*/}}
{{- define "sscsi.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "secrets-store-csi-driver" .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Labels of every object: upstream's set (app, app.kubernetes.io/{instance,managed-by,name,version},
helm.sh/chart), then part-of=sscsi, then commonLabels.
*/}}
{{- define "sscsi.labels" -}}
app: {{ include "sscsi.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/name: {{ include "sscsi.name" . | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: sscsi
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
The DaemonSet's selector: upstream's, `app` alone. A DaemonSet's selector is immutable, so this must
stay what upstream's chart renders or an upgrade from it fails.
*/}}
{{- define "sscsi.selectorLabels" -}}
app: {{ include "sscsi.name" . }}
{{- end -}}

{{/* The driver's service account: upstream's fixed name. */}}
{{- define "sscsi.serviceAccountName" -}}
secrets-store-csi-driver
{{- end -}}

{{/* An image reference from {repository, tag, digest}; "default" is the tag when tag is empty. */}}
{{/* Upstream's default driver repositories (v1.6.0's and before 1.3's). */}}
{{- define "sscsi.upstreamDefaultRepository" -}}
{{- has (trimSuffix "/" .Values.linux.image.repository) (list "registry.k8s.io/csi-secrets-store/driver" "k8s.gcr.io/csi-secrets-store/driver") | ternary "true" "" -}}
{{- end -}}

{{/*
The driver image. A values file written for upstream's chart (helm get values, upstream's own
values.yaml, or --reuse-values, which carries the old chart's defaults) names upstream's default
repository because it was the default, not a choice: the sscsi image of this chart's appVersion
(sscsi/driver, values.yaml's default) is used instead, and NOTES.txt says so. Any other image of
upstream's driver (a mirror of it) is refused in daemonset.yaml.
*/}}
{{- define "sscsi.driverImage" -}}
{{- if include "sscsi.upstreamDefaultRepository" . -}}
{{- printf "sscsi/driver:%s" .Chart.AppVersion -}}
{{- else -}}
{{- include "sscsi.image" (dict "image" .Values.linux.image "default" .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* The admin endpoint's address; values from upstream's chart (--reuse-values) have no admin key. */}}
{{- define "sscsi.adminAddr" -}}
{{- (.Values.admin | default dict).addr | default "127.0.0.1:8096" -}}
{{- end -}}

{{- define "sscsi.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .default .image.tag) -}}
{{- end -}}
{{- end -}}

{{/* nodeSelector and tolerations of the CRD hook Jobs: the DaemonSet's, as upstream. */}}
{{- define "sscsi.hookScheduling" -}}
nodeSelector:
  kubernetes.io/os: linux
  {{- with .Values.linux.nodeSelector }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .Values.linux.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Hook annotations: {{ include "sscsi.hookAnnotations" (list "pre-install,pre-upgrade" "1") }} */}}
{{- define "sscsi.hookAnnotations" -}}
helm.sh/hook: {{ index . 0 }}
helm.sh/hook-weight: {{ index . 1 | quote }}
helm.sh/hook-delete-policy: hook-succeeded,before-hook-creation
{{- end -}}
