/**
 * Picks the Logto client secret to publish. Reading never rotates: the same secret is published on
 * every pass while it stays valid, so a deleted or edited Kubernetes Secret is restored with the
 * same value.
 */
import type { Application, ApplicationSecret } from '../../api/schemas.js';
import { LogtoApiError } from '../../api/errors.js';
import type { LogtoApplicationsApi } from './ports.js';

export const DEFAULT_SECRET_NAME = 'Default secret';
/** Created only when an application has no usable secret at all. */
export const OPERATOR_SECRET_NAME = 'logto-operator';
export const LEGACY_SECRET = 'legacy';

/** A secret that expires within this margin is no longer published. */
const EXPIRY_MARGIN_MS = 60_000;

export interface ChosenSecret {
  /** The Logto secret's name, or `legacy`. */
  name: string;
  value: string;
}

export function usable(secret: ApplicationSecret, now: number): boolean {
  return secret.expiresAt === null || secret.expiresAt > now + EXPIRY_MARGIN_MS;
}

/** Preference: the one published before, `Default secret`, the newest unexpired one. */
export function chooseSecret(
  secrets: readonly ApplicationSecret[],
  previouslyPublished: string | undefined,
  now: number,
): ApplicationSecret | undefined {
  const valid = secrets.filter((s) => usable(s, now));
  return (
    valid.find((s) => s.name === previouslyPublished) ??
    valid.find((s) => s.name === DEFAULT_SECRET_NAME) ??
    [...valid].sort((a, b) => b.createdAt - a.createdAt)[0]
  );
}

export async function resolveClientSecret(
  logto: LogtoApplicationsApi,
  application: Application,
  previouslyPublished: string | undefined,
  now: number,
): Promise<ChosenSecret> {
  const secrets = await logto.listApplicationSecrets(application.id);
  const chosen = chooseSecret(secrets, previouslyPublished, now);
  if (chosen) return { name: chosen.name, value: chosen.value };
  if (application.secret) return { name: LEGACY_SECRET, value: application.secret };
  try {
    const created = await logto.createApplicationSecret(application.id, { name: OPERATOR_SECRET_NAME });
    return { name: created.name, value: created.value };
  } catch (error) {
    // An earlier pass created it but expired or died before publishing: a name clash means it exists.
    if (error instanceof LogtoApiError && error.code === 'application.secret_name_exists') {
      const again = chooseSecret(
        await logto.listApplicationSecrets(application.id),
        OPERATOR_SECRET_NAME,
        now,
      );
      if (again) return { name: again.name, value: again.value };
    }
    throw error;
  }
}
