/**
 * The operator's alerts: one source for the chart's PrometheusRule template, the plain rule files
 * under deploy/monitoring/, the promtool unit tests and the tests that drive them against a real
 * Prometheus (scripts/generate-monitoring.ts writes the files). Each alert compares one value (a
 * PromQL expression that returns series while the operator runs) with a threshold; thresholds, `for:`
 * durations, severities, the rate window and the selector of the operator's series are parameters,
 * which the chart takes from its values.
 */

export type Severity = 'critical' | 'warning' | 'info';

/** Where an alert's parameters go into its expression and text. */
export interface RuleContext {
  /** PromQL label matchers selecting the operator's series, e.g. `job="x",namespace="y"`. */
  sel: string;
  /** Window of rate() and increase(), e.g. `5m`. */
  window: string;
}

/** A series for a promtool unit test: labels (besides the selector's) and promtool's values notation. */
export interface TestSeries {
  metric: string;
  labels?: Record<string, string>;
  /** Per-interval increments of a counter, or the value of a gauge; see {@link AlertDefinition.input}. */
  values: string;
}

export interface AlertDefinition {
  name: string;
  /** What the alert says, one line; `{{ $labels.x }}` may name labels of the alert. */
  summary: string;
  /** More detail; `threshold` is the threshold as rendered (a number, or a chart expression). */
  description: (threshold: string) => string;
  /** The value the alert compares (must return series while the operator runs). */
  value: (c: RuleContext) => string;
  /** The comparison, e.g. `>`; with `fixed`, the threshold is not a parameter. */
  op: '>' | '<' | '==';
  /** A threshold that is not a parameter (e.g. `== 0` of a 0/1 gauge). */
  fixed?: number;
  /** Default threshold (a parameter), and what it measures, for values.yaml. */
  threshold?: { default: number; unit: string };
  for: string;
  severity: Severity;
  /**
   * promtool unit test input: series that make the value equal `level`, steadily, with a rate window
   * of `windowMinutes`. Counters are written as increments per minute (the test generator adds them up).
   */
  input: (level: number, windowMinutes: number) => TestSeries[];
  /** Label values the resulting alert carries besides the selector's (and severity). */
  alertLabels: Record<string, string>;
  /** The value aggregates the selector's labels away (default: it keeps them). */
  dropsSelectorLabels?: boolean;
  /** A level that must not fire and one that must, given the threshold. */
  levels: (threshold: number) => { quiet: number; firing: number };
  /** The input series are counters (rates are compared) rather than gauges. */
  counters?: boolean;
}

const CONTROLLER = 'logtoapplication';
/** Labels the operator's series are grouped by in the alerts (the identity of one installation). */
const BY = 'job, namespace';
/** The kinds whose Synced and Ready conditions the resource alerts watch. */
const RESOURCE_KINDS = 'LogtoApplication|LogtoRole|LogtoApiResource';

const above = (t: number) => ({ quiet: t, firing: t + 1 });
const ratio = (t: number) => ({ quiet: t * 0.8, firing: Math.min(1, t * 1.2 + 0.01) });
const rated = (t: number) => ({ quiet: t * 0.8, firing: t * 1.25 + 0.5 });
const quantile = (t: number) => ({ quiet: t, firing: t * 2 });

/** Histogram buckets whose 99th percentile is just under `level` (all observations in (level/2, level]). */
const histogram = (metric: string, labels: Record<string, string>, level: number): TestSeries[] => [
  { metric: `${metric}_bucket`, labels: { ...labels, le: String(level / 2) }, values: '0' },
  { metric: `${metric}_bucket`, labels: { ...labels, le: String(level) }, values: '100' },
  { metric: `${metric}_bucket`, labels: { ...labels, le: '+Inf' }, values: '100' },
];

/**
 * LogtoOperatorResourcesNotSynced / NotReady: resources of any kind whose `type` condition is not
 * True for a while, per kind and reason; `meaning` says what that costs, `example` is the reason
 * the rule's unit test drives.
 */
