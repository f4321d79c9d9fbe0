/**
 * Turns a TypeBox (JSON Schema) tree into a Kubernetes structural schema: the subset of OpenAPI v3
 * that CRDs accept. Everything else TypeBox emits (its symbols, `additionalProperties: false`,
 * `patternProperties` of records) is dropped or mapped here, so that the TypeScript types stay
 * the one source of truth.
 */
const KEPT_KEYS = new Set([
  'description',
  'type',
  'format',
  'enum',
  'default',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'required',
  'nullable',
]);

type JsonObject = Record<string, unknown>;

export function toStructuralSchema(schema: unknown, path = '$'): JsonObject {
  if (!schema || typeof schema !== 'object') throw new Error(`${path}: schema node is not an object`);
  const node = schema as JsonObject;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (KEPT_KEYS.has(key) || key.startsWith('x-kubernetes-')) out[key] = structuredClone(value);
  }
  if (typeof out.type !== 'string')
    throw new Error(`${path}: every node of a structural schema needs a type`);
  if (Array.isArray(out.required) && out.required.length === 0) delete out.required;

  if (node.properties && typeof node.properties === 'object') {
    const properties: JsonObject = {};
    for (const [name, child] of Object.entries(node.properties as JsonObject)) {
      properties[name] = toStructuralSchema(child, `${path}.${name}`);
    }
    out.properties = properties;
  } else if (
    out.type === 'object' &&
    node.patternProperties &&
    !out['x-kubernetes-preserve-unknown-fields']
  ) {
    // A TypeBox Record: map values of one schema.
    const values = Object.values(node.patternProperties as JsonObject);
    if (values.length !== 1) throw new Error(`${path}: records must have exactly one value schema`);
    out.additionalProperties = toStructuralSchema(values[0], `${path}[*]`);
  }
  if (node.items) out.items = toStructuralSchema(node.items, `${path}[]`);
  return out;
}
