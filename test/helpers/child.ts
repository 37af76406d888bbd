// Runs a TypeScript fixture in a child Node process (tsx), for what must not leak into the
// test worker: environment variables read at load, thread-pool size changes.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const root = path.join(__dirname, '..', '..');

export function runFixture(name: string, env: Record<string, string> = {}, args: string[] = []) {
  const file = path.join(root, 'test', 'fixtures', name);
  const result = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