function resourcesNotAlert(type: 'Synced' | 'Ready', meaning: string, example: string): AlertDefinition {
  return {
    name: `LogtoOperatorResourcesNot${type}`,
    summary: `{{ $labels.reason }}: {{ $labels.kind }}s are not ${type}.`,
    description: (t) =>
      `More than ${t} {{ $labels.kind }}s have had ${type}={{ $labels.status }} with reason {{ $labels.reason }}: ${meaning}`,
    value: (c) =>
      `max by (${BY}, kind, status, reason) (logto_operator_resource_conditions{${c.sel},kind=~"${RESOURCE_KINDS}",type="${type}",status!="True"})`,
    op: '>',
    threshold: { default: 0, unit: 'resources' },
    for: '15m',
    severity: 'warning',
    input: (level) => [
      {
        metric: 'logto_operator_resource_conditions',
        labels: { kind: 'LogtoApplication', type, status: 'False', reason: example },
        values: String(level),
      },
    ],
    alertLabels: { kind: 'LogtoApplication', status: 'False', reason: example },
    levels: above,
  };
}

export const ALERTS: AlertDefinition[] = [
  {
    name: 'LogtoOperatorDown',
    summary: 'No replica of the logto-operator is up.',
    description: () =>
      'Prometheus has scraped no replica of the operator successfully: nothing reconciles LogtoApplications, their Secrets are not published or rotated, and applications deleted meanwhile keep their Logto applications.',
    value: (c) => `sum(up{${c.sel}}) or vector(0)`,
    op: '<',
    fixed: 1,
    for: '5m',
    severity: 'critical',
    input: (level) => [{ metric: 'up', labels: { instance: 'a' }, values: String(level) }],
    alertLabels: {},
    dropsSelectorLabels: true,
    levels: () => ({ quiet: 1, firing: 0 }),
  },
  {
    name: 'LogtoOperatorNoLeader',
    summary: 'No replica of the logto-operator holds the Lease {{ $labels.name }}.',
    description: () =>
      'Replicas are up but none leads: none reconciles. A Lease normally changes hands within its lease duration (15 s by default).',
    value: (c) => `sum by (${BY}, name) (leader_election_master_status{${c.sel}})`,
    op: '<',
    fixed: 1,
    for: '1m',
    severity: 'critical',
    input: (level) => [
      {
        metric: 'leader_election_master_status',
        labels: { name: 'logto-operator-leader' },
        values: String(level),
      },
    ],
    alertLabels: { name: 'logto-operator-leader' },
    levels: () => ({ quiet: 1, firing: 0 }),
  },
  {
    name: 'LogtoOperatorNoLogtoToken',
    summary: 'The logto-operator replica {{ $labels.instance }} cannot get a Logto access token.',
    description: () =>
      'The operator cannot sign in to Logto with its machine-to-machine credentials: Logto does not answer, or refuses the credentials (revoked, expired, or the application was deleted). No Logto call of its flag-configured connection can be made.',
    value: (c) => `logto_operator_logto_token_available{${c.sel}}`,
    op: '==',
    fixed: 0,
    for: '5m',
    severity: 'critical',
    input: (level) => [
      { metric: 'logto_operator_logto_token_available', labels: { instance: 'a' }, values: String(level) },
    ],
    alertLabels: { instance: 'a' },
    levels: () => ({ quiet: 1, firing: 0 }),
  },
  {
    name: 'LogtoOperatorCredentialsRefused',
    summary:
      'Logto refuses the credentials of the logto-operator ({{ $labels.kind }}: {{ $labels.reason }}).',
    description: () =>
      'Resources of kind {{ $labels.kind }} report {{ $labels.reason }}: Logto refused the machine-to-machine credentials they use (unknown client, wrong or expired secret) or the application lacks the Logto Management API access role. Nothing is converged through them until the credentials are fixed.',
    value: (c) =>
      `max by (${BY}, kind, reason) (logto_operator_resource_conditions{${c.sel},status="False",reason=~"Unauthorized|Forbidden"})`,
    op: '>',
    fixed: 0,
    for: '5m',
    severity: 'critical',
    input: (level) => [
      {
        metric: 'logto_operator_resource_conditions',
        labels: { kind: 'ClusterLogtoConnection', type: 'Ready', status: 'False', reason: 'Unauthorized' },
        values: String(level),
      },
    ],
    alertLabels: { kind: 'ClusterLogtoConnection', reason: 'Unauthorized' },
    levels: () => ({ quiet: 0, firing: 1 }),
  },
  {
    name: 'LogtoOperatorLogtoUnavailable',
    summary: 'Logto answers the logto-operator with errors ({{ $labels.connection }}).',
    description: (t) =>
      `More than ${t} of the Management API requests through {{ $labels.connection }} got no answer, a 5xx or a 429: Logto is down, overloaded or throttling the operator. Resources using it stay at Synced=False (LogtoUnavailable) and are retried with backoff.`,
    value: (c) => {
      const total = `sum by (${BY}, connection) (rate(logto_api_requests_total{${c.sel}}[${c.window}]))`;
      const failed = `sum by (${BY}, connection) (rate(logto_api_requests_total{${c.sel},code=~"5..|429|error"}[${c.window}]))`;
      return `(${failed} or ${total} * 0) / ${total}`;
    },
    op: '>',
    threshold: { default: 0.25, unit: 'fraction of the requests that fail' },
    for: '10m',
    severity: 'warning',
    counters: true,
    input: (level) => [
      {
        metric: 'logto_api_requests_total',
        labels: { connection: 'flags', operation: 'get_application', method: 'GET', code: '200' },
        values: String(Math.round(1000 * (1 - level))),
      },
      {
        metric: 'logto_api_requests_total',
        labels: { connection: 'flags', operation: 'get_application', method: 'GET', code: '503' },
        values: String(Math.round(1000 * level)),
      },
    ],
    alertLabels: { connection: 'flags' },
    levels: ratio,
  },
  resourcesNotAlert(
    'Synced',
    "their spec is not applied in Logto. The reason says why (see the README's table of Synced reasons).",
    'RoleNotFound',
  ),
  resourcesNotAlert(
    'Ready',
    'for applications, their Secrets do not hold working credentials, so the workloads using them cannot sign in; for roles and API resources, the object is not there (or not theirs) in Logto, so the applications naming them wait.',
    'ConnectionNotReady',
  ),
  {
    name: 'LogtoOperatorConnectionNotReady',
    summary: 'The Logto connection {{ $labels.connection }} is not Ready.',
    description: () =>
      'The operator could not get a token from, or reach the Management API of, the tenant of {{ $labels.connection }}: the applications using it wait (ConnectionNotReady). Its Ready condition says why.',
    value: (c) => `max by (${BY}, connection) (logto_operator_connection_ready{${c.sel}})`,
    op: '==',
    fixed: 0,
    for: '10m',
    severity: 'warning',
    input: (level) => [
      {
        metric: 'logto_operator_connection_ready',
        labels: { connection: 'ClusterLogtoConnection/shared', reason: level ? 'Available' : 'Unauthorized' },
        values: String(level),
      },
    ],
    alertLabels: { connection: 'ClusterLogtoConnection/shared' },
    levels: () => ({ quiet: 1, firing: 0 }),
  },
  {
    name: 'LogtoOperatorReconcileErrors',
    summary: 'Reconciles of {{ $labels.controller }} fail.',
    description: (t) =>
      `More than ${t} of the reconciles of {{ $labels.controller }} end in an error (retried with backoff). LogtoOperatorResourcesNotSynced names the reasons; the operator's logs name the resources.`,
    value: (c) =>
      `sum by (${BY}, controller) (rate(controller_runtime_reconcile_errors_total{${c.sel}}[${c.window}])) / sum by (${BY}, controller) (rate(controller_runtime_reconcile_total{${c.sel}}[${c.window}]))`,
    op: '>',
    threshold: { default: 0.2, unit: 'fraction of the reconciles that fail' },
    for: '15m',
    severity: 'warning',
    counters: true,
    input: (level): TestSeries[] => [
      {
        metric: 'controller_runtime_reconcile_total',
        labels: { controller: CONTROLLER, result: 'error' },
        values: String(Math.round(1000 * level)),
      },
      {
        metric: 'controller_runtime_reconcile_total',
        labels: { controller: CONTROLLER, result: 'success' },
        values: String(Math.round(1000 * (1 - level))),
      },
      {
        metric: 'controller_runtime_reconcile_errors_total',
        labels: { controller: CONTROLLER },
        values: String(Math.round(1000 * level)),
      },
    ],
    alertLabels: { controller: CONTROLLER },
    levels: ratio,
  },
  {
    name: 'LogtoOperatorWorkQueueDepthHigh',
    summary: 'The work queue {{ $labels.name }} keeps growing.',
    description: (t) =>
      `More than ${t} resources have been waiting for a worker: the operator reconciles more slowly than changes arrive (slow Logto or apiserver, too few workers for the number of resources).`,
    value: (c) => `max by (${BY}, name) (workqueue_depth{${c.sel}})`,
    op: '>',
    threshold: { default: 100, unit: 'keys waiting' },
    for: '15m',
    severity: 'warning',
    input: (level) => [{ metric: 'workqueue_depth', labels: { name: CONTROLLER }, values: String(level) }],
    alertLabels: { name: CONTROLLER },
    levels: above,
  },
  {
    name: 'LogtoOperatorWorkQueueLatencyHigh',
    summary: 'Resources wait long in the work queue {{ $labels.name }}.',
    description: (t) =>
      `The 99th percentile of the time a resource waits before a worker takes it has been above ${t} s: changes take that long to be acted on.`,
    value: (c) =>
      `histogram_quantile(0.99, sum by (${BY}, name, le) (rate(workqueue_queue_duration_seconds_bucket{${c.sel}}[${c.window}])))`,
    op: '>',
    threshold: { default: 60, unit: 'seconds' },
    for: '15m',
    severity: 'warning',
    counters: true,
    input: (level) => histogram('workqueue_queue_duration_seconds', { name: CONTROLLER }, level),
    alertLabels: { name: CONTROLLER },
    levels: quantile,
  },
  {
    name: 'LogtoOperatorReconcileSlow',
    summary: 'Reconciles of {{ $labels.controller }} are slow.',
    description: (t) =>
      `The 99th percentile of the duration of one reconcile has been above ${t} s: Logto or the apiserver answer slowly, or requests time out and are retried.`,
    value: (c) =>
      `histogram_quantile(0.99, sum by (${BY}, controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket{${c.sel}}[${c.window}])))`,
    op: '>',
    threshold: { default: 30, unit: 'seconds' },
    for: '15m',
    severity: 'warning',
    counters: true,
    input: (level) =>
      histogram('controller_runtime_reconcile_time_seconds', { controller: CONTROLLER }, level),
    alertLabels: { controller: CONTROLLER },
    levels: quantile,
  },
  {
    name: 'LogtoOperatorWorkerStuck',
    summary: 'A worker of {{ $labels.name }} has held one resource for long.',
    description: (t) =>
      `A reconcile has been running for more than ${t} s, although every Kubernetes and Logto request it makes is bounded by a timeout: a worker is stuck, and fewer are left for the others.`,
    value: (c) => `max by (${BY}, name) (workqueue_longest_running_processor_seconds{${c.sel}})`,
    op: '>',
    threshold: { default: 300, unit: 'seconds' },
    for: '5m',
    severity: 'warning',
    input: (level) => [
      {
        metric: 'workqueue_longest_running_processor_seconds',
        labels: { name: CONTROLLER },
        values: String(level),
      },
    ],
    alertLabels: { name: CONTROLLER },
    levels: above,
  },
  {
    name: 'LogtoOperatorEventsDropped',
    summary: 'The logto-operator drops Kubernetes Events ({{ $labels.reason }}).',
    description: (t) =>
      `More than ${t} Events were not written within the rate window (reason {{ $labels.reason }}): the apiserver is slow (overflow) or refuses them (failed). Users miss the Warning events that explain failures; conditions are still written.`,
    value: (c) =>
      `sum by (${BY}, reason) (increase(logto_operator_events_dropped_total{${c.sel}}[${c.window}]))`,
    op: '>',
    threshold: { default: 0, unit: 'Events per rate window' },
    for: '1m',
    severity: 'warning',
    counters: true,
    input: (level, windowMinutes) => [
      {
        metric: 'logto_operator_events_dropped_total',
        labels: { reason: 'overflow' },
        values: String(level / windowMinutes),
      },
    ],
    alertLabels: { reason: 'overflow' },
    levels: rated,
  },
  {
    name: 'LogtoOperatorWatchRestartsLooping',
    summary: 'Watches of {{ $labels.informer }} restart in a loop.',
    description: (t) =>
      `The watch of {{ $labels.informer }} has been ending more than ${t} times a minute (a watch normally lasts 5 to 10 minutes): the apiserver, a proxy or the network ends it early, and each restart may cost a full list.`,
    value: (c) =>
      `sum by (${BY}, informer) (rate(logto_operator_watch_restarts_total{${c.sel}}[${c.window}])) * 60`,
    op: '>',
    threshold: { default: 1, unit: 'restarts per minute' },
    for: '15m',
    severity: 'warning',
    counters: true,
    input: (level) => [
      {
        metric: 'logto_operator_watch_restarts_total',
        labels: { informer: 'logtoapplications.logto.io in all namespaces', reason: 'error' },
        values: String(level),
      },
    ],
    alertLabels: { informer: 'logtoapplications.logto.io in all namespaces' },
    levels: rated,
  },
];

