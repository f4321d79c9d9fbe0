/**
 * Identities that scrape /metrics in tests: ServiceAccounts with tokens from the TokenRequest API,
 * bound or not to a ClusterRole granting `get` on the non-resource URL /metrics (what the chart's
 * `<release>-metrics-reader` grants).
 */
import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';

/** Creates the ClusterRole `name` granting get on /metrics, as the chart's metrics-reader does. */
export async function createMetricsReaderRole(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRole({
    body: { metadata: { name }, rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }] },
  });
}

/**
 * Creates the ServiceAccount `namespace/name` and returns a token for it (TokenRequest, 10 min unless
 * said otherwise); with `clusterRole`, binds it to that ClusterRole first (ClusterRoleBinding
 * `<namespace>-<name>`).
 */
export async function serviceAccountToken(
  kc: KubeConfig,
  namespace: string,
  name: string,
  clusterRole?: string,
  expirationSeconds = 600,
): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  if (clusterRole) {
    await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
      body: {
        metadata: { name: `${namespace}-${name}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    });
  }
  return requestToken(kc, namespace, name, expirationSeconds);
}

/** A new token of an existing ServiceAccount (TokenRequest, 10 min by default, the API server's audiences). */
export async function requestToken(
  kc: KubeConfig,
  namespace: string,
  name: string,
  expirationSeconds = 600,
): Promise<string> {
  const request = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${name}`);
  return token;
}

/** Deletes what the helpers above created (for tools that share a cluster, like check-image). */
export async function deleteMetricsAccess(
  kc: KubeConfig,
  clusterRole: string,
  bindings: string[],
): Promise<void> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await Promise.allSettled([
    rbac.deleteClusterRole({ name: clusterRole }),
    ...bindings.map((name) => rbac.deleteClusterRoleBinding({ name })),
  ]);
}
