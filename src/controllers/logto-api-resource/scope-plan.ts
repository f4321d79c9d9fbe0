/**
 * What to change so that an API resource has exactly the declared scopes, keyed by name (Logto's
 * names are unique per resource and case-sensitive). Logto stores an empty description as null.
 */
export interface ScopeLike {
  id: string;
  name: string;
  description: string | null;
}

export interface ScopePlan {
  create: Array<{ name: string; description: string | null }>;
  describe: Array<{ id: string; name: string; description: string | null }>;
  remove: Array<{ id: string; name: string }>;
}

export function planScopes(
  current: readonly ScopeLike[],
  desired: ReadonlyArray<{ name: string; description?: string | undefined }>,
): ScopePlan {
  const have = new Map(current.map((scope) => [scope.name, scope]));
  const want = new Set(desired.map((scope) => scope.name));
  const plan: ScopePlan = { create: [], describe: [], remove: [] };
  for (const { name, description } of desired) {
    const wanted = description || null;
    const existing = have.get(name);
    if (!existing) plan.create.push({ name, description: wanted });
    else if ((existing.description || null) !== wanted)
      plan.describe.push({ id: existing.id, name, description: wanted });
  }
  for (const scope of current)
    if (!want.has(scope.name)) plan.remove.push({ id: scope.id, name: scope.name });
  return plan;
}
