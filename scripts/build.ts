/**
 * `npm run build`: the operator as one minified ES module, `dist/main.js`, with its source map
 * (`node --enable-source-maps dist/main.js` reports stack traces against src/). Every dependency is
 * inside, so the image needs no node_modules, and Node.js compiles and keeps only what the operator
 * uses: loading `@kubernetes/client-node`'s module tree alone took a process from 43 to 131 MB
 * resident, the bundle of all of the operator takes less (docs/performance.md has the figures).
 * Type errors are `npm run typecheck`'s job; esbuild only strips types.
 *
 *   node scripts/build.ts [--outdir DIR]     (default dist/)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** Bundles src/main.ts into `<outDir>/main.js` (+ `.map`); returns the entry's path. */
export async function buildOperatorBundle(outDir: string): Promise<string> {
  const entry = path.join(outDir, 'main.js');
  await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ['src/main.ts'],
    outfile: entry,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    // Minified identifiers would make pino's and the errors' class names unreadable in logs.
    keepNames: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    // Some dependencies are CommonJS and call require() for Node.js built-ins, which an ES module
    // does not have.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
  });
  return entry;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } });
  const entry = await buildOperatorBundle(path.resolve(REPO_ROOT, values.outdir));
  console.log(`built ${path.relative(REPO_ROOT, entry)}`);
}
