/**
 * `npm run check:image`: builds and starts the operator image the way the Dockerfile does, without a
 * Docker engine. It reads the Dockerfile and replays it on a clean copy of the repository:
 *
 *   - the build context is `git archive HEAD` (or the working tree with --working-tree), filtered by
 *     .dockerignore;
 *   - each stage gets its own directory standing for its root filesystem; COPY, WORKDIR, ENV and RUN
 *     are carried out there (RUN with this machine's Node.js 24 and npm, standing in for node:24-*);
 *   - the final (distroless) stage may only COPY files: it has no shell. Its ENTRYPOINT is then run
 *     with this Node.js 24 in place of /nodejs/bin/node.
 *
 * Then it checks the result: the bundle and its source map, and no node_modules or source in the image; a missing or malformed
 * setting fails cleanly (exit 2, one-line message); and with a valid configuration against a control
 * plane and the Logto emulator (both on 127.0.0.1) the operator makes a LogtoApplication Ready,
 * answers its probes, serves /metrics over HTTPS (with a certificate from --metrics-cert-dir) to a
 * ServiceAccount allowed to read it and to no one else, and exits 0 on SIGTERM.
 *
 *   npm run check:image                          starts its own control plane
 *   npm run check:image -- --kubeconfig <path>   uses that cluster (a fresh namespace in it)
 *   npm run check:image -- --working-tree        builds the working tree instead of HEAD
 *   npm run check:image -- --keep                leaves the temporary directory for inspection
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { selfSignedCertificate } from '../src/runtime/metrics-tls.js';
import { startLogtoEmulator } from '../test/emulator/index.js';
import { startControlPlane, type ControlPlane } from '../test/support/control-plane/harness.js';
import { freePort } from '../test/support/control-plane/ports.js';
import { eventually } from '../test/support/eventually.js';
import {
  createMetricsReaderRole,
  deleteMetricsAccess,
  serviceAccountToken,
} from '../test/support/metrics-access.js';
import { TestCluster, decodeSecret } from '../test/support/operator.js';
import { scrape } from '../test/support/scrape.js';

const exec = promisify(execFile);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every process this check starts (each leads its own process group), killed if it ends early. */
const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.on('close', () => children.delete(child));
  return child;
}

function killAll(): void {
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Dockerfile

export interface Instruction {
  op: string;
  /** The text after the instruction keyword. */
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string;
  instructions: Instruction[];
}

const UNDERSTOOD = new Set(['FROM', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'USER', 'ENTRYPOINT', 'CMD', 'LABEL']);

/** The stages of a Dockerfile; refuses instructions this check cannot replay. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    if (/^\s*(#.*)?$/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile:${start}: cannot parse "${line}"`);
    const op = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (!UNDERSTOOD.has(op)) throw new Error(`Dockerfile:${start}: check-image does not replay ${op}`);
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile:${start}: cannot parse FROM ${args}`);
      stages.push({ from: from[1]!, name: from[2] ?? String(stages.length), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile:${start}: ${op} before FROM`);
    stage.instructions.push({ op, args, line: start });
  }
  return stages;
}

/** A .dockerignore as a predicate on context-relative paths (last matching pattern wins). */
export function dockerignore(text: string): (relativePath: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = path.posix.normalize((negated ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/$/, '');
      const source = pattern
        .split(/(\*\*|\*|\?)/)
        .map((part) =>
          part === '**'
            ? '.*'
            : part === '*'
              ? '[^/]*'
              : part === '?'
                ? '[^/]'
                : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      return { negated, regex: new RegExp(`^${source}$`) };
    });
  return (relativePath) => {
    const parts = relativePath.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (candidates.some((c) => rule.regex.test(c))) excluded = !rule.negated;
    }
    return excluded;
  };
}

// ---------------------------------------------------------------------------------------------------
// Replaying the build

interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  entrypoint: string[] | undefined;
  cmd: string[] | undefined;
}

