// Logto Management API entities and request bodies (Logto OSS 1.42), as TypeBox schemas: one source
// for runtime validation and static types. Constraints mirror the OpenAPI document; where the real
// server is stricter than the document, the schemas follow the server.
export * from './schemas/common.js';
export * from './schemas/application.js';
export * from './schemas/secret.js';
export * from './schemas/role.js';
export * from './schemas/resource.js';
export * from './schemas/organization.js';
export * from './schemas/consent.js';
export * from './schemas/sign-in-experience.js';
export * from './schemas/access-control.js';
export * from './schemas/error.js';
export * from './schemas/auth.js';
export * from './schemas/query.js';
export * from './schemas/validate.js';
