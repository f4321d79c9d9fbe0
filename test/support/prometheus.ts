/** Sample values of a Prometheus text exposition, keyed by `name{labels}` as exposed; comments skipped. */
export function parseSamples(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    result.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return result;
}
