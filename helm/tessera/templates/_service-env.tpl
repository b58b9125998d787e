{{/*
Environment of one service container. Call with (dict "root" $ "name" "orders" "cfg" $cfg), and "migrate" true for the
`migrate` init container: it connects straight to each primary (never through PgBouncer: migrations hold a session
advisory lock) as the tables' owner (<service>) and grants the service's runtime role (<service>_app), which the
service connects as, data privileges only. It gets nothing else: no peers, no Redis, no signing keys.
*/}}
{{/* A process's service key (its own Secret) and the directory of the certificates it trusts. */}}
{{- define "tessera.serviceIdentityEnv" }}
- name: SERVICE_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "tessera.name" (dict "root" .root "name" (printf "%s-identity" .name)) }}
      key: key.pem
- name: SERVICE_TRUST_DIR
  value: /etc/tessera-trust
{{- end }}

{{- define "tessera.serviceEnv" -}}
{{- $root := .root -}}
{{- $user := ternary .name (printf "%s_app" .name) (default false .migrate) -}}
{{- $node := index (include "tessera.topology" $root | fromYaml).services .name -}}
- name: GRPC_PORT
  value: {{ .cfg.port | quote }}
- name: METRICS_PORT
  value: {{ $root.Values.metricsPort | quote }}
- name: LOG_LEVEL
  value: {{ $root.Values.logLevel | quote }}
- name: DRAIN_DELAY_MS
  value: {{ mul $root.Values.drainDelaySeconds 1000 | quote }}
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "tessera.name" (dict "root" $root "name" (printf "db-%s" (replace "_" "-" $user))) }}
      key: password
- name: DATABASE_CLUSTERS
  value: {{ include "tessera.databaseClusters" (dict "root" $root "name" .name "user" $user "direct" (default false .migrate)) | quote }}
{{- if ne .name "catalog" }}
- name: SHARD_MAP_FILE
  value: /etc/tessera/shard-map.json
{{- end }}
{{- if .migrate }}
- name: DATABASE_RUNTIME_ROLE
  value: {{ printf "%s_app" .name | quote }}
{{- else }}
- name: DATABASE_POOL_MAX
  value: {{ $root.Values.postgres.poolMaxPerPod | quote }}
{{- if $node.redis }}
{{- include "tessera.redisEnv" (dict "root" $root "user" .name) }}
{{- end }}
{{- if eq .name "users" }}
- name: JWT_ISSUER
  value: {{ $root.Values.auth.issuer | quote }}
- name: JWT_AUDIENCE
  value: {{ $root.Values.auth.audience | quote }}
- name: ACCESS_TOKEN_TTL_S
  value: {{ $root.Values.auth.accessTokenTtlSeconds | quote }}
- name: JWT_SIGNING_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.auth.existingSigningKeysSecret | default (include "tessera.name" (dict "root" $root "name" "jwt")) }}
      key: signing-keys
- name: ADMIN_EMAIL
  value: {{ $root.Values.auth.adminEmail | quote }}
- name: ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.auth.existingAdminSecret | default (include "tessera.name" (dict "root" $root "name" "admin")) }}
      key: password
{{- end }}
{{- if ne .name "users" }}
# Access tokens are verified against the users service's JWKS (USERS_TARGET, from the topology).
- name: JWT_ISSUER
  value: {{ $root.Values.auth.issuer | quote }}
- name: JWT_AUDIENCE
  value: {{ $root.Values.auth.audience | quote }}
- name: JWT_MAX_AGE_S
  value: {{ $root.Values.auth.accessTokenTtlSeconds | quote }}
{{- end }}
{{- include "tessera.serviceIdentityEnv" (dict "root" $root "name" .name) }}
{{- include "tessera.peerEnv" (dict "root" $root "node" $node) }}
{{- include "tessera.tracingEnv" $root }}
{{- if eq .name "notifications" }}
- name: WEBHOOKS_ALLOW_HTTP
  value: {{ $root.Values.webhooks.allowHttp | quote }}
- name: WEBHOOKS_ALLOW_PRIVATE
  value: {{ $root.Values.webhooks.allowPrivate | quote }}
{{- end }}
{{- range $k, $v := .cfg.env }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The edge's environment. Call with (dict "root" $ "cfg" .Values.edge). */}}
{{- define "tessera.edgeEnv" -}}
- name: PORT
  value: {{ .cfg.port | quote }}
- name: GRPC_PORT
  value: {{ .cfg.grpcPort | quote }}
- name: GRPC_REFLECTION
  value: {{ .cfg.grpcReflection | quote }}
- name: METRICS_PORT
  value: {{ .root.Values.metricsPort | quote }}
- name: LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
- name: DRAIN_DELAY_MS
  value: {{ mul .root.Values.drainDelaySeconds 1000 | quote }}
- name: TRUST_PROXY
  value: {{ .cfg.trustProxy | quote }}
- name: JWT_ISSUER
  value: {{ .root.Values.auth.issuer | quote }}
- name: JWT_AUDIENCE
  value: {{ .root.Values.auth.audience | quote }}
- name: JWT_MAX_AGE_S
  value: {{ .root.Values.auth.accessTokenTtlSeconds | quote }}
{{- include "tessera.redisEnv" (dict "root" .root "user" "edge") | trim | nindent 0 }}
{{- include "tessera.peerEnv" (dict "root" .root "node" (include "tessera.topology" .root | fromYaml).edge) | trim | nindent 0 }}
{{- include "tessera.serviceIdentityEnv" (dict "root" .root "name" "edge") | trim | nindent 0 }}
{{- include "tessera.tracingEnv" .root }}
{{- range $k, $v := .cfg.env }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/*
The monolith's environment: its own settings, then every part's (each service's and the edge's, exactly as they
are apart) under the part's prefix (USERS__DATABASE_CLUSTERS); peers become in-process in the monolith itself.
With "migrate" true, the migrate init container's: each service's migration settings, nothing else.
*/}}
{{- define "tessera.monolithEnv" -}}
{{- $root := .root -}}
- name: METRICS_PORT
  value: {{ $root.Values.metricsPort | quote }}
- name: LOG_LEVEL
  value: {{ $root.Values.logLevel | quote }}
- name: DRAIN_DELAY_MS
  value: {{ mul $root.Values.drainDelaySeconds 1000 | quote }}
{{- if not .migrate }}{{ include "tessera.tracingEnv" $root }}{{ end }}
{{- range $name, $cfg := $root.Values.services }}
{{- include "tessera.prefixedEnv" (dict "part" $name "env" (include "tessera.serviceEnv" (dict "root" $root "name" $name "cfg" $cfg "migrate" $.migrate))) | nindent 0 }}
{{- end }}
{{- if not .migrate }}
{{- include "tessera.prefixedEnv" (dict "part" "edge" "env" (include "tessera.edgeEnv" (dict "root" $root "cfg" $root.Values.edge))) | nindent 0 }}
{{- end }}
{{- range $k, $v := .cfg.env }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/* Where a process exports its spans (tracing.otlpEndpoint), when set. */}}
{{- define "tessera.tracingEnv" -}}
{{- if .Values.tracing.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.tracing.otlpEndpoint | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .Values.tracing.sampleRatio | quote }}
{{- end }}
{{- end -}}
