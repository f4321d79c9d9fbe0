/**
 * One paged list of a tenant's applications, shared by every resource of a connection: a periodic
 * pass (nothing changed in the spec) observes its application from this list instead of a GET each,
 * so a resync of N applications costs about N/100 list calls instead of N reads.
 *
 * A listed copy is trusted only while it is younger than `maxAgeMs` and the operator has not written
 * that application since its page was read (`invalidate`); otherwise `lookup` answers undefined and
 * the caller reads the application itself. The list is read again at most once at a time: lookups
 * arriving meanwhile wait for the same read.
 */
import type { Application } from './schemas.js';
import { forEachPage } from './client.js';

export interface ApplicationPage {
  items: Application[];
  total: number;
}

export interface ApplicationListOptions {
  /** Reads one page (from 1) of the tenant's applications, newest first. */
  readPage: (page: number, pageSize: number) => Promise<ApplicationPage>;
  /** How long a list may be used: the resync period, so each period reads it about once. */
  maxAgeMs: number;
  /** Logto allows 1–100. */
  pageSize?: number;
  /**
   * Keys each application can be found under with `indexedReadAfter` (e.g. its ownership marker's),
   * so that a search for a few does not parse every listed application.
   */
  indexKeys?: (application: Application) => string[];
  /**
   * A list that keeps growing while it is read (Logto's pages are not a snapshot) fails past this
   * many pages rather than stop with a part of the tenant.
   */
  maxPages?: number;
  now?: () => number;
}

interface Listing {
  /** When the read began: copies are as old as that. */
  readAt: number;
  /**
   * Each application as JSON, with the write counter when its page was read. Kept as text: a listed
   * application is read back once or twice per period, and ten thousand of them as objects would
   * take several times the memory of the text.
   */
  byId: Map<string, { json: string; readAtWrite: number }>;
  /** Ids by index key (see ApplicationListOptions.indexKeys). */
  byKey: Map<string, Set<string>>;
}

export class SharedApplicationList {
  private readonly now: () => number;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private current: Listing | undefined;
  private reading: Promise<Listing> | undefined;
  /** Counts the operator's writes; `lastWrite` keeps the count at each application's latest one. */
  private writes = 0;
  private readonly lastWrite = new Map<string, number>();
  /** Calls made to read lists, for metrics and benchmarks. */
  pagesRead = 0;

  constructor(private readonly options: ApplicationListOptions) {
    this.now = options.now ?? Date.now;
    this.pageSize = options.pageSize ?? 100;
    this.maxPages = options.maxPages ?? 10_000;
  }

  /**
   * The application as listed, when a list younger than maxAgeMs holds it and the operator has not
   * written it since; undefined otherwise (not listed, or its copy may be stale). Reads the list
   * first when the last one is too old.
   */
  async lookup(id: string): Promise<Application | undefined> {
    const listing = await this.fresh();
    const entry = listing.byId.get(id);
    if (!entry) return undefined;
    const written = this.lastWrite.get(id);
    return written !== undefined && written > entry.readAtWrite
      ? undefined
      : (JSON.parse(entry.json) as Application);
  }

  /**
   * The applications indexed under any of `keys` in a list whose read began at or after `since` (epoch
   * ms), reading it when the last one is too old; undefined when the current list, though young
   * enough, began before `since`. Copies may predate the operator's later writes: callers verify
   * what they act on.
   */
  async indexedReadAfter(since: number, keys: string[]): Promise<Application[] | undefined> {
    const listing = await this.fresh();
    if (listing.readAt < since) return undefined;
    const ids = new Set(keys.flatMap((key) => [...(listing.byKey.get(key) ?? [])]));
    return [...ids].map((id) => JSON.parse(listing.byId.get(id)!.json) as Application);
  }

  /**
   * The operator created, changed or deleted this application (call it once the write answered): its
   * listed copy no longer counts, unless a page read after the write holds it.
   */
  invalidate(id: string): void {
    this.lastWrite.set(id, ++this.writes);
  }

  private fresh(): Promise<Listing> {
    if (this.current && this.now() - this.current.readAt < this.options.maxAgeMs) {
      return Promise.resolve(this.current);
    }
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<Listing> {
    const listing: Listing = { readAt: this.now(), byId: new Map(), byKey: new Map() };
    let readAtWrite = this.writes;
    await forEachPage(
      'list_applications',
      (page, pageSize) => {
        readAtWrite = this.writes;
        return this.options.readPage(page, pageSize);
      },
      (items) => {
        this.pagesRead++;
        // A create between two pages shifts the newest-first list: an application may show twice
        // (the later copy wins, both are as fresh) or not at all (its lookup falls back to a read).
        for (const application of items) {
          listing.byId.set(application.id, { json: JSON.stringify(application), readAtWrite });
          for (const key of this.options.indexKeys?.(application) ?? []) {
            const ids = listing.byKey.get(key) ?? new Set<string>();
            listing.byKey.set(key, ids.add(application.id));
          }
        }
      },
      { pageSize: this.pageSize, maxPages: this.maxPages },
    );
    // Written-since marks older than this listing are no longer needed.
    for (const [id, write] of this.lastWrite) {
      if (write <= (listing.byId.get(id)?.readAtWrite ?? Infinity)) this.lastWrite.delete(id);
    }
    this.current = listing;
    return listing;
  }
}
