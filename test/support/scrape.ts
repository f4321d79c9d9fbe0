/**
 * GETs a URL over HTTP or HTTPS as Prometheus scrapes: with an optional bearer token, verifying the
 * server's certificate against `ca`, or not at all (`insecureSkipVerify`). Returns what a test needs
 * to assert on, including the fingerprint of the certificate the server presented.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface Scrape {
  status: number;
  body: string;
  headers: IncomingMessage['headers'];
  /** SHA-256 fingerprint of the server certificate (https only). */
  fingerprint: string | undefined;
}

export function scrape(
  url: string,
  options: { token?: string; ca?: string; servername?: string; method?: string } = {},
): Promise<Scrape> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
  return new Promise((resolve, reject) => {
    const callback = (response: IncomingMessage) => {
      const fingerprint = secure
        ? (response.socket as TLSSocket).getPeerCertificate().fingerprint256
        : undefined;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode!,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: response.headers,
          fingerprint,
        }),
      );
      response.on('error', reject);
    };
    const common = { method: options.method ?? 'GET', headers, agent: false as const };
    const req = secure
      ? httpsRequest(
          target,
          {
            ...common,
            ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }),
            ...(options.servername ? { servername: options.servername } : {}),
          },
          callback,
        )
      : httpRequest(target, common, callback);
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
