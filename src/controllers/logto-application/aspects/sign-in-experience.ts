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
import { aspect, type AspectContext, type AspectDefinition } from './aspect.js';

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

async function currentSignInExperience(
  context: AspectContext,
): Promise<ApplicationSignInExperience | undefined> {
  try {
    return await context.logto.getApplicationSignInExperience(context.application.id);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export interface SignInExperienceObserved {
  /** Undefined: the application has none (Logto answers 404). */
  current?: ApplicationSignInExperience;
  desired: ReplaceApplicationSignInExperienceRequest;
}

/** The body to put; undefined when nothing differs (or when resetting one that does not exist). */
export interface SignInExperiencePlan {
  put?: ReplaceApplicationSignInExperienceRequest;
}

export const signInExperience: AspectDefinition<SignInExperienceObserved, SignInExperiencePlan> = {
  name: 'signInExperience',
  declared: (resource) => resource.spec.signInExperience !== undefined,
  resettable: true,

  async observe(context, declared) {
    const current = await currentSignInExperience(context);
    const desired = signInExperienceBody(declared ? context.resource.spec.signInExperience : undefined);
    return { ...(current ? { current } : {}), desired };
  },

  plan({ current, desired }, declared) {
    const same = current ? deepEqual(comparable(current), comparable(desired)) : !declared;
    return same ? {} : { put: desired };
  },

  async apply(context, plan) {
    if (!plan.put) return { changes: [] };
    await context.logto.replaceApplicationSignInExperience(context.application.id, plan.put);
    return { changes: ['sign-in experience'] };
  },
};

export const signInExperienceAspect = aspect(signInExperience);
