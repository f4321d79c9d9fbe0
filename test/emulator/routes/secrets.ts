// Client secrets of an application, and the legacy secret.
import { secretApplicationTypes } from '../../../src/api/schemas.js';
import { ApiError, constraintViolated, relationNotFound } from '../errors.js';
import { presentLegacySecretDeletion, presentSecret } from '../present.js';
import { newSecret } from '../records.js';
import type { ApplicationRecord } from '../state.js';
import type { OperationHandlers } from './context.js';

const secretNameExists = (name: string) =>
  new ApiError(422, 'application.secret_name_exists', `A secret named "${name}" already exists.`);

/** An unknown name: PATCH answers 404 `entity.not_exists`, DELETE 404 `entity.not_found` (BEHAVIOUR.md, "Secrets"). */
const requireSecret = (app: ApplicationRecord, name: string, notFound: () => ApiError) => {
  const secret = app.secrets.find((candidate) => candidate.name === name);
  if (!secret) throw notFound();
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
    const now = core.clock.now();
    const expiresAt = body.expiresAt ?? null;
    // 0 is accepted and never expires (BEHAVIOUR.md, "Secrets").
    if (expiresAt && expiresAt <= now) {
      throw new ApiError(400, 'request.invalid_input', 'The value of `expiresAt` must be in the future.');
    }
    if (app.secrets.some(({ name }) => name === body.name)) throw secretNameExists(body.name);
    // SPA and Native apps cannot hold secrets: a database constraint refuses the insert.
    if (!(secretApplicationTypes as readonly string[]).includes(app.type)) throw constraintViolated();
    const secret = newSecret(body.name, now, expiresAt);
    app.secrets.push(secret);
    return { status: 201, body: presentSecret(core.state, app, secret) };
  },

  update_application_secret: ({ core, params, body }) => {
    const app = core.state.requireApplication(params.id);
    const secret = requireSecret(
      app,
      params.name,
      () => new ApiError(404, 'entity.not_exists', 'The application_secrets does not exist.'),
    );
    if (body.name !== secret.name && app.secrets.some(({ name }) => name === body.name)) {
      throw secretNameExists(body.name);
    }
    secret.name = body.name;
    return { status: 200, body: presentSecret(core.state, app, secret) };
  },

  delete_application_secret: ({ core, params }) => {
    const app = core.state.requireApplication(params.id);
    const secret = requireSecret(app, params.name, () =>
      relationNotFound(`The application has no secret named "${params.name}".`),
    );
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
