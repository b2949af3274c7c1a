{{/*
Names. Kubernetes caps object names and label values at 63 characters, so every name is truncated,
and a suffixed name truncates its base first so the suffix (which tells objects apart) survives.
*/}}
{{- define "rcg.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "rcg.fullname" -}}
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

{{/* "<fullname>-<suffix>", at most 63 characters. Call with (dict "root" $ "suffix" "ca"). */}}
{{- define "rcg.suffixedName" -}}
{{- $base := include "rcg.fullname" .root | trunc (int (sub 62 (len .suffix))) | trimSuffix "-" -}}
{{- printf "%s-%s" $base .suffix -}}
{{- end -}}

{{- define "rcg.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object; the component label is added per object ("webhook" by default). */}}
{{- define "rcg.commonLabels" -}}
helm.sh/chart: {{ include "rcg.chart" . }}
app.kubernetes.io/name: {{ include "rcg.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: runtimeclass-guard
{{- end -}}

{{- define "rcg.labels" -}}
{{ include "rcg.commonLabels" . }}
app.kubernetes.io/component: webhook
{{- end -}}

{{/* Labels that select the webhook Pods; never change them in an upgrade (Deployment selectors are immutable). */}}
{{- define "rcg.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rcg.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{/* Object names shared between templates, defined once so references cannot drift. */}}
{{- define "rcg.serviceName" -}}{{ include "rcg.fullname" . }}{{- end -}}
{{- define "rcg.serviceAccountName" -}}{{ include "rcg.fullname" . }}{{- end -}}
{{- define "rcg.selfSignedIssuerName" -}}{{ include "rcg.suffixedName" (dict "root" . "suffix" "selfsigned") }}{{- end -}}
{{- define "rcg.caName" -}}{{ include "rcg.suffixedName" (dict "root" . "suffix" "ca") }}{{- end -}}
{{- define "rcg.scanLeaseName" -}}{{ include "rcg.suffixedName" (dict "root" . "suffix" "scan") }}{{- end -}}
{{- define "rcg.servingCertificateName" -}}{{ include "rcg.suffixedName" (dict "root" . "suffix" "serving") }}{{- end -}}

{{/*
The backstop admission policies are "<prefix>-enforce", "-warn", "-audit" and "-default"; the prefix leaves room for
the longest suffix within 63 characters, and the webhook is told the same prefix.
*/}}
{{- define "rcg.backstopPrefix" -}}{{ include "rcg.fullname" . | trunc 54 | trimSuffix "-" }}{{- end -}}
{{- define "rcg.backstopLeaseName" -}}{{ include "rcg.suffixedName" (dict "root" . "suffix" "backstop") }}{{- end -}}

{{/*
What a Pod webhook does when it gets no answer: the value set, or by default Ignore with the backstop on (the
apiserver's own admission policies hold what CEL can express) and Fail without it.
*/}}
{{- define "rcg.podFailurePolicy" -}}
{{- .hook.failurePolicy | default (ternary "Ignore" "Fail" .root.Values.backstop.enabled) -}}
{{- end -}}

{{/* The Secret holding tls.crt and tls.key: cert-manager's, or the one brought by the user. */}}
{{- define "rcg.tlsSecretName" -}}
{{- if .Values.certManager.enabled -}}
{{- include "rcg.suffixedName" (dict "root" . "suffix" "tls") -}}
{{- else -}}
{{- required "tls.existingSecret is required when certManager.enabled is false" .Values.tls.existingSecret -}}
{{- end -}}
{{- end -}}

{{/*
Fails the render when cert-manager is off and the certificate to serve, or the CA the apiserver
must trust, is missing: an unverifiable webhook with failurePolicy Fail blocks every governed Pod.
*/}}
{{- define "rcg.validateTls" -}}
{{- if not .Values.certManager.enabled -}}
{{- if not .Values.tls.existingSecret -}}
{{- fail "certManager.enabled is false: set tls.existingSecret to a kubernetes.io/tls Secret in the release namespace (or enable cert-manager)" -}}
{{- end -}}
{{- if not .Values.tls.caBundle -}}
{{- fail "certManager.enabled is false: set tls.caBundle to the base64 PEM of the CA that signed tls.existingSecret, so the apiserver can verify the webhook (or enable cert-manager)" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "rcg.validateMtls" -}}
{{- if and .Values.admission.mtls.enabled (not .Values.admission.mtls.clientCaSecret) -}}
{{- fail "admission.mtls.enabled is true: set admission.mtls.clientCaSecret to a Secret in the release namespace holding the CA that signs the apiserver's client certificate" -}}
{{- end -}}
{{- end -}}

{{/*
How the apiserver learns to trust the webhook: cert-manager's cainjector copies ca.crt from the
serving Certificate's Secret, which is the CA that signed the certificate being served. Injecting
from the serving Certificate keeps the caBundle and the served certificate from the same issuance,
and the CA keeps its key across renewals (certmanager-ca-certificate.yaml), so neither a serving
certificate renewal nor a CA renewal leaves the apiserver distrusting the webhook.
*/}}
{{- define "rcg.caInjectFrom" -}}
{{- printf "%s/%s" .Release.Namespace (include "rcg.servingCertificateName" .) -}}
{{- end -}}

{{/* clientConfig for one path of the webhook Service. Call with (dict "root" $ "path" "/mutate"). */}}
{{- define "rcg.clientConfig" -}}
clientConfig:
  service:
    name: {{ include "rcg.serviceName" .root }}
    namespace: {{ .root.Release.Namespace }}
    path: {{ .path }}
    port: 443
  {{- if not .root.Values.certManager.enabled }}
  caBundle: {{ .root.Values.tls.caBundle | nospace }}
  {{- end }}
{{- end -}}

{{/*
Namespaces never sent to the Pod and workload webhooks. The release namespace is always among them:
the webhook's own Pods must start while the webhook is down, or it could never recover.
*/}}
{{- define "rcg.excludedNamespaces" -}}
{{- $names := list "kube-system" "kube-node-lease" .Release.Namespace -}}
{{- $names = concat $names .Values.webhooks.excludedNamespaces | uniq -}}
{{- toJson $names -}}
{{- end -}}

{{/*
Seconds the apiserver waits for each stage, read by the latency alert and the dashboard so both hold the
same budget. /validate serves the Pod, workload and policy validating webhooks: the shortest of their
timeouts is the one it must meet.
*/}}
{{- define "rcg.timeoutSeconds.mutate" -}}
{{- .Values.webhooks.pods.mutate.timeoutSeconds -}}
{{- end -}}
{{- define "rcg.timeoutSeconds.validate" -}}
{{- $hooks := .Values.webhooks -}}
{{- min $hooks.pods.validate.timeoutSeconds $hooks.workloads.timeoutSeconds $hooks.policies.timeoutSeconds -}}
{{- end -}}

{{/*
PromQL label matchers for this release's scrape targets: what the chart's ServiceMonitor produces
(Prometheus Operator names the job after the Service), unless prometheusRule.targetSelector says otherwise.
*/}}
{{- define "rcg.targetSelector" -}}
{{- .Values.prometheusRule.targetSelector | default (printf "namespace=%q,job=%q" .Release.Namespace (include "rcg.serviceName" .)) -}}
{{- end -}}