export type AlertName = (typeof ALERTS)[number]['name'];

export interface AlertParams {
  enabled: boolean;
  for: string;
  severity: Severity;
  /** Only for alerts with a threshold parameter. */
  threshold?: number;
}

export interface RuleParams {
  selector: string;
  rateWindow: string;
  /** Each alert's runbook_url is `<runbookBaseUrl>/<alert>.md`; empty: only the `runbook` path. */
  runbookBaseUrl: string;
  alerts: Record<string, AlertParams>;
}

/** The rule group's name. */
export const GROUP_NAME = 'logto-operator';
/** Where the runbooks are, relative to the repository. */
export const RUNBOOK_DIR = 'docs/runbooks';
export const DEFAULT_RATE_WINDOW = '5m';

export function defaultAlertParams(): Record<string, AlertParams> {
  return Object.fromEntries(
    ALERTS.map((a) => [
      a.name,
      {
        enabled: true,
        for: a.for,
        severity: a.severity,
        ...(a.threshold ? { threshold: a.threshold.default } : {}),
      },
    ]),
  );
}

export function defaultRuleParams(selector: string): RuleParams {
  return { selector, rateWindow: DEFAULT_RATE_WINDOW, runbookBaseUrl: '', alerts: defaultAlertParams() };
}

const thresholdOf = (alert: AlertDefinition, params: AlertParams | undefined) =>
  alert.fixed ?? params?.threshold ?? alert.threshold!.default;

