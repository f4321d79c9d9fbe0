// Helpers of the contract tests: load Logto's OpenAPI document and the generated client's operation
// list from /work/shared, reduce OpenAPI 3.0 and TypeBox schemas to one comparable form, and build
// ajv validators from the document's schemas.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = path.resolve(repoRoot, '../shared');
export const openApiFile = path.join(sharedDir, 'logto/management-openapi.json');
export const seedFile = path.join(sharedDir, 'seed/ApplicationsApi.md');

/** Why the contract tests are skipped, or undefined when their sources are present. */
export const missingSources = (): string | undefined => {
  const missing = [openApiFile, seedFile].filter((file) => !existsSync(file));
  return missing.length > 0 ? `contract sources not found: ${missing.join(', ')}` : undefined;
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonSchema = { [key: string]: Json };

export interface OpenApiOperation {
  parameters?: JsonSchema[];
  requestBody?: { content?: { 'application/json'?: { schema?: JsonSchema } } };
  responses: Record<string, { content?: { 'application/json'?: { schema?: JsonSchema } } }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema>; parameters: Record<string, JsonSchema> };
}

export const loadOpenApi = (): OpenApiDocument =>
  JSON.parse(readFileSync(openApiFile, 'utf8')) as OpenApiDocument;

export interface SeedOperation {
  name: string;
  method: string;
  path: string;
}

/** The operation index of the generated client's ApplicationsApi.md. */
export const loadSeedOperations = (): SeedOperation[] => {
  const text = readFileSync(seedFile, 'utf8');
  const rows = text.matchAll(/^\[\*\*(\w+)\*\*\]\([^)]*\) \| \*\*(\w+)\*\* (\S+) \|/gm);
  return [...rows].map(([, name = '', method = '', route = '']) => ({ name, method, path: route }));
};

/** Inlines `$ref`s (`#/components/...`) recursively. */
export const deref = (doc: OpenApiDocument, value: Json): Json => {
  if (Array.isArray(value)) return value.map((item) => deref(doc, item));
  if (value === null || typeof value !== 'object') return value;
  const ref = value.$ref;
  if (typeof ref === 'string') {
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
    if (target === undefined) throw new Error(`Unresolved $ref ${ref}`);
    return deref(doc, target as Json);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, deref(doc, item)]));
};

export const docOperation = (doc: OpenApiDocument, method: string, route: string) =>
  doc.paths[route]?.[method.toLowerCase()];

export const docRequestSchema = (doc: OpenApiDocument, operation: OpenApiOperation) => {
  const schema = operation.requestBody?.content?.['application/json']?.schema;
  return schema && (deref(doc, schema) as JsonSchema);
};

export const docResponseSchema = (doc: OpenApiDocument, operation: OpenApiOperation, status: number) => {
  const schema = operation.responses[String(status)]?.content?.['application/json']?.schema;
  return schema && (deref(doc, schema) as JsonSchema);
};

/** Query parameters (name → schema), without the free-form `search_params`. */
export const docQueryParameters = (doc: OpenApiDocument, operation: OpenApiOperation) => {
  const parameters = (operation.parameters ?? []).map((parameter) => deref(doc, parameter) as JsonSchema);
  return Object.fromEntries(
    parameters
      .filter((parameter) => parameter.in === 'query' && parameter.name !== 'search_params')
      .map((parameter) => [String(parameter.name), parameter.schema as JsonSchema]),
  );
};

export const docHasSearchParams = (operation: OpenApiOperation) =>
  (operation.parameters ?? []).some((parameter) => parameter.name === 'search_params');

// ---------------------------------------------------------------------------------------------
// A common form of OpenAPI 3.0 (nullable, oneOf, format tricks) and TypeBox (anyOf, const, null)
// schemas, compared structurally.

