/**
 * Threads that die: a crash mid-call (scenario 2), an exit right after returning (3), the other
 * calls on a crashed thread (4), running out of memory (17). Each dead thread is replaced and the
 * pool's thread count comes back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, isWorkerCrashedError } from '../../src/errors.ts';
import { Bus, codeOf, makePool, outcome } from './helpers.ts';

const bus = new Bus();
afterAll(() => bus.close());

describe('a thread that crashes mid-call (scenario 2)', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('rejects the call with ERR_WORKER_CRASHED and its exit code, and replaces the thread', async () => {
    await t.log.until('worker thread started', 1);
    const r = await outcome(t.call('exitMidCall', ['exit-3', 3]));
    expect(isWorkerCrashedError((r as { error: unknown }).error)).toBe(true);
    expect((r as { error: { exitCode: unknown } }).error.exitCode).toBe(3);
    await t.log.until('worker thread started', 2);
    expect(t.pool.metrics()).toMatchObject({ threads: 1, crashes: 1, restarts: 1, running: 0 });
    expect(await t.call('add', [1, 1])).toBe(2);
  });

  it('rejects the call with ERR_WORKER_CRASHED when a timer throws, with the thrown error as cause', async () => {
    const r = await outcome(t.call('crashInTimer', ['timer']));
    const error = (r as { error: Error & { code: string } }).error;
    expect(error.code).toBe(ErrorCode.WorkerCrashed);
    expect((error.cause as Error).message).toBe('boom in a timer');
    await t.log.until('worker thread started', 3);
    expect(t.pool.metrics()).toMatchObject({ threads: 1, crashes: 2, restarts: 2 });
    expect(await t.call('addLater', [2, 2])).toBe(4);
  });
});

describe('a thread that exits right after returning (scenario 3)', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('delivers the result and does not blame the next call', async () => {
    expect(await t.call('exitAfterReturn', [7])).toBe(7);
    // Sent at once, while the thread is on its way out: it must run on the replacement.
    expect(await t.call('addLater', [1, 2])).toBe(3);
    expect(await t.call('exitAfterReturn', [8])).toBe(8);
    const next = await Promise.all([t.call('addLater', [1, 1]), t.call('add', [2, 2])]);
    expect(next).toEqual([2, 4]);
    expect(t.pool.metrics()).toMatchObject({ crashes: 2, running: 0, queued: 0 });
  });

  it('holds back a call that reached the thread before the exit ran', async () => {
    const two = makePool('handlers.ts', { threads: { min: 1, max: 1 }, concurrentTasksPerWorker: 2 });
    try {
      // Both reach the same thread together: the second must not start before the exit.
      expect(await Promise.all([two.call('exitAfterReturn', [1]), two.call('addLater', [2, 3])])).toEqual([
        1, 5,
      ]);
      expect(two.pool.metrics().crashes).toBe(1);
    } finally {
      await two.pool.close({ drain: false, timeoutMs: 0 });
    }
  });
});

describe('other calls on a crashed thread (scenario 4)', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 }, concurrentTasksPerWorker: 3 });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('settles each once with its own typed error, not retried', async () => {
    const a = outcome(t.call('hang', ['collateral-a']));
    const b = outcome(t.call('hang', ['collateral-b']));
    await Promise.all([bus.when('collateral-a'), bus.when('collateral-b')]);
    const c = outcome(t.call('exitMidCall', ['collateral-c', 9]));
    const results = await Promise.all([a, b, c]);
    for (const r of results) {
      expect(r.ok).toBe(false);
      expect((r as { error: { code: string; exitCode: number } }).error).toMatchObject({
        code: ErrorCode.WorkerCrashed,
        exitCode: 9,
      });
    }
    // Three distinct error objects: each caller owns its error.
    const errors = results.map((r) => (r as { error: unknown }).error);
    expect(new Set(errors).size).toBe(3);
    expect(t.pool.metrics()).toMatchObject({ crashes: 1, running: 0 });
    await t.log.until('worker thread started', 2);
    expect(await t.call('add', [3, 4])).toBe(7);
  });
});

describe('a thread that runs out of memory (scenario 17)', () => {
  const t = makePool('handlers.ts', {
    threads: { min: 1, max: 1 },
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('rejects ERR_WORKER_OOM, replaces the thread once and keeps serving', async () => {
    expect(await codeOf(t.call('allocate', ['oom']))).toBe(ErrorCode.WorkerOom);
    await t.log.until('worker thread started', 2);
    expect(await t.call('add', [1, 2])).toBe(3);
    // No respawn loop: exactly one replacement for one death.
    expect(t.pool.metrics()).toMatchObject({ threads: 1, crashes: 1, restarts: 1 });
    expect(t.log.count('worker thread started')).toBe(2);
  });
});
