/**
 * Calls that don't end: a hung handler past its timeout (scenario 5), the queue wait and its own
 * timeout (6), a synchronous infinite loop and a thread that can't be terminated (7). Time is a
 * ManualClock: each test advances it once the handler announced it started.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { DEFAULT_ABORT_GRACE_MS, TERMINATE_GRACE_MS } from '../../src/pool/threads.ts';
import { Bus, codeOf, makePool, outcome, releaseFifo, untilBlockedInRead } from './helpers.ts';

const bus = new Bus();
afterAll(() => bus.close());

describe('a call that runs past its timeout (scenarios 5 and 7)', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('rejects ERR_CALL_TIMEOUT on time; a handler that ignores the abort gets its thread retired after the grace', async () => {
    const hung = codeOf(t.call('hang', ['hang-1'], { timeoutMs: 1000 }));
    await bus.when('hang-1');
    await t.clock.advanceAsync(999);
    expect(t.pool.metrics()).toMatchObject({ running: 1, terminations: 0 });
    await t.clock.advanceAsync(1);
    expect(await hung).toBe(ErrorCode.CallTimeout);
    // Settled at once, but the thread is not killed for it: the handler has the abort grace.
    expect(t.pool.metrics()).toMatchObject({ running: 1, terminations: 0, retirements: 0 });
    await t.clock.advanceAsync(DEFAULT_ABORT_GRACE_MS);
    // It ignored its signal: the thread retires and, holding only that overdue call, is terminated.
    expect(t.pool.metrics()).toMatchObject({ retirements: 1, terminations: 1 });
    // A replacement takes the next call.
    expect(await t.call('add', [1, 2])).toBe(3);
    await t.log.until('worker thread stopped', 1);
    expect(t.pool.metrics()).toMatchObject({ threads: 1, running: 0, crashes: 0, restarts: 1 });
  });

  it('terminates a thread stuck in a synchronous loop as soon as its heartbeat shows it', async () => {
    const spinning = codeOf(t.call('spin', ['spin-1'], { timeoutMs: 500 }));
    await bus.when('spin-1');
    await t.clock.advanceAsync(500);
    expect(await spinning).toBe(ErrorCode.CallTimeout);
    // No clock advance: the heartbeat (real time) shows the loop is stuck, so there is no grace.
    await t.log.until('worker thread stopped', 2);
    expect(await t.call('add', [2, 2])).toBe(4);
    expect(t.pool.metrics()).toMatchObject({ terminations: 2, broken: false, crashes: 0 });
  });
});

describe('queue wait and run timeout are separate (scenario 6)', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 }, queueTimeoutMs: 300 });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('rejects ERR_QUEUE_TIMEOUT for a call that waited too long', async () => {
    const running = t.call('gate', ['q-gate']);
    await bus.when('q-gate');
    const waiting = codeOf(t.call('add', [1, 1], { timeoutMs: 10_000 }));
    expect(t.pool.metrics().queued).toBe(1);
    await t.clock.advanceAsync(300);
    expect(await waiting).toBe(ErrorCode.QueueTimeout);
    expect(t.pool.metrics().queued).toBe(0);
    bus.release('q-gate');
    expect(await running).toBe('q-gate');
  });

  it('counts the run timeout from when the call starts, not from when it was made', async () => {
    const slow = t.call('gate', ['q-slow'], { timeoutMs: 1000 });
    await bus.when('q-slow');
    // Waits 250 ms (under the queue timeout), then has its full 200 ms once it runs.
    const next = t.call('gate', ['q-next'], { timeoutMs: 200 });
    await t.clock.advanceAsync(250);
    bus.release('q-slow');
    expect(await slow).toBe('q-slow');
    await bus.when('q-next');
    await t.clock.advanceAsync(199);
    bus.release('q-next');
    expect(await next).toBe('q-next');
  });
});

describe.skipIf(process.platform === 'win32')('a thread that cannot be terminated (scenario 7)', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-fifo-'));
  const fifo = join(dir, 'block');
  execFileSync('mkfifo', [fifo]);
  afterAll(async () => {
    await t.pool.close({ drain: false, timeoutMs: 0 });
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks the pool broken in metrics and health, and recovers when the thread finally exits', async () => {
    const blocked = codeOf(t.call('blockOnFifo', ['fifo', fifo], { timeoutMs: 100 }));
    await bus.when('fifo');
    await untilBlockedInRead(fifo);
    await t.clock.advanceAsync(100);
    expect(await blocked).toBe(ErrorCode.CallTimeout);
    // Its heartbeat stops (the loop is blocked): the pool terminates it without waiting for the
    // grace, but terminate() can't interrupt a thread blocked in read(2).
    await t.log.until('terminating worker thread', 1);
    await t.clock.advanceAsync(TERMINATE_GRACE_MS);
    expect(t.pool.metrics().broken).toBe(true);
    expect(t.pool.health()).toEqual({
      healthy: false,
      message: 'worker pool is broken: 1 thread(s) did not stop after terminate()',
    });
    // A byte unblocks read(); V8 then ends the thread. Non-blocking: if the thread is not there
    // to read, this throws (ENXIO) instead of hanging the test process.
    releaseFifo(fifo);
    await t.log.until('worker thread stopped', 1);
    expect(t.pool.metrics().broken).toBe(false);
    expect(t.pool.health().healthy).toBe(true);
    const r = await outcome(t.call('add', [5, 5]));
    expect(r).toEqual({ ok: true, value: 10 });
  });
});