type Variant =
  | {
      kind: 'string';
      enum?: string[];
      minLength?: number;
      maxLength?: number;
      format?: string;
      pattern?: string;
    }
  | { kind: 'number' | 'integer'; minimum?: number; maximum?: number }
  | { kind: 'boolean' | 'any' }
  | { kind: 'array'; items: Shape; minItems?: number; maxItems?: number }
  | {
      kind: 'object';
      properties: Record<string, Shape>;
      required: string[];
      additional: 'open' | 'closed' | Shape;
    };

interface Shape {
  nullable: boolean;
  variants: Variant[];
}

const isAnyPattern = (schema: JsonSchema) => {
  const patterns = schema.patternProperties;
  if (!patterns || typeof patterns !== 'object' || Array.isArray(patterns)) return false;
  const entries = Object.entries(patterns);
  return entries.length === 1 && entries[0]?.[0] === '^(.*)$';
};

const num = (value: Json | undefined) => (typeof value === 'number' ? value : undefined);

/** Reduces a (dereferenced) schema of either dialect to a Shape. */
export const shapeOf = (schema: JsonSchema): Shape => {
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) {
    const branches = union.map(shapeOf);
    return mergeStringEnums({
      nullable: schema.nullable === true || branches.some((branch) => branch.nullable),
      variants: branches.flatMap((branch) => branch.variants),
    });
  }
  const nullable = schema.nullable === true;
  if (schema.type === 'null') return { nullable: true, variants: [] };
  if (schema.const !== undefined)
    return { nullable, variants: [{ kind: 'string', enum: [String(schema.const)] }] };
  switch (schema.type) {
    case 'string': {
      const variant: Variant & { kind: 'string' } = { kind: 'string' };
      if (Array.isArray(schema.enum)) variant.enum = schema.enum.map(String).sort();
      variant.minLength = num(schema.minLength);
      variant.maxLength = num(schema.maxLength);
      const format = typeof schema.format === 'string' ? schema.format : undefined;
      const quoted = format && /^"(.*)"$/.exec(format)?.[1];
      if (format === 'empty') variant.enum = [''];
      else if (quoted !== undefined && quoted !== null && quoted !== '') variant.enum = [quoted];
      else if (format && !(format === 'regex' && schema.pattern)) variant.format = format;
      if (typeof schema.pattern === 'string') variant.pattern = schema.pattern;
      return { nullable, variants: [variant] };
    }
    case 'number':
    case 'integer':
      return {
        nullable,
        variants: [{ kind: schema.type, minimum: num(schema.minimum), maximum: num(schema.maximum) }],
      };
    case 'boolean':
      return { nullable, variants: [{ kind: 'boolean' }] };
    case 'array':
      return {
        nullable,
        variants: [
          {
            kind: 'array',
            items: shapeOf((schema.items ?? {}) as JsonSchema),
            minItems: num(schema.minItems),
            maxItems: num(schema.maxItems),
          },
        ],
      };
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const additionalProperties = schema.additionalProperties;
      const additional =
        additionalProperties === false
          ? 'closed'
          : additionalProperties &&
              typeof additionalProperties === 'object' &&
              !Array.isArray(additionalProperties)
            ? Object.keys(additionalProperties).length === 0
              ? 'open'
              : shapeOf(additionalProperties)
            : 'open';
      return {
        nullable,
        variants: [
          {
            kind: 'object',
            properties: Object.fromEntries(
              Object.entries(properties).map(([key, value]) => [key, shapeOf(value)]),
            ),
            required: ((schema.required ?? []) as string[]).slice().sort(),
            additional: isAnyPattern(schema) ? 'open' : additional,
          },
        ],
      };
    }
    default:
      return { nullable, variants: [{ kind: 'any' }] };
  }
};

