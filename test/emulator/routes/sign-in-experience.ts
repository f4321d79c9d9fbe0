// Application-level sign-in experience.
import { emptyInsert, entityNotFound } from '../errors.js';
import { presentSignInExperience } from '../present.js';
import type { OperationHandlers } from './context.js';

const emptyLinkFields = new Set(['termsOfUseUrl', 'privacyPolicyUrl']);

export const signInExperienceHandlers: OperationHandlers<
  'replace_application_sign_in_experience' | 'get_application_sign_in_experience'
> = {
  // Documented as third-party only, but the server accepts it for first-party apps too. A partial
  // upsert: fields left out keep their values; an update with no field at all updates nothing,
  // which Logto refuses like an empty insert (BEHAVIOUR.md, "Application sign-in experience").
  replace_application_sign_in_experience: ({ core, params, body }) => {
    const app = core.state.requireApplication(params.id);
    const stored = app.signInExperience;
    // An empty link is stored, and answered, as null (seen on a real Logto 1.42).
    const given = Object.fromEntries(
      Object.entries(body)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => [key, value === '' && emptyLinkFields.has(key) ? null : value]),
    );
    if (stored && Object.keys(given).length === 0) throw emptyInsert();
    app.signInExperience = {
      ...(stored ?? {
        color: {},
        branding: {},
        customCss: null,
        termsOfUseUrl: null,
        privacyPolicyUrl: null,
        displayName: null,
      }),
      ...structuredClone(given),
    };
    return { status: stored ? 200 : 201, body: presentSignInExperience(core.state, app) };
  },

  get_application_sign_in_experience: ({ core, params }) => {
    const app = core.state.requireApplication(params.id);
    const experience = presentSignInExperience(core.state, app);
    if (!experience) throw entityNotFound('application_sign_in_experiences', params.id);
    return { status: 200, body: experience };
  },
};
