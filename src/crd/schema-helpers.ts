import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox';

/** A CEL validation rule, as the apiserver evaluates it (`x-kubernetes-validations`). */
export interface CelRule {
  rule: string;
  message: string;
  /** A field path (JSONPath-like) the error is reported on, relative to the schema node. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export function celRules(...rules: CelRule[]): { 'x-kubernetes-validations': CelRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/** A string restricted to a fixed set of values: a plain `enum` keeps the CRD schema structural. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** Free-form JSON object, kept as-is by the apiserver (`x-kubernetes-preserve-unknown-fields`). */
export function FreeFormObject(options: SchemaOptions = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({
    ...options,
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  });
}

/** `metav1.Condition`, with the constraints of the Kubernetes API conventions. */
export function ConditionSchema() {
  return Type.Object(
    {
      type: Type.String({
        description: 'Type of condition in CamelCase, e.g. Ready.',
        maxLength: 316,
        pattern:
          '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      }),
      status: StringEnum(['True', 'False', 'Unknown'] as const, { description: 'Status of the condition.' }),
      observedGeneration: Type.Optional(
        Type.Integer({
          format: 'int64',
          minimum: 0,
          description: 'The .metadata.generation that the condition was set based upon.',
        }),
      ),
      lastTransitionTime: Type.String({
        format: 'date-time',
        description: 'Last time the condition changed from one status to another.',
      }),
      reason: Type.String({
        minLength: 1,
        maxLength: 1024,
        pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
        description: 'Programmatic identifier (CamelCase) for the reason of the last transition.',
      }),
      message: Type.String({
        maxLength: 32768,
        description: 'Human-readable message with details about the last transition.',
      }),
    },
    { description: 'A metav1.Condition: one aspect of the current state of this resource.' },
  );
}

/** status.observedGeneration. */
export function ObservedGenerationSchema() {
  return Type.Integer({
    format: 'int64',
    minimum: 0,
    description: 'The .metadata.generation that the status was last computed for.',
  });
}
