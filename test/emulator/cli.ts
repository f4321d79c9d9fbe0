// `npm run emulator [-- --port 3001 --protected-domain protected.localhost]`: runs the emulator
// until SIGINT/SIGTERM and prints the endpoint and the operator app's credentials.
import { parseArgs } from 'node:util';

import { startLogtoEmulator } from './emulator.js';

const usage = `Usage: npm run emulator -- [options]
  --port <n>                 port on 127.0.0.1 (default: any free port)
  --indicator <url>          Management API resource indicator (default https://default.logto.app/api)
  --protected-domain <name>  enable Protected apps, served at <subdomain>.<name>
  --client-id <id>           client id of the seeded operator app (default: random)
  --client-secret <secret>   its client secret (default: random)
  --help`;

const main = async () => {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      indicator: { type: 'string' },
      'protected-domain': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`Invalid --port ${values.port}`);

  const emulator = await startLogtoEmulator({
    port,
    resourceIndicator: values.indicator,
    protectedApps: values['protected-domain'] ? { domain: values['protected-domain'] } : undefined,
    operator: { clientId: values['client-id'], clientSecret: values['client-secret'] },
  });
  // The credentials are printed on purpose: this is a local emulator and they are its output.
  console.log(`Logto emulator listening on ${emulator.endpoint}`);
  console.log(`  resource indicator: ${emulator.resourceIndicator}`);
  console.log(`  client id:          ${emulator.credentials.clientId}`);
  console.log(`  client secret:      ${emulator.credentials.clientSecret}`);
  console.log(`  test controls:      ${emulator.endpoint}/__emulator/`);

  const stop = (signal: string) => {
    console.log(`Received ${signal}, stopping`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
