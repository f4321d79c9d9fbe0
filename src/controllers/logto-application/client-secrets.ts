/**
 * Client secrets: which Logto secret is published, declared named secrets, and rotation.
 *
 * Publishing never rotates by itself: the same secret is published while it stays valid, so a
 * deleted Kubernetes Secret comes back with the same value. A rotation (scheduled, requested with
 * the rotate-now annotation, ahead of an expiry, or to migrate a legacy secret) creates a new secret,
 * publishes it, and keeps the previous one valid for the grace period before deleting it: at every
 * moment the published value works. A rotation interrupted after the create finds its new secret
 * again (the newest operator-made secret) instead of making another.
 *
 * What is published and what is in its grace period is read from the secrets in Logto (names,
 * createdAt, expiresAt), so a resource whose status was lost converges to the same state.
 */
import { createHash } from 'node:crypto';
import { LogtoApiError, ignoreNotFound } from '../../api/errors.js';
import type { Application, ApplicationSecret } from '../../api/schemas.js';
import type { LogtoApplication, LogtoApplicationStatus } from '../../crd/logto-application.js';
import { parseDurationMs } from '../../util/duration.js';
import type { LogtoApplicationsApi } from './ports.js';
import { ReconcileStop } from './outcome.js';

export const DEFAULT_SECRET_NAME = 'Default secret';
/** Secrets the operator creates are named with this prefix and a timestamp. */
export const OPERATOR_SECRET_PREFIX = 'logto-operator-';
/** Stands for the legacy secret in status; parentheses keep it apart from real secret names. */
export const LEGACY_SECRET = '(legacy)';
export const ROTATE_NOW_ANNOTATION = 'logto.io/rotate-now';
export const DEFAULT_GRACE_PERIOD_MS = 60 * 60_000;

/** A secret that expires within this margin is no longer published. */
const EXPIRY_MARGIN_MS = 60_000;

type RotationStatus = NonNullable<LogtoApplicationStatus['rotation']>;

export interface SecretsOutcome {
  /** The secret to publish. */
  published: { name: string; value: string };
  status: Pick<LogtoApplicationStatus, 'publishedSecret' | 'rotation' | 'managedSecrets'>;
  /** Deletions that may only run once the Kubernetes Secret holds the published value. */
  afterPublish: (() => Promise<void>)[];
  /** When this resource needs a pass again for a rotation or a retirement. */
  dueInMs?: number;
  changes: string[];
  /** Set when this pass rotated: why, for the Rotated event. */
  rotation?: { from: string; to: string; reasons: string[] };
}

export interface Candidate {
  name: string;
  value: string;
  createdAt: number;
  expiresAt: number | null;
}

export function usable(secret: { expiresAt: number | null }, now: number): boolean {
  return secret.expiresAt === null || secret.expiresAt > now + EXPIRY_MARGIN_MS;
}

/** The suffix of the secrets made while the rotate-now annotation holds `token`. */
function rotateNowTag(token: string): string {
  return `-r${createHash('sha256').update(token).digest('hex').slice(0, 10)}`;
}

/** RFC 3339 to the second, as status shows times. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function compactTimestamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase();
}

/**
 * Secrets a rotation may delete once replaced: the ones Logto or the operator made for publishing.
 * A secret someone created in the console, or a declared one, is left in place.
 */
function retirable(name: string, declared: ReadonlySet<string>): boolean {
  if (declared.has(name)) return false;
  return name === DEFAULT_SECRET_NAME || name === LEGACY_SECRET || name.startsWith(OPERATOR_SECRET_PREFIX);
}

/** A legacy plaintext secret on the application, as a candidate. */
function legacyCandidate(application: Application): Candidate | undefined {
  return application.secret
    ? { name: LEGACY_SECRET, value: application.secret, createdAt: application.createdAt, expiresAt: null }
    : undefined;
}

function newest<T extends { createdAt: number }>(list: readonly T[]): T | undefined {
  return [...list].sort((a, b) => b.createdAt - a.createdAt)[0];
}

/**
 * Which secret is published when nothing asks for a rotation: the newest operator-made secret
 * (every rotation publishes the secret it makes), whatever a stale or lost status says; else the one
 * status names while it stays valid, else the one Logto made, else a legacy secret, else the newest
 * other undeclared secret.
 */
