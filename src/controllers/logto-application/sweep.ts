/**
 * The sweep of one Logto connection: once per period (and shortly after this replica starts leading)
 * one paged list of every application of the tenant, instead of a search per resource, finds the
 * applications carrying this cluster's marker that no live resource accounts for (see sweep-plan.ts)
 * and deletes them, or only removes their marker, per the deletion policy the marker records.
 *
 * The plan is made from the informer cache; before anything is changed, each candidate is judged
 * again against a fresh read of its resource from the apiserver and of the application from Logto,
 * so that a cache lagging behind the reconciler's own writes never costs an application.
 */
import type { LogtoApplication } from '../../crd/logto-application.js';
import type { Logger } from '../../log.js';
import { realClock, sleep, type Clock } from '../../runtime/clock.js';
import { describeError } from '../../runtime/errors.js';
import { currentAbortSignal, withAbortSignal } from '../../util/abort-scope.js';
import { recordDuplicateRemoved, removeApplication, type Removal } from './duplicates.js';
import { getOrUndefined } from './locate-application.js';
import { readMarker, type OwnershipMarker } from './ownership-marker.js';
import type { EventRecorder, LogtoApplicationsApi } from './ports.js';
import {
  judge,
  planSweep,
  type SweepApplication,
  type SweepCandidate,
  type SweepScope,
} from './sweep-plan.js';
import { forEachPage } from '../../api/client.js';

/** Logto's largest page. */
const PAGE_SIZE = 100;
/** The first sweep after leadership is taken: soon, but after the start-up passes have begun. */
const MAX_INITIAL_DELAY_MS = 30_000;

export type SweptKind = SweepCandidate['kind'];
export type SweptAction = Removal;

export interface SweepDependencies extends SweepScope {
  /** The connection's Logto client. */
  logto: LogtoApplicationsApi;
  /** The informer cache of the watched LogtoApplications. */
  resources: { hasSynced(): boolean; list(): LogtoApplication[] };
  /** Reads a LogtoApplication from the apiserver, bypassing the cache; undefined when absent. */
  readResource(namespace: string, name: string): Promise<LogtoApplication | undefined>;
  events: EventRecorder;
  logger: Logger;
  /** Counts each application swept (logto_operator_swept_applications_total). */
  onSwept?: (kind: SweptKind, action: SweptAction) => void;
  periodMs: number;
  /** Default: the period, at most 30 s. */
  initialDelayMs?: number;
  clock?: Clock;
}

export interface SweepReport {
  /** Applications listed. */
  listed: number;
  pages: number;
  swept: { kind: SweptKind; action: SweptAction; applicationId: string }[];
  /** Orphans seen for the first time (acted on at the next sweep). */
  suspected: number;
}

