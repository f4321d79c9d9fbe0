/** What a bench reads of other processes from /proc (Linux). */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system) of a process so far, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory of a process in MiB: in all, anonymous (heap, buffers, allocator) and file-backed (code). */
export function residentMb(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024, file: kb('RssFile') / 1024 };
}

/**
 * Resident anonymous memory of a process in MiB by kind of mapping (/proc/<pid>/smaps): malloc's main
 * arena (`[heap]`), small mappings (below 1 MiB: V8's heap pages are 256 KiB each), and larger ones
 * (malloc's other arenas, thread stacks, V8's large objects and code).
 */
export function anonymousByMapping(pid: number): Record<string, number> {
  const totals: Record<string, number> = {};
  let kind: string | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const [, start, end, name] = mapping;
      const mib = (parseInt(end!, 16) - parseInt(start!, 16)) / 2 ** 20;
      kind =
        name === '[heap]'
          ? 'malloc main arena'
          : name
            ? undefined
            : mib < 1
              ? 'below 1 MiB'
              : '1 MiB and more';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && kind) totals[kind] = (totals[kind] ?? 0) + Number(rss[1]) / 1024;
  }
  return totals;
}
