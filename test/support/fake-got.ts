/**
 * A stand-in for a got instance as src/api/http.ts calls it (`client(url, options)`, a promise with
 * `on('downloadProgress')` and `cancel()`), answering from `answer`: for unit tests of the token
 * provider and the transport without a server.
 */
import type { Got } from 'got';

export interface FakeAnswer {
  statusCode: number;
  body: string;
  headers?: Record<string, string>;
}

export function fakeGot(
  answer: (
    url: URL,
    options: { method?: string; form?: Record<string, string> },
  ) => FakeAnswer | Promise<FakeAnswer>,
): Got {
  const client = (url: URL, options: { method?: string; form?: Record<string, string> }) => {
    const pending = Promise.resolve(answer(url, options)).then((a) => ({ headers: {}, ...a }));
    return Object.assign(pending, { on: () => pending, cancel: () => {} });
  };
  return client as unknown as Got;
}
