/**
 * Which object of the cluster a marker's seal belongs to: the LogtoRole or LogtoApiResource whose
 * namespace, name and create token (logto.io/create-token) seal to it (marker.ts), kept current from
 * the informers. Namespace and name are unique, so one live object holds a seal; a token copied onto
 * another object seals to another value and holds nothing; a restored object holds its predecessor's.
 */
import { CREATE_TOKEN_ANNOTATION } from '../logto-application/ownership-marker.js';
import { sealOf } from './marker.js';

export interface Holder {
  namespace: string;
  name: string;
  uid: string;
}

interface HeldBy extends Holder {
  createdAt: number;
}

interface TokenObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    annotations?: Record<string, string>;
    creationTimestamp?: string | Date;
  };
}

export class SealHolders {
  /** seal → uid → holder (two only for a moment: an object deleted, another made in its place). */
  private readonly byToken = new Map<string, Map<string, HeldBy>>();
  /** uid → the seal it was indexed under. */
  private readonly tokenOf = new Map<string, string>();

  /** The object holding `seal`, the oldest should two; undefined when none does. */
  holder(seal: string | undefined): Holder | undefined {
    const held = seal ? this.byToken.get(seal) : undefined;
    if (!held?.size) return undefined;
    const [oldest] = [...held.values()].sort(
      (a, b) => a.createdAt - b.createdAt || a.uid.localeCompare(b.uid),
    );
    const { namespace, name, uid } = oldest!;
    return { namespace, name, uid };
  }

  /** Informer handlers that keep the index current. */
  readonly handlers = {
    onAdd: (obj: TokenObject) => this.put(obj),
    onUpdate: (_: TokenObject, obj: TokenObject) => this.put(obj),
    onDelete: (obj: TokenObject) => this.drop(obj.metadata?.uid ?? ''),
  };

  private put(obj: TokenObject): void {
    const { uid = '', name = '', namespace = '', annotations, creationTimestamp } = obj.metadata ?? {};
    const createToken = annotations?.[CREATE_TOKEN_ANNOTATION];
    const token = createToken ? sealOf(namespace, name, createToken) : undefined;
    if (this.tokenOf.get(uid) !== token) this.drop(uid);
    if (!token) return;
    const createdAt = creationTimestamp ? new Date(creationTimestamp).getTime() : 0;
    let held = this.byToken.get(token);
    if (!held) this.byToken.set(token, (held = new Map()));
    held.set(uid, { namespace, name, uid, createdAt: Number.isNaN(createdAt) ? 0 : createdAt });
    this.tokenOf.set(uid, token);
  }

  private drop(uid: string): void {
    const token = this.tokenOf.get(uid);
    if (token === undefined) return;
    this.tokenOf.delete(uid);
    const held = this.byToken.get(token);
    held?.delete(uid);
    if (held && held.size === 0) this.byToken.delete(token);
  }
}
