import { Type, type Static } from '@sinclair/typebox';

import { ApplicationType } from './application.js';

/** Logto caps `page_size` at 100. */
export const maxPageSize = 100;

/** The header carrying the total of a paginated list. */
export const totalNumberHeader = 'Total-Number';

const paginationProperties = {
  page: Type.Optional(Type.Integer({ minimum: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: maxPageSize })),
};

/**
 * `page` (from 1) and `page_size`. Where pagination is optional, giving either one pages the list
 * and adds a `Total-Number` header; otherwise the whole list comes back without the header.
 */
export const PaginationQuery = Type.Object(paginationProperties);
export type PaginationQuery = Static<typeof PaginationQuery>;

/**
 * `GET /api/applications`. Besides these, the search parameters: `search.<field>=<value>`,
 * `mode.<field>=like|exact|similar_to|posix`, `joint=or|and`, `isCaseSensitive=true|false`.
 */
export const ListApplicationsQuery = Type.Object({
  types: Type.Optional(Type.Union([Type.Array(ApplicationType), ApplicationType])),
  excludeRoleId: Type.Optional(Type.String()),
  excludeOrganizationId: Type.Optional(Type.String()),
  isThirdParty: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  ...paginationProperties,
});
export type ListApplicationsQuery = Static<typeof ListApplicationsQuery>;