function log(message: string): void {
  console.log(`[check-image] ${message}`);
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, relative)));
    else out.push(relative);
  }
  return out;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * The build context: HEAD (or the working tree) minus what .dockerignore excludes. Returns the
 * Dockerfile, read before the filter (which usually excludes it).
 */
async function buildContext(dir: string, workingTree: boolean): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (workingTree) {
    const { stdout } = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const file of stdout.split('\0').filter(Boolean)) {
      if (!(await exists(path.join(REPO_ROOT, file)))) continue; // deleted, not yet staged
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await cp(path.join(REPO_ROOT, file), path.join(dir, file));
    }
  } else {
    const archive = path.join(path.dirname(dir), 'context.tar');
    await exec('git', ['archive', '--format=tar', '-o', archive, 'HEAD'], { cwd: REPO_ROOT });
    await exec('tar', ['-xf', archive, '-C', dir]);
    await rm(archive);
  }
  const dockerfile = await readFile(path.join(dir, 'Dockerfile'), 'utf8').catch(() => {
    throw new Error('no Dockerfile in the build context (not committed yet? try --working-tree)');
  });
  const ignored = dockerignore(await readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => ''));
  for (const file of await listFiles(dir)) if (ignored(file)) await rm(path.join(dir, file));
  return dockerfile;
}

/** Splits `a=b c="d e"` (ENV's key=value form). */
function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) env[match[1]!] = match[3] ?? match[2]!;
  return env;
}

function jsonForm(instruction: Instruction): string[] {
  const value: unknown = JSON.parse(instruction.args);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`Dockerfile:${instruction.line}: ${instruction.op} must use the exec (JSON) form`);
  }
  return value as string[];
}

/** Environment of a RUN: this machine's PATH and HOME (npm cache), not npm's own variables. */
function runEnvironment(stageEnv: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key];
  // Packages already in this machine's npm cache (CI's own npm ci put them there) are taken from it
  // without asking the registry again: what the replay checks is the build, not the registry's speed
  // (seen here: the same npm ci took 14 s so and 20 s to 3 min otherwise). The lockfile's integrity
  // hashes are checked either way.
  env.npm_config_prefer_offline = 'true';
  return { ...env, ...stageEnv };
}

