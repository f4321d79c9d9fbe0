/**
 * What a LogtoRole pass and a LogtoApiResource pass do alike, around the Logto object whose text
 * carries the ownership marker (marker.ts): which object is this resource's (identity.ts's decision,
 * or, observing, the one with the natural key that no other declaration marks), taking an unmarked
 * one over under a lock, and the deletion per deletionPolicy. The kinds say where the marker lives,
 * how the object is read, found by its key, renamed and deleted, and converge the rest themselves.
 */
import { ignoreNotFound } from '../../api/errors.js';
import { policyDenied } from '../../connections/registry.js';
import { CREATE_TOKEN_ANNOTATION } from '../logto-application/external-name.js';
import { namedId } from '../logto-application/identity.js';
import { mapped } from '../logto-application/logto-external.js';
import { ReconcileStop } from '../logto-application/outcome.js';
import type { PassConnection } from '../logto-application/policy.js';
import { readOrGone, takeOvers, type DeclaredConnectorDependencies, type Pass } from './connector.js';
import { observesOnly, type DeclaredObject, type DeclaredObservation } from './external.js';
import type { SealHolders } from './holders.js';
import {
  claimOfDeclared,
  identifyDeclared,
  identifyDeclaredForDeletion,
  type Candidate,
  type Describe,
} from './identity.js';
import { readMarker, sealOf, withMarker } from './marker.js';

export interface MarkedKind {
  /** How messages name the object (identity.ts). */
  describe: Describe;
  /** The status field recording the object's id. */
  idField: string;
  /** The policy rule that lets this object observe or take over one made outside the cluster. */
  adoptionRule: string;
}

export abstract class MarkedExternal<T extends { id: string }> {
  readonly calls: readonly string[];
  readonly annotations;
  readonly release: () => void;
  protected readonly logto: Pass['logto'];
  protected readonly connection: PassConnection;
  /** The object as last read or written this pass. */
  protected current: T | undefined;
  /** Set when the pass takes over an unmarked object: its marker is written first (takeOver). */
  protected takingOver = false;

  protected constructor(
    protected readonly resource: DeclaredObject,
    protected readonly deps: DeclaredConnectorDependencies,
    pass: Pass,
    private readonly kind: MarkedKind,
  ) {
    this.calls = pass.calls;
    this.annotations = pass.annotations;
    this.release = pass.release;
    this.logto = pass.logto;
    this.connection = pass.connection;
  }

  /** Whose declarations the markers of this kind name. */
  protected abstract get holders(): SealHolders;
  /** The text of `object` that carries the marker (a role's description, an API resource's name). */
  protected abstract markedTextOf(object: T): string | null | undefined;
  /** The text the spec asks for, before the marker. */
  protected abstract get plainText(): string;
  /** The connection's adoption rules allow this object's natural key. */
  protected abstract mayAdopt(): boolean;
  protected abstract read(id: string): Promise<T>;
  /** The object with this resource's natural key (role name, indicator), if any. */
  protected abstract byKey(): Promise<T | undefined>;
  protected abstract writeText(id: string, text: string): Promise<T>;
  protected abstract remove(id: string): Promise<unknown>;
  /** Checks of the spec before anything is read (none by default). */
  protected checkBeforeObserve(): void {}
  /** The decision was `use`: `byKey` is the object with the natural key, maybe another. */
  protected onUse(_byKey: T | undefined, _id: string): void {}

  /** The seal of this object's marker (marker.ts), once it has a create token. */
  private get ownSeal(): string | undefined {
    const token = this.resource.metadata.annotations?.[CREATE_TOKEN_ANNOTATION];
    return token && sealOf(this.resource.metadata.namespace, this.resource.metadata.name, token);
  }

  /** The spec's text ended with this object's marker; only once the create token is recorded. */
  protected get markedText(): string {
    const seal = this.ownSeal;
    if (!seal) throw new Error(`${CREATE_TOKEN_ANNOTATION} missing before a write`);
    return withMarker(this.plainText, seal);
  }

  private candidate(object: T): Candidate {
    const { seal } = readMarker(this.markedTextOf(object));
    return { id: object.id, ...(seal ? { token: seal } : {}) };
  }

  private sealOf(object: T): string | undefined {
    return readMarker(this.markedTextOf(object)).seal;
  }

