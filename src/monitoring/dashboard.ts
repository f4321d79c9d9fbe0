/**
 * The operator's Grafana dashboard: one source for the chart's ConfigMap and deploy/monitoring/
 * (scripts/generate-monitoring.ts writes both). Every panel query selects the operator's series with
 * the dashboard's `job` and `namespace` variables; `metricsOnDashboard()` lists the metrics its
 * queries use, which the tests compare with what the operator exports.
 */

export const DASHBOARD_UID = 'logto-operator';
export const DASHBOARD_FILE = 'logto-operator.json';

/** The selector every query uses: the dashboard's variables. */
const S = 'job=~"$job",namespace=~"$namespace"';
const W = '$__rate_interval';

type Unit = 'short' | 's' | 'bytes' | 'percentunit' | 'reqps' | 'ops' | 'none';

interface Target {
  expr: string;
  legend: string;
}

interface PanelSpec {
  title: string;
  description: string;
  type: 'timeseries' | 'stat';
  unit: Unit;
  targets: Target[];
  /** Grid width (of 24); height is fixed per type. */
  width: number;
  stacked?: boolean;
  /** Stat colours: values at or above `red` are red (or below, with `lowIsBad`). */
  thresholds?: { red: number; lowIsBad?: boolean };
}

interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

const t = (expr: string, legend: string): Target => ({ expr, legend });
const rate = (metric: string, matchers = '') =>
  `rate(${metric}{${S}${matchers ? `,${matchers}` : ''}}[${W}])`;
const p99 = (metric: string, by: string) =>
  `histogram_quantile(0.99, sum by (${by}, le) (${rate(`${metric}_bucket`)}))`;
const p50 = (metric: string, by: string) =>
  `histogram_quantile(0.5, sum by (${by}, le) (${rate(`${metric}_bucket`)}))`;

