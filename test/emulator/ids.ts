import { randomBytes } from 'node:crypto';

const lowerAlphanumeric = '0123456789abcdefghijklmnopqrstuvwxyz';
const alphanumeric = `${lowerAlphanumeric}ABCDEFGHIJKLMNOPQRSTUVWXYZ`;

const randomString = (length: number, alphabet: string): string =>
  Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');

/** Like Logto's `generateStandardId`: 21 lowercase alphanumerics. */
export const newId = (): string => randomString(21, lowerAlphanumeric);

/** Logto user ids are 12 characters. */
export const newUserId = (): string => randomString(12, lowerAlphanumeric);

/** Like Logto's `generateStandardSecret`: 32 alphanumerics. */
export const newSecretValue = (): string => randomString(32, alphanumeric);