async function replay(stages: Stage[], context: string, work: string): Promise<StageState> {
  const states = new Map<string, StageState>();
  let last: StageState | undefined;
  for (const [index, stage] of stages.entries()) {
    const final = index === stages.length - 1;
    if (final ? !/^gcr\.io\/distroless\/nodejs24-/.test(stage.from) : !/^node:24(-|$)/.test(stage.from)) {
      throw new Error(
        `stage ${stage.name}: FROM ${stage.from} is not what this check stands in for ` +
          '(node:24-* for build stages, distroless nodejs24 for the last one)',
      );
    }
    log(`stage ${stage.name} (FROM ${stage.from})`);
    const state: StageState = {
      root: path.join(work, 'stages', stage.name),
      workdir: '/',
      env: {},
      user: undefined,
      entrypoint: undefined,
      cmd: undefined,
    };
    await mkdir(state.root, { recursive: true });
    const inRoot = (p: string) => path.join(state.root, path.posix.resolve(state.workdir, p));
    for (const instruction of stage.instructions) {
      const where = `Dockerfile:${instruction.line}`;
      switch (instruction.op) {
        case 'WORKDIR':
          state.workdir = path.posix.resolve(state.workdir, instruction.args);
          await mkdir(inRoot('.'), { recursive: true });
          break;
        case 'ENV':
          Object.assign(state.env, parseEnv(instruction.args));
          break;
        case 'USER':
          state.user = instruction.args;
          break;
        case 'ENTRYPOINT':
          state.entrypoint = jsonForm(instruction);
          break;
        case 'CMD':
          state.cmd = jsonForm(instruction);
          break;
        case 'LABEL':
          break;
        case 'RUN': {
          if (final) throw new Error(`${where}: the distroless stage has no shell to RUN with`);
          log(`  RUN ${instruction.args}`);
          const child = track(
            spawn('bash', ['-euo', 'pipefail', '-c', instruction.args], {
              cwd: inRoot('.'),
              env: runEnvironment(state.env),
              stdio: ['ignore', 'inherit', 'inherit'],
              detached: true,
            }),
          );
          const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
          if (code !== 0) throw new Error(`${where}: RUN ${instruction.args} exited with ${code}`);
          break;
        }
        case 'COPY': {
          const words = instruction.args.split(/\s+/);
          const fromFlag = words[0]?.startsWith('--from=')
            ? words.shift()!.slice('--from='.length)
            : undefined;
          if (words.some((w) => w.startsWith('--'))) throw new Error(`${where}: unsupported COPY flag`);
          const dest = words.pop()!;
          const source = fromFlag ? states.get(fromFlag) : undefined;
          if (fromFlag && !source) throw new Error(`${where}: no earlier stage named ${fromFlag}`);
          const toDirectory = dest.endsWith('/') || words.length > 1;
          for (const word of words) {
            const from = source
              ? path.join(source.root, path.posix.resolve(source.workdir, word))
              : path.join(context, word);
            if (!(await exists(from))) {
              throw new Error(`${where}: COPY source ${word} does not exist (excluded by .dockerignore?)`);
            }
            const to = toDirectory ? path.join(inRoot(dest), path.basename(word)) : inRoot(dest);
            await mkdir(path.dirname(to), { recursive: true });
            await cp(from, to, { recursive: true, verbatimSymlinks: true });
          }
          log(`  COPY ${instruction.args}`);
          break;
        }
      }
    }
    states.set(stage.name, state);
    last = state;
  }
  return last!;
}

// ---------------------------------------------------------------------------------------------------
// Checking the image

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The image's ENTRYPOINT + CMD with `env` as the container's environment (image ENV first). */
function startImage(
  image: StageState,
  env: Record<string, string>,
): { child: ChildProcess; done: Promise<Run> } {
  const [binary, ...args] = [...(image.entrypoint ?? []), ...(image.cmd ?? [])];
  if (binary !== '/nodejs/bin/node')
    throw new Error(`ENTRYPOINT must start with /nodejs/bin/node, not ${binary}`);
  const child = track(
    spawn(process.execPath, args, {
      cwd: path.join(image.root, image.workdir),
      env: { ...image.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
  );
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (run.stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString('utf8')));
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => {
      run.code = code;
      resolve(run);
    }),
  );
  return { child, done };
}