export function choosePublished(
  secrets: readonly ApplicationSecret[],
  application: Application,
  previous: string | undefined,
  declared: ReadonlySet<string>,
  now: number,
): Candidate | undefined {
  const valid = secrets.filter((s) => usable(s, now));
  // Status may be stale or lost: what Logto holds decides first.
  const made = newest(valid.filter((s) => s.name.startsWith(OPERATOR_SECRET_PREFIX)));
  if (made) return made;
  const legacy = legacyCandidate(application);
  if (previous === LEGACY_SECRET && legacy) return legacy;
  return (
    valid.find((s) => s.name === previous) ??
    valid.find((s) => s.name === DEFAULT_SECRET_NAME) ??
    legacy ??
    newest(valid.filter((s) => !declared.has(s.name)))
  );
}

/**
 * The secrets in their grace period, read from Logto: every retirable secret other than the
 * published one that an operator-made secret replaced goes `graceMs` after that successor was made.
 */
export function retiringSecrets(
  secrets: readonly Candidate[],
  application: Application,
  published: string,
  declared: ReadonlySet<string>,
  graceMs: number,
): { name: string; deleteAfterMs: number }[] {
  const successors = secrets.filter((s) => s.name.startsWith(OPERATOR_SECRET_PREFIX));
  const legacy = legacyCandidate(application);
  return [...secrets, ...(legacy ? [legacy] : [])].flatMap((secret) => {
    if (secret.name === published || !retirable(secret.name, declared)) return [];
    const successor = successors
      .filter((s) => s.createdAt > secret.createdAt)
      .sort((a, b) => a.createdAt - b.createdAt)[0];
    return successor ? [{ name: secret.name, deleteAfterMs: successor.createdAt + graceMs }] : [];
  });
}

/** Deletes a secret; one already gone (or a legacy secret already replaced) counts as deleted. */
async function ignoreGone(call: () => Promise<unknown>): Promise<void> {
  try {
    await ignoreNotFound(call);
  } catch (error) {
    if (!(error instanceof LogtoApiError && error.code === 'application.no_legacy_secret_found')) throw error;
  }
}

interface RotationSettings {
  everyMs?: number;
  graceMs: number;
}

function rotationSettings(resource: LogtoApplication): RotationSettings {
  const rotation = resource.spec.rotation ?? {};
  const everyMs = rotation.every ? parseDurationMs(rotation.every) : undefined;
  const graceMs =
    (rotation.gracePeriod ? parseDurationMs(rotation.gracePeriod) : undefined) ?? DEFAULT_GRACE_PERIOD_MS;
  return { ...(everyMs !== undefined ? { everyMs } : {}), graceMs };
}

export interface DeclaredSecretsPlan {
  /** Declared secrets to create; `replace`: one of that name exists (Logto cannot change its expiry). */
  create: { name: string; expiresAt?: number; replace: boolean }[];
  /** Secrets the operator made for an earlier spec that no longer declares them. */
  delete: string[];
}

/** Declared secrets: create the missing ones, replace the expired or changed ones, delete the dropped ones. */
export function planDeclaredSecrets(
  resource: LogtoApplication,
  secrets: readonly ApplicationSecret[],
  nowMs: number,
): DeclaredSecretsPlan {
  const declared = resource.spec.secrets ?? [];
  const declaredNames = new Set(declared.map((s) => s.name));
  const create = declared.flatMap((secret) => {
    const existing = secrets.find((s) => s.name === secret.name);
    const expiresAt = secret.expiresAt ? Date.parse(secret.expiresAt) : undefined;
    if (existing && existing.expiresAt === (expiresAt ?? null) && usable(existing, nowMs)) return [];
    return [
      { name: secret.name, ...(expiresAt !== undefined ? { expiresAt } : {}), replace: Boolean(existing) },
    ];
  });
  const previous = resource.status?.publishedSecret;
  const dropped = (resource.status?.managedSecrets ?? []).filter(
    (name) => !declaredNames.has(name) && name !== previous && secrets.some((s) => s.name === name),
  );
  return { create, delete: dropped };
}

export interface RotationPlan {
  /** The secret to publish when nothing asks for a rotation; undefined when none is usable. */
  current?: Candidate;
  /**
   * Set when this pass rotates: why, and what to publish instead: `next`, made by an earlier
   * rotation interrupted after its create, or a new secret named `create`.
   */
  rotate?: { reasons: string[] } & ({ next: Candidate } | { create: string });
}

