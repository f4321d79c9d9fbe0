{{/* Chart name, overridable. */}}
{{- define "logto-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's resources: the release name if it already contains the chart name. */}}
{{- define "logto-operator.fullname" -}}
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

{{- define "logto-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "logto-operator.labels" -}}
helm.sh/chart: {{ include "logto-operator.chart" . }}
{{ include "logto-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: logto-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the operator's pods. */}}
{{- define "logto-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "logto-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "logto-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "logto-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "logto-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "logto-operator.leaseName" -}}
{{- default (printf "%s-leader" (include "logto-operator.fullname" .)) .Values.leaderElection.leaseName }}
{{- end }}

{{/* PromQL matchers selecting the operator's series: the labels the ServiceMonitor gives them. */}}
{{- define "logto-operator.metricsSelector" -}}
{{- default (printf "job=%q,namespace=%q" (printf "%s-metrics" (include "logto-operator.fullname" .)) .Release.Namespace) .Values.prometheusRule.selector }}
{{- end }}

{{- define "logto-operator.credentialsSecret" -}}
{{- required "logto.credentials.existingSecret is required: the Secret with the M2M app's credentials" .Values.logto.credentials.existingSecret }}
{{- end }}

{{/*
What the operator does in each watched namespace (or cluster-wide), from the calls it makes:
- LogtoApplications: informer list/watch; the finalizer is added with a server-side apply and removed
  with a JSON patch (patch); get for tools and retries.
- status: server-side apply of .status (patch).
- finalizers: the published Secret's ownerReference sets blockOwnerDeletion, which clusters enforcing
  OwnerReferencesPermissionEnforcement only allow with update on the owner's finalizers.
- Secrets: informer on the Secrets it owns (list/watch), reads of a target Secret before taking it
  over (get), server-side apply (create/patch), removal of a renamed one (delete).
- Events: created, and patched to bump the count of a repeat.
- LogtoApiResources and LogtoRoles: as LogtoApplications (informer, finalizer, status); their
  finalizers too, for owner references with blockOwnerDeletion that point at them.
- LogtoGrants: informer only (read): the operator never writes them.
*/}}
{{- define "logto-operator.managerRules" -}}
- apiGroups: ["logto.io"]
  resources: ["logtoapplications"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["logto.io"]
  resources: ["logtoapplications/status"]
  verbs: ["patch"]
- apiGroups: ["logto.io"]
  resources: ["logtoapplications/finalizers"]
  verbs: ["update"]
- apiGroups: ["logto.io"]
  resources: ["logtoapiresources", "logtoroles"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["logto.io"]
  resources: ["logtoapiresources/status", "logtoroles/status"]
  verbs: ["patch"]
- apiGroups: ["logto.io"]
  resources: ["logtoapiresources/finalizers", "logtoroles/finalizers"]
  verbs: ["update"]
- apiGroups: ["logto.io"]
  resources: ["logtogrants"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["logto.io"]
  resources: ["logtoconnections"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["logto.io"]
  resources: ["logtoconnections/status"]
  verbs: ["patch"]
- apiGroups: ["logto.io"]
  resources: ["logtoconnections/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* Fails the render on combinations that cannot work. */}}
{{- define "logto-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicaCount > 1 requires leaderElection.enabled: two active operators would fight over every resource" }}
{{- end }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.shutdownTimeoutSeconds) }}
{{- fail "terminationGracePeriodSeconds must exceed shutdownTimeoutSeconds, or Kubernetes kills the operator mid-shutdown" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled requires metrics.service.enabled" }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (not (kindIs "invalid" .Values.podDisruptionBudget.minAvailable)) (not (kindIs "invalid" .Values.podDisruptionBudget.maxUnavailable)) }}
{{- fail "podDisruptionBudget: set either minAvailable or maxUnavailable (set the other to null)" }}
{{- end }}
{{- with .Values.metrics.serviceMonitor.tlsConfig }}
{{- if and .caSecret.name .insecureSkipVerify }}
{{- fail "metrics.serviceMonitor.tlsConfig: set insecureSkipVerify to false when caSecret.name verifies the certificate" }}
{{- end }}
{{- if and (not .caSecret.name) (not .insecureSkipVerify) }}
{{- fail "metrics.serviceMonitor.tlsConfig: insecureSkipVerify false requires caSecret.name (the CA that signed metrics.certSecret)" }}
{{- end }}
{{- end }}
{{- if eq (int .Values.metrics.port) (int .Values.probes.port) }}
{{- fail "metrics.port and probes.port must differ" }}
{{- end }}
{{- end }}