const ROWS: RowSpec[] = [
  {
    title: 'Overview',
    panels: [
      {
        title: 'Replicas up',
        description: 'Replicas Prometheus scrapes successfully.',
        type: 'stat',
        unit: 'short',
        width: 4,
        thresholds: { red: 1, lowIsBad: true },
        targets: [t(`sum(up{${S}})`, 'up')],
      },
      {
        title: 'Leader',
        description: 'Replicas holding the Lease: 1 when healthy (leader_election_master_status).',
        type: 'stat',
        unit: 'short',
        width: 4,
        thresholds: { red: 1, lowIsBad: true },
        targets: [t(`sum(leader_election_master_status{${S}})`, 'leading')],
      },
      {
        title: 'Logto token',
        description:
          'Replicas without a Logto access token (0 when healthy): Logto down or credentials refused.',
        type: 'stat',
        unit: 'short',
        width: 4,
        thresholds: { red: 1 },
        targets: [
          t(`count(logto_operator_logto_token_available{${S}} == 0) or vector(0)`, 'without a token'),
        ],
      },
      {
        title: 'Applications not Synced',
        description: 'LogtoApplications whose Synced condition is not True.',
        type: 'stat',
        unit: 'short',
        width: 4,
        thresholds: { red: 1 },
        targets: [
          t(
            `max(sum by (instance) (logto_operator_resource_conditions{${S},kind="LogtoApplication",type="Synced",status!="True"}))`,
            'not Synced',
          ),
        ],
      },
      {
        title: 'Connections not Ready',
        description: 'LogtoConnections and ClusterLogtoConnections whose Ready condition is not True.',
        type: 'stat',
        unit: 'short',
        width: 4,
        thresholds: { red: 1 },
        targets: [
          t(
            `count(max by (connection) (logto_operator_connection_ready{${S}}) == 0) or vector(0)`,
            'not Ready',
          ),
        ],
      },
      {
        title: 'Events dropped (1h)',
        description: 'Kubernetes Events the operator could not write in the last hour.',
        type: 'stat',
        unit: 'short',
        width: 4,
        thresholds: { red: 1 },
        targets: [t(`sum(increase(logto_operator_events_dropped_total{${S}}[1h]))`, 'dropped')],
      },
    ],
  },
  {
    title: 'Reconciles',
    panels: [
      {
        title: 'Reconciles by result',
        description: 'success, error (retried with backoff), requeue, requeue_after (next resync).',
        type: 'timeseries',
        unit: 'ops',
        width: 8,
        stacked: true,
        targets: [
          t(
            `sum by (controller, result) (${rate('controller_runtime_reconcile_total')})`,
            '{{controller}} {{result}}',
          ),
        ],
      },
      {
        title: 'Reconcile errors',
        description: 'Failed reconciles per second (each retried with backoff).',
        type: 'timeseries',
        unit: 'ops',
        width: 8,
        targets: [
          t(
            `sum by (controller) (${rate('controller_runtime_reconcile_errors_total')})`,
            '{{controller}} errors/s',
          ),
        ],
      },
      {
        title: 'Reconcile duration',
        description: 'Median and 99th percentile of one reconcile.',
        type: 'timeseries',
        unit: 's',
        width: 8,
        targets: [
          t(p50('controller_runtime_reconcile_time_seconds', 'controller'), '{{controller}} p50'),
          t(p99('controller_runtime_reconcile_time_seconds', 'controller'), '{{controller}} p99'),
        ],
      },
      {
        title: 'Workers',
        description: 'Reconciles running now, of the workers configured (--concurrency).',
        type: 'timeseries',
        unit: 'short',
        width: 8,
        targets: [
          t(`sum by (controller) (controller_runtime_active_workers{${S}})`, '{{controller}} active'),
          t(`max by (controller) (controller_runtime_max_concurrent_reconciles{${S}})`, '{{controller}} max'),
        ],
      },
      {
        title: 'Sweep',
        description: 'Logto applications the sweep deleted or unmarked: duplicates and orphans.',
        type: 'timeseries',
        unit: 'short',
        width: 8,
        targets: [
          t(
            `sum by (kind, action) (increase(logto_operator_swept_applications_total{${S}}[${W}]))`,
            '{{kind}} {{action}}',
          ),
        ],
      },
    ],
  },
  {
    title: 'Work queue',
    panels: [
      {
        title: 'Queue depth',
        description: 'Keys waiting for a worker.',
        type: 'timeseries',
        unit: 'short',
        width: 8,
        targets: [t(`max by (name) (workqueue_depth{${S}})`, '{{name}}')],
      },
      {
        title: 'Adds and retries',
        description: 'Keys queued, and rate-limited requeues (errors, requeue).',
        type: 'timeseries',
        unit: 'ops',
        width: 8,
        targets: [
          t(`sum by (name) (${rate('workqueue_adds_total')})`, '{{name}} adds'),
          t(`sum by (name) (${rate('workqueue_retries_total')})`, '{{name}} retries'),
        ],
      },
      {
        title: 'Queue latency and work duration (p99)',
        description: 'How long a key waits before a worker takes it, and how long a worker holds it.',
        type: 'timeseries',
        unit: 's',
        width: 8,
        targets: [
          t(p99('workqueue_queue_duration_seconds', 'name'), '{{name}} waiting'),
          t(p99('workqueue_work_duration_seconds', 'name'), '{{name}} working'),
        ],
      },
      {
        title: 'Unfinished work',
        description:
          'Time in-flight keys have been held, in total and the longest: a stuck worker grows here.',
        type: 'timeseries',
        unit: 's',
        width: 12,
        targets: [
          t(`max by (name) (workqueue_unfinished_work_seconds{${S}})`, '{{name}} total'),
          t(`max by (name) (workqueue_longest_running_processor_seconds{${S}})`, '{{name}} longest'),
        ],
      },
    ],
  },
  {
    title: 'Logto',
    panels: [
      {
        title: 'Logto requests by operation and status',
        description: 'Management API attempts (retries counted); code "error" when no answer came.',
        type: 'timeseries',
        unit: 'reqps',
        width: 12,
        stacked: true,
        targets: [
          t(`sum by (operation, code) (${rate('logto_api_requests_total')})`, '{{operation}} {{code}}'),
        ],
      },
      {
        title: 'Logto failures by connection',
        description: 'Share of attempts per connection with no answer, a 5xx or a 429.',
        type: 'timeseries',
        unit: 'percentunit',
        width: 12,
        targets: [
          t(
            `(sum by (connection) (${rate('logto_api_requests_total', 'code=~"5..|429|error"')}) or sum by (connection) (${rate('logto_api_requests_total')}) * 0) / sum by (connection) (${rate('logto_api_requests_total')})`,
            '{{connection}}',
          ),
        ],
      },
      {
        title: 'Logto request duration (p99)',
        description: 'By operation and connection.',
        type: 'timeseries',
        unit: 's',
        width: 12,
        targets: [
          t(
            p99('logto_api_request_duration_seconds', 'operation, connection'),
            '{{operation}} {{connection}}',
          ),
        ],
      },
      {
        title: 'Logto token available',
        description:
          '1 while a replica holds a Logto access token (flag-configured connection), 0 while it cannot get one.',
        type: 'timeseries',
        unit: 'short',
        width: 12,
        targets: [t(`logto_operator_logto_token_available{${S}}`, '{{instance}}')],
      },
    ],
  },
  {
    title: 'Resources and connections',
    panels: [
      {
        title: 'Resources by condition and reason',
        description: 'Cached LogtoApplications and connections by kind, condition type, status and reason.',
        type: 'timeseries',
        unit: 'short',
        width: 12,
        targets: [
          t(
            `max by (kind, type, status, reason) (logto_operator_resource_conditions{${S}})`,
            '{{kind}} {{type}}={{status}} {{reason}}',
          ),
        ],
      },
      {
        title: 'Connections',
        description: 'Each connection object: 1 Ready, 0 not Ready (the legend gives the Ready reason).',
        type: 'timeseries',
        unit: 'short',
        width: 12,
        targets: [
          t(
            `max by (connection, reason) (logto_operator_connection_ready{${S}})`,
            '{{connection}} {{reason}}',
          ),
        ],
      },
    ],
  },
  {
    title: 'Kubernetes',
    panels: [
      {
        title: 'Watch events',
        description: 'Watch events received, by informer and type.',
        type: 'timeseries',
        unit: 'ops',
        width: 8,
        targets: [
          t(
            `sum by (informer, type) (${rate('logto_operator_watch_events_total')})`,
            '{{informer}} {{type}}',
          ),
        ],
      },
      {
        title: 'Watch restarts, relists and list failures',
        description: 'Watches ended and resumed, by reason; full lists; failed lists.',
        type: 'timeseries',
        unit: 'short',
        width: 8,
        targets: [
          t(
            `sum by (informer, reason) (increase(logto_operator_watch_restarts_total{${S}}[${W}]))`,
            'restart {{informer}} {{reason}}',
          ),
          t(
            `sum by (informer, reason) (increase(logto_operator_relists_total{${S}}[${W}]))`,
            'relist {{informer}} {{reason}}',
          ),
          t(
            `sum by (informer) (increase(logto_operator_list_failures_total{${S}}[${W}]))`,
            'list failed {{informer}}',
          ),
        ],
      },
      {
        title: 'Events dropped',
        description: 'Kubernetes Events not written: overflow (apiserver slow), failed, shutdown.',
        type: 'timeseries',
        unit: 'short',
        width: 8,
        targets: [
          t(`sum by (reason) (increase(logto_operator_events_dropped_total{${S}}[${W}]))`, '{{reason}}'),
        ],
      },
    ],
  },
  {
    title: 'Process',
    panels: [
      {
        title: 'Memory',
        description: 'Resident memory, and the V8 heap used and allocated.',
        type: 'timeseries',
        unit: 'bytes',
        width: 8,
        targets: [
          t(`process_resident_memory_bytes{${S}}`, '{{instance}} resident'),
          t(`nodejs_heap_size_used_bytes{${S}}`, '{{instance}} heap used'),
          t(`nodejs_heap_size_total_bytes{${S}}`, '{{instance}} heap total'),
          t(`nodejs_external_memory_bytes{${S}}`, '{{instance}} external'),
        ],
      },
      {
        title: 'CPU',
        description: 'CPU seconds per second.',
        type: 'timeseries',
        unit: 'short',
        width: 8,
        targets: [t(rate('process_cpu_seconds_total'), '{{instance}}')],
      },
      {
        title: 'Event loop lag and GC',
        description: 'p99 event loop lag, and time spent in garbage collection per second.',
        type: 'timeseries',
        unit: 's',
        width: 8,
        targets: [
          t(`nodejs_eventloop_lag_p99_seconds{${S}}`, '{{instance}} lag p99'),
          t(`sum by (instance) (${rate('nodejs_gc_duration_seconds_sum')})`, '{{instance}} GC'),
        ],
      },
      {
        title: 'Handles and file descriptors',
        description: 'Active libuv handles, open file descriptors (of the maximum).',
        type: 'timeseries',
        unit: 'short',
        width: 12,
        targets: [
          t(`nodejs_active_handles_total{${S}}`, '{{instance}} handles'),
          t(`process_open_fds{${S}}`, '{{instance}} open fds'),
          t(`process_max_fds{${S}}`, '{{instance}} max fds'),
        ],
      },
      {
        title: 'Restarts',
        description: 'Process start time: a step is a restart.',
        type: 'timeseries',
        unit: 'short',
        width: 12,
        targets: [t(`time() - process_start_time_seconds{${S}}`, '{{instance}} uptime (s)')],
      },
    ],
  },
];

