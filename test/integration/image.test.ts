/**
 * The operator image, without a Docker engine: scripts/check-image.ts replays the Dockerfile on
 * `git archive HEAD` (npm ci and the build, production dependencies alone, then the distroless stage's
 * files) and starts its ENTRYPOINT: a bad configuration must fail cleanly, a valid one must make a
 * LogtoApplication Ready on this control plane, answer its probes, serve /metrics over HTTPS to an
 * authorized ServiceAccount only, and exit 0 on SIGTERM.
 * It checks the committed tree, as an image build from the repository would. Needs the npm registry.
 */
import { spawn } from 'node:child_process';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { dockerignore, parseDockerfile } from '../../scripts/check-image.js';
import { REPO_ROOT } from '../../scripts/render-manifests.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

describe('the operator image', () => {
  it('keeps to what the check can replay, and its context holds what the Dockerfile copies', async () => {
    const stages = parseDockerfile(await readFile(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    expect(stages.map((s) => s.from)).toEqual([
      expect.stringMatching(/^node:24-/),
      expect.stringMatching(/^node:24-/),
      expect.stringMatching(/^gcr\.io\/distroless\/nodejs24-debian12:nonroot$/),
    ]);
    const ignored = dockerignore(await readFile(path.join(REPO_ROOT, '.dockerignore'), 'utf8'));
    const fromContext = stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(fromContext.filter((file) => ignored(file))).toEqual([]);
    for (const excluded of [
      'node_modules/x',
      'dist/main.js',
      'test/unit/a.ts',
      '.git/HEAD',
      'deploy/x.yaml',
      '.env',
    ])
      expect(ignored(excluded), excluded).toBe(true);
    expect(ignored('src/main.ts')).toBe(false);
    // The runtime stage runs no command (distroless has no shell) and starts node on dist/main.js.
    const runtime = stages.at(-1)!.instructions;
    expect(runtime.filter((i) => i.op === 'RUN')).toEqual([]);
    expect(runtime.find((i) => i.op === 'ENTRYPOINT')?.args).toMatch(
      /^\["\/nodejs\/bin\/node",.*"dist\/main\.js"\]$/,
    );
  });

  it('builds and starts like the Dockerfile says (npm run check:image)', { timeout: 600_000 }, async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'scripts/check-image.ts'),
        '--kubeconfig',
        inject('kubeconfigPath'),
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // On a timeout too: the script then kills what it started and removes its files; it gets 15 s.
    onTestFinished(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await closed;
      clearTimeout(timer);
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, output).toBe(0);
    expect(output).toContain('exit 2: --logto-endpoint (or LOGTO_ENDPOINT) is required');
    expect(output).toContain('LogtoApplication Ready');
    expect(output).toContain('/metrics over HTTPS: 401 without a token, 200 for a ServiceAccount');
    expect(output).toMatch(/exit 0 on SIGTERM/);
  });
});