// `'a' | 'b'` arrives as two one-value string variants; fold plain enum variants into one.
const mergeStringEnums = (shape: Shape): Shape => {
  const isPlainEnum = (variant: Variant) =>
    variant.kind === 'string' &&
    variant.enum !== undefined &&
    variant.minLength === undefined &&
    variant.maxLength === undefined &&
    variant.format === undefined &&
    variant.pattern === undefined;
  const enums = shape.variants.filter(isPlainEnum);
  if (enums.length < 2) return shape;
  const values = enums.flatMap((variant) => (variant.kind === 'string' ? (variant.enum ?? []) : []));
  return {
    nullable: shape.nullable,
    variants: [
      ...shape.variants.filter((variant) => !isPlainEnum(variant)),
      { kind: 'string', enum: [...new Set(values)].sort() },
    ],
  };
};

const variantKey = (variant: Variant) =>
  variant.kind === 'string'
    ? `string:${variant.format ?? ''}:${variant.enum?.join('|') ?? ''}`
    : variant.kind;

const patternSamples = [
  '#fff',
  '#FFF',
  '#a1b2c3',
  '#A1B2C3',
  '#ff',
  '#ffff',
  'fff',
  '',
  '#ggg',
  'https://example.com/callback',
  'io.example.app://callback',
  'not a url',
];

/** `/source/flags` (how Logto writes regexes) or a JSON Schema pattern. */
export const toRegExp = (pattern: string): RegExp => {
  const literal = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  return literal ? new RegExp(literal[1] ?? '', literal[2]) : new RegExp(pattern, 'u');
};

const samePattern = (a: string, b: string) => {
  const [left, right] = [toRegExp(a), toRegExp(b)];
  return patternSamples.every((sample) => left.test(sample) === right.test(sample));
};

/**
 * Differences between the document's schema and ours, one line each (`$.a.b[]: …`). An empty list
 * means: same properties, required sets, types, enums, nullability, bounds and formats.
 */
export const compareShapes = (doc: Shape, ours: Shape, at = '$'): string[] => {
  const diffs: string[] = [];
  if (doc.nullable !== ours.nullable) diffs.push(`${at}: nullable in ${doc.nullable ? 'doc' : 'ours'} only`);
  const docVariants = [...doc.variants].sort((a, b) => variantKey(a).localeCompare(variantKey(b)));
  const ourVariants = [...ours.variants].sort((a, b) => variantKey(a).localeCompare(variantKey(b)));
  if (docVariants.length !== ourVariants.length) {
    diffs.push(
      `${at}: types doc=[${docVariants.map(variantKey).join(', ')}] ours=[${ourVariants.map(variantKey).join(', ')}]`,
    );
    return diffs;
  }
  docVariants.forEach((docVariant, index) => {
    const ourVariant = ourVariants[index];
    if (ourVariant) diffs.push(...compareVariants(docVariant, ourVariant, at));
  });
  return diffs;
};

const compareBound = (diffs: string[], at: string, name: string, doc?: number, ours?: number) => {
  if (doc !== ours) diffs.push(`${at}: ${name} doc=${doc ?? 'none'} ours=${ours ?? 'none'}`);
};

