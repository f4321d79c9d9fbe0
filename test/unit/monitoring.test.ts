/**
 * The alerts and the dashboard agree with the code: the generated files are current, every alert has
 * its runbook and its values, every query names metrics the operator exports, and every metric worth
 * looking at is on the dashboard. (test/integration/monitoring.test.ts runs them on a real Prometheus.)
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { staleMonitoringFiles } from '../../scripts/generate-monitoring.js';
import { REPO_ROOT } from '../../scripts/render-manifests.js';
import { ALERTS, RUNBOOK_DIR, defaultAlertParams } from '../../src/monitoring/alerts.js';
import { dashboardQueries, metricNames } from '../../src/monitoring/dashboard.js';
import { OperatorMetrics } from '../../src/runtime/metrics.js';

/** Exported metrics an operator of it has no use for on the dashboard, and why. */
const NOT_ON_DASHBOARD: Record<string, string> = {
  process_cpu_user_seconds_total: 'process_cpu_seconds_total is their sum',
  process_cpu_system_seconds_total: 'process_cpu_seconds_total is their sum',
  process_virtual_memory_bytes: 'resident memory is what a limit applies to',
  process_heap_bytes: "V8's own heap figures are shown",
  nodejs_eventloop_lag_seconds: 'the p99 is shown',
  nodejs_eventloop_lag_min_seconds: 'the p99 is shown',
  nodejs_eventloop_lag_max_seconds: 'the p99 is shown',
  nodejs_eventloop_lag_mean_seconds: 'the p99 is shown',
  nodejs_eventloop_lag_stddev_seconds: 'the p99 is shown',
  nodejs_eventloop_lag_p50_seconds: 'the p99 is shown',
  nodejs_eventloop_lag_p90_seconds: 'the p99 is shown',
  nodejs_active_handles: 'nodejs_active_handles_total is their count',
  nodejs_active_requests: 'few and short-lived',
  nodejs_active_requests_total: 'few and short-lived',
  nodejs_active_resources: 'nodejs_active_handles_total covers them',
  nodejs_active_resources_total: 'nodejs_active_handles_total covers them',
  nodejs_heap_space_size_total_bytes: 'per V8 space: the heap totals are shown',
  nodejs_heap_space_size_used_bytes: 'per V8 space: the heap totals are shown',
  nodejs_heap_space_size_available_bytes: 'per V8 space: the heap totals are shown',
  nodejs_version_info: 'a constant',
};

async function exportedMetrics(): Promise<{ names: Set<string>; histograms: Set<string> }> {
  const metrics = new OperatorMetrics();
  const json = await metrics.registry.getMetricsAsJSON();
  return {
    names: new Set(json.map((m) => m.name)),
    histograms: new Set(json.filter((m) => String(m.type) === 'histogram').map((m) => m.name)),
  };
}

/** The exported metric a series name belongs to (a histogram's _bucket, _sum and _count). */
const family = (name: string, histograms: Set<string>) => {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return histograms.has(base) ? base : name;
};

describe('monitoring', () => {
  it('the generated files are current (run npm run generate:monitoring)', async () => {
    expect(await staleMonitoringFiles()).toEqual([]);
  });

  it('every alert has a runbook with the three parts, and every runbook an alert', async () => {
    const files = (await readdir(path.join(REPO_ROOT, RUNBOOK_DIR))).filter((f) => f !== 'README.md');
    expect(files.sort()).toEqual(ALERTS.map((a) => `${a.name}.md`).sort());
    const index = await readFile(path.join(REPO_ROOT, RUNBOOK_DIR, 'README.md'), 'utf8');
    for (const alert of ALERTS) {
      const page = await readFile(path.join(REPO_ROOT, RUNBOOK_DIR, `${alert.name}.md`), 'utf8');
      expect(page, alert.name).toMatch(new RegExp(`^# ${alert.name}\\n`));
      for (const section of ['## Meaning', '## Confirm', '## Act'])
        expect(page, `${alert.name}: ${section}`).toContain(section);
      expect(page, alert.name).toContain('kubectl');
      expect(index, alert.name).toContain(`(${alert.name}.md)`);
    }
  });

  it("values.yaml lists every alert with the generator's defaults", async () => {
    const values = parse(
      await readFile(path.join(REPO_ROOT, 'deploy/helm/logto-operator/values.yaml'), 'utf8'),
    ) as {
      prometheusRule: { enabled: boolean; alerts: unknown };
      grafanaDashboard: { enabled: boolean; labels: Record<string, string> };
    };
    expect(values.prometheusRule.enabled).toBe(false);
    expect(values.grafanaDashboard).toMatchObject({ enabled: false, labels: { grafana_dashboard: '1' } });
    expect(values.prometheusRule.alerts).toEqual(defaultAlertParams());
  });

  it('every dashboard and alert query names metrics the operator exports (or up)', async () => {
    const { names, histograms } = await exportedMetrics();
    const queries = [
      ...dashboardQueries().map((q) => ({ what: q.panel, expr: q.expr })),
      ...ALERTS.map((a) => ({ what: a.name, expr: a.value({ sel: 'job="x"', window: '5m' }) })),
    ];
    const unknown = queries.flatMap(({ what, expr }) =>
      metricNames(expr)
        .filter((name) => name !== 'up' && !names.has(family(name, histograms)))
        .map((name) => `${what}: ${name}`),
    );
    expect(unknown).toEqual([]);
    expect(queries.every(({ expr }) => metricNames(expr).length > 0)).toBe(true);
  });

  it('every exported metric is on the dashboard, but for the listed few', async () => {
    const { names, histograms } = await exportedMetrics();
    const shown = new Set(
      dashboardQueries().flatMap((q) => metricNames(q.expr).map((n) => family(n, histograms))),
    );
    const missing = [...names].filter((name) => !shown.has(name) && !(name in NOT_ON_DASHBOARD));
    expect(missing).toEqual([]);
    // The exceptions are real metrics, not on the dashboard after all.
    expect(Object.keys(NOT_ON_DASHBOARD).filter((name) => !names.has(name) || shown.has(name))).toEqual([]);
  });
});