/** The alert's expression: its value compared with the threshold. */
export function alertExpression(alert: AlertDefinition, c: RuleContext, threshold: string): string {
  const value = alert.value(c);
  // A value that is a vector union needs parentheses before a comparison binds to its last operand.
  const wrapped = / or |\) \/ /.test(value) ? `(${value})` : value;
  return `${wrapped} ${alert.op} ${threshold}`;
}

export interface PrometheusRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The alerting rules with concrete parameters (the rule file's `groups`). */
export function ruleGroups(params: RuleParams): { name: string; rules: PrometheusRule[] }[] {
  const c = { sel: params.selector, window: params.rateWindow };
  const rules = ALERTS.filter((a) => params.alerts[a.name]?.enabled ?? true).map((alert) => {
    const p = params.alerts[alert.name];
    const threshold = String(thresholdOf(alert, p));
    return {
      alert: alert.name,
      expr: alertExpression(alert, c, threshold),
      for: p?.for ?? alert.for,
      labels: { severity: p?.severity ?? alert.severity },
      annotations: annotations(alert, threshold, params.runbookBaseUrl),
    };
  });
  return [{ name: GROUP_NAME, rules }];
}

function annotations(
  alert: AlertDefinition,
  threshold: string,
  runbookBaseUrl: string,
): Record<string, string> {
  return {
    summary: alert.summary,
    description: alert.description(threshold),
    runbook: `${RUNBOOK_DIR}/${alert.name}.md`,
    ...(runbookBaseUrl ? { runbook_url: `${runbookBaseUrl.replace(/\/+$/, '')}/${alert.name}.md` } : {}),
  };
}

/**
 * The chart's templates/prometheusrule.yaml: the same rules, with the parameters read from
 * `.Values.prometheusRule` and Prometheus' own templates (`{{ $labels.x }}`) escaped from Helm.
 */
export function helmPrometheusRuleTemplate(): string {
  const escape = (text: string) =>
    text.replace(/\{\{(.*?)\}\}/g, (_, inner: string) => `{{\`{{${inner}}}\`}}`);
  const quoted = (text: string) => JSON.stringify(text);
  const c: RuleContext = { sel: '@@SEL@@', window: '{{ $window }}' };
  const lines = [
    '{{- /* Generated by `npm run generate:monitoring` from src/monitoring/alerts.ts: edit that, not this. */ -}}',
    '{{- if .Values.prometheusRule.enabled }}',
    '{{- $values := .Values.prometheusRule }}',
    '{{- $sel := include "logto-operator.metricsSelector" . }}',
    '{{- $window := $values.rateWindow }}',
    'apiVersion: monitoring.coreos.com/v1',
    'kind: PrometheusRule',
    'metadata:',
    '  name: {{ include "logto-operator.fullname" . }}',
    '  namespace: {{ .Release.Namespace }}',
    '  labels:',
    '    {{- include "logto-operator.labels" . | nindent 4 }}',
    '    {{- with $values.labels }}',
    '    {{- toYaml . | nindent 4 }}',
    '    {{- end }}',
    '  {{- with $values.annotations }}',
    '  annotations:',
    '    {{- toYaml . | nindent 4 }}',
    '  {{- end }}',
    'spec:',
    '  groups:',
    `    - name: ${GROUP_NAME}`,
    '      rules:',
  ];
  for (const alert of ALERTS) {
    const threshold = alert.fixed !== undefined ? String(alert.fixed) : '{{ .threshold }}';
    const expr = alertExpression(alert, c, threshold).replace(/@@SEL@@/g, ' {{- $sel -}} ');
    const description = escape(alert.description('@@THRESHOLD@@')).replace(/@@THRESHOLD@@/g, threshold);
    lines.push(
      `        {{- with index $values.alerts ${quoted(alert.name)} }}`,
      '        {{- if .enabled }}',
      `        - alert: ${alert.name}`,
      '          expr: |-',
      `            ${expr}`,
      '          for: {{ .for | quote }}',
      '          labels:',
      '            severity: {{ .severity | quote }}',
      '            {{- with $values.additionalAlertLabels }}',
      '            {{- toYaml . | nindent 12 }}',
      '            {{- end }}',
      '          annotations:',
      `            summary: ${quoted(escape(alert.summary))}`,
      `            description: ${quoted(description)}`,
      `            runbook: ${quoted(`${RUNBOOK_DIR}/${alert.name}.md`)}`,
      '            {{- with $values.runbookBaseUrl }}',
      `            runbook_url: {{ printf "%s/%s.md" (trimSuffix "/" .) ${quoted(alert.name)} | quote }}`,
      '            {{- end }}',
      '        {{- end }}',
      '        {{- end }}',
    );
  }
  lines.push('{{- end }}', '');
  return lines.join('\n');
}
