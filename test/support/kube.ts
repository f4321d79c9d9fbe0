import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  loadAllYaml,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { inject } from 'vitest';

/** Admin KubeConfig for the integration project's shared control plane (started by the global setup). */
export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfigPath'));
  return kc;
}

/**
 * A kubeconfig file for the shared control plane reached at another address (e.g. through a proxy),
 * with the same CA and credentials. It lives beside the control plane's own, and goes with it.
 */
export async function kubeconfigFileFor(server: string): Promise<string> {
  const kc = testKubeConfig();
  const other = new KubeConfig();
  other.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, server })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  const file = path.join(
    path.dirname(inject('kubeconfigPath')),
    `kubeconfig-${randomBytes(4).toString('hex')}`,
  );
  await writeFile(file, other.exportConfig(), { mode: 0o600 });
  return file;
}

/** The same cluster and credentials, acting as `user` (Impersonate-User), e.g. to check RBAC rules. */
export function impersonate(kc: KubeConfig, user: string): KubeConfig {
  const other = new KubeConfig();
  other.loadFromOptions({
    clusters: kc.clusters,
    users: kc.users.map((u) => ({ ...u, impersonateUser: user })),
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return other;
}

/**
 * Creates `<prefix>-<random>` and returns its name. Nothing deletes namespaces at the end: without
 * kube-controller-manager they would stay Terminating anyway, and the cluster is thrown away.
 */
export async function createTestNamespace(kc: KubeConfig, prefix = 'test'): Promise<string> {
  const base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 50);
  const name = `${base}-${randomBytes(3).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/**
 * Server-side applies every object of a YAML text, or the given objects, and returns what the server
 * stored. Objects of built-in kinds must use the client's model property names (what `loadAllYaml`
 * returns), not raw JSON names: the client serializes them through its models.
 */
export async function applyYaml(
  kc: KubeConfig,
  manifests: string | KubernetesObject[],
  fieldManager = 'logto-operator-tests',
): Promise<KubernetesObject[]> {
  const objects = (typeof manifests === 'string' ? loadAllYaml(manifests) : manifests).filter(
    (o): o is KubernetesObject => o !== null && o !== undefined,
  );
  const api = KubernetesObjectApi.makeApiClient(kc);
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    applied.push(
      await api.patch(object, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply),
    );
  }
  return applied;
}

/** The Kubernetes Status of a refused request, for asserting on refusals; undefined for other errors. */
export function apiStatus(error: unknown): { code: number; reason?: string; message?: string } | undefined {
  if (!(error instanceof ApiException)) return undefined;
  try {
    const body = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as {
      reason?: string;
      message?: string;
    };
    return { code: error.code, reason: body.reason, message: body.message };
  } catch {
    return { code: error.code };
  }
}
