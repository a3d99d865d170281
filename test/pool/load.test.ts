/**
 * Modules that can't load (scenario 18): a syntax error, a failing import, a throw at top level,
 * a process.exit() at top level.
 * Calls reject ERR_WORKER_LOAD with the load error as cause, health says why, and new attempts
 * are spaced out (exponential, capped), each started by a call, never a respawn storm.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { LOAD_RETRY_BASE_MS, LOAD_RETRY_MAX_MS, loadRetryDelay } from '../../src/pool/threads.ts';
import { makePool, outcome, type TestPool } from './helpers.ts';

async function loadError(t: TestPool): Promise<Error & { code: string }> {
  const r = await outcome(t.call('use'));
  expect(r.ok).toBe(false);
  return (r as { error: Error & { code: string } }).error;
}

describe.each([
  ['broken-syntax.js', 'SyntaxError'],
  ['failing-import.ts', 'Error'],
  ['throws-at-load.ts', 'Error'],
  ['exits-at-load.ts', 'Error'],
])('%s', (module, causeName) => {
  const t = makePool(module, { threads: { min: 1, max: 2 } });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('rejects ERR_WORKER_LOAD with the load error as cause and reports the pool unhealthy', async () => {
    const error = await loadError(t);
    expect(error.code).toBe(ErrorCode.WorkerLoad);
    expect((error.cause as Error).name).toBe(causeName);
    const health = t.pool.health();
    expect(health.healthy).toBe(false);
    expect(health.message).toMatch(/^worker module failed to load \(1x\): .+; next attempt in \d+ ms$/);
  });

  it('backs off: calls fail at once without a thread until the delay has passed', async () => {
    // Its thread is gone: stopped by the pool, or ended by the module itself.
    await Promise.race([
      t.log.until('worker thread stopped', 1),
      t.log.until('worker thread exited while loading the module', 1),
    ]);
    const started = t.log.count('worker thread started');
    const restarts = t.pool.metrics().restarts;
    expect((await loadError(t)).code).toBe(ErrorCode.WorkerLoad);
    expect((await loadError(t)).code).toBe(ErrorCode.WorkerLoad);
    expect(t.log.count('worker thread started')).toBe(started);
    expect(t.pool.metrics()).toMatchObject({ restarts, threads: 0 });
  });

  it('tries again after the delay, and doubles it when the module still fails', async () => {
    await t.clock.advanceAsync(LOAD_RETRY_BASE_MS);
    expect((await loadError(t)).code).toBe(ErrorCode.WorkerLoad);
    expect(t.pool.metrics().restarts).toBe(1);
    expect(t.pool.health().message).toContain(`(2x)`);
    expect(t.pool.health().message).toContain(`next attempt in ${2 * LOAD_RETRY_BASE_MS} ms`);
    await t.clock.advanceAsync(2 * LOAD_RETRY_BASE_MS - 1);
    expect((await loadError(t)).code).toBe(ErrorCode.WorkerLoad);
    expect(t.pool.metrics().restarts).toBe(1);
  });
});

describe('the delay between attempts', () => {
  it('doubles per failure up to its cap', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 9, 50].map(loadRetryDelay);
    expect(waits).toEqual([
      250,
      500,
      1000,
      2000,
      4000,
      8000,
      16_000,
      LOAD_RETRY_MAX_MS,
      LOAD_RETRY_MAX_MS,
      LOAD_RETRY_MAX_MS,
    ]);
  });
});
