export {
  LAST_APPLIED_ANNOTATION,
  digestAppliedSecret,
  MAX_DIGESTED_KEYS,
  valueDigest,
  type SecretDigest,
  stripManagedFields,
  stripWriteBookkeeping,
} from './cache-transforms.js';
export { realClock, sleep, type Clock, type TimerHandle } from './clock.js';
export {
  Controller,
  type ControllerMetrics,
  type ControllerOptions,
  type ReconcileContext,
  type ReconcileFinishedEvent,
  type ReconcileOutcome,
  type ReconcileResult,
  type RequeueAfterError,
  type Reconciler,
  type StopOptions as ControllerStopOptions,
  type StopResult,
} from './controller.js';
export { describeError, httpStatusOf } from './errors.js';
export { enqueueHandlers, ownerKeys, type EnqueueOptions, type KeyQueue } from './handlers.js';
export {
  Informer,
  type DeleteInfo,
  type InformerHandlers,
  type InformerMetrics,
  type InformerOptions,
  type InformerStats,
  type RelistReason,
  type WatchEndReason,
} from './informer.js';
export {
  DEFAULT_PAGE_SIZE,
  KubernetesListWatch,
  collectionPath,
  listAllPages,
  type FetchListPage,
  type RawList,
  type KubernetesListWatchOptions,
  type ListResult,
  type ListWatchSource,
  type ResourceType,
  type WatchEvent,
  type WatchEventType,
  type WatchHandle,
  type WatchRequest,
} from './list-watch.js';
export { keyFromString, keyOf, keyToString, type ObjectKey } from './object-key.js';
export {
  BucketRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type BucketRateLimiterOptions,
  type DefaultRateLimiterOptions,
  type ExponentialRateLimiterOptions,
  type RateLimiter,
} from './rate-limiter.js';
export { WorkQueue, type GetResult, type WorkQueueMetrics, type WorkQueueOptions } from './workqueue.js';
