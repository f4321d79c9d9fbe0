/**
 * TokenReviews (authentication.k8s.io/v1) and SubjectAccessReviews (authorization.k8s.io/v1) through
 * `@kubernetes/client-node`, each bounded by a timeout. The operator's ServiceAccount needs `create`
 * on both (the chart's ClusterRole `<fullname>-metrics-auth`).
 */
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { toKubeClient, withRequestSignal, type KubeClient } from '../kube/client.js';
import type { NonResourceRequest, ReviewClient, ReviewedUser } from './metrics-auth.js';

/** Longest wait for one review; a scrape waiting longer than Prometheus' timeout is of no use. */
export const REVIEW_TIMEOUT_MS = 5_000;

export class KubernetesReviewClient implements ReviewClient {
  private readonly authentication: AuthenticationV1Api;
  private readonly authorization: AuthorizationV1Api;

  constructor(
    kube: KubeConfig | KubeClient,
    private readonly timeoutMs = REVIEW_TIMEOUT_MS,
  ) {
    // On the pooled HTTP layer: one keep-alive connection, not a TLS handshake per scrape.
    const client = toKubeClient(kube);
    this.authentication = client.api(AuthenticationV1Api);
    this.authorization = client.api(AuthorizationV1Api);
  }

  async authenticate(token: string): Promise<ReviewedUser | undefined> {
    const review = await this.authentication.createTokenReview(
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token },
        },
      },
      withRequestSignal(AbortSignal.timeout(this.timeoutMs)),
    );
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) return undefined;
    return {
      username: user.username,
      ...(user.uid ? { uid: user.uid } : {}),
      ...(user.groups ? { groups: user.groups } : {}),
      ...(user.extra ? { extra: user.extra } : {}),
    };
  }

  async authorize(user: ReviewedUser, request: NonResourceRequest): Promise<boolean> {
    const review = await this.authorization.createSubjectAccessReview(
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.username,
            ...(user.uid ? { uid: user.uid } : {}),
            ...(user.groups ? { groups: user.groups } : {}),
            ...(user.extra ? { extra: user.extra } : {}),
            nonResourceAttributes: { verb: request.verb, path: request.path },
          },
        },
      },
      withRequestSignal(AbortSignal.timeout(this.timeoutMs)),
    );
    return review.status?.allowed === true;
  }
}
