{{/* Names and labels shared by every object of the release. */}}
{{- define "otelhouse.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "otelhouse.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "otelhouse.labels" -}}
{{ include "otelhouse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "otelhouse.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The roles this release runs, each one Deployment: ingest + app, or all. */}}
{{- define "otelhouse.roles" -}}
{{- if eq .Values.mode "split" -}}
ingest app
{{- else if eq .Values.mode "all" -}}
all
{{- else -}}
{{- fail (printf "mode must be split or all, not %q" .Values.mode) -}}
{{- end -}}
{{- end -}}

{{/* Roles that serve OTLP (4317/4318) and roles that serve the web UI and API (8080). */}}
{{- define "otelhouse.otlpRole" -}}
{{- if eq .Values.mode "split" }}ingest{{ else }}all{{ end -}}
{{- end -}}
{{- define "otelhouse.httpRole" -}}
{{- if eq .Values.mode "split" }}app{{ else }}all{{ end -}}
{{- end -}}

{{- define "otelhouse.clickhouseUrl" -}}
{{- required "clickhouse.url is required: the URL of your ClickHouse server or ClickHouse Cloud service, e.g. https://abc123.eu-west-1.aws.clickhouse.cloud:8443" .Values.clickhouse.url -}}
{{- end -}}

{{/* Secret files: volumes and their mounts under /run/secrets, as the *_FILE settings name them. */}}
{{- define "otelhouse.secretVolumes" -}}
- name: session-secret
  secret:
    secretName: {{ required "sessionSecret.existingSecret is required" .Values.sessionSecret.existingSecret }}
    defaultMode: 0440  # owner and the pod's group (fsGroup) only: `otelhouse doctor` checks it
    items:
      - {key: {{ .Values.sessionSecret.key }}, path: session_secret}
- name: clickhouse
  secret:
    secretName: {{ required "clickhouse.existingSecret is required" .Values.clickhouse.existingSecret }}
    defaultMode: 0440  # owner and the pod's group (fsGroup) only: `otelhouse doctor` checks it
    items:
      - {key: {{ .Values.clickhouse.ingestPasswordKey }}, path: clickhouse_ingest_password}
      - {key: {{ .Values.clickhouse.queryPasswordKey }}, path: clickhouse_query_password}
- name: database
  secret:
    secretName: {{ required "database.existingSecret is required" .Values.database.existingSecret }}
    defaultMode: 0440  # owner and the pod's group (fsGroup) only: `otelhouse doctor` checks it
    items:
      - {key: {{ .Values.database.urlKey }}, path: database_url}
{{- if .Values.clickhouse.caSecret }}
- name: clickhouse-ca
  secret:
    secretName: {{ .Values.clickhouse.caSecret }}
    items:
      - {key: ca.crt, path: clickhouse_ca.crt}
{{- end }}
{{- if .Values.tls.existingSecret }}
- name: tls
  secret:
    secretName: {{ .Values.tls.existingSecret }}
    defaultMode: 0440  # owner and the pod's group (fsGroup) only: `otelhouse doctor` checks it
    items:
      - {key: tls.crt, path: tls.crt}
      - {key: tls.key, path: tls.key}
{{- end }}
{{- if .Values.tls.clientCaSecret }}
- name: otlp-client-ca
  secret:
    secretName: {{ .Values.tls.clientCaSecret }}
    items:
      - {key: ca.crt, path: otlp_client_ca.crt}
{{- end }}
{{- end -}}

{{- define "otelhouse.secretMounts" -}}
- {name: session-secret, mountPath: /run/secrets/session, readOnly: true}
- {name: clickhouse, mountPath: /run/secrets/clickhouse, readOnly: true}
- {name: database, mountPath: /run/secrets/database, readOnly: true}
{{- if .Values.clickhouse.caSecret }}
- {name: clickhouse-ca, mountPath: /run/secrets/clickhouse-ca, readOnly: true}
{{- end }}
{{- if .Values.tls.existingSecret }}
- {name: tls, mountPath: /run/secrets/tls, readOnly: true}
{{- end }}
{{- if .Values.tls.clientCaSecret }}
- {name: otlp-client-ca, mountPath: /run/secrets/otlp-client-ca, readOnly: true}
{{- end }}
{{- end -}}
