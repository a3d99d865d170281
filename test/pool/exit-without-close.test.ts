/**
 * Scenario 14 with worker pools, through the Supervisor: a process whose Supervisor was never
 * closed, with live pool threads and an open breaker's one-hour recovery timer, exits by itself.
 * (test/pool/lifecycle.test.ts covers bare pool executors the same way.)
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript } from '../support/run-script.ts';

async function runFixture(
  args: readonly string[],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; lines: string[] }> {
  const script = fileURLToPath(new URL('../fixtures/forgotten-supervisor.ts', import.meta.url));
  const { code, signal, stderr, stdout } = await runScript(script, args);
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
