/**
 * The ownership marker of roles and API resources. Neither has a free-form field (no customData), so
 * the operator ends a text field with ` [logto-operator:<seal>]`: the role's description, the API
 * resource's name. The seal binds the declaring object's create token (its logto.io/create-token
 * annotation: random, written once) to its namespace and name. Annotations can be read and copied by
 * anyone who can read the object, so the token alone proves nothing: a copy on an object elsewhere
 * seals to another value. An object restored in place (same namespace, name and annotations) seals to
 * the same one and so finds its role or API resource again.
 */
import { createHash } from 'node:crypto';

const PREFIX = ' [logto-operator:';
const MARKER = /^(.*) \[logto-operator:([A-Za-z0-9_-]{8,64})\]$/s;
const SEAL_LENGTH = 16;

/** Characters the marker adds to a text: the room a declared text must leave for it. */
export const MARKER_LENGTH = PREFIX.length + SEAL_LENGTH + 1;

/** The seal of the object `namespace`/`name` carrying create token `token`. */
export function sealOf(namespace: string, name: string, token: string): string {
  return createHash('sha256')
    .update(`${namespace}\n${name}\n${token}`)
    .digest('base64url')
    .slice(0, SEAL_LENGTH);
}

/** `text` ended with the marker of `seal`. */
export function withMarker(text: string, seal: string): string {
  return `${text}${PREFIX}${seal}]`;
}

/** `text` cut to leave room for the marker within `max` characters. */
export function roomForMarker(text: string, max: number): string {
  return text.slice(0, max - MARKER_LENGTH);
}

/** The seal a text is marked with, and the text without the marker. */
export function readMarker(text: string | null | undefined): { text: string; seal?: string } {
  const match = MARKER.exec(text ?? '');
  return match ? { text: match[1]!, seal: match[2]! } : { text: text ?? '' };
}
