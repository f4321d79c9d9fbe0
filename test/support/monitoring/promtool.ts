/**
 * promtool unit tests (`promtool test rules`) generated from the alert definitions, for any
 * parameters: for each alert, its value held just under the threshold does not fire, and just over it
 * fires once `for:` has passed, not before, with the labels and annotations the rule gives it.
 */
import { ALERTS, type AlertDefinition, type RuleParams } from '../../../src/monitoring/alerts.js';

/** Minutes of a Prometheus duration such as `5m`, `1h` or `90s` (rounded up). */
export function minutes(duration: string): number {
  const units: Record<string, number> = { ms: 1 / 60_000, s: 1 / 60, m: 1, h: 60, d: 1440 };
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(n) * units[unit!]!;
  return Math.ceil(total);
}

/** The label matchers of a selector such as `job="a",namespace="b"` (equality matchers only). */
export function selectorLabels(selector: string): Record<string, string> {
  return Object.fromEntries([...selector.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

const seriesName = (metric: string, labels: Record<string, string>) =>
  `${metric}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;

/** Prometheus' expansion of `{{ $labels.x }}` in an annotation. */
const expand = (text: string, labels: Record<string, string>) =>
  text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? '<no value>');

export interface PromtoolTestFile {
  rule_files: string[];
  evaluation_interval: string;
  tests: unknown[];
}

/** The test file for `ruleFile`, whose rules were rendered with `params`. */
export function promtoolTests(ruleFile: string, params: RuleParams): PromtoolTestFile {
  const window = minutes(params.rateWindow);
  const selector = selectorLabels(params.selector);
  const tests = ALERTS.filter((a) => params.alerts[a.name]?.enabled ?? true).flatMap((alert) => {
    const p = params.alerts[alert.name]!;
    const threshold = alert.fixed ?? p.threshold ?? alert.threshold!.default;
    const wait = minutes(p.for);
    const levels = alert.levels(threshold);
    const evalAt = wait + window + 2;
    const length = evalAt + 5;
    const input = (level: number) =>
      alert.input(level, window).map((s) => ({
        series: seriesName(s.metric, { ...selector, ...s.labels }),
        values: alert.counters ? `0+${s.values}x${length}` : `${s.values}x${length}`,
      }));
    const labels = {
      ...(alert.dropsSelectorLabels ? {} : selector),
      ...alert.alertLabels,
      severity: p.severity,
    };
    const expected = [
      { exp_labels: labels, exp_annotations: annotations(alert, String(threshold), labels, params) },
    ];
    const name = (what: string) => `${alert.name}: ${what} (threshold ${threshold}, for ${p.for})`;
    return [
      {
        name: name(`quiet at ${levels.quiet}`),
        interval: '1m',
        input_series: input(levels.quiet),
        alert_rule_test: [{ eval_time: `${evalAt}m`, alertname: alert.name, exp_alerts: [] }],
      },
      {
        name: name(`fires at ${levels.firing}`),
        interval: '1m',
        input_series: input(levels.firing),
        alert_rule_test: [
          // Pending, not firing, before `for` has passed (the value holds from the second sample on).
          ...(wait >= 2 ? [{ eval_time: `${wait - 1}m`, alertname: alert.name, exp_alerts: [] }] : []),
          { eval_time: `${evalAt}m`, alertname: alert.name, exp_alerts: expected },
        ],
      },
    ];
  });
  return { rule_files: [ruleFile], evaluation_interval: '1m', tests };
}

function annotations(
  alert: AlertDefinition,
  threshold: string,
  labels: Record<string, string>,
  params: RuleParams,
): Record<string, string> {
  const base = params.runbookBaseUrl.replace(/\/+$/, '');
  return {
    summary: expand(alert.summary, labels),
    description: expand(alert.description(threshold), labels),
    runbook: `docs/runbooks/${alert.name}.md`,
    ...(base ? { runbook_url: `${base}/${alert.name}.md` } : {}),
  };
}
