/**
 * Isolation between calls that share a thread, in every pool mode: one call's timeout, abort or
 * stuck loop never fails another call that finishes in time on a thread that is not stuck; a
 * handler that ignores its abort gets its thread retired (not killed) after the grace, with a
 * replacement started at once; a stuck loop is terminated at once and the calls lost with it name
 * the culprit and are not failures; a call's run timeout starts when its handler starts.
 * Time is a ManualClock; the heartbeat watchdog runs in real time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { countsAsFailure, ErrorCode, type WorkerCrashedError } from '../../src/errors.ts';
import { DEFAULT_ABORT_GRACE_MS } from '../../src/pool/threads.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import type { ServiceOptions } from '../../src/types.ts';
import { Bus, codeOf, fixture, makePool, outcome, type TestPool } from './helpers.ts';

const bus = new Bus();
afterAll(() => bus.close());

/** Each mode, and how many calls one thread runs at once in it. */
const MODES: readonly [string, ServiceOptions, number][] = [
  ['per-call', {}, 1],
  ['concurrentTasksPerWorker 8', { concurrentTasksPerWorker: 8 }, 8],
  ['batching', { batching: true }, 8],
];

const one = { threads: { min: 1, max: 1 } } as const;

/** Threads taking calls never exceed threads.max; retiring ones run beside their replacement. */
function expectWithinMax(t: TestPool, max: number): void {
  const m = t.pool.metrics();
  expect(m.threads - m.retiring).toBeLessThanOrEqual(max);
}

/** Resolves once the retired thread is gone and its replacement is up (pool events log). */
async function backToStrength(t: TestPool): Promise<void> {
  await t.log.when(() => {
    const m = t.pool.metrics();
    return m.retiring === 0 && m.threads === 1;
  });
}

