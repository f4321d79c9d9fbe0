/**
 * Helpers for the packaging tests (chart, RBAC, install docs): running kubectl and helm, rendering
 * the chart with values, asking the apiserver what an identity may do, and turning the chart's
 * Deployment into the operator configuration the container would load.
 */
import { execFile } from 'node:child_process';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { CHART_DIR } from '../../scripts/render-manifests.js';
import { toolPath, type Tool } from './tools.js';

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl or helm; never throws on a non-zero exit (the caller asserts on it). */
export async function runTool(
  tool: Tool,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ToolRun> {
  const binary = await toolPath(tool);
  return new Promise((resolve) => {
    const child = execFile(
      binary,
      args,
      { env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** `helm template` of the chart into `namespace` with the given values (on stdin) and extra flags. */
export async function renderChart(
  namespace: string,
  values: Record<string, unknown>,
  extra: string[] = [],
  release = 'logto-operator',
): Promise<string> {
  const run = await runTool(
    'helm',
    ['template', release, CHART_DIR, '--namespace', namespace, '-f', '-', ...extra],
    { input: stringify(values) },
  );
  if (run.code !== 0) throw new Error(`helm template failed: ${run.stderr}`);
  return run.stdout;
}

/** The username of a ServiceAccount. */
export const serviceAccountUser = (namespace: string, name: string): string =>
  `system:serviceaccount:${namespace}:${name}`;

/** Who the apiserver takes `kc` for (SelfSubjectReview). */
export async function whoAmI(kc: KubeConfig): Promise<{ username?: string; groups?: string[] }> {
  const review = await kc
    .makeApiClient(AuthenticationV1Api)
    .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  return review.status?.userInfo ?? {};
}

/** Whether `kc`'s identity may do it (SelfSubjectAccessReview). */
export async function can(kc: KubeConfig, attributes: V1ResourceAttributes): Promise<boolean> {
  const review = await kc
    .makeApiClient(AuthorizationV1Api)
    .createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attributes } } });
  return review.status?.allowed === true;
}

/**
 * The operator configuration the chart's container would load: its env (downward API resolved for a
 * pod `podName` in `namespace`) through the real `loadConfig`, with `overrides` applied to the env
 * (e.g. loopback bind addresses).
 */
export function chartConfig(
  deployment: V1Deployment,
  namespace: string,
  podName: string,
  overrides: Record<string, string> = {},
): ReturnType<typeof loadConfig> {
  const container = deployment.spec!.template.spec!.containers[0]!;
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    if (field === 'metadata.namespace') env[variable.name] = namespace;
    else if (field === 'metadata.name') env[variable.name] = podName;
    else if (variable.valueFrom) throw new Error(`${variable.name}: unsupported valueFrom`);
    else env[variable.name] = variable.value ?? '';
  }
  return loadConfig(container.args ?? [], { ...env, ...overrides });
}
