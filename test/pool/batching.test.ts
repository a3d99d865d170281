/**
 * Batching mode: calls of one event-loop turn travel to a thread in one message and results
 * stream back; timeouts, aborts, crashes and clone errors still apply per call.
 */
import { getEventListeners } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { countsAsFailure, ErrorCode, type WorkerCrashedError } from '../../src/errors.ts';
import { Bus, codeOf, makePool, outcome } from './helpers.ts';

const bus = new Bus();
afterAll(() => bus.close());

describe('batching', () => {
  const t = makePool('handlers.ts', { threads: { min: 2, max: 2 }, batching: { maxBatch: 64 } });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('runs the calls of one turn together and returns each its own result', async () => {
    const calls = Array.from({ length: 100 }, (_, i) => t.call('add', [i, 1]));
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const turns = (await Promise.all(Array.from({ length: 50 }, () => t.call('turnOf')))) as [
      number,
      number,
    ][];
    // Per thread, every call of the batch ran in one event-loop turn of the worker.
    const byThread = new Map<number, Set<number>>();
    for (const [thread, turn] of turns) byThread.set(thread, (byThread.get(thread) ?? new Set()).add(turn));
    for (const set of byThread.values()) expect(set.size).toBe(1);
  });

  it('keeps each call its own outcome: values, handler errors, unknown handlers', async () => {
    const results = await Promise.all([
      outcome(t.call('add', [1, 2])),
      outcome(t.call('throwCustom', ['b'])),
      outcome(t.call('addLater', [2, 2])),
      outcome(t.call('rejectLater')),
    ]);
    expect(results[0]).toEqual({ ok: true, value: 3 });
    expect((results[1] as { error: Error }).error).toMatchObject({
      name: 'ValidationError',
      code: 'E_VALIDATION',
    });
    expect(results[2]).toEqual({ ok: true, value: 4 });
    expect((results[3] as { error: Error }).error).toMatchObject({ name: 'RangeError' });
    expect(await codeOf(t.call('nope'))).toBe(ErrorCode.UnknownHandler);
  });

  it('fails only the call whose arguments postMessage refuses', async () => {
    const big: unknown[] = Array.from({ length: 2000 }, (_, i) => ({ i }));
    big.push(() => 1);
    const [ok, bad, ok2] = await Promise.all([
      outcome(t.call('add', [1, 1])),
      outcome(t.call('echo', [big])),
      outcome(t.call('add', [2, 2])),
    ]);
    expect(ok).toEqual({ ok: true, value: 2 });
    expect((bad as { error: { code: string } }).error.code).toBe(ErrorCode.NotCloneable);
    expect(ok2).toEqual({ ok: true, value: 4 });
  });

  it('fails only the call whose transfer list postMessage refuses', async () => {
    const bad = [{}] as unknown as ArrayBuffer[];
    const [ok, refused] = await Promise.all([
      outcome(t.call('add', [1, 1])),
      outcome(t.call('echo', [1], { transferList: bad })),
    ]);
    expect(ok).toEqual({ ok: true, value: 2 });
    expect((refused as { error: { code: string } }).error.code).toBe(ErrorCode.NotCloneable);
  });

  it('moves transferred buffers', async () => {
    const a = new ArrayBuffer(64);
    const b = new ArrayBuffer(32);
    const lengths = await Promise.all([
      t.call('byteLength', [a], { transferList: [a] }),
      t.call('byteLength', [b], { transferList: [b] }),
    ]);
    expect(lengths).toEqual([64, 32]);
    expect([a.byteLength, b.byteLength]).toEqual([0, 0]);
  });

  it('aborts a running call at once and its handler sees the signal', async () => {
    const c = new AbortController();
    const running = codeOf(t.call('waitForAbort', ['b-abort'], { signal: c.signal }));
    await bus.when('b-abort');
    c.abort();
    expect(await running).toBe(ErrorCode.Aborted);
    await bus.when('b-abort', 'aborted');
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });

  it('delivers the result of a thread that exits right after returning, and blames no other call', async () => {
    expect(await t.call('exitAfterReturn', [5])).toBe(5);
    expect(await Promise.all([t.call('addLater', [1, 1]), t.call('add', [1, 2])])).toEqual([2, 3]);
  });
});

describe('batching: a call that times out in a batch', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 }, batching: true });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('times out alone; a stuck loop takes started neighbours as collateral (not failures), unstarted ones run again', async () => {
    const hung = outcome(t.call('hang', ['bt-hang']));
    const spinning = outcome(t.call('spin', ['bt-spin'], { timeoutMs: 500 }));
    // Behind the spinning call in the same batch: it never starts on this thread.
    const behind = outcome(t.call('add', [40, 2], { timeoutMs: 500 }));
    await Promise.all([bus.when('bt-hang'), bus.when('bt-spin')]);
    await t.clock.advanceAsync(500);
    const [h, s, b] = await Promise.all([hung, spinning, behind]);
    expect((s as { error: { code: string } }).error.code).toBe(ErrorCode.CallTimeout);
    // The spinning call stopped the thread's loop past its deadline: the thread is terminated at
    // once, and the error of the call lost with it names the culprit. One fault, one failure.
    const lost = (h as { error: WorkerCrashedError }).error;
    expect(lost).toMatchObject({
      code: ErrorCode.WorkerCrashed,
      collateral: true,
      message: 'worker thread of "test" was terminated: call "spin" stopped its event loop past its deadline',
    });
    expect((lost.cause as { code: string }).code).toBe(ErrorCode.CallTimeout);
    expect(countsAsFailure(lost)).toBe(false);
    expect(b).toEqual({ ok: true, value: 42 });
    expect(t.pool.metrics()).toMatchObject({ terminations: 1, crashes: 0, running: 0 });
  });

  it('reports a crash to each call of the batch that was running', async () => {
    const a = outcome(t.call('hang', ['bc-a']));
    const b = outcome(t.call('exitMidCall', ['bc-b', 4]));
    const [ra, rb] = await Promise.all([a, b]);
    for (const r of [ra, rb]) {
      expect((r as { error: { code: string; exitCode: number } }).error).toMatchObject({
        code: ErrorCode.WorkerCrashed,
        exitCode: 4,
      });
    }
    expect(await t.call('add', [1, 1])).toBe(2);
  });
});