/** Every query of the dashboard, with its panel's title. */
export function dashboardQueries(): { panel: string; expr: string }[] {
  return ROWS.flatMap((row) =>
    row.panels.flatMap((p) => p.targets.map((target) => ({ panel: p.title, expr: target.expr }))),
  );
}

/** Metric names in a PromQL expression: identifiers directly followed by a selector's `{`. */
export function metricNames(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!);
}

/** The dashboard as Grafana imports it (JSON model). */
export function dashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({
      type: 'row',
      title: row.title,
      id: id++,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of row.panels) {
      const h = spec.type === 'stat' ? 4 : 8;
      if (x + spec.width > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push(panel(spec, id++, { h, w: spec.width, x, y }));
      x += spec.width;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  const variable = (name: string, label: string, query: string) => ({
    name,
    label,
    type: 'query',
    datasource: { type: 'prometheus', uid: '${datasource}' },
    definition: query,
    query: { query, refId: `${name}-variable` },
    refresh: 2,
    includeAll: true,
    multi: false,
    allValue: '.*',
    current: { selected: true, text: 'All', value: '$__all' },
    sort: 1,
  });
  return {
    uid: DASHBOARD_UID,
    title: 'logto-operator',
    description:
      'Reconciles, work queue, Logto calls, token, resources by condition, connections, Kubernetes watches and Events, and the process of the logto-operator.',
    tags: ['logto-operator', 'kubernetes', 'operator'],
    timezone: '',
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
          refresh: 1,
        },
        variable('namespace', 'Namespace', 'label_values(logto_operator_logto_token_available, namespace)'),
        variable(
          'job',
          'Job',
          'label_values(logto_operator_logto_token_available{namespace=~"$namespace"}, job)',
        ),
      ],
    },
    annotations: { list: [] },
    links: [],
    panels,
  };
}

