import { webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

// Throwaway PKI for one control-plane run: a CA, the apiserver's serving certificate, an admin client
// certificate and the service-account token signing key pair. Everything lives in the run's temp dir.

export interface ControlPlaneCertificates {
  caCert: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
  /** PEM text, for writing the kubeconfig inline. */
  pem: { ca: string; adminCert: string; adminKey: string };
}

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR = 3600_000;

async function keyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function publicKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('spki', key), 'PUBLIC KEY');
}

function serialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // keep it positive
  return Buffer.from(bytes).toString('hex');
}

function validity(): { notBefore: Date; notAfter: Date } {
  // Back-dated an hour against clock skew; long enough for a day-long `npm run control-plane`.
  const now = Date.now();
  return { notBefore: new Date(now - HOUR), notAfter: new Date(now + 30 * 24 * HOUR) };
}

async function issue(
  ca: { cert: x509.X509Certificate; keys: CryptoKeyPair },
  subject: x509.JsonName,
  usage: x509.ExtendedKeyUsage,
  subjectAltNames: x509.JsonGeneralNames = [],
): Promise<{ cert: string; key: string }> {
  const keys = await keyPair();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([usage]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (subjectAltNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(subjectAltNames));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: ca.cert.subject,
    ...validity(),
    signingAlgorithm: algorithm,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}

export async function writeCertificates(directory: string): Promise<ControlPlaneCertificates> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const caKeys = await keyPair();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: ['logto-operator test control plane CA'] }],
    ...validity(),
    signingAlgorithm: algorithm,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const ca = { cert: caCert, keys: caKeys };
  const serving = await issue(ca, [{ CN: ['kube-apiserver'] }], x509.ExtendedKeyUsage.serverAuth, [
    { type: 'ip', value: '127.0.0.1' },
    { type: 'dns', value: 'localhost' },
  ]);
  // O=system:masters is bound to cluster-admin by the apiserver's bootstrap RBAC policy.
  const admin = await issue(
    ca,
    [{ CN: ['admin'] }, { O: ['system:masters'] }],
    x509.ExtendedKeyUsage.clientAuth,
  );
  const serviceAccount = await keyPair();

  const files = {
    caCert: caCert.toString('pem'),
    apiserverCert: serving.cert,
    apiserverKey: serving.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    serviceAccountKey: await privateKeyPem(serviceAccount.privateKey),
    serviceAccountPublicKey: await publicKeyPem(serviceAccount.publicKey),
  };
  const names: Record<keyof typeof files, string> = {
    caCert: 'ca.crt',
    apiserverCert: 'apiserver.crt',
    apiserverKey: 'apiserver.key',
    adminCert: 'admin.crt',
    adminKey: 'admin.key',
    serviceAccountKey: 'service-account.key',
    serviceAccountPublicKey: 'service-account.pub',
  };
  const paths = {} as Record<keyof typeof files, string>;
  for (const [field, pem] of Object.entries(files) as [keyof typeof files, string][]) {
    paths[field] = join(directory, names[field]);
    await writeFile(paths[field], pem, { mode: 0o600 });
  }
  return { ...paths, pem: { ca: files.caCert, adminCert: files.adminCert, adminKey: files.adminKey } };
}
