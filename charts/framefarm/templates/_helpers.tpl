{{/* Names, labels and the per-namespace layout shared by the templates. */}}

{{- define "framefarm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "framefarm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "framefarm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "framefarm.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: framefarm
{{- end -}}

{{- define "framefarm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "framefarm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels every operator pod carries, whatever namespace its Deployment watches. */}}
{{- define "framefarm.operatorSelectorLabels" -}}
{{ include "framefarm.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "framefarm.operatorServiceAccount" -}}
{{- if .Values.operator.serviceAccount.create -}}
{{- default (printf "%s-operator" (include "framefarm.fullname" .)) .Values.operator.serviceAccount.name -}}
{{- else -}}
{{- required "operator.serviceAccount.name is required when operator.serviceAccount.create is false" .Values.operator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "framefarm.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .appVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "framefarm.operatorImage" -}}
{{- include "framefarm.image" (dict "image" .Values.operator.image "appVersion" .Chart.AppVersion) -}}
{{- end -}}

{{- define "framefarm.agentImage" -}}
{{- include "framefarm.image" (dict "image" .Values.agent.image "appVersion" .Chart.AppVersion) -}}
{{- end -}}

{{/* The namespaces with render pods: those watched, else the release namespace (JSON list). */}}
{{- define "framefarm.watchNamespaces" -}}
{{- if .Values.watchNamespaces -}}
{{- .Values.watchNamespaces | uniq | toJson -}}
{{- else -}}
{{- list .Release.Namespace | toJson -}}
{{- end -}}
{{- end -}}

{{/*
One operator Deployment per entry (JSON list): cluster-wide, one watching every namespace;
namespaced, one per watched namespace, since the operator watches one namespace or all.
Each entry: name, watch (namespace, "" for all), key (a label value), leaseName, leaseNamespace.
*/}}
{{- define "framefarm.instances" -}}
{{- $fullname := include "framefarm.fullname" . -}}
{{- $election := .Values.operator.leaderElection -}}
{{- $instances := list -}}
{{- if .Values.rbac.clusterWide -}}
{{- $instances = append $instances (dict "name" $fullname "watch" "" "key" "all" "leaseName" $election.leaseName "leaseNamespace" (default .Release.Namespace $election.namespace)) -}}
{{- else -}}
{{- $namespaces := include "framefarm.watchNamespaces" . | fromJsonArray -}}
{{- $many := gt (len $namespaces) 1 -}}
{{- range $namespace := $namespaces -}}
{{- $name := ternary (printf "%s-%s" $fullname $namespace | trunc 63 | trimSuffix "-") $fullname $many -}}
{{- $lease := ternary (printf "%s-%s" $election.leaseName $namespace) $election.leaseName $many -}}
{{- $instances = append $instances (dict "name" $name "watch" $namespace "key" $namespace "leaseName" $lease "leaseNamespace" (default $namespace $election.namespace)) -}}
{{- end -}}
{{- end -}}
{{- toJson $instances -}}
{{- end -}}

{{/* Namespaces holding a Lease of the operator (JSON list). */}}
{{- define "framefarm.leaseNamespaces" -}}
{{- $namespaces := list -}}
{{- range $instance := include "framefarm.instances" . | fromJsonArray -}}
{{- $namespaces = append $namespaces $instance.leaseNamespace -}}
{{- end -}}
{{- $namespaces | uniq | toJson -}}
{{- end -}}

{{/* Egress of the operator and the render pods: API server, storage, DNS. */}}
{{- define "framefarm.egressRules" -}}
{{- $policy := .Values.networkPolicy -}}
{{- range $endpoint := list $policy.apiServer $policy.storage }}
- ports:
  {{- range $port := $endpoint.ports }}
    - protocol: TCP
      port: {{ $port }}
  {{- end }}
  {{- with $endpoint.cidrs }}
  to:
    {{- range $cidr := . }}
    - ipBlock:
        cidr: {{ $cidr }}
    {{- end }}
  {{- end }}
{{- end }}
{{- if $policy.dns.enabled }}
- ports:
  {{- range $port := $policy.dns.ports }}
    - protocol: UDP
      port: {{ $port }}
    - protocol: TCP
      port: {{ $port }}
  {{- end }}
  to:
    - namespaceSelector:
        matchLabels: {{- toYaml $policy.dns.namespaceSelector | nindent 10 }}
      podSelector:
        matchLabels: {{- toYaml $policy.dns.podSelector | nindent 10 }}
{{- end }}
{{- end -}}
