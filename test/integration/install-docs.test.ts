/**
 * The README's install section, followed to the letter. Its sh blocks run in order with bash, kubectl
 * and helm against a control plane of this file's own (fresh: no CRD, no other test's resources,
 * since the default install watches every namespace). Only the kubeconfig, the Logto endpoint and
 * the M2M credentials are substituted. The block marked as replaced (waiting for the rollout: there
 * are no nodes to run the pod) is where the test starts the real operator in-process instead, with
 * the settings of the Deployment Helm installed, as the chart's ServiceAccount.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiextensionsV1Api, AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../scripts/render-manifests.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { startControlPlane, type ControlPlane } from '../support/control-plane/harness.js';
import { impersonate } from '../support/kube.js';
import { startTestOperator, TestCluster, type TestOperator } from '../support/operator.js';
import { chartConfig, serviceAccountUser } from '../support/packaging.js';
import { toolPath } from '../support/tools.js';

// This file starts control planes of its own: give them time on a busy 2-core machine.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const REPLACED = 'install-docs-test: replaced by running the operator in-process';

interface Block {
  code: string;
  /** Preceded by the REPLACED marker. */
  replaced: boolean;
}

/** The sh blocks between the install markers of the README. */
export function installBlocks(readme: string): Block[] {
  const start = readme.indexOf('<!-- install:start -->');
  const end = readme.indexOf('<!-- install:end -->');
  if (start < 0 || end < start) throw new Error('README has no install:start/install:end markers');
  const section = readme.slice(start, end);
  const blocks: Block[] = [];
  // A fenced block, and the HTML comment right before it if any.
  const fence = /(?:<!--((?:(?!-->)[\s\S])*)-->\s*)?^```(\w*)\n([\s\S]*?)^```$/gm;
  for (const match of section.matchAll(fence)) {
    if (match[2] !== 'sh') continue;
    blocks.push({ code: match[3]!, replaced: (match[1] ?? '').includes(REPLACED) });
  }
  return blocks;
}

interface Step {
  block: string;
  code: number | null;
  output: string;
}

describe("the README's install section", () => {
  let plane: ControlPlane;
  let emulator: LogtoEmulator;
  let operator: TestOperator | undefined;
  let home: string;
  let emptyCrdDir: string;
  const steps: Step[] = [];

  beforeAll(async () => {
    // No CRD: installing it is the README's first step.
    emptyCrdDir = await mkdtemp(path.join(tmpdir(), 'logto-operator-no-crds-'));
    plane = await startControlPlane({ crdDirectory: emptyCrdDir });
    emulator = await startLogtoEmulator();
    home = await mkdtemp(path.join(tmpdir(), 'logto-operator-install-docs-'));
  });

  afterAll(async () => {
    await operator?.stop();
    await emulator?.close();
    await plane?.stop();
    for (const dir of [home, emptyCrdDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function runBlock(code: string): Promise<Step> {
    const tools = path.dirname(await toolPath('kubectl'));
    await toolPath('helm'); // unpacked beside kubectl
    const child = spawn('bash', ['-euo', 'pipefail', '-c', code], {
      cwd: REPO_ROOT,
      // A user's shell: the tools on PATH, the cluster in KUBECONFIG, a HOME of its own (helm and
      // kubectl caches), nothing else from this process.
      env: {
        PATH: `${tools}:${process.env.PATH}`,
        HOME: home,
        KUBECONFIG: plane.kubeconfigPath,
        LANG: 'C.UTF-8',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { block: code, code: exitCode, output };
  }

  /** The operator as the installed Deployment would run it, as the Deployment's ServiceAccount. */
  async function startInstalledOperator(): Promise<TestOperator> {
    const deployment = await plane.kubeConfig
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace: 'logto-operator', name: 'logto-operator' });
    const namespace = deployment.metadata!.namespace!;
    const config = chartConfig(deployment, namespace, 'logto-operator-5c9d7-docs1');
    const serviceAccount = deployment.spec!.template.spec!.serviceAccountName!;
    const kc = impersonate(plane.kubeConfig, serviceAccountUser(namespace, serviceAccount));
    // Debug level, so that a refused write (logged at debug for events) cannot go unnoticed.
    return startTestOperator(kc, { ...config, logLevel: 'debug' });
  }

  it('installs the operator and makes a first LogtoApplication Ready, then upgrades and uninstalls', async () => {
    const blocks = installBlocks(await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'));
    const commands = blocks.map((b) => b.code).join('\n');
    for (const expected of [
      'kubectl apply -f crds/',
      'create secret generic',
      'helm install',
      'kubectl wait',
    ])
      expect(commands).toContain(expected);
    expect(blocks.filter((b) => b.replaced)).toHaveLength(1);

    const substitutions: [string, string][] = [
      ['https://logto.example.com', emulator.endpoint],
      ['<m2m-app-id>', emulator.credentials.clientId],
      ['<m2m-app-secret>', emulator.credentials.clientSecret],
    ];
    const cluster = new TestCluster(plane.kubeConfig);
    let applicationId: string | undefined;
    for (const block of blocks) {
      if (block.replaced) {
        operator = await startInstalledOperator();
        continue;
      }
      // Uninstalling takes the operator's pod (and then its RBAC) away.
      if (block.code.includes('helm uninstall')) await operator?.stop();
      let code = block.code;
      for (const [placeholder, value] of substitutions) code = code.split(placeholder).join(value);
      expect(code, 'a placeholder the test does not fill').not.toMatch(/<[a-z0-9-]+>/);
      const step = await runBlock(code);
      steps.push(step);
      expect(step.code, `${block.code}\n--- output:\n${step.output}`).toBe(0);
      applicationId ??= (await cluster.get('default', 'hello').catch(() => undefined))?.status?.applicationId;
    }

    const output = steps.map((s) => s.output).join('\n');
    // The NOTES tell about CRD upgrades; the first application became Ready with its Secret.
    expect(output).toContain('Helm installs the CRDs on the first install only and never upgrades them');
    expect(output).toContain('logtoapplication.logto.io/hello condition met');
    expect(applicationId).toBeDefined();
    expect(output).toContain(applicationId); // the decoded LOGTO_APP_ID
    // Uninstalled: the Logto application went with its resource (deletionPolicy Delete), the CRD too.
    expect(emulator.state.applications.get(applicationId!)).toBeUndefined();
    expect(emulator.calls.list().some((c) => c.method === 'DELETE' && c.path.endsWith(applicationId!))).toBe(
      true,
    );
    const crds = await plane.kubeConfig.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
    expect(crds.items.map((c) => c.metadata?.name)).not.toContain('logtoapplications.logto.io');
  });

  it('ran the operator without a refusal and without logging a secret', () => {
    expect(operator, 'the operator was started').toBeDefined();
    const logs = operator!.logs;
    expect(logs.some((line) => line.includes('"operator started"'))).toBe(true);
    expect(logs.filter((line) => /forbidden|HTTP 403/i.test(line))).toEqual([]);
    expect(logs.filter((line) => line.includes(emulator.credentials.clientSecret))).toEqual([]);
  });
});
