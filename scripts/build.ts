/**
 * `npm run build`: the operator as one minified ES module, `dist/main.js`, with a source map
 * (`node --enable-source-maps dist/main.js` reports the operator's stack frames against src/). Every
 * dependency is inside, so the image needs no node_modules, and Node.js compiles only what the
 * operator uses. Type errors are `npm run typecheck`'s job; esbuild only strips types.
 *
 * The source map maps the operator's own code only. Node.js parses the whole map the first time it
 * formats a stack trace, and keeps it: with every dependency's mappings that was 69 MB of heap
 * (docs/performance.md), more than the operator's caches of 1,000 resources. Frames inside a
 * dependency keep their bundle position and function name.
 *
 *   node scripts/build.ts [--outdir DIR]     (default dist/)
 */
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';
import { build } from 'esbuild';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

interface SourceMapV3 {
  version: 3;
  sources: string[];
  names: string[];
  mappings: string;
  [field: string]: unknown;
}

/** The map with only the mappings whose source is not under node_modules (sources and names pruned). */
export function ownCodeOnly(map: SourceMapV3): SourceMapV3 {
  const sourceIndex = new Map<number, number>();
  const nameIndex = new Map<number, number>();
  const sources: string[] = [];
  const names: string[] = [];
  const keep = (index: number, from: string[], to: string[], seen: Map<number, number>) => {
    let kept = seen.get(index);
    if (kept === undefined) {
      kept = to.push(from[index]!) - 1;
      seen.set(index, kept);
    }
    return kept;
  };
  const lines = decode(map.mappings).map((line) =>
    line.flatMap((segment): SourceMapSegment[] => {
      if (segment.length === 1 || map.sources[segment[1]]!.includes('node_modules/')) return [];
      const [column, source, sourceLine, sourceColumn] = segment;
      const kept = keep(source, map.sources, sources, sourceIndex);
      return segment.length === 5
        ? [[column, kept, sourceLine, sourceColumn, keep(segment[4], map.names, names, nameIndex)]]
        : [[column, kept, sourceLine, sourceColumn]];
    }),
  );
  return { ...map, sources, names, mappings: encode(lines) };
}

/**
 * Bundles src/main.ts into `<outDir>/main.js` (+ `.map`); returns the entry's path. `fullSourceMap`
 * keeps every dependency's mappings, for reading a CPU profile by package (bench:cpu --cpu-prof),
 * not for running in production.
 */
export async function buildOperatorBundle(
  outDir: string,
  { fullSourceMap = false }: { fullSourceMap?: boolean } = {},
): Promise<string> {
  const entry = path.join(outDir, 'main.js');
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ['src/main.ts'],
    outfile: entry,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    // Minified identifiers would make error and class names unreadable in logs.
    keepNames: true,
    sourcemap: 'linked',
    // Stack traces need positions, not the sources' text.
    sourcesContent: false,
    write: false,
    logLevel: 'warning',
    // Some dependencies are CommonJS and call require() for Node.js built-ins, which an ES module
    // does not have.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
  });
  await mkdir(outDir, { recursive: true });
  for (const file of result.outputFiles) {
    const contents =
      file.path.endsWith('.map') && !fullSourceMap
        ? JSON.stringify(ownCodeOnly(JSON.parse(file.text) as SourceMapV3))
        : file.contents;
    await writeFile(file.path, contents);
  }
  return entry;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } });
  const entry = await buildOperatorBundle(path.resolve(REPO_ROOT, values.outdir));
  console.log(`built ${path.relative(REPO_ROOT, entry)}`);
}
