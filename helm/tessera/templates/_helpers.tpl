{{/* Names and labels shared by every template. */}}

{{- define "tessera.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tessera.labels" -}}
app.kubernetes.io/part-of: tessera
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component (a service, the edge, redis, ...). Call with (dict "root" $ "name" "users"). */}}
{{- define "tessera.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "tessera.componentLabels" -}}
{{ include "tessera.labels" .root }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/component: {{ .component | default "service" }}
{{- end -}}

{{/* Object name of a component: <release>-<name>. */}}
{{- define "tessera.name" -}}
{{- printf "%s-%s" (include "tessera.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Image reference: repository and tag from values, never hard-coded. */}}
{{- define "tessera.image" -}}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if .image.repository -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- else -}}
{{- printf "%s/tessera-%s:%s" .root.Values.image.registry .name $tag -}}
{{- end -}}
{{- end -}}

{{/* CloudNativePG cluster name of a physical shard or of the catalog. */}}
{{- define "tessera.pgCluster" -}}
{{- printf "%s-pg-%s" (include "tessera.fullname" .root) .cluster | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{/* Which clusters a service's database lives on: the catalog cluster, or every shard. */}}
{{- define "tessera.clustersOf" -}}
{{- if eq .name "catalog" -}}catalog{{- else -}}{{ join "," .root.Values.postgres.shards }}{{- end -}}
{{- end -}}

{{/* DATABASE_CLUSTERS JSON for a service: one entry per cluster, primary via -rw, replicas via -ro (or the Poolers). */}}
{{- define "tessera.databaseClusters" -}}
{{- $root := .root -}}
{{- $svc := .name -}}
{{- $user := default $svc .user -}}
{{- $direct := default false .direct -}}
{{- $entries := list -}}
{{- range $cluster := splitList "," (include "tessera.clustersOf" .) -}}
{{- $pg := include "tessera.pgCluster" (dict "root" $root "cluster" $cluster) -}}
{{- $pooled := and (eq $root.Values.postgres.connectVia "pooler") (not $direct) -}}
{{- $rw := ternary (printf "%s-pooler-rw" $pg) (printf "%s-rw" $pg) $pooled -}}
{{- $ro := ternary (printf "%s-pooler-ro" $pg) (printf "%s-ro" $pg) $pooled -}}
{{- $url := printf "postgres://%s:$(DB_PASSWORD)@%s:5432/%s" $user $rw $svc -}}
{{- $roUrl := printf "postgres://%s:$(DB_PASSWORD)@%s:5432/%s" $user $ro $svc -}}
{{- $replicas := ternary (list $roUrl) (list) (gt (int $root.Values.postgres.instances) 1) -}}
{{- $entries = append $entries (dict "name" $cluster "primary" $url "replicas" $replicas) -}}
{{- end -}}
{{- toJson $entries -}}
{{- end -}}

{{/* The shard map: logical shards split evenly over the shard clusters, in order. */}}
{{- define "tessera.shardMap" -}}
{{- $n := int .Values.postgres.logicalShards -}}
{{- $shards := .Values.postgres.shards -}}
{{- $per := div (add $n (sub (len $shards) 1)) (len $shards) -}}
{{- $ranges := list -}}
{{- range $i, $s := $shards -}}
{{- $from := mul $i $per -}}
{{- $to := min (sub (mul (add $i 1) $per) 1) (sub $n 1) -}}
{{- $ranges = append $ranges (dict "from" $from "to" $to "cluster" $s) -}}
{{- end -}}
{{- toJson (dict "logicalShards" $n "ranges" $ranges) -}}
{{- end -}}

{{/* Redis Cluster startup nodes for ioredis. */}}
{{- define "tessera.redisUrl" -}}
{{- $name := include "tessera.name" (dict "root" .root "name" "redis") -}}
{{- $nodes := list -}}
{{- range $i := until (int .root.Values.redis.nodes) -}}
{{- $nodes = append $nodes (printf "%s-%d.%s:6379" $name $i $name) -}}
{{- end -}}
{{- printf "redis-cluster://%s:$(REDIS_PASSWORD)@%s" .user (join "," $nodes) -}}
{{- end -}}

{{/*
REDIS_PASSWORD (the process's own Redis user, from its Secret) and REDIS_URL, which names that user and
takes the password by dependent expansion; memory:// when the chart runs no Redis. (dict "root" $ "user" "edge")
*/}}
{{/* REDISCLI_AUTH for Redis pods and the init Job: redis-cli (start.sh, probes, cluster create) signs in as the default user. */}}
{{- define "tessera.redisAdminEnv" -}}
- name: REDISCLI_AUTH
  valueFrom:
    secretKeyRef:
      name: {{ include "tessera.name" (dict "root" . "name" "redis-admin") }}
      key: password
{{- end -}}

{{- define "tessera.redisEnv" -}}
{{- if .root.Values.redis.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "tessera.name" (dict "root" .root "name" (printf "redis-%s" .user)) }}
      key: password
- name: REDIS_URL
  value: {{ include "tessera.redisUrl" . | quote }}
{{- else }}
- name: REDIS_URL
  value: "memory://"
{{- end }}
{{- end -}}

{{/* Restricted securityContext for every container. */}}
{{- define "tessera.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "tessera.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The service topology (files/topology.yaml): who calls whom, who pushes events
to whom, who uses Redis. The one source shared with the local runner and the
test fixtures. Use as: $topology := include "tessera.topology" $root | fromYaml
*/}}
{{- define "tessera.topology" -}}
{{ .Files.Get "files/topology.yaml" }}
{{- end }}

{{/* The gRPC address of a service for its callers. Call with (dict "root" $ "name" "catalog"). */}}
{{- define "tessera.grpcTarget" -}}
{{- printf "dns:///%s:%v" (include "tessera.name" (dict "root" .root "name" .name)) (index .root.Values.services .name).port -}}
{{- end }}

{{/*
Peer environment of a process from the topology: one <X>_TARGET per service it
calls, and EVENT_SUBSCRIBERS for the events it pushes. Call with (dict "root" $ "node" $node).
*/}}
{{- define "tessera.peerEnv" -}}
{{- $root := .root -}}
{{- range $callee, $variable := .node.calls }}
- name: {{ $variable }}
  value: {{ include "tessera.grpcTarget" (dict "root" $root "name" $callee) | quote }}
{{- end }}
{{- $subscribers := list }}
{{- range $subscriber, $types := .node.events }}
{{- $subscribers = append $subscribers (printf "%s=%s" (include "tessera.grpcTarget" (dict "root" $root "name" $subscriber)) $types) }}
{{- end }}
{{- if $subscribers }}
- name: EVENT_SUBSCRIBERS
  value: {{ join ";" $subscribers | quote }}
{{- end }}
{{- end }}

{{/*
"true" when the Prometheus operator's monitors should render: asked for (monitoring.serviceMonitors) and
their CRDs installed. Without the CRDs (Prometheus not installed yet, or at all) the release installs
without its monitors instead of failing; the next upgrade adds them.
*/}}
{{- define "tessera.monitors" -}}
{{- if and .Values.monitoring.serviceMonitors (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor") -}}true{{- end -}}
{{- end -}}

{{/* The component serving the public API (REST and gRPC): the edge, or in monolith mode the monolith. */}}
{{- define "tessera.front" -}}
{{- ternary "monolith" "edge" (eq .Values.mode "monolith") -}}
{{- end -}}

{{/* Non-empty when the public API is rendered: the edge is enabled, or the chart runs as one monolith. */}}
{{- define "tessera.hasFront" -}}
{{- if or .Values.edge.enabled (eq .Values.mode "monolith") }}true{{ end -}}
{{- end -}}

{{/*
An environment list (rendered YAML) with every name under a part's prefix, for the monolith, which gives each part
its own settings as <PART>__NAME: `$(VAR)` references follow their variable. Call with (dict "part" "orders" "env" $yaml).
*/}}
{{- define "tessera.prefixedEnv" -}}
{{- $prefix := printf "%s__" (upper .part) -}}
{{- $out := list -}}
{{- range (.env | fromYamlArray) }}
{{- $var := dict "name" (printf "%s%s" $prefix .name) }}
{{- if hasKey . "value" }}{{ $_ := set $var "value" (replace "$(" (printf "$(%s" $prefix) (toString .value)) }}{{ end }}
{{- if hasKey . "valueFrom" }}{{ $_ := set $var "valueFrom" .valueFrom }}{{ end }}
{{- $out = append $out $var }}
{{- end }}
{{- toYaml $out }}
{{- end -}}

{{/* Egress to webhook receivers (the notifications service's, or the monolith's): an egress rule list, indented for a policy. */}}
{{- define "tessera.webhookEgress" -}}
{{- $root := . }}
    {{- if $root.Values.networkPolicies.allowWebhookEgress }}
    # Webhooks go to the internet; the service itself refuses private and metadata addresses.
    - to:
        - ipBlock:
            cidr: 0.0.0.0/0
            except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, 100.64.0.0/10, 127.0.0.0/8]
      ports:
        - { protocol: TCP, port: 443 }
        {{- if $root.Values.webhooks.allowHttp }}
        - { protocol: TCP, port: 80 }
        {{- end }}
    {{- if $root.Values.webhooks.allowPrivate }}
    # Local clusters (webhooks.allowPrivate): receivers on private addresses, on any port (the service
    # allows them too); link-local (cloud metadata) stays closed.
    - to:
        - ipBlock: { cidr: 10.0.0.0/8 }
        - ipBlock: { cidr: 172.16.0.0/12 }
        - ipBlock: { cidr: 192.168.0.0/16 }
        - ipBlock: { cidr: 100.64.0.0/10 }
    {{- end }}
    {{- end }}
{{- end -}}
