import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const script = path.resolve(import.meta.dirname, '../../scripts/check-node.cjs');
const { tooOldMessage, REQUIRED_MAJOR } = createRequire(import.meta.url)(script) as {
  tooOldMessage: (version: string) => string | undefined;
  REQUIRED_MAJOR: number;
};

describe('the Node.js version check (npm preinstall, prestart, pretest, predemo, prebench)', () => {
  it('names the version found, the version needed and the command that installs it, in one line', () => {
    const message = tooOldMessage('20.20.2');
    expect(message).toBe(
      `logto-operator needs Node.js ${REQUIRED_MAJOR} or newer, found 20.20.2: ` +
        'run PATH="$(bash scripts/ensure-node.sh):$PATH" first (see README, Quick start)',
    );
    expect(message).not.toContain('\n');
    expect(tooOldMessage(`${REQUIRED_MAJOR}.0.0`)).toBeUndefined();
    expect(tooOldMessage(`${REQUIRED_MAJOR + 1}.1.0`)).toBeUndefined();
  });

  it('passes silently on this Node.js, and every entry point runs it first', async () => {
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect([run.status, run.stderr]).toEqual([0, '']);
    const { default: pkg } = (await import('../../package.json', { with: { type: 'json' } })) as {
      default: { scripts: Record<string, string> };
    };
    for (const hook of ['preinstall', 'prestart', 'pretest', 'predemo', 'prebench']) {
      expect(pkg.scripts[hook], hook).toBe('node scripts/check-node.cjs');
    }
  });
});
