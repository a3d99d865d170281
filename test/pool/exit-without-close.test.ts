/**
 * Scenario 14 with worker pools, through the Supervisor: a process whose Supervisor was never
 * closed, with live pool threads and an open breaker's one-hour recovery timer, exits by itself.
 * (test/pool/lifecycle.test.ts covers bare pool executors the same way.)
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

async function runFixture(
  args: readonly string[],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; lines: string[] }> {
  const script = fileURLToPath(new URL('../fixtures/forgotten-supervisor.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // Safety net only: a process kept alive would hang the suite. Being killed fails the test.
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('exit', (c, s) => resolve([c, s]));
  });
  clearTimeout(killer);
  return { code, signal, stderr, lines: stdout.trim().split('\n') };
}

describe('process exit without close() with pools (scenario 14)', () => {
  it('live pool threads and an open breaker with a long timer do not keep the process alive', async () => {
    const r = await runFixture([]);
    expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({
      code: 0,
      signal: null,
      stderr: '',
    });
    expect(r.lines).toEqual(['result 3', 'state open', 'end of script']);
  });
});
