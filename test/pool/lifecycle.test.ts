/**
 * Aborts (scenario 8), the bulkhead (19) and close() (15): every call settles once, no listener
 * stays behind, no thread is started while closing and none is left after.
 */
import { getEventListeners } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { Bus, codeOf, makePool } from './helpers.ts';

const bus = new Bus();
afterAll(() => bus.close());

describe('caller aborts (scenario 8)', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('rejects at once when the signal is already aborted, without running anything', async () => {
    const c = new AbortController();
    c.abort();
    expect(await codeOf(t.call('add', [1, 1], { signal: c.signal }))).toBe(ErrorCode.Aborted);
    expect(t.pool.metrics()).toMatchObject({ running: 0, queued: 0 });
  });

  it('takes a queued call out of the queue', async () => {
    const busy = t.call('gate', ['abort-q']);
    await bus.when('abort-q');
    const c = new AbortController();
    const queued = codeOf(t.call('add', [1, 1], { signal: c.signal }));
    expect(t.pool.metrics().queued).toBe(1);
    c.abort();
    expect(await queued).toBe(ErrorCode.Aborted);
    expect(t.pool.metrics().queued).toBe(0);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
    bus.release('abort-q');
    expect(await busy).toBe('abort-q');
  });

  it('settles a running call at once and aborts the handler signal in the worker', async () => {
    const c = new AbortController();
    const running = codeOf(t.call('waitForAbort', ['abort-r'], { signal: c.signal, timeoutMs: 60_000 }));
    await bus.when('abort-r');
    c.abort();
    expect(await running).toBe(ErrorCode.Aborted);
    await bus.when('abort-r', 'aborted');
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
    // The handler ended when its signal aborted: the slot is free, nothing was terminated.
    expect(await t.call('add', [2, 3])).toBe(5);
    expect(t.pool.metrics()).toMatchObject({ terminations: 0, crashes: 0, running: 0 });
  });

  it('leaves no listener on a signal of a call that completed', async () => {
    const c = new AbortController();
    expect(await t.call('add', [1, 2], { signal: c.signal })).toBe(3);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });
});

describe('bulkhead (scenario 19)', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 }, maxQueue: 1 });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('rejects ERR_BULKHEAD_FULL at once when the queue is full', async () => {
    const running = t.call('gate', ['bulk']);
    await bus.when('bulk');
    const queued = t.call('add', [1, 1]);
    expect(await codeOf(t.call('add', [2, 2]))).toBe(ErrorCode.BulkheadFull);
    bus.release('bulk');
    expect(await Promise.all([running, queued])).toEqual(['bulk', 2]);
  });

  it('with maxQueue 0, rejects as soon as every slot is busy', async () => {
    const zero = makePool('handlers.ts', { threads: { min: 1, max: 1 }, maxQueue: 0 });
    try {
      const running = zero.call('gate', ['bulk-0']);
      await bus.when('bulk-0');
      expect(await codeOf(zero.call('add', [1, 1]))).toBe(ErrorCode.BulkheadFull);
      bus.release('bulk-0');
      expect(await running).toBe('bulk-0');
    } finally {
      await zero.pool.close({ drain: false, timeoutMs: 0 });
    }
  });
});

describe('close (scenario 15)', () => {
  it('drain: running and queued calls finish, then every thread is gone', async () => {
    const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
    const running = t.call('gate', ['drain-ok']);
    await bus.when('drain-ok');
    const queued = t.call('add', [20, 22]);
    const closed = t.pool.close({ drain: true, timeoutMs: 10_000 });
    expect(await codeOf(t.call('add', [1, 1]))).toBe(ErrorCode.SupervisorClosed);
    bus.release('drain-ok');
    expect(await Promise.all([running, queued])).toEqual(['drain-ok', 42]);
    await closed;
    expect(t.pool.metrics()).toMatchObject({ threads: 0, running: 0, queued: 0 });
    expect(t.pool.health()).toEqual({ healthy: false, message: 'worker pool is closed' });
  });

  it('drain: what is left when the time is up rejects ERR_SUPERVISOR_CLOSED', async () => {
    const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
    const running = codeOf(t.call('gate', ['drain-late']));
    await bus.when('drain-late');
    const queued = codeOf(t.call('add', [1, 1]));
    const closed = t.pool.close({ drain: true, timeoutMs: 1000 });
    await t.clock.advanceAsync(1000);
    expect(await running).toBe(ErrorCode.SupervisorClosed);
    expect(await queued).toBe(ErrorCode.SupervisorClosed);
    await closed;
    expect(t.pool.metrics().threads).toBe(0);
  });

  it('no drain: running and queued calls reject at once', async () => {
    const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
    const running = codeOf(t.call('hang', ['close-now']));
    await bus.when('close-now');
    const queued = codeOf(t.call('add', [1, 1]));
    await t.pool.close({ drain: false, timeoutMs: 0 });
    expect(await running).toBe(ErrorCode.SupervisorClosed);
    expect(await queued).toBe(ErrorCode.SupervisorClosed);
    expect(t.pool.metrics().threads).toBe(0);
  });

  it('starts no thread while draining, even when one crashes', async () => {
    const t = makePool('handlers.ts', { threads: { min: 2, max: 2 } });
    await t.log.until('worker thread started', 2);
    const ok = t.call('gate', ['drain-crash-ok']);
    const crash = codeOf(t.call('exitMidCall', ['drain-crash', 1]));
    await Promise.all([bus.when('drain-crash-ok'), bus.when('drain-crash')]);
    const closed = t.pool.close({ drain: true, timeoutMs: 10_000 });
    expect(await crash).toBe(ErrorCode.WorkerCrashed);
    bus.release('drain-crash-ok');
    expect(await ok).toBe('drain-crash-ok');
    await closed;
    expect(t.log.count('worker thread started')).toBe(2);
    expect(t.pool.metrics().threads).toBe(0);
  });

  it('a second close without drain ends a drain at once', async () => {
    const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
    const running = codeOf(t.call('hang', ['drain-force']));
    await bus.when('drain-force');
    const first = t.pool.close({ drain: true, timeoutMs: 60_000 });
    const second = t.pool.close({ drain: false, timeoutMs: 0 });
    expect(second).toBe(first);
    await second;
    expect(await running).toBe(ErrorCode.SupervisorClosed);
    expect(t.clock.pendingTimers).toBe(0);
  });
});

describe('process exit without close() (scenario 14)', () => {
  it('nothing keeps the process alive', async () => {
    const { execFile } = await import('node:child_process');
    const script = new URL('../fixtures/forgotten-pool.ts', import.meta.url);
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', script.pathname],
        { timeout: 60_000 },
        (_e, stdout) => resolve({ code: child.exitCode, out: stdout }),
      );
    });
    expect(r.out.trim()).toBe('result 3');
    expect(r.code).toBe(0);
  });
});
