import type { Condition } from '../../crd/logto-application.js';

export type ConditionStatus = Condition['status'];

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration: number;
}

const MAX_MESSAGE = 32768;

/**
 * Returns `conditions` with `update` merged in, following metav1.Condition semantics:
 * lastTransitionTime moves only when the status changes. The input is not modified.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === update.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message.slice(0, MAX_MESSAGE),
    observedGeneration: update.observedGeneration,
    lastTransitionTime:
      previous && previous.status === update.status
        ? previous.lastTransitionTime
        : now.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}
