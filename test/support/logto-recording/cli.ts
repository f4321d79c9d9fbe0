// npm run record:logto -- [--endpoint URL --app-id ID] [--resource INDICATOR] [--out FILE]
//                         [--compare FILE] [--compare-emulator]
// Records the fixed call sequence against a Logto server (the app secret is read from
// LOGTO_APP_SECRET only, never a flag that
// would show in the process list and shell history) or, without --endpoint, against an emulator started here.
// --compare-emulator records the emulator too and lists where it answers otherwise; --compare
// compares with an earlier recording. Exits 1 when they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { startLogtoEmulator } from '../../emulator/emulator.js';
import { compareRecordings, describeDifferences, type Recording } from './recording.js';
import { recordLogto, type RecordTarget } from './sequence.js';

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    'app-id': { type: 'string' },
    resource: { type: 'string' },
    out: { type: 'string' },
    compare: { type: 'string' },
    'compare-emulator': { type: 'boolean', default: false },
  },
});

/** Records against a fresh emulator (its operator app has Management API access). */
const recordEmulator = async (): Promise<Recording> => {
  const emulator = await startLogtoEmulator();
  try {
    const { clientId, clientSecret } = emulator.credentials;
    return await recordLogto({ endpoint: emulator.endpoint, clientId, clientSecret });
  } finally {
    await emulator.close();
  }
};

const recordTarget = async (): Promise<Recording> => {
  if (!values.endpoint) return recordEmulator();
  const clientSecret = process.env.LOGTO_APP_SECRET;
  if (!values['app-id'] || !clientSecret) {
    throw new Error('--endpoint needs --app-id and the app secret in LOGTO_APP_SECRET.');
  }
  const target: RecordTarget = {
    endpoint: values.endpoint.replace(/\/+$/, ''),
    clientId: values['app-id'],
    clientSecret,
    ...(values.resource ? { resource: values.resource } : {}),
  };
  return recordLogto(target);
};

const main = async (): Promise<number> => {
  const recording = await recordTarget();
  console.log(`Recorded ${recording.calls.length} calls.`);
  if (values.out) {
    writeFileSync(values.out, `${JSON.stringify(recording, null, 2)}\n`);
    console.log(`Written to ${values.out}.`);
  }
  const comparisons: Array<[string, Recording]> = [];
  if (values.compare)
    comparisons.push([values.compare, JSON.parse(readFileSync(values.compare, 'utf8')) as Recording]);
  if (values['compare-emulator']) comparisons.push(['the emulator', await recordEmulator()]);
  let differs = false;
  for (const [label, other] of comparisons) {
    const differences = compareRecordings(recording, other);
    console.log(
      differences.length === 0
        ? `Same answers as ${label}.`
        : `${differences.length} differences with ${label} (expected = this recording):\n${describeDifferences(differences)}`,
    );
    differs ||= differences.length > 0;
  }
  return differs ? 1 : 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
