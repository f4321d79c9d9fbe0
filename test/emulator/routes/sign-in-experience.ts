// Application-level sign-in experience.
import { entityNotFound } from '../errors.js';
import { presentSignInExperience } from '../present.js';
import type { OperationHandlers } from './context.js';

export const signInExperienceHandlers: OperationHandlers<
  'replace_application_sign_in_experience' | 'get_application_sign_in_experience'
> = {
  // Documented as third-party only, but the server accepts it for first-party apps too.
  replace_application_sign_in_experience: ({ core, params, body }) => {
    const app = core.state.requireApplication(params.id);
    const created = app.signInExperience === null;
    app.signInExperience = {
      color: structuredClone(body.color ?? {}),
      branding: structuredClone(body.branding ?? {}),
      customCss: body.customCss ?? null,
      termsOfUseUrl: body.termsOfUseUrl,
      privacyPolicyUrl: body.privacyPolicyUrl,
      displayName: body.displayName ?? null,
    };
    return { status: created ? 201 : 200, body: presentSignInExperience(core.state, app) };
  },

  get_application_sign_in_experience: ({ core, params }) => {
    const app = core.state.requireApplication(params.id);
    const experience = presentSignInExperience(core.state, app);
    if (!experience) throw entityNotFound('application_sign_in_experiences', params.id);
    return { status: 200, body: experience };
  },
};