export class ApplicationSweep {
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Orphans the last sweep suspected, by application id. */
  private suspected = new Set<string>();
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly deps: SweepDependencies) {
    this.clock = deps.clock ?? realClock;
    this.log = deps.logger.child({ component: 'sweep' });
  }

  /** Sweeps after the initial delay, then once per period, until stop(). */
  start(): void {
    if (this.loop) return;
    const abort = (this.abort = new AbortController());
    const first = this.deps.initialDelayMs ?? Math.min(this.deps.periodMs, MAX_INITIAL_DELAY_MS);
    this.loop = (async () => {
      let delay = first;
      while (await sleep(this.clock, delay, abort.signal)) {
        await this.sweepLogged(abort.signal);
        delay = this.deps.periodMs;
      }
    })();
  }

  /** Aborts a sweep in progress and waits for it to return. */
  async stop(): Promise<void> {
    this.abort?.abort(new Error('sweep stopped'));
    await this.loop;
  }

  private async sweepLogged(signal: AbortSignal): Promise<void> {
    try {
      await withAbortSignal(signal, () => this.sweep());
    } catch (error) {
      if (signal.aborted) return;
      this.log.warn({ err: describeError(error) }, 'sweep failed; trying again at the next period');
    }
  }

  /** One sweep: list, plan, act. Skipped (undefined) while the cache has not synced. */
  async sweep(): Promise<SweepReport | undefined> {
    if (!this.deps.resources.hasSynced()) {
      this.log.info('cache not synced: sweep skipped');
      return undefined;
    }
    const { applications, pages } = await this.listAll();
    // Read after the list: every application listed was created for a resource already cached.
    const plan = planSweep(applications, this.deps.resources.list(), this.deps, this.suspected);
    const listedIds = new Set(applications.map((a) => a.id));
    const report: SweepReport = {
      listed: applications.length,
      pages,
      swept: [],
      suspected: plan.suspectedOrphans.length,
    };
    // Orphans confirmed but not removed (a failed call) are tried again at the next sweep.
    const retry: string[] = [];
    for (const candidate of [...plan.duplicates, ...plan.orphans]) {
      try {
        const action = await this.act(candidate, listedIds);
        if (!action) continue;
        report.swept.push({ kind: candidate.kind, action, applicationId: candidate.application.id });
        this.deps.onSwept?.(candidate.kind, action);
      } catch (error) {
        if (currentAbortSignal()?.aborted) throw error;
        if (candidate.kind === 'orphan') retry.push(candidate.application.id);
        this.log.warn(
          { applicationId: candidate.application.id, kind: candidate.kind, err: describeError(error) },
          'could not sweep application; trying again at the next sweep',
        );
      }
    }
    for (const candidate of plan.suspectedOrphans) {
      this.log.info(
        { applicationId: candidate.application.id, owner: owner(candidate.marker), policy: candidate.policy },
        'application marked for a resource that no longer exists; swept at the next sweep if still so',
      );
    }
    this.suspected = new Set([...plan.suspectedOrphans.map((c) => c.application.id), ...retry]);
    this.log.info(
      { listed: report.listed, pages, swept: report.swept.length, suspected: report.suspected },
      'swept',
    );
    return report;
  }

  private async listAll(): Promise<{ applications: SweepApplication[]; pages: number }> {
    const applications: SweepApplication[] = [];
    const pages = await forEachPage(
      'list_applications',
      (page, pageSize) => this.deps.logto.listApplicationsPage({ page, page_size: pageSize }),
      (items) => void applications.push(...items),
      { pageSize: PAGE_SIZE },
    );
    return { applications, pages };
  }

  /** Acts on one candidate once a fresh read of both sides confirms it; undefined when it did not. */
  private async act(
    candidate: SweepCandidate,
    listedIds: ReadonlySet<string>,
  ): Promise<SweptAction | undefined> {
    const { marker, kind } = candidate;
    const resource = await this.deps.readResource(marker.namespace, marker.name);
    if (judge(candidate.application, marker, resource, listedIds, this.deps.clusterName) !== kind) {
      return undefined;
    }
    const application = await getOrUndefined(this.deps.logto, candidate.application.id);
    if (!application || !sameMarker(readMarker(application.customData), marker)) return undefined;

    const action = await removeApplication(this.deps.logto, application, candidate.policy);
    if (!action) return undefined;
    if (kind === 'duplicate' && resource) {
      recordDuplicateRemoved(this.deps.events, resource, application.id, action);
    }
    this.log.info(
      { applicationId: application.id, type: application.type, kind, action, owner: owner(marker) },
      kind === 'orphan'
        ? 'swept application of a resource that no longer exists'
        : 'swept duplicate application',
    );
    return action;
  }
}

function owner(marker: OwnershipMarker) {
  return { namespace: marker.namespace, name: marker.name, uid: marker.uid };
}

function sameMarker(a: OwnershipMarker | undefined, b: OwnershipMarker): boolean {
  return (
    a !== undefined &&
    a.uid === b.uid &&
    a.namespace === b.namespace &&
    a.name === b.name &&
    (a.cluster ?? '') === (b.cluster ?? '')
  );
}
