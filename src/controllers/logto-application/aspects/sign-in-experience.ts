/**
 * The application-level sign-in experience, put as a whole when it differs. Values the spec leaves
 * out are reset (empty colors/branding, null texts), and removing the field resets everything once.
 */
import { isNotFound } from '../../../api/errors.js';
import type {
  ApplicationSignInExperience,
  ReplaceApplicationSignInExperienceRequest,
} from '../../../api/schemas.js';
import type { SignInExperienceSpec } from '../../../crd/logto-application.js';
import { deepEqual } from '../../../util/json.js';
import type { Aspect, AspectContext } from './aspect.js';

export function signInExperienceBody(
  spec: SignInExperienceSpec | undefined,
): ReplaceApplicationSignInExperienceRequest {
  return {
    color: { ...(spec?.color ?? {}) },
    branding: { ...(spec?.branding ?? {}) },
    customCss: spec?.customCss ?? null,
    displayName: spec?.displayName ?? null,
    termsOfUseUrl: spec?.termsOfUseUrl ?? null,
    privacyPolicyUrl: spec?.privacyPolicyUrl ?? null,
  };
}

function comparable(value: ApplicationSignInExperience | ReplaceApplicationSignInExperienceRequest) {
  const blankToNull = (v: string | null | undefined) => (v === undefined || v === '' ? null : v);
  return {
    color: value.color ?? {},
    branding: value.branding ?? {},
    customCss: blankToNull(value.customCss),
    displayName: blankToNull(value.displayName),
    termsOfUseUrl: blankToNull(value.termsOfUseUrl),
    privacyPolicyUrl: blankToNull(value.privacyPolicyUrl),
  };
}

async function current(context: AspectContext): Promise<ApplicationSignInExperience | undefined> {
  try {
    return await context.logto.getApplicationSignInExperience(context.application.id);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function putIfDifferent(
  context: AspectContext,
  body: ReplaceApplicationSignInExperienceRequest,
  resetting: boolean,
) {
  const existing = await current(context);
  if (existing ? deepEqual(comparable(existing), comparable(body)) : resetting) return { changes: [] };
  await context.logto.replaceApplicationSignInExperience(context.application.id, body);
  return { changes: ['sign-in experience'] };
}

export const signInExperienceAspect: Aspect = {
  name: 'signInExperience',
  declared: (resource) => resource.spec.signInExperience !== undefined,
  sync: (context) =>
    putIfDifferent(context, signInExperienceBody(context.resource.spec.signInExperience), false),
  reset: (context) => putIfDifferent(context, signInExperienceBody(undefined), true),
};
