import type { KubernetesObject } from '@kubernetes/client-node';
import type {
  ListResult,
  ListWatchSource,
  WatchEvent,
  WatchHandle,
  WatchRequest,
} from '../../../src/runtime/list-watch.js';

export interface FakeWatch {
  request: WatchRequest;
  aborted: boolean;
  ended: boolean;
  emit(type: string, object: KubernetesObject): void;
  /** Ends the stream as the client would: no argument for a clean close. */
  end(err?: unknown): void;
}

/** An in-memory API server for one resource type: a store with resource versions, lists and watches. */
export class FakeSource implements ListWatchSource<KubernetesObject> {
  readonly description = 'fake';
  readonly objects = new Map<string, KubernetesObject>();
  readonly watches: FakeWatch[] = [];
  listCalls = 0;
  /** Errors thrown by the next list calls, in order. */
  listErrors: unknown[] = [];
  private rv = 100;

  /** Writes an object to the "server" (not to any watch) and returns the stored copy. */
  put(name: string, data: Record<string, string> = {}, namespace = 'ns'): KubernetesObject {
    const obj = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, resourceVersion: String(++this.rv) },
      data,
    };
    this.objects.set(`${namespace}/${name}`, obj);
    return obj;
  }

  remove(name: string, namespace = 'ns'): KubernetesObject {
    const obj = this.objects.get(`${namespace}/${name}`);
    if (!obj) throw new Error(`no ${name}`);
    this.objects.delete(`${namespace}/${name}`);
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
  }

  nextResourceVersion(): string {
    return String(++this.rv);
  }

  get current(): FakeWatch {
    const watch = this.watches.at(-1);
    if (!watch) throw new Error('no watch started');
    return watch;
  }

  async list(): Promise<ListResult<KubernetesObject>> {
    this.listCalls++;
    if (this.listErrors.length > 0) throw this.listErrors.shift();
    return { items: [...this.objects.values()], resourceVersion: String(this.rv) };
  }

  async watch(
    request: WatchRequest,
    onEvent: (event: WatchEvent<KubernetesObject>) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    const watch: FakeWatch = {
      request,
      aborted: false,
      ended: false,
      emit: (type, object) => {
        if (!watch.ended) onEvent({ type, object });
      },
      end: (err) => {
        if (watch.ended) return;
        watch.ended = true;
        onDone(err);
      },
    };
    this.watches.push(watch);
    return {
      abort: () => {
        watch.aborted = true;
        // Like the real client: aborting ends the stream with an AbortError.
        watch.end(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      },
    };
  }
}