async function expectCleanFailure(
  image: StageState,
  env: Record<string, string>,
  message: string,
): Promise<void> {
  const { child, done } = startImage(image, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const run = await done;
  clearTimeout(timer);
  const expected = `logto-operator: ${message}\n`;
  if (run.code !== 2 || run.stderr !== expected || run.stdout !== '') {
    throw new Error(
      `expected exit 2 with stderr ${JSON.stringify(expected)}; got exit ${run.code}, ` +
        `stderr ${JSON.stringify(run.stderr.slice(0, 2000))}, stdout ${JSON.stringify(run.stdout.slice(0, 500))}`,
    );
  }
  log(`  exit 2: ${message}`);
}

async function checkContents(image: StageState): Promise<void> {
  const app = path.join(image.root, image.workdir);
  const user = image.user?.split(':')[0];
  if (!user || !/^\d+$/.test(user) || user === '0') {
    throw new Error(
      `USER must be a numeric non-root uid (Kubernetes' runAsNonRoot checks it), not ${image.user}`,
    );
  }
  // The bundle holds every dependency: no module tree, no sources, no dev tooling in the image.
  for (const absent of ['src', 'test', 'node_modules', 'tsconfig.json', 'package-lock.json']) {
    if (await exists(path.join(app, absent))) throw new Error(`the image holds ${absent}; it should not`);
  }
  for (const present of ['dist/main.js', 'dist/main.js.map']) {
    if (!(await exists(path.join(app, present)))) throw new Error(`${present} is missing`);
  }
  const bundleBytes = (await stat(path.join(app, 'dist/main.js'))).size;
  log(
    `  one bundle of ${(bundleBytes / 2 ** 20).toFixed(1)} MiB with its source map, no node_modules, no sources; runs as uid ${user}`,
  );
}

async function checkAgainstCluster(image: StageState, kubeconfigPath: string, work: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = `check-image-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const emulator = await startLogtoEmulator();
  const readerRole = `${namespace}-metrics-reader`;
  let operator: { child: ChildProcess; done: Promise<Run> } | undefined;
  try {
    // The serving certificate of /metrics, as a mounted kubernetes.io/tls Secret would provide it.
    const certificate = (await selfSignedCertificate()).current();
    const certDir = path.join(work, 'metrics-certs');
    await mkdir(certDir, { recursive: true });
    await writeFile(path.join(certDir, 'tls.crt'), certificate.cert);
    await writeFile(path.join(certDir, 'tls.key'), certificate.key, { mode: 0o600 });
    await createMetricsReaderRole(kc, readerRole);
    const prometheus = await serviceAccountToken(kc, namespace, 'prometheus', readerRole);
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'logto-operator-credentials' },
        stringData: {
          clientId: emulator.credentials.clientId,
          clientSecret: emulator.credentials.clientSecret,
        },
      },
    });
    const probePort = await freePort();
    const metricsPort = await freePort();
    // What the chart passes (POD_* from the downward API), bound to loopback.
    operator = startImage(image, {
      KUBECONFIG: kubeconfigPath,
      POD_NAME: 'logto-operator-check-image',
      POD_NAMESPACE: namespace,
      LOGTO_ENDPOINT: emulator.endpoint,
      LOGTO_RESOURCE: emulator.resourceIndicator,
      LOGTO_CREDENTIALS_SECRET: `${namespace}/logto-operator-credentials`,
      WATCH_NAMESPACES: namespace,
      SHUTDOWN_TIMEOUT: '10s',
      LEADER_ELECT: 'true',
      LEADER_ELECTION_ID: 'logto-operator-leader',
      METRICS_BIND_ADDRESS: `127.0.0.1:${metricsPort}`,
      METRICS_CERT_DIR: certDir,
      HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${probePort}`,
    });
    const exited = operator.done.then((run) => {
      throw new Error(
        `the operator exited early (${run.code}): ${run.stderr.slice(0, 2000)}${run.stdout.slice(-2000)}`,
      );
    });
    exited.catch(() => {});
    const cluster = new TestCluster(kc);
    await cluster.create(namespace, 'check-image', { type: 'Traditional' });
    const ready = await Promise.race([
      cluster.waitReady(namespace, 'check-image', 'True', undefined, 90_000),
      exited,
    ]);
    const secret = decodeSecret(await cluster.secret(namespace, 'check-image'));
    if (secret.LOGTO_APP_ID !== ready.status?.applicationId || !secret.LOGTO_APP_SECRET) {
      throw new Error('the published Secret does not hold the application credentials');
    }
    log(`  LogtoApplication Ready (application ${ready.status?.applicationId}), Secret published`);

    for (const route of ['/healthz', '/readyz']) {
      await eventually(async () => (await fetch(`http://127.0.0.1:${probePort}${route}`)).status === 200, {
        what: `GET ${route} = 200`,
        timeoutMs: 30_000,
      });
    }
    log('  /healthz and /readyz answer 200');

    // Verified against the certificate given: the image served the one from METRICS_CERT_DIR.
    const metricsUrl = `https://127.0.0.1:${metricsPort}/metrics`;
    const anonymous = await scrape(metricsUrl, { ca: certificate.cert });
    if (anonymous.status !== 401) throw new Error(`/metrics without a token: ${anonymous.status}, not 401`);
    const allowed = await scrape(metricsUrl, { ca: certificate.cert, token: prometheus });
    if (allowed.status !== 200 || !allowed.body.includes('controller_runtime_reconcile_total'))
      throw new Error(`/metrics with an allowed token: ${allowed.status}, not 200 with the metrics`);
    log('  /metrics over HTTPS: 401 without a token, 200 for a ServiceAccount bound to get /metrics');

    operator.child.kill('SIGTERM');
    const timer = setTimeout(() => operator?.child.kill('SIGKILL'), 30_000);
    const run = await operator.done;
    clearTimeout(timer);
    if (run.code !== 0)
      throw new Error(`exit ${run.code} after SIGTERM (expected 0): ${run.stderr.slice(0, 2000)}`);
    const lines = run.stdout.split('\n').filter(Boolean);
    const notJson = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    if (notJson.length) throw new Error(`stdout lines that are not JSON: ${notJson.slice(0, 3).join(' | ')}`);
    if (run.stdout.includes(emulator.credentials.clientSecret)) throw new Error('the M2M secret was logged');
    log(`  exit 0 on SIGTERM; ${lines.length} JSON log lines, no secret in them`);
  } finally {
    if (operator && operator.child.exitCode === null) {
      operator.child.kill('SIGKILL');
      await operator.done;
    }
    await emulator.close();
    await deleteMetricsAccess(kc, readerRole, [`${namespace}-prometheus`]);
    await core.deleteNamespace({ name: namespace }).catch(() => {});
  }
}

