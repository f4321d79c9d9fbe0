import {
  ApiException,
  HttpMethod,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
  type ResponseContext,
  type Watch,
} from '@kubernetes/client-node';
import { toKubeClient, type KubeClient } from '../kube/client.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One line of a watch stream. For ERROR events `object` is a `Status` (e.g. code 410 when expired). */
export interface WatchEvent<T extends KubernetesObject> {
  type: WatchEventType | (string & {});
  object: T;
}

/** Items per LIST page unless configured otherwise (client-go's pager uses 500 too). */
export const DEFAULT_PAGE_SIZE = 500;

export interface ListResult<T> {
  items: T[];
  /** The list's `metadata.resourceVersion`, where the watch starts. */
  resourceVersion: string;
}

export interface WatchRequest {
  /** Resource version to watch from (exclusive). */
  resourceVersion: string;
  /** Server-side timeout: the API server ends the watch cleanly after this many seconds. */
  timeoutSeconds: number;
}

export interface WatchHandle {
  /** Ends the watch; `onDone` may still be called once afterwards. */
  abort(): void;
}

/**
 * The two primitives an {@link Informer} is built on, for one resource type and scope. Separate from
 * the informer so that its supervision logic can be tested against a fake.
 */
export interface ListWatchSource<T extends KubernetesObject> {
  /** Human-readable description for logs, e.g. `secrets in ns-a (app=x)`. */
  readonly description: string;
  /** A complete, consistent list (all pages). Rejects with an error carrying `code`/`statusCode` on HTTP errors. */
  list(): Promise<ListResult<T>>;
  /**
   * Starts a watch with bookmarks. `onEvent` is called per event; `onDone` exactly once when the stream
   * ends: with no argument when it closed normally, else with the error (an HTTP 410 carries
   * `statusCode: 410`). Resolves once the request is under way (or has already failed).
   */
  watch(
    request: WatchRequest,
    onEvent: (event: WatchEvent<T>) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle>;
}

/** A resource type: `group` is '' for the core API (Secrets, ConfigMaps). */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
}

export interface KubernetesListWatchOptions {
  resource: ResourceType;
  /** Limit to one namespace; all namespaces when omitted. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Items per LIST page (default {@link DEFAULT_PAGE_SIZE}). */
  pageSize?: number;
  /**
   * How long a watch stream may send nothing before the client ends it (client-node's `Watch`
   * default: 30 s). The informer resumes such a stream at once; tests shorten it.
   */
  inactivityTimeoutMs?: number;
}

