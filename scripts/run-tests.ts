/**
 * `npm test`: the type check, the lint and every test, side by side. The tests mostly wait (on the
 * control plane, on the operator's timers) while the type check and the lint use the cores, so
 * together they take about as long as the tests alone. The tests' output streams as it comes; the
 * type check's and the lint's are printed once they end. Fails if any of the three fails.
 * Extra arguments go to vitest (`npm test -- test/unit/crd.test.ts`).
 */
import { spawn } from 'node:child_process';

interface Outcome {
  name: string;
  code: number | null;
  output: string;
}

function run(name: string, command: string, args: string[], live: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['ignore', live ? 'inherit' : 'pipe', live ? 'inherit' : 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ name, code, output }));
    child.on('error', (error) => resolve({ name, code: 1, output: String(error) }));
  });
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = performance.now();
const [typecheck, lint, tests] = await Promise.all([
  run('type check', npm, ['run', '--silent', 'typecheck'], false),
  run('lint', npm, ['run', '--silent', 'lint'], false),
  run('tests', npm, ['exec', '--', 'vitest', 'run', ...process.argv.slice(2)], true),
]);
for (const { name, code, output } of [typecheck, lint]) {
  console.log(`\n${name}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`}`);
  if (code !== 0 || output.trim()) console.log(output.trimEnd());
}
const failed = [typecheck, lint, tests]
  .filter((outcome) => outcome.code !== 0)
  .map((outcome) => outcome.name);
console.log(
  `\n${failed.length ? `failed: ${failed.join(', ')}` : 'type check, lint and tests passed'} in ` +
    `${Math.round((performance.now() - started) / 1000)}s`,
);
process.exitCode = failed.length ? 1 : 0;
