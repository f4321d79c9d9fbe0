// Child process of test/integration/kube-client-aborts.test.ts (run with `node --import tsx`): the
// operator's Kubernetes client under a churn of aborted requests, as a reconcile cut short by lost
// leadership or shutdown aborts them: 16 loops create, read and list ConfigMaps in namespace argv[3]
// for argv[2] milliseconds, every request aborted after 0-8 ms. Then one list that is not aborted.
// Prints one JSON line: counts, the most resident memory seen, and how often a 50 ms timer ran (a
// Node.js HTTP/2 session once looped inside native code here, starving the event loop while it grew).
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubeClient, withRequestSignal } from '../../src/kube/client.js';

const [durationArg, namespace = ''] = process.argv.slice(2);
const durationMs = Number(durationArg);
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(process.env.KUBECONFIG ?? '');
const client = new KubeClient(kubeConfig);
const core = client.api(CoreV1Api);

const counts = { settled: 0, aborted: 0, ticks: 0, maxResidentBytes: 0 };
const ticker = setInterval(() => {
  counts.ticks++;
  counts.maxResidentBytes = Math.max(counts.maxResidentBytes, process.memoryUsage.rss());
}, 50);
const deadline = Date.now() + durationMs;

async function churn(loop: number): Promise<void> {
  for (let i = 0; Date.now() < deadline; i++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('aborted by the churn')), Math.random() * 8);
    const options = withRequestSignal(controller.signal);
    const name = `churn-${loop}-${i % 8}`;
    const body = { metadata: { name }, data: { filler: 'x'.repeat(4096) } };
    try {
      const kind = i % 3;
      if (kind === 0) await core.createNamespacedConfigMap({ namespace, body }, options);
      else if (kind === 1) await core.readNamespacedConfigMap({ namespace, name }, options);
      else await core.listNamespacedConfigMap({ namespace }, options);
      counts.settled++;
    } catch {
      if (controller.signal.aborted) counts.aborted++;
      else counts.settled++; // 404 and 409 are answers too (before the abort fired)
    } finally {
      clearTimeout(timer);
    }
  }
}

await Promise.all(Array.from({ length: 16 }, (_, loop) => churn(loop)));
const after = await core.listNamespacedConfigMap({ namespace });
clearInterval(ticker);
await client.close();
console.log(
  JSON.stringify({ ...counts, listAfterChurn: Array.isArray(after.items) ? 'answered' : 'malformed' }),
);
