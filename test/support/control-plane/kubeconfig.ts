import { writeFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

const NAME = 'logto-operator-test';
const base64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** The admin identity against the test apiserver, verifying its certificate against the test CA. */
export function adminKubeConfig(
  server: string,
  pem: { ca: string; adminCert: string; adminKey: string },
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: NAME, server, caData: base64(pem.ca), skipTLSVerify: false }],
    users: [{ name: 'admin', certData: base64(pem.adminCert), keyData: base64(pem.adminKey) }],
    contexts: [{ name: NAME, cluster: NAME, user: 'admin' }],
    currentContext: NAME,
  });
  return kc;
}

/** Writes a self-contained kubeconfig (data inline, usable by kubectl too). */
export async function writeKubeconfig(path: string, kc: KubeConfig): Promise<void> {
  await writeFile(path, stringify(JSON.parse(kc.exportConfig())), { mode: 0o600 });
}