  observe(): Promise<DeclaredObservation> {
    return mapped(async () => {
      const { byKey: what, kind } = this.kind.describe;
      if (observesOnly(this.resource)) {
        // Said before anything is read: the answer tells nothing about what the tenant has.
        if (!this.mayAdopt()) {
          throw policyDenied(this.connection.key, {
            rule: this.kind.adoptionRule,
            message: `the connection does not let a ${kind} observe ${what}`,
          });
        }
        this.current = await this.byKey();
        if (!this.current) {
          throw new ReconcileStop('NotFound', `the tenant has no ${what} to observe`, {
            recheckAfterMs: 60_000,
          });
        }
        // A declaration's object is its namespace's: observed only through that declaration.
        const seal = this.sealOf(this.current);
        if (seal && seal !== this.ownSeal) {
          throw new ReconcileStop(
            'DeclarationConflict',
            `${what} is declared by a ${kind}; it is observed through that one`,
            { recheckAfterMs: 5 * 60_000 },
          );
        }
        return { exists: true, id: this.current.id, record: false };
      }
      this.checkBeforeObserve();
      const claim = claimOfDeclared(this.resource, this.kind.idField, this.deps.clusterName);
      const id = namedId(claim);
      const named = id ? await readOrGone(() => this.read(id)) : undefined;
      const byKey = await this.byKey();
      const identity = identifyDeclared(
        claim,
        this.holders,
        named === undefined || named === 'gone' ? named : this.candidate(named),
        byKey && this.candidate(byKey),
        this.mayAdopt(),
        this.kind.describe,
      );
      switch (identity.decision) {
        case 'refuse':
          throw new ReconcileStop(identity.reason, identity.message, { recheckAfterMs: 5 * 60_000 });
        case 'create':
          return { exists: false };
        case 'adopt':
          this.takingOver = true;
          this.current = byKey;
          return {
            exists: true,
            id: identity.id,
            record: true,
            found: `took over ${what} (${identity.id}), made outside this cluster`,
          };
        case 'use': {
          this.current =
            named && named !== 'gone' && named.id === identity.id ? named : await this.read(identity.id);
          this.onUse(byKey, identity.id);
          return {
            exists: true,
            id: identity.id,
            record: identity.record,
            ...(identity.record
              ? { found: `found ${what} (${identity.id}), made by an earlier attempt` }
              : {}),
          };
        }
      }
    });
  }

  /**
   * Writes this object's marker into an object it takes over, under a lock and after reading it
   * again, and checks it afterwards: of two objects taking one over, one wins.
   */
  protected takeOver(object: T): Promise<T> {
    const { byKey: what, noun } = this.kind.describe;
    return takeOvers.run(`${this.connection.key}/${noun}/${object.id}`, async () => {
      const fresh = await readOrGone(() => this.read(object.id));
      const seal = fresh === 'gone' ? undefined : this.sealOf(fresh);
      if (fresh === 'gone' || (seal && seal !== this.ownSeal)) {
        throw new ReconcileStop('DeclarationConflict', `${what} was taken by another declaration meanwhile`);
      }
      const updated = await this.writeText(fresh.id, this.markedText);
      if (this.sealOf(updated) !== this.ownSeal) {
        throw new ReconcileStop('DeclarationConflict', `${what} was taken meanwhile`);
      }
      return updated;
    });
  }

  /** Deletes, or with deletionPolicy Orphan unmarks, the object this resource made or took over. */
  delete(): Promise<void> {
    return mapped(async () => {
      const { byKey: what } = this.kind.describe;
      const claim = claimOfDeclared(this.resource, this.kind.idField, this.deps.clusterName);
      const id = namedId(claim);
      const named = id ? await readOrGone(() => this.read(id)) : undefined;
      const byKey = await this.byKey();
      const mine = identifyDeclaredForDeletion(
        claim,
        this.holders,
        named === undefined || named === 'gone' ? named : this.candidate(named),
        byKey && this.candidate(byKey),
      );
      if (!mine) return;
      if ((this.resource.spec.deletionPolicy ?? 'Delete') === 'Delete') {
        if (await ignoreNotFound(() => this.remove(mine))) {
          this.deps.events.record(this.resource, 'Normal', 'Deleted', `deleted ${what} (${mine})`);
        }
        return;
      }
      const current = await readOrGone(() => this.read(mine));
      if (current === 'gone' || !this.sealOf(current)) return;
      await this.writeText(mine, readMarker(this.markedTextOf(current)).text || this.plainText);
      this.deps.events.record(this.resource, 'Normal', 'Orphaned', `left ${what} (${mine}) in place`);
    });
  }
}
