/**
 * A real Prometheus for tests, on 127.0.0.1 only: scrapes the given targets and evaluates the given
 * rules every second. Its data, config and log live in a temp dir; like the control plane it is
 * stopped by stop(), by the process exit hook, or by the reaper when this Node process dies.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { launchOnFreePorts } from '../control-plane/launch.js';
import { track } from '../control-plane/lifecycle.js';
import { killNow, logTail, ProcessSet, terminate } from '../control-plane/process.js';
import { startReaper } from '../control-plane/reaper.js';

export interface ScrapeTarget {
  job: string;
  /** host:port on loopback. */
  address: string;
  scheme: 'http' | 'https';
  /** Bearer token sent with each scrape (written to a file Prometheus reads). */
  token?: string;
  /** Labels added to the target's series (as the Prometheus Operator adds namespace). */
  labels?: Record<string, string>;
}

export interface PrometheusOptions {
  binary: string;
  /** Rule file content (YAML with `groups`). */
  rules: string;
  targets: ScrapeTarget[];
  /** Scrape and evaluation interval; default 1s. */
  interval?: string;
  timeoutMs?: number;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

export interface Prometheus {
  url: string;
  /** An instant query; throws with Prometheus' message when it does not parse or fails. */
  query(expr: string): Promise<Sample[]>;
  alerts(): Promise<ActiveAlert[]>;
  targets(): Promise<{ health: string; lastError: string; labels: Record<string, string> }[]>;
  logTail(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const interval = options.interval ?? '1s';
  const dir = await mkdtemp(join(tmpdir(), 'logto-operator-prometheus-'));
  const processes = new ProcessSet(join(dir, 'pids'));
  const reaper = startReaper(dir);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const proc of processes.close()) await terminate(proc);
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      reaper.stop();
      untrack();
    })());
  const untrack = track({
    stop,
    killNow: () => {
      for (const proc of processes.close()) killNow(proc);
      rmSync(dir, { recursive: true, force: true });
      reaper.stop();
    },
  });

  try {
    await writeFile(join(dir, 'rules.yaml'), options.rules);
    const scrapeConfigs = await Promise.all(
      options.targets.map(async (target, i) => {
        const tokenFile = join(dir, `token-${i}`);
        if (target.token) await writeFile(tokenFile, target.token, { mode: 0o600 });
        return {
          job_name: target.job,
          scheme: target.scheme,
          metrics_path: '/metrics',
          ...(target.token ? { authorization: { type: 'Bearer', credentials_file: tokenFile } } : {}),
          ...(target.scheme === 'https' ? { tls_config: { insecure_skip_verify: true } } : {}),
          static_configs: [{ targets: [target.address], labels: target.labels ?? {} }],
        };
      }),
    );
    const config = {
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      rule_files: [join(dir, 'rules.yaml')],
      scrape_configs: scrapeConfigs,
    };
    await writeFile(join(dir, 'prometheus.yml'), stringify(config));
    const { ports } = await launchOnFreePorts({
      name: 'prometheus',
      portCount: 1,
      timeoutMs: options.timeoutMs ?? 60_000,
      spawn: ([port]) =>
        processes.spawn({
          name: 'prometheus',
          command: options.binary,
          args: [
            `--config.file=${join(dir, 'prometheus.yml')}`,
            `--storage.tsdb.path=${join(dir, 'data')}`,
            `--web.listen-address=127.0.0.1:${port}`,
            '--storage.tsdb.retention.time=1h',
            '--log.level=info',
          ],
          logPath: join(dir, 'prometheus.log'),
        }),
      ready: async ([port]) =>
        (await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(2_000) })).ok,
    });
    const url = `http://127.0.0.1:${ports[0]}`;
    const api = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
      const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`, {
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
      return body.data;
    };
    return {
      url,
      query: async (expr) => {
        const data = await api<{ resultType: string; result: Sample[] | [number, string] }>('/api/v1/query', {
          query: expr,
        });
        // A scalar (e.g. vector(0) folded) has no series: report it as one without labels.
        return data.resultType === 'scalar'
          ? [{ metric: {}, value: data.result as [number, string] }]
          : (data.result as Sample[]);
      },
      alerts: async () => (await api<{ alerts: ActiveAlert[] }>('/api/v1/alerts')).alerts,
      targets: async () =>
        (
          await api<{
            activeTargets: { health: string; lastError: string; labels: Record<string, string> }[];
          }>('/api/v1/targets')
        ).activeTargets,
      logTail: () => logTail({ logPath: join(dir, 'prometheus.log') } as Parameters<typeof logTail>[0], 40),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
