import { describe, expect, it } from 'vitest';
import { OperatorMetrics } from '../../../src/runtime/metrics.js';
import { parseSamples } from '../../support/prometheus.js';

describe('OperatorMetrics', () => {
  it('exposes controller-runtime, workqueue, leader election, Logto and informer metrics', async () => {
    let now = 0;
    const metrics = new OperatorMetrics({ defaultMetrics: false, now: () => now });
    const controller = metrics.controller();
    const queue = metrics.queue('logtoapplication');
    const informer = metrics.informer();
    const leader = metrics.leaderElection('logto-operator-leader');
    const key = { namespace: 'ns', name: 'web' };

    controller.maxConcurrentReconciles!('logtoapplication', 4);
    controller.activeWorkers!('logtoapplication', 1);
    controller.reconcileFinished!({
      controller: 'logtoapplication',
      key,
      outcome: 'success',
      durationMs: 120,
    });
    controller.reconcileFinished!({ controller: 'logtoapplication', key, outcome: 'error', durationMs: 30 });
    queue.add!('ns/web');
    queue.add!('ns/api');
    queue.depth!(1);
    queue.get!('ns/web', 5);
    queue.retry!('ns/web');
    leader.startedLeading!();
    metrics.logtoRequest({ operation: 'create_application', method: 'POST', status: 200, durationMs: 40 });
    metrics.logtoRequest({
      operation: 'get_application',
      method: 'GET',
      status: undefined,
      durationMs: 5000,
    });
    informer.watchEnded!('secrets in all namespaces', 'gone');
    informer.relisted!('secrets in all namespaces', 'initial', { durationMs: 3, objects: 2 });
    now = 2_500; // ns/web held for 2.5 s, not done yet

    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = parseSamples(await metrics.render());
    expect(s.get('controller_runtime_reconcile_total{controller="logtoapplication",result="success"}')).toBe(
      1,
    );
    expect(s.get('controller_runtime_reconcile_total{controller="logtoapplication",result="error"}')).toBe(1);
    expect(s.get('controller_runtime_reconcile_total{controller="logtoapplication",result="requeue"}')).toBe(
      0,
    );
    expect(s.get('controller_runtime_reconcile_errors_total{controller="logtoapplication"}')).toBe(1);
    expect(s.get('controller_runtime_reconcile_time_seconds_count{controller="logtoapplication"}')).toBe(2);
    expect(s.get('controller_runtime_reconcile_time_seconds_sum{controller="logtoapplication"}')).toBeCloseTo(
      0.15,
    );
    expect(s.get('controller_runtime_max_concurrent_reconciles{controller="logtoapplication"}')).toBe(4);
    expect(s.get('controller_runtime_active_workers{controller="logtoapplication"}')).toBe(1);
    expect(s.get('workqueue_adds_total{name="logtoapplication"}')).toBe(2);
    expect(s.get('workqueue_depth{name="logtoapplication"}')).toBe(1);
    expect(s.get('workqueue_retries_total{name="logtoapplication"}')).toBe(1);
    expect(s.get('workqueue_queue_duration_seconds_count{name="logtoapplication"}')).toBe(1);
    expect(s.get('workqueue_unfinished_work_seconds{name="logtoapplication"}')).toBe(2.5);
    expect(s.get('workqueue_longest_running_processor_seconds{name="logtoapplication"}')).toBe(2.5);
    expect(s.get('leader_election_master_status{name="logto-operator-leader"}')).toBe(1);
    expect(
      s.get(
        'logto_api_requests_total{operation="create_application",method="POST",code="200",connection="flags"}',
      ),
    ).toBe(1);
    expect(
      s.get(
        'logto_api_requests_total{operation="get_application",method="GET",code="error",connection="flags"}',
      ),
    ).toBe(1);
    expect(
      s.get(
        'logto_api_request_duration_seconds_bucket{le="5",operation="get_application",method="GET",connection="flags"}',
      ),
    ).toBe(1);
    expect(
      s.get('logto_operator_watch_restarts_total{informer="secrets in all namespaces",reason="gone"}'),
    ).toBe(1);
    expect(s.get('logto_operator_relists_total{informer="secrets in all namespaces",reason="initial"}')).toBe(
      1,
    );

    queue.done!('ns/web', 2_500);
    leader.stoppedLeading!('lost');
    const after = parseSamples(await metrics.render());
    expect(after.get('workqueue_unfinished_work_seconds{name="logtoapplication"}')).toBe(0);
    expect(after.get('workqueue_work_duration_seconds_sum{name="logtoapplication"}')).toBe(2.5);
    expect(after.get('leader_election_master_status{name="logto-operator-leader"}')).toBe(0);
  });

  it('counts cached resources by condition and connections by readiness at each scrape', async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const condition = (type: string, status: string, reason: string) => ({ type, status, reason });
    const app = (name: string, ...conditions: object[]) => ({
      apiVersion: 'logto.io/v1alpha1',
      kind: 'LogtoApplication',
      metadata: { name, namespace: 'ns' },
      status: { conditions },
    });
    const connection = (
      kind: string,
      name: string,
      namespace: string | undefined,
      ...conditions: object[]
    ) => ({
      apiVersion: 'logto.io/v1alpha1',
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
      status: { conditions },
    });
    const applications = [
      app('a', condition('Ready', 'True', 'Available'), condition('Synced', 'True', 'ReconcileSuccess')),
      app('b', condition('Ready', 'True', 'Available'), condition('Synced', 'False', 'LogtoUnavailable')),
      app('c', condition('Ready', 'False', 'InvalidSpec'), condition('Synced', 'False', 'InvalidSpec')),
      app('d'), // not reported on yet
    ];
    const connections = [
      connection('ClusterLogtoConnection', 'shared', undefined, condition('Ready', 'True', 'Available')),
      connection('LogtoConnection', 'team', 'ns', condition('Ready', 'False', 'Unauthorized')),
      // The namespaces whose labels a connection's selector reads share the informers: not counted.
      { metadata: { name: 'ns', labels: {} } },
    ];
    // Before the operator runs: the zero series only.
    let s = parseSamples(await metrics.render());
    expect([...s.keys()].some((k) => k.startsWith('logto_operator_connection_ready'))).toBe(false);

    metrics.observe({ applications: () => applications, connections: () => connections });
    s = parseSamples(await metrics.render());
    const rc = (labels: string) => s.get(`logto_operator_resource_conditions{${labels}}`);
    const kindApp = 'kind="LogtoApplication"';
    expect(rc(`${kindApp},type="Ready",status="True",reason="Available"`)).toBe(2);
    expect(rc(`${kindApp},type="Ready",status="False",reason="InvalidSpec"`)).toBe(1);
    expect(rc(`${kindApp},type="Ready",status="Unknown",reason=""`)).toBe(1);
    expect(rc(`${kindApp},type="Synced",status="True",reason="ReconcileSuccess"`)).toBe(1);
    expect(rc(`${kindApp},type="Synced",status="False",reason="LogtoUnavailable"`)).toBe(1);
    expect(rc(`${kindApp},type="Synced",status="False",reason="InvalidSpec"`)).toBe(1);
    expect(rc(`${kindApp},type="Synced",status="False",reason=""`)).toBe(0);
    expect(rc('kind="ClusterLogtoConnection",type="Ready",status="True",reason="Available"')).toBe(1);
    expect(rc('kind="LogtoConnection",type="Ready",status="False",reason="Unauthorized"')).toBe(1);
    expect(
      s.get('logto_operator_connection_ready{connection="ClusterLogtoConnection/shared",reason="Available"}'),
    ).toBe(1);
    expect(
      s.get('logto_operator_connection_ready{connection="LogtoConnection/ns/team",reason="Unauthorized"}'),
    ).toBe(0);
    expect([...s.keys()].filter((k) => k.startsWith('logto_operator_connection_ready'))).toHaveLength(2);

    // Computed anew at each scrape: a fixed resource moves, a deleted one goes.
    applications.splice(2, 2);
    s = parseSamples(await metrics.render());
    expect(rc(`${kindApp},type="Synced",status="False",reason="InvalidSpec"`)).toBeUndefined();
    expect(rc(`${kindApp},type="Ready",status="Unknown",reason=""`)).toBeUndefined();
    expect(rc(`${kindApp},type="Ready",status="True",reason="Available"`)).toBe(2);
  });

  it('makes the series of counters with known labels exist at 0', async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    metrics.informer().relisted!('secrets in all namespaces', 'initial', { durationMs: 1, objects: 0 });
    const s = parseSamples(await metrics.render());
    expect(s.get('logto_operator_events_dropped_total{reason="overflow"}')).toBe(0);
    expect(s.get('logto_operator_swept_applications_total{kind="orphan",action="deleted"}')).toBe(0);
    expect(
      s.get('logto_operator_watch_restarts_total{informer="secrets in all namespaces",reason="error"}'),
    ).toBe(0);
    expect(s.get('logto_operator_list_failures_total{informer="secrets in all namespaces"}')).toBe(0);
    expect(s.get('logto_operator_relists_total{informer="secrets in all namespaces",reason="initial"}')).toBe(
      1,
    );
  });

  it('keeps separate registries, with Node.js default metrics on request', async () => {
    const a = new OperatorMetrics();
    const b = new OperatorMetrics({ defaultMetrics: false });
    expect(await a.render()).toContain('process_cpu_seconds_total');
    expect(await b.render()).not.toContain('process_cpu_seconds_total');
  });
});