/** Which secret is published, and whether (and why) this pass rotates. */
export function planRotation(
  resource: LogtoApplication,
  secrets: readonly ApplicationSecret[],
  application: Application,
  now: Date,
): RotationPlan {
  const nowMs = now.getTime();
  const { everyMs, graceMs } = rotationSettings(resource);
  const declaredNames = new Set((resource.spec.secrets ?? []).map((s) => s.name));
  const previousRotation: RotationStatus = resource.status?.rotation ?? {};
  const token = resource.metadata.annotations?.[ROTATE_NOW_ANNOTATION] || undefined;
  // A rotate-now token is acted on once: the secret it made carries its tag in its name, so that
  // status is not needed to know it was handled (status of older versions is still honoured).
  const tag = token ? rotateNowTag(token) : '';
  const newestMade = newest(secrets.filter((s) => s.name.startsWith(OPERATOR_SECRET_PREFIX)));
  const rotateNow =
    token !== undefined &&
    token !== previousRotation.lastRotateNowToken &&
    !(newestMade && newestMade.name.endsWith(tag));

  const published = choosePublished(
    secrets,
    application,
    resource.status?.publishedSecret,
    declaredNames,
    nowMs,
  );
  const reasons = [
    !published && 'no usable secret',
    rotateNow && 'requested',
    published && everyMs !== undefined && nowMs - published.createdAt >= everyMs && 'scheduled',
    published?.expiresAt != null && published.expiresAt - nowMs < graceMs && 'expiring',
    published?.name === LEGACY_SECRET &&
      resource.spec.rotation?.migrateLegacySecret &&
      'legacy secret migration',
  ].filter((reason): reason is string => Boolean(reason));
  const current = published ? { current: published } : {};
  if (reasons.length === 0) return current;

  const after = published?.createdAt ?? 0;
  const next = secrets
    .filter(
      (s) => s.name.startsWith(OPERATOR_SECRET_PREFIX) && s.createdAt > after && s.name !== published?.name,
    )
    .filter((s) => usable(s, nowMs))
    .sort((a, b) => b.createdAt - a.createdAt)[0];
  return {
    ...current,
    rotate: next
      ? { reasons, next }
      : { reasons, create: `${OPERATOR_SECRET_PREFIX}${compactTimestamp(now)}${tag}` },
  };
}

export interface PublicationPlan {
  status: SecretsOutcome['status'];
  /** Secrets past their grace period: deleted once the Kubernetes Secret holds the published one. */
  retire: string[];
  dueInMs?: number;
}

/**
 * What follows from publishing `published` among `secrets` (all of them, including one this pass
 * made): the status, the secrets to retire now, and when to look again.
 */
export function planPublication(
  resource: LogtoApplication,
  secrets: readonly Candidate[],
  application: Application,
  published: Candidate,
  now: Date,
): PublicationPlan {
  const nowMs = now.getTime();
  const { everyMs, graceMs } = rotationSettings(resource);
  const declared = resource.spec.secrets ?? [];
  const declaredNames = new Set(declared.map((s) => s.name));
  const previousRotation: RotationStatus = resource.status?.rotation ?? {};
  // Every rotation publishes the secret it makes: the published secret's age tells when it was.
  const lastRotationTime = published.name.startsWith(OPERATOR_SECRET_PREFIX)
    ? rfc3339(published.createdAt)
    : previousRotation.lastRotationTime;

  // Secrets past their grace period go, but never the one being published.
  const retiring = retiringSecrets(secrets, application, published.name, declaredNames, graceMs);
  const retire = retiring.filter((r) => r.deleteAfterMs <= nowMs).map((r) => r.name);
  const stillRetiring = retiring
    .filter((r) => r.deleteAfterMs > nowMs)
    .map((r) => ({ name: r.name, deleteAfter: rfc3339(r.deleteAfterMs) }));

  const nextRotationMs = everyMs !== undefined ? published.createdAt + everyMs : undefined;
  const dueTimes = [
    ...stillRetiring.map((r) => Date.parse(r.deleteAfter)),
    ...(nextRotationMs !== undefined ? [nextRotationMs] : []),
    ...(published.expiresAt !== null ? [published.expiresAt - graceMs] : []),
  ].map((t) => Math.max(1000, t - nowMs));

  // After this pass a present token has been acted on, now or before.
  const token = resource.metadata.annotations?.[ROTATE_NOW_ANNOTATION] || undefined;
  const lastRotateNowToken = token ?? previousRotation.lastRotateNowToken;
  const rotationStatus: RotationStatus = {
    ...(lastRotationTime ? { lastRotationTime } : {}),
    ...(nextRotationMs !== undefined ? { nextRotationTime: rfc3339(nextRotationMs) } : {}),
    ...(lastRotateNowToken ? { lastRotateNowToken } : {}),
    ...(stillRetiring.length ? { retiringSecrets: stillRetiring } : {}),
  };
  return {
    status: {
      publishedSecret: published.name,
      ...(Object.keys(rotationStatus).length ? { rotation: rotationStatus } : {}),
      ...(declared.length ? { managedSecrets: [...declaredNames].sort() } : {}),
    },
    retire,
    ...(dueTimes.length ? { dueInMs: Math.min(...dueTimes) } : {}),
  };
}

