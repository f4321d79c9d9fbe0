// Client secrets of an application, and the legacy secret.
import { secretApplicationTypes } from '../../../src/api/schemas.js';
import { ApiError, relationNotFound } from '../errors.js';
import { presentLegacySecretDeletion, presentSecret } from '../present.js';
import { newSecret } from '../records.js';
import type { ApplicationRecord } from '../state.js';
import type { OperationHandlers } from './context.js';

const secretNameExists = (name: string) =>
  new ApiError(422, 'application.secret_name_exists', `A secret named "${name}" already exists.`);

const requireSecret = (app: ApplicationRecord, name: string) => {
  const secret = app.secrets.find((candidate) => candidate.name === name);
  if (!secret) throw relationNotFound(`The application has no secret named "${name}".`);
  return secret;
};

export const secretHandlers: OperationHandlers<
  | 'list_application_secrets'
  | 'create_application_secret'
  | 'update_application_secret'
  | 'delete_application_secret'
  | 'delete_application_legacy_secret'
> = {
  list_application_secrets: ({ core, params }) => {
    const app = core.state.requireApplication(params.id);
    return { status: 200, body: app.secrets.map((secret) => presentSecret(core.state, app, secret)) };
  },

  create_application_secret: ({ core, params, body }) => {
    const app = core.state.requireApplication(params.id);
    if (!(secretApplicationTypes as readonly string[]).includes(app.type)) {
      throw new ApiError(422, 'application.invalid_type', `${app.type} applications have no secrets.`);
    }
    const now = core.clock.now();
    const expiresAt = body.expiresAt ?? null;
    if (expiresAt !== null && expiresAt <= now) {
      throw new ApiError(400, 'request.invalid_input', 'The value of `expiresAt` must be in the future.');
    }
    if (app.secrets.some(({ name }) => name === body.name)) throw secretNameExists(body.name);
    const secret = newSecret(body.name, now, expiresAt);
    app.secrets.push(secret);
    return { status: 201, body: presentSecret(core.state, app, secret) };
  },

  update_application_secret: ({ core, params, body }) => {
    const app = core.state.requireApplication(params.id);
    const secret = requireSecret(app, params.name);
    if (body.name !== secret.name && app.secrets.some(({ name }) => name === body.name)) {
      throw secretNameExists(body.name);
    }
    secret.name = body.name;
    return { status: 200, body: presentSecret(core.state, app, secret) };
  },

  delete_application_secret: ({ core, params }) => {
    const app = core.state.requireApplication(params.id);
    const secret = requireSecret(app, params.name);
    app.secrets = app.secrets.filter((candidate) => candidate !== secret);
    return { status: 204 };
  },

  delete_application_legacy_secret: ({ core, params }) => {
    const app = core.state.requireApplication(params.id);
    if (app.legacySecret === null) {
      throw new ApiError(400, 'application.no_legacy_secret_found', 'The application has no legacy secret.');
    }
    // Logto replaces it with an internal value that is never answered again nor accepted.
    app.legacySecret = null;
    return { status: 200, body: presentLegacySecretDeletion(core.state, app) };
  },
};
