import {
  FormatRegistry,
  Type,
  type SchemaOptions,
  type TLiteral,
  type TSchema,
  type TUnion,
} from '@sinclair/typebox';

// TypeBox refuses values whose `format` is not registered, so every format used by these schemas is
// registered once, here, as a side effect of importing any schema module.
if (!FormatRegistry.Has('url')) FormatRegistry.Set('url', (value) => URL.canParse(value));

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

/** A closed set of strings, as a union of literals (valid JSON Schema, precise static type). */
export const StringEnum = <const T extends readonly [string, ...string[]]>(
  values: T,
  options?: SchemaOptions,
): TUnion<Literals<T>> =>
  Type.Union(
    values.map((value) => Type.Literal(value)),
    options,
  ) as unknown as TUnion<Literals<T>>;

/** OpenAPI `nullable: true`. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Logto entity ids (`generateStandardId`, 21 characters at most). */
export const EntityId = Type.String({ minLength: 1, maxLength: 21 });
export const TenantId = Type.String({ maxLength: 21 });

/** A free-form JSON object (`customData`, the custom-data merge body and answer). */
export const JsonObject = Type.Record(Type.String(), Type.Unknown());

/** `#rgb` or `#rrggbb`, any case (Logto writes it as the literal `/^#[\da-f]{3}([\da-f]{3})?$/i`). */
export const HexColor = Type.String({ pattern: '^#[\\da-fA-F]{3}([\\da-fA-F]{3})?$' });

export const Color = Type.Object({
  primaryColor: Type.Optional(HexColor),
  isDarkModeEnabled: Type.Optional(Type.Boolean()),
  darkPrimaryColor: Type.Optional(HexColor),
});

export const Branding = Type.Object({
  logoUrl: Type.Optional(Type.String({ format: 'url' })),
  darkLogoUrl: Type.Optional(Type.String({ format: 'url' })),
  favicon: Type.Optional(Type.String({ format: 'url' })),
  darkFavicon: Type.Optional(Type.String({ format: 'url' })),
});
