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

interface SealedObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    annotations?: Record<string, string>;
  };
}

export class SealHolders {
  /** seal → the object holding it (the latest seen, should one replace another of its name). */
  private readonly bySeal = new Map<string, Holder>();
  /** uid → the seal it was indexed under. */
  private readonly sealOfUid = new Map<string, string>();

  /** The object holding `seal`; undefined when none does. */
  holder(seal: string | undefined): Holder | undefined {
    const held = seal ? this.bySeal.get(seal) : undefined;
    return held && { ...held };
  }

  /** Informer handlers that keep the index current. */
  readonly handlers = {
    onAdd: (obj: SealedObject) => this.put(obj),
    onUpdate: (_: SealedObject, obj: SealedObject) => this.put(obj),
    onDelete: (obj: SealedObject) => this.drop(obj.metadata?.uid ?? ''),
  };

  private put(obj: SealedObject): void {
    const { uid = '', name = '', namespace = '', annotations } = obj.metadata ?? {};
    const token = annotations?.[CREATE_TOKEN_ANNOTATION];
    const seal = token ? sealOf(namespace, name, token) : undefined;
    if (this.sealOfUid.get(uid) !== seal) this.drop(uid);
    if (!seal) return;
    this.bySeal.set(seal, { namespace, name, uid });
    this.sealOfUid.set(uid, seal);
  }

  private drop(uid: string): void {
    const seal = this.sealOfUid.get(uid);
    if (seal === undefined) return;
    this.sealOfUid.delete(uid);
    // Only if still this object's: one of the same name may have taken the seal since.
    if (this.bySeal.get(seal)?.uid === uid) this.bySeal.delete(seal);
  }
}
