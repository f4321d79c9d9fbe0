/**
 * The operator image's Dockerfile keeps to what `npm run check:image` can replay without a Docker
 * engine. The replay itself (npm ci from the registry, the build, the distroless stage's files, then
 * the ENTRYPOINT against a control plane) takes minutes, so `.ci/run` runs it after `npm test`.
 */
import { describe, expect, it } from 'vitest';
import { dockerignore, parseDockerfile } from '../../scripts/check-image.js';
import { REPO_ROOT } from '../../scripts/render-manifests.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

describe('the operator image', () => {
  it('keeps to what the check can replay, and its context holds what the Dockerfile copies', async () => {
    const stages = parseDockerfile(await readFile(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    expect(stages.map((s) => s.from)).toEqual([
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
    // The runtime stage runs no command (distroless has no shell), copies the bundle and no module
    // tree, and starts node on dist/main.js with source maps.
    const runtime = stages.at(-1)!.instructions;
    expect(runtime.filter((i) => i.op === 'RUN')).toEqual([]);
    expect(runtime.filter((i) => i.op === 'COPY').map((i) => i.args)).toEqual([
      '--from=build /app/package.json ./package.json',
      '--from=build /app/dist ./dist',
    ]);
    expect(runtime.find((i) => i.op === 'ENTRYPOINT')?.args).toMatch(
      /^\["\/nodejs\/bin\/node", "--enable-source-maps", "dist\/main\.js"\]$/,
    );
  });
});
