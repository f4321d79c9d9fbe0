import { createHmac, timingSafeEqual } from 'node:crypto';

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A compact HS256 JWS. */
export const signJwt = (payload: Record<string, unknown>, key: Buffer, kid: string): string => {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid }));
  const body = base64url(JSON.stringify(payload));
  const signature = createHmac('sha256', key).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
};

/** Why a token was refused, as the jose library names it (Logto answers it as the 401's `data`). */
export type JwsFailure = 'malformed' | 'signature';

const parseJson = (segment: string): Record<string, unknown> | undefined => {
  try {
    const parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** The payload when the token is a well-formed HS256 JWS signed with `key`; claims are not checked. */
export const verifyJwt = (
  token: string,
  key: Buffer,
): { payload: Record<string, unknown> } | { failure: JwsFailure } => {
  const [header, body, signature, ...rest] = token.split('.');
  if (!header || !body || !signature || rest.length > 0 || !parseJson(header))
    return { failure: 'malformed' };
  const payload = parseJson(body);
  if (!payload) return { failure: 'malformed' };
  const expected = createHmac('sha256', key).update(`${header}.${body}`).digest();
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    return { failure: 'signature' };
  return { payload };
};
