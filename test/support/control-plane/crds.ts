import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  ApiextensionsV1Api,
  loadAllYaml,
  type KubeConfig,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { kubeGet } from './https.js';
import { waitUntil } from './wait.js';

/** Every CustomResourceDefinition in the directory's .yaml/.yml/.json files; none if it is missing. */
export async function readCrds(directory: string): Promise<V1CustomResourceDefinition[]> {
  const files = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of files.filter((name) => /\.(ya?ml|json)$/.test(name)).sort()) {
    // loadAllYaml maps JSON names onto the generated models' property names. A plain YAML parse
    // would not, and the typed client would then silently drop `x-kubernetes-validations`, `enum`,
    // `default`... when it serializes the CRD.
    const objects = loadAllYaml(await readFile(join(directory, file), 'utf8')) as (KubernetesObject | null)[];
    for (const object of objects) {
      if (object === null || object === undefined) continue; // empty document
      if (object.kind !== 'CustomResourceDefinition') {
        throw new Error(`${file}: expected only CustomResourceDefinitions, found ${object.kind}`);
      }
      crds.push(object as V1CustomResourceDefinition);
    }
  }
  return crds;
}

/**
 * Creates (or replaces) the directory's CRDs and waits until each is Established, listed in discovery
 * (what clients that map kinds to resources look at) and actually serving: right after Established a
 * list can still be refused with 429 "storage is (re)initializing".
 */
export async function installCrds(kc: KubeConfig, directory: string, timeoutMs = 60_000): Promise<string[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds = await readCrds(directory);
  for (const crd of crds) {
    await createOrReplace(api, crd).catch((error: unknown) => {
      // No `cause`: the client's exception would add its whole body and headers to the report.
      throw new Error(`installing CRD ${crd.metadata?.name} from ${directory}: ${describe(error)}`);
    });
  }
  await Promise.all(crds.map((crd) => waitForCrd(kc, api, crd, timeoutMs)));
  return crds.map((crd) => crd.metadata!.name!);
}

async function createOrReplace(api: ApiextensionsV1Api, crd: V1CustomResourceDefinition): Promise<void> {
  try {
    await api.createCustomResourceDefinition({ body: crd });
  } catch (error) {
    if (!(error instanceof ApiException) || error.code !== 409) throw error;
    const name = crd.metadata!.name!;
    const existing = await api.readCustomResourceDefinition({ name });
    const body = {
      ...crd,
      metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion },
    };
    await api.replaceCustomResourceDefinition({ name, body });
  }
}

function describe(error: unknown): string {
  if (error instanceof ApiException) {
    try {
      return `HTTP ${error.code}: ${(JSON.parse(error.body as string) as { message?: string }).message}`;
    } catch {
      return `HTTP ${error.code}: ${String(error.body)}`;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

async function waitForCrd(
  kc: KubeConfig,
  api: ApiextensionsV1Api,
  crd: V1CustomResourceDefinition,
  timeoutMs: number,
): Promise<void> {
  const name = crd.metadata!.name!;
  const deadline = Date.now() + timeoutMs;
  let establishedAt = 0;
  await waitUntil(
    async () => {
      const current = await api.readCustomResourceDefinition({ name });
      const established = current.status?.conditions?.find(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      establishedAt = new Date(established?.lastTransitionTime ?? 0).getTime();
      return established !== undefined;
    },
    { what: `CRD ${name} to be Established`, timeoutMs },
  );
  for (const version of crd.spec.versions.filter((v) => v.served)) {
    const groupVersion = `/apis/${crd.spec.group}/${version.name}`;
    const remaining = (): number => Math.max(deadline - Date.now(), 1_000);
    await waitUntil(
      async () => {
        const response = await kubeGet(kc, groupVersion);
        if (response.status !== 200) return false;
        const list = JSON.parse(response.body) as { resources?: { name: string }[] };
        return list.resources?.some((r) => r.name === crd.spec.names.plural) ?? false;
      },
      { what: `${crd.spec.names.plural} in discovery at ${groupVersion}`, timeoutMs: remaining() },
    );
    const list = `${groupVersion}/${crd.spec.names.plural}?limit=1`;
    await waitUntil(async () => (await kubeGet(kc, list)).status === 200, {
      what: `GET ${list} to succeed`,
      timeoutMs: remaining(),
    });
  }
  // The apiserver holds every create of a custom resource for 2 s while its CRD was established less
  // than 2 s ago (an HA safeguard, customresource_handler.go). Waiting here keeps that out of tests.
  const heldUntil = establishedAt + 2_000 + 50;
  if (Date.now() < heldUntil) await sleep(heldUntil - Date.now());
}