describe.each(MODES)('isolation (%s)', (mode, options, perThread) => {
  let n = 0;
  const tag = (name: string): string => `${mode}-${name}-${++n}`;
  const fresh = (): TestPool => makePool('handlers.ts', { ...one, ...options });

  it('a call past its timeout fails alone: its co-tenants and the calls behind it succeed', async () => {
    const t = fresh();
    try {
      const slow = tag('slow');
      const hung = codeOf(t.call('hang', [slow], { timeoutMs: 100 }));
      const tenants = Array.from({ length: perThread - 1 }, () => tag('tenant'));
      const running = tenants.map((name) => t.call('gate', [name]));
      const behind = [t.call('add', [1, 2]), t.call('addLater', [3, 4])];
      await Promise.all([slow, ...tenants].map((name) => bus.when(name)));
      await t.clock.advanceAsync(100);
      expect(await hung).toBe(ErrorCode.CallTimeout);
      // Settled at once; nothing else touched: no thread terminated, none retired yet.
      expect(t.pool.metrics()).toMatchObject({ terminations: 0, retirements: 0, crashes: 0 });
      for (const name of tenants) bus.release(name);
      expect(await Promise.all(running)).toEqual(tenants);
      // The hung handler ignores its abort: after the grace its thread retires and a replacement
      // takes over (with one thread per call, the calls behind it waited for that).
      await t.clock.advanceAsync(DEFAULT_ABORT_GRACE_MS);
      expectWithinMax(t, 1);
      expect(await Promise.all(behind)).toEqual([3, 7]);
      await backToStrength(t);
      expect(t.pool.metrics()).toMatchObject({ retirements: 1, terminations: 1, crashes: 0 });
    } finally {
      await t.pool.close({ drain: false, timeoutMs: 0 });
    }
  });

  it('a handler that honours its signal frees its slot: no thread is retired', async () => {
    const t = fresh();
    try {
      const polite = tag('polite');
      const timedOut = codeOf(t.call('waitForAbort', [polite], { timeoutMs: 100 }));
      await bus.when(polite);
      await t.clock.advanceAsync(100);
      expect(await timedOut).toBe(ErrorCode.CallTimeout);
      await bus.when(polite, 'aborted');
      expect(await t.call('add', [2, 2])).toBe(4);
      await t.clock.advanceAsync(DEFAULT_ABORT_GRACE_MS);
      expect(await t.call('add', [3, 3])).toBe(6);
      expect(t.pool.metrics()).toMatchObject({ retirements: 0, terminations: 0, threads: 1, running: 0 });
    } finally {
      await t.pool.close({ drain: false, timeoutMs: 0 });
    }
  });

  it("a caller's abort settles at once; an ignored abort retires the thread, its co-tenant runs to the end", async () => {
    const t = fresh();
    try {
      const rude = tag('rude');
      const controller = new AbortController();
      const aborted = codeOf(t.call('hang', [rude], { signal: controller.signal }));
      const tenant = perThread > 1 ? tag('tenant') : undefined;
      const running = tenant === undefined ? undefined : t.call('gate', [tenant]);
      await Promise.all([rude, ...(tenant === undefined ? [] : [tenant])].map((name) => bus.when(name)));
      controller.abort();
      expect(await aborted).toBe(ErrorCode.Aborted);
      await t.clock.advanceAsync(DEFAULT_ABORT_GRACE_MS);
      expect(t.pool.metrics().retirements).toBe(1);
      expectWithinMax(t, 1);
      // A replacement serves new calls while the retiring thread finishes its co-tenant.
      expect(await t.call('add', [5, 5])).toBe(10);
      if (tenant !== undefined && running !== undefined) {
        expect(t.pool.metrics()).toMatchObject({ retiring: 1, terminations: 0 });
        bus.release(tenant);
        expect(await running).toBe(tenant);
      }
      await backToStrength(t);
      expect(t.pool.metrics()).toMatchObject({ terminations: 1, crashes: 0 });
    } finally {
      await t.pool.close({ drain: false, timeoutMs: 0 });
    }
  });

  it('a thread stuck in a CPU loop is terminated at once; calls lost with it name the culprit, not failures', async () => {
    const t = fresh();
    try {
      const culprit = tag('spin');
      const tenant = perThread > 1 ? tag('tenant') : undefined;
      const running = tenant === undefined ? undefined : outcome(t.call('gate', [tenant]));
      if (tenant !== undefined) await bus.when(tenant);
      const spinning = codeOf(t.call('spin', [culprit], { timeoutMs: 100 }));
      await bus.when(culprit);
      await t.clock.advanceAsync(100);
      expect(await spinning).toBe(ErrorCode.CallTimeout);
      // The heartbeat shows the loop stuck (real time): terminated without waiting for the grace.
      await t.log.until('worker thread stopped', 1);
      if (running !== undefined) {
        const r = await running;
        const lost = (r as { error: WorkerCrashedError }).error;
        expect(lost).toMatchObject({ code: ErrorCode.WorkerCrashed, collateral: true });
        expect(lost.message).toContain('call "spin" stopped its event loop past its deadline');
        expect((lost.cause as { code: string }).code).toBe(ErrorCode.CallTimeout);
        expect(countsAsFailure(lost)).toBe(false);
      }
      expect(await t.call('add', [1, 1])).toBe(2);
      expect(t.pool.metrics()).toMatchObject({ terminations: 1, crashes: 0, threads: 1 });
    } finally {
      await t.pool.close({ drain: false, timeoutMs: 0 });
    }
  });

  it('the run timeout of a call that waited in its thread inbox starts when its handler starts', async () => {
    const t = fresh();
    try {
      const blocker = tag('blocker');
      const late = tag('late');
      const flag = new SharedArrayBuffer(4);
      const blocking = t.call('spinUntilSet', [blocker, flag]);
      await bus.when(blocker);
      // Handed to the blocked thread (or queued for it): it waits, its run time not begun.
      const waiting = t.call('gate', [late], { timeoutMs: 200 });
      await t.clock.advanceAsync(199);
      Atomics.store(new Int32Array(flag), 0, 1);
      expect(await blocking).toBe(blocker);
      await bus.when(late);
      // It started at clock 199: at 200 and up to 398 it is within its own 200 ms.
      await t.clock.advanceAsync(199);
      bus.release(late);
      expect(await waiting).toBe(late);
      expect(t.pool.metrics()).toMatchObject({ terminations: 0, retirements: 0 });
    } finally {
      await t.pool.close({ drain: false, timeoutMs: 0 });
    }
  });
});

describe('one fault, one failure (through the supervisor)', () => {
  const clock = new ManualClock(0);
  const sup = new Supervisor({ clock });
  afterAll(() => sup.close());

  it('a stuck call and the co-tenant lost with its thread count as one failure', async () => {
    sup.register('shared', {
      worker: fixture('handlers.ts'),
      ...one,
      concurrentTasksPerWorker: 4,
      breaker: { trip: { kind: 'consecutive', threshold: 2 }, callTimeoutMs: 0 },
    });
    const tenant = outcome(sup.call('shared', 'gate', ['one-fault-tenant']));
    await bus.when('one-fault-tenant');
    const spinning = codeOf(sup.call('shared', 'spin', ['one-fault-spin'], { timeoutMs: 100 }));
    await bus.when('one-fault-spin');
    await clock.advanceAsync(100);
    expect(await spinning).toBe(ErrorCode.CallTimeout);
    const r = await tenant;
    expect((r as { error: { code: string; collateral: boolean } }).error).toMatchObject({
      code: ErrorCode.WorkerCrashed,
      collateral: true,
    });
    expect(sup.state('shared')).toBe('closed');
    expect(sup.metrics('shared')).toMatchObject({ failedRequests: 1, timedOutRequests: 1 });
    expect(await sup.call('shared', 'add', [1, 1])).toBe(2);
  });
});