/** Makes a rotation's new secret; one already made by that name (an answer lost) is found again. */
async function createRotatedSecret(
  logto: LogtoApplicationsApi,
  id: string,
  name: string,
): Promise<Candidate> {
  try {
    return await logto.createApplicationSecret(id, { name });
  } catch (error) {
    if (!(error instanceof LogtoApiError && error.code === 'application.secret_name_exists')) throw error;
    const found = (await logto.listApplicationSecrets(id)).find((s) => s.name === name);
    if (!found) throw error;
    return found;
  }
}

/** Observe (list the secrets) → plan → act, twice: the declared secrets, then the rotation. */
export async function convergeClientSecrets(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  application: Application,
  now: Date,
): Promise<SecretsOutcome> {
  const id = application.id;
  const changes: string[] = [];
  let secrets = await logto.listApplicationSecrets(id);

  const declared = planDeclaredSecrets(resource, secrets, now.getTime());
  for (const secret of declared.create) {
    if (secret.replace) await ignoreGone(() => logto.deleteApplicationSecret(id, secret.name));
    await logto.createApplicationSecret(id, {
      name: secret.name,
      ...(secret.expiresAt !== undefined ? { expiresAt: secret.expiresAt } : {}),
    });
    changes.push(`secret "${secret.name}" ${secret.replace ? 'replaced' : 'created'}`);
  }
  for (const name of declared.delete) {
    await ignoreGone(() => logto.deleteApplicationSecret(id, name));
    changes.push(`secret "${name}" deleted`);
  }
  if (declared.create.length > 0 || declared.delete.length > 0) {
    secrets = await logto.listApplicationSecrets(id);
  }

  const rotation = planRotation(resource, secrets, application, now);
  let published = rotation.current;
  /** The secret this pass made, not yet in `secrets`. */
  let made: Candidate | undefined;
  if (rotation.rotate) {
    const next =
      'next' in rotation.rotate
        ? rotation.rotate.next
        : (made = await createRotatedSecret(logto, id, rotation.rotate.create));
    published = next;
  }
  const current = published as Candidate;

  const publication = planPublication(
    resource,
    made ? [...secrets, made] : secrets,
    application,
    current,
    now,
  );
  changes.push(...publication.retire.map((name) => `retired secret "${name}"`));
  const afterPublish = publication.retire.map(
    (name) => () =>
      ignoreGone(() =>
        name === LEGACY_SECRET
          ? logto.deleteApplicationLegacySecret(id)
          : logto.deleteApplicationSecret(id, name),
      ),
  );
  const from = rotation.current?.name;
  return {
    published: { name: current.name, value: current.value },
    status: publication.status,
    afterPublish,
    ...(publication.dueInMs !== undefined ? { dueInMs: publication.dueInMs } : {}),
    changes,
    ...(rotation.rotate && from !== undefined
      ? { rotation: { from, to: current.name, reasons: rotation.rotate.reasons } }
      : {}),
  };
}

/**
 * The secret an observed application publishes, read only: the one choosePublished picks among those
 * Logto holds. Nothing is created, rotated or retired (the application is not the operator's).
 */
export async function observeClientSecrets(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  application: Application,
  now: Date,
): Promise<{ name: string; value: string }> {
  const secrets = await logto.listApplicationSecrets(application.id);
  const chosen = choosePublished(
    secrets,
    application,
    resource.status?.publishedSecret,
    new Set(),
    now.getTime(),
  );
  if (!chosen) {
    throw new ReconcileStop(
      'NoUsableSecret',
      `Logto application ${application.id} has no client secret that is valid for more than a minute; ` +
        'an observed application is never given one by the operator',
      { recheckAfterMs: 60_000 },
    );
  }
  return { name: chosen.name, value: chosen.value };
}
