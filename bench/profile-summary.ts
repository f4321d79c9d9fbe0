/**
 * Where a CPU profile (`node --cpu-prof`) of the bundled operator spent its time, by origin: each
 * sample's function is mapped back through the bundle's source map to its source file, then grouped
 * as a dependency (`node_modules/<package>`), an operator module (`src/<dir>`), a Node.js internal, or
 * V8 itself (garbage collection, idle, natives).
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function origin(frame: ProfileNode['callFrame'], bundleUrl: string, map: SourceMap | undefined): string {
  if (!frame.url) return frame.functionName ? `(v8) ${frame.functionName}` : '(v8)';
  if (frame.url.startsWith('node:'))
    return frame.url.replace(/^node:internal\/([^/]+).*/, 'node:internal/$1');
  if (frame.url !== bundleUrl || !map) return frame.url;
  const entry = map.findEntry(frame.lineNumber, frame.columnNumber);
  const source = 'originalSource' in entry ? entry.originalSource : '';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (dependency) return dependency[1]!;
  const own = /(?:^|\/)src\/(.+\/)?[^/]+$/.exec(source);
  return own ? `src/${own[1] ?? ''}` : source || '(bundle)';
}

/** Milliseconds of self time by origin, largest first. */
export function summarizeProfile(profileFile: string, bundleFile: string): [string, number][] {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as Profile;
  let map: SourceMap | undefined;
  try {
    map = new SourceMap(JSON.parse(readFileSync(`${bundleFile}.map`, 'utf8')));
  } catch {
    map = undefined;
  }
  const bundleUrl = new URL(`file://${bundleFile}`).href;
  const byId = new Map(profile.nodes.map((node) => [node.id, origin(node.callFrame, bundleUrl, map)]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const key = byId.get(id) ?? '?';
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].sort((a, b) => b[1] - a[1]);
}
