/**
 * The serving certificate of the metrics endpoint: `tls.crt` and `tls.key` from a directory (a
 * mounted `kubernetes.io/tls` Secret, as cert-manager writes it), checked for changes every 10 s and
 * swapped in without a restart; or, without a directory, a self-signed one made in memory at start
 * (ECDSA P-256, one year), which Prometheus accepts with `insecureSkipVerify`.
 */
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Logger } from '../log.js';
import type { KeyPair, TlsSource } from './http-server.js';

export const CERT_FILE = 'tls.crt';
export const KEY_FILE = 'tls.key';
export const DEFAULT_RELOAD_INTERVAL_MS = 10_000;

export interface ServingCertificate extends TlsSource {
  /** `self-signed`, or the directory the files are read from (for logs). */
  readonly source: string;
  /** Stops watching the files. */
  close(): void;
}

export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateError';
  }
}

/** Throws unless `pair` is a PEM certificate (chain) and the private key that matches it. */
export function checkKeyPair(pair: KeyPair, where: string): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pair.cert);
  } catch {
    throw new CertificateError(`${where}: ${CERT_FILE} is not a PEM certificate`);
  }
  let key;
  try {
    key = createPrivateKey(pair.key);
  } catch {
    throw new CertificateError(`${where}: ${KEY_FILE} is not a PEM private key`);
  }
  if (!certificate.checkPrivateKey(key))
    throw new CertificateError(`${where}: ${KEY_FILE} is not the key of ${CERT_FILE}`);
  return certificate;
}

class Subscribers {
  private readonly listeners = new Set<(pair: KeyPair) => void>();
  add(listener: (pair: KeyPair) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(pair: KeyPair): void {
    for (const listener of this.listeners) listener(pair);
  }
}

async function readPair(dir: string): Promise<KeyPair> {
  const read = (file: string) =>
    readFile(path.join(dir, file), 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new CertificateError(`${path.join(dir, file)}: cannot read it (${err.code ?? err.message})`);
    });
  const [cert, key] = await Promise.all([read(CERT_FILE), read(KEY_FILE)]);
  return { cert, key };
}

/**
 * Reads `tls.crt` and `tls.key` from `dir` (throws when they are missing or do not match), then looks
 * at them every `intervalMs`: a new valid pair replaces the served one for new connections; an invalid
 * one (e.g. half-written) is logged and the current pair kept.
 */
export async function watchCertificateDir(
  dir: string,
  options: { logger: Logger; intervalMs?: number },
): Promise<ServingCertificate> {
  const { logger } = options;
  let current = await readPair(dir);
  const describe = (certificate: X509Certificate) => ({
    dir,
    subject: certificate.subject.replace(/\n/g, ', '),
    notAfter: certificate.validTo,
  });
  logger.info(describe(checkKeyPair(current, dir)), 'metrics: serving certificate loaded');
  const subscribers = new Subscribers();
  let rejected: string | undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void readPair(dir)
      .then((next) => {
        if (next.cert === current.cert && next.key === current.key) return;
        const signature = next.cert + next.key;
        try {
          const certificate = checkKeyPair(next, dir);
          current = next;
          rejected = undefined;
          logger.info(describe(certificate), 'metrics: serving certificate reloaded');
          subscribers.emit(next);
        } catch (err) {
          if (rejected !== signature)
            logger.warn({ dir, reason: (err as Error).message }, 'metrics: new certificate files ignored');
          rejected = signature;
        }
      })
      .catch((err: unknown) => {
        const reason = (err as Error).message;
        if (rejected !== reason) logger.warn({ dir, reason }, 'metrics: certificate files unreadable');
        rejected = reason;
      })
      .finally(() => (busy = false));
  }, options.intervalMs ?? DEFAULT_RELOAD_INTERVAL_MS);
  timer.unref();
  return {
    source: dir,
    current: () => current,
    onChange: (listener) => subscribers.add(listener),
    close: () => clearInterval(timer),
  };
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600_000;

/** A self-signed serving certificate for `localhost`, this host's name and the loopback addresses. */
export async function selfSignedCertificate(
  options: { names?: string[]; now?: Date } = {},
): Promise<ServingCertificate> {
  const crypto = webcrypto;
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = serial[0]! & 0x7f; // positive
  const now = options.now?.getTime() ?? Date.now();
  const names = [...new Set(['localhost', hostname(), ...(options.names ?? [])])];
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(serial).toString('hex'),
      name: 'CN=logto-operator-metrics',
      // Back-dated against clock skew between the operator and its scrapers.
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + 365 * DAY_MS),
      signingAlgorithm: ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...names.map((value) => ({ type: 'dns' as const, value })),
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
        ]),
      ],
    },
    crypto as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const pair: KeyPair = {
    cert: certificate.toString('pem'),
    key: x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
  };
  return { source: 'self-signed', current: () => pair, onChange: () => () => {}, close: () => {} };
}