const compareVariants = (doc: Variant, ours: Variant, at: string): string[] => {
  if (doc.kind !== ours.kind) return [`${at}: type doc=${doc.kind} ours=${ours.kind}`];
  const diffs: string[] = [];
  if (doc.kind === 'string' && ours.kind === 'string') {
    const [docEnum, ourEnum] = [doc.enum?.join('|'), ours.enum?.join('|')];
    if (docEnum !== ourEnum) diffs.push(`${at}: enum doc=[${docEnum ?? 'any'}] ours=[${ourEnum ?? 'any'}]`);
    compareBound(diffs, at, 'minLength', doc.minLength, ours.minLength);
    compareBound(diffs, at, 'maxLength', doc.maxLength, ours.maxLength);
    if (doc.format !== ours.format)
      diffs.push(`${at}: format doc=${doc.format ?? 'none'} ours=${ours.format ?? 'none'}`);
    if (doc.pattern === undefined || ours.pattern === undefined) {
      if (doc.pattern !== ours.pattern) diffs.push(`${at}: pattern in ${doc.pattern ? 'doc' : 'ours'} only`);
    } else if (!samePattern(doc.pattern, ours.pattern)) {
      diffs.push(`${at}: pattern doc=${doc.pattern} ours=${ours.pattern}`);
    }
  } else if (
    (doc.kind === 'number' || doc.kind === 'integer') &&
    (ours.kind === 'number' || ours.kind === 'integer')
  ) {
    compareBound(diffs, at, 'minimum', doc.minimum, ours.minimum);
    compareBound(diffs, at, 'maximum', doc.maximum, ours.maximum);
  } else if (doc.kind === 'array' && ours.kind === 'array') {
    compareBound(diffs, at, 'minItems', doc.minItems, ours.minItems);
    compareBound(diffs, at, 'maxItems', doc.maxItems, ours.maxItems);
    diffs.push(...compareShapes(doc.items, ours.items, `${at}[]`));
  } else if (doc.kind === 'object' && ours.kind === 'object') {
    const names = new Set([...Object.keys(doc.properties), ...Object.keys(ours.properties)]);
    for (const name of [...names].sort()) {
      const [docProperty, ourProperty] = [doc.properties[name], ours.properties[name]];
      if (!docProperty) diffs.push(`${at}.${name}: in ours only`);
      else if (!ourProperty) diffs.push(`${at}.${name}: in doc only`);
      else diffs.push(...compareShapes(docProperty, ourProperty, `${at}.${name}`));
    }
    if (doc.required.join() !== ours.required.join()) {
      diffs.push(`${at}: required doc=[${doc.required.join(', ')}] ours=[${ours.required.join(', ')}]`);
    }
    if (typeof doc.additional === 'string' || typeof ours.additional === 'string') {
      if (doc.additional !== ours.additional) diffs.push(`${at}: additional properties differ`);
    } else {
      diffs.push(...compareShapes(doc.additional, ours.additional, `${at}{*}`));
    }
  }
  return diffs;
};

export const compareSchemas = (doc: JsonSchema, ours: unknown): string[] =>
  compareShapes(shapeOf(doc), shapeOf(JSON.parse(JSON.stringify(ours)) as JsonSchema));

// ---------------------------------------------------------------------------------------------
// ajv validators of the document's schemas.

/**
 * Turns an OpenAPI 3.0 schema into JSON Schema for ajv: `nullable`, Logto's `/…/i` regex literals,
 * `format: "true"`-style literals. With `closed`, objects reject properties the document does not
 * list, so the emulator cannot drift into undocumented fields unnoticed.
 */
export const toJsonSchema = (schema: Json, closed: boolean): Json => {
  if (Array.isArray(schema)) return schema.map((item) => toJsonSchema(item, closed));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'description' || key === 'deprecated') continue;
    if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, item]) => [name, toJsonSchema(item, closed)]),
      );
    } else {
      out[key] = toJsonSchema(value, closed);
    }
  }
  if (typeof out.pattern === 'string' && /^\/.*\/[a-z]*$/.test(out.pattern)) {
    const regex = toRegExp(out.pattern);
    delete out.pattern;
    out['x-regexp'] = { source: regex.source, flags: regex.flags };
  }
  if (out.format === 'regex') delete out.format;
  const quoted = typeof out.format === 'string' ? /^"(.*)"$/.exec(out.format)?.[1] : undefined;
  if (quoted !== undefined) {
    delete out.format;
    out.const = quoted;
  }
  if (closed && out.type === 'object' && out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  if (schema.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export const createAjv = (): Ajv => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('url', { type: 'string', validate: (value: string) => URL.canParse(value) });
  ajv.addFormat('empty', { type: 'string', validate: (value: string) => value === '' });
  ajv.addKeyword({
    keyword: 'x-regexp',
    type: 'string',
    schemaType: 'object',
    validate: (regexp: { source: string; flags: string }, value: string) =>
      new RegExp(regexp.source, regexp.flags).test(value),
  });
  return ajv;
};

export const describeErrors = (validate: ValidateFunction) =>
  (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`).join('; ');
