/**
 * What to change so that an application holds exactly the desired roles. Logto refuses an insert
 * of nothing (`PUT …/roles` with nothing new answers 422 after applying its removals), so roles go
 * one by one with DELETE and are added with POST, and only when there is something to add.
 */
export interface RolePlan {
  /** Role ids to add in one POST; never empty when set. */
  add?: string[];
  /** Role ids to remove, one DELETE each. */
  remove: string[];
}

export function planRoles(current: readonly string[], desired: readonly string[]): RolePlan {
  const have = new Set(current);
  const want = new Set(desired);
  const add = [...want].filter((id) => !have.has(id));
  return {
    ...(add.length > 0 ? { add } : {}),
    remove: [...have].filter((id) => !want.has(id)),
  };
}