/** Collection path of a resource type, e.g. `/api/v1/namespaces/ns/secrets`. */
export function collectionPath(resource: ResourceType, namespace?: string): string {
  const base = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
  const scope = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${scope}/${resource.plural}`;
}

/**
 * Raw GETs through the generated client's configuration (auth, pooled connections, request timeout),
 * returning the JSON as
 * sent. The typed list calls would deserialise into model classes (dates as `Date`), which would not
 * match the plain objects the watch stream delivers.
 */
class RawApi extends KubernetesObjectApi {
  getJson<R>(path: string, query: Record<string, string | number | undefined>): Promise<R> {
    const context = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    context.setHeaderParam('Accept', 'application/json');
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) context.setQueryParam(name, String(value));
    }
    return this.requestPromise(context, 'any') as Promise<R>;
  }

  /**
   * The body as sent. The inherited version runs a list through client-node's ObjectSerializer, which
   * reads the list's `metadata` as an object's (V1ObjectMeta) and so drops `continue`: every list would
   * end after its first page.
   */
  protected override async processResponse<T>(response: ResponseContext): Promise<T> {
    const body = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return JSON.parse(body) as T;
    throw new ApiException(
      response.httpStatusCode,
      'Unsuccessful HTTP Request',
      parseBody(body),
      response.headers,
    );
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A list as sent on the wire (`continue`, where the generated model says `_continue`). */
export interface RawList<T> {
  items?: T[] | null;
  metadata?: { resourceVersion?: string; continue?: string };
}

/** One LIST request: `limit` undefined asks for everything at once. */
export type FetchListPage<T> = (page: { limit?: number; continue?: string }) => Promise<RawList<T>>;

/**
 * A complete list, page after page until the server sends no `continue` token, like client-go's pager.
 * The pages of one paginated list are one consistent snapshot: its resourceVersion (the last page's)
 * is where a watch resumes. If the token expires between pages (410), the list is taken again without
 * pagination, as client-go's pager falls back.
 */
export async function listAllPages<T>(
  fetchPage: FetchListPage<T>,
  pageSize: number | undefined,
): Promise<ListResult<T>> {
  let pagesFetched = 0;
  try {
    return await collectPages(fetchPage, pageSize, () => pagesFetched++);
  } catch (err) {
    // Only an expired continue token (a later page) falls back; a 410 on the first page is the caller's.
    if (isGone(err) && pagesFetched > 0) return collectPages(fetchPage, undefined, () => {});
    throw err;
  }
}

async function collectPages<T>(
  fetchPage: FetchListPage<T>,
  limit: number | undefined,
  onPage: () => void,
): Promise<ListResult<T>> {
  const items: T[] = [];
  let continueToken: string | undefined;
  let resourceVersion = '';
  do {
    const page = await fetchPage({
      ...(limit !== undefined ? { limit } : {}),
      ...(continueToken ? { continue: continueToken } : {}),
    });
    onPage();
    for (const item of page.items ?? []) items.push(item);
    resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken);
  return { items, resourceVersion };
}

function isGone(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 410;
}

/** List+watch of one resource type through `@kubernetes/client-node` (`Watch` for the stream). */
export class KubernetesListWatch<T extends KubernetesObject> implements ListWatchSource<T> {
  readonly description: string;
  private readonly path: string;
  private readonly api: RawApi;
  private readonly watcher: Watch;
  private readonly options: KubernetesListWatchOptions;

  /** `kube`: the operator's shared client (a bare KubeConfig gets one of its own). */
  constructor(kube: KubeConfig | KubeClient, options: KubernetesListWatchOptions) {
    this.options = options;
    this.path = collectionPath(options.resource, options.namespace);
    const client = toKubeClient(kube);
    this.api = client.api(RawApi);
    this.watcher = client.watch();
    if (options.inactivityTimeoutMs !== undefined) {
      // A private field in client-node 2.0's typings, read on every watch (runtime-informer's
      // quiet-period test fails should it stop being used).
      (this.watcher as unknown as { requestTimeoutMs: number }).requestTimeoutMs =
        options.inactivityTimeoutMs;
    }
    const { group, plural } = options.resource;
    const selector = [options.labelSelector, options.fieldSelector].filter(Boolean).join(',');
    this.description =
      `${group ? `${plural}.${group}` : plural} in ${options.namespace ?? 'all namespaces'}` +
      (selector ? ` (${selector})` : '');
  }

  list(): Promise<ListResult<T>> {
    return listAllPages<T>(
      (page) =>
        this.api.getJson<RawList<T>>(this.path, {
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
          limit: page.limit,
          continue: page.continue,
        }),
      this.options.pageSize ?? DEFAULT_PAGE_SIZE,
    );
  }

  async watch(
    request: WatchRequest,
    onEvent: (event: WatchEvent<T>) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    let done = false;
    const doneOnce = (err?: unknown) => {
      if (done) return;
      done = true;
      onDone(err ?? undefined);
    };
    let aborted = false;
    let controller: AbortController | undefined;
    const handle: WatchHandle = {
      abort: () => {
        aborted = true;
        controller?.abort();
      },
    };
    try {
      controller = await this.watcher.watch(
        this.path,
        {
          resourceVersion: request.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: request.timeoutSeconds,
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
        },
        (type: string, object: T) => {
          if (!done) onEvent({ type, object });
        },
        doneOnce,
      );
      // `Watch.watch` only hands out its AbortController once the response has arrived.
      if (aborted) controller.abort();
    } catch (err) {
      // Raised before any request was made, e.g. credentials could not be obtained.
      doneOnce(err);
    }
    return handle;
  }
}