function panel(spec: PanelSpec, id: number, gridPos: Record<string, number>): Record<string, unknown> {
  const thresholds = spec.thresholds
    ? spec.thresholds.lowIsBad
      ? [
          { color: 'red', value: null },
          { color: 'green', value: spec.thresholds.red },
        ]
      : [
          { color: 'green', value: null },
          { color: 'red', value: spec.thresholds.red },
        ]
    : [{ color: 'green', value: null }];
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos,
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        thresholds: { mode: 'absolute', steps: thresholds },
        ...(spec.type === 'timeseries'
          ? {
              custom: {
                drawStyle: 'line',
                lineWidth: 1,
                fillOpacity: spec.stacked ? 30 : 10,
                showPoints: 'never',
                stacking: { mode: spec.stacked ? 'normal' : 'none', group: 'A' },
              },
            }
          : { color: { mode: 'thresholds' } }),
      },
      overrides: [],
    },
    options:
      spec.type === 'stat'
        ? {
            reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
            colorMode: 'background',
            graphMode: 'none',
            textMode: 'value',
          }
        : {
            legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
            tooltip: { mode: 'multi', sort: 'desc' },
          },
    targets: spec.targets.map((target, index) => ({
      datasource: { type: 'prometheus', uid: '${datasource}' },
      expr: target.expr,
      legendFormat: target.legend,
      refId: String.fromCharCode(65 + index),
      ...(spec.type === 'stat' ? { instant: true } : { range: true }),
    })),
  };
}
