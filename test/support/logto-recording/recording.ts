// A recording of Management API calls that can be compared across servers: for each call its
// method, path template, status, error `code` and the shape of the body (keys and value types,
// never values, so no secret or id lands in a recording).

/** The shape of a JSON value: a type name, `{key: shape}` for objects, `[shapes]` for arrays. */
export type Shape = string | { [key: string]: Shape } | Shape[];

export interface RecordedCall {
  /** Unique within a recording; what the call is for. */
  step: string;
  method: string;
  /** The path with `{…}` placeholders, never the ids of one run. */
  path: string;
  status: number;
  /** The error `code` of the answer (`oidc.<error>` at the token endpoint), when it has one. */
  code?: string;
  shape: Shape;
}

export interface Recording {
  version: 1;
  calls: RecordedCall[];
}

/**
 * Objects give their sorted keys with the shapes of their values; arrays the sorted, distinct shapes
 * of their items (so the number and order of items do not matter); other values their JSON type.
 */
export const shapeOf = (value: unknown): Shape => {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const distinct = new Map(value.map((item) => [JSON.stringify(shapeOf(item)), shapeOf(item)]));
    return [...distinct].sort(([a], [b]) => a.localeCompare(b)).map(([, shape]) => shape);
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(entries.map(([key, item]) => [key, shapeOf(item)]));
  }
  return typeof value;
};

export interface Difference {
  step: string;
  what: 'missing' | 'unexpected' | 'method' | 'path' | 'status' | 'code' | 'shape';
  expected?: unknown;
  actual?: unknown;
}

/** Where `actual` differs from `expected`, call by call (matched by step). */
export const compareRecordings = (expected: Recording, actual: Recording): Difference[] => {
  const differences: Difference[] = [];
  const actualBySteps = new Map(actual.calls.map((call) => [call.step, call]));
  for (const want of expected.calls) {
    const got = actualBySteps.get(want.step);
    if (!got) {
      differences.push({ step: want.step, what: 'missing' });
      continue;
    }
    for (const what of ['method', 'path', 'status', 'code'] as const) {
      if (want[what] !== got[what])
        differences.push({ step: want.step, what, expected: want[what], actual: got[what] });
    }
    if (JSON.stringify(want.shape) !== JSON.stringify(got.shape)) {
      differences.push({ step: want.step, what: 'shape', expected: want.shape, actual: got.shape });
    }
  }
  const expectedSteps = new Set(expected.calls.map(({ step }) => step));
  for (const call of actual.calls) {
    if (!expectedSteps.has(call.step)) differences.push({ step: call.step, what: 'unexpected' });
  }
  return differences;
};

/** One line per difference, for a terminal. */
export const describeDifferences = (differences: readonly Difference[]): string =>
  differences
    .map(({ step, what, expected, actual }) =>
      what === 'missing' || what === 'unexpected'
        ? `${step}: ${what}`
        : `${step}: ${what} ${JSON.stringify(expected)} != ${JSON.stringify(actual)}`,
    )
    .join('\n');