export async function checkImage(options: {
  kubeconfig?: string;
  workingTree?: boolean;
  keep?: boolean;
}): Promise<void> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 24)
    throw new Error(`this check stands in Node.js ${process.versions.node} for the image's Node.js 24`);
  const work = await mkdtemp(path.join(tmpdir(), 'logto-operator-image-'));
  // Whatever ends this process (an error, a signal): no child and no temporary files left behind.
  const cleanUp = () => {
    killAll();
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  };
  process.once('exit', cleanUp);
  let plane: ControlPlane | undefined;
  try {
    const context = path.join(work, 'context');
    log(`build context: ${options.workingTree ? 'working tree' : 'git archive HEAD'} -> ${context}`);
    const stages = parseDockerfile(await buildContext(context, options.workingTree ?? false));
    const image = await replay(stages, context, work);

    log('image contents');
    await checkContents(image);

    log('a bad configuration fails cleanly');
    await expectCleanFailure(image, {}, '--logto-endpoint (or LOGTO_ENDPOINT) is required');
    await expectCleanFailure(
      image,
      {
        LOGTO_ENDPOINT: 'https://logto.example.com',
        LOGTO_CLIENT_ID: 'x',
        LOGTO_CLIENT_SECRET: 'y',
        CONCURRENCY: 'zero',
      },
      'concurrency: "zero" is not a positive integer',
    );

    let kubeconfig = options.kubeconfig;
    if (!kubeconfig) {
      log('starting a control plane');
      plane = await startControlPlane();
      kubeconfig = plane.kubeconfigPath;
    }
    log('a valid configuration against the cluster and the Logto emulator');
    await checkAgainstCluster(image, kubeconfig, work);
    log('OK');
  } finally {
    killAll();
    await plane?.stop();
    process.off('exit', cleanUp);
    if (options.keep) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Exiting runs the 'exit' clean-ups (children, temporary files, the control plane's own hook).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(1));
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      'working-tree': { type: 'boolean' },
      keep: { type: 'boolean' },
    },
  });
  checkImage({
    ...(values.kubeconfig ? { kubeconfig: path.resolve(values.kubeconfig) } : {}),
    workingTree: values['working-tree'] ?? false,
    keep: values.keep ?? false,
  }).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`[check-image] FAILED: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
