/**
 * RELIABILITY.md scenarios through `sup.call()` with real piscina pools of real worker files:
 * what the breaker counts for each pool outcome (crash collateral, exit after return, aborts),
 * 10,000 callers against a half-open breaker (9), half-open probes that hang, are aborted or are
 * turned away by the pool (10), a probe that outlives its half-open period (11), a throwing
 * listener (12), unknown services and handlers (20), and pool figures in metrics(). Time is a
 * ManualClock shared by the breakers and the pools; tests wait on the fixtures' announcements.
 */
import { getEventListeners } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import type { LateResultEvent, StateChangeEvent } from '../../src/events.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import type { BreakerOptions, ServiceOptions } from '../../src/types.ts';
import { track } from '../supervisor/helpers.ts';
import { Bus, codeOf, fixture, LogTap, outcome } from './helpers.ts';

const bus = new Bus();
const clock = new ManualClock(0);
const log = new LogTap();
const sup = new Supervisor({ clock, logger: log });
const changes: StateChangeEvent[] = [];
const late: LateResultEvent[] = [];
const failed: string[] = [];
sup.on('stateChange', (e) => changes.push(e));
sup.on('lateResult', (e) => late.push(e));
sup.on('callFailed', (e) => failed.push(e.service));
afterAll(async () => {
  await sup.close();
  bus.close();
});

/** A pool service of the handlers fixture: one thread, breaker that trips on the first failure. */
function register(name: string, breaker: BreakerOptions = {}, extra: ServiceOptions = {}): void {
  sup.register(name, {
    worker: fixture('handlers.ts'),
    threads: { min: 1, max: 1 },
    breaker: { trip: { kind: 'consecutive', threshold: 1 }, openMs: 1_000, callTimeoutMs: 0, ...breaker },
    ...extra,
  });
}

const transitions = (service: string): string[] =>
  changes.filter((c) => c.service === service).map((c) => `${c.from}->${c.to} (${c.reason})`);

/** Trips `name` with one handler error, then lets its recovery timer move it to half-open. */
async function toHalfOpen(name: string): Promise<void> {
  expect((await outcome(sup.call(name, 'throwCustom', ['trip']))).ok).toBe(false);
  expect(sup.state(name)).toBe('open');
  await clock.advanceAsync(1_000);
  expect(sup.state(name)).toBe('half-open');
}

/** Lets settled promises' callbacks run (no real time passes). */
const flush = (): Promise<void> => clock.advanceAsync(0);

describe('crash accounting through the breaker (scenarios 2 and 4)', () => {
  it('each call on the crashed thread is one failure with its own error; the thread is replaced', async () => {
    register('bs-crash', { trip: { kind: 'consecutive', threshold: 10 } }, { concurrentTasksPerWorker: 3 });
    const a = outcome(sup.call('bs-crash', 'hang', ['bs-crash-a']));
    const b = outcome(sup.call('bs-crash', 'hang', ['bs-crash-b']));
    await Promise.all([bus.when('bs-crash-a'), bus.when('bs-crash-b')]);
    const c = outcome(sup.call('bs-crash', 'exitMidCall', ['bs-crash-c', 5]));
    const results = await Promise.all([a, b, c]);
    const errors = results.map((r) => (r as { error: { code: string; exitCode: number } }).error);
    expect(errors.map((e) => [e.code, e.exitCode])).toEqual([
      [ErrorCode.WorkerCrashed, 5],
      [ErrorCode.WorkerCrashed, 5],
      [ErrorCode.WorkerCrashed, 5],
    ]);
    expect(new Set(errors).size).toBe(3);
    // Collateral is counted (three failures for one crash), not silently retried.
    expect(sup.metrics('bs-crash')).toMatchObject({
      failedRequests: 3,
      successfulRequests: 0,
      consecutiveFailures: 3,
      inFlight: 0,
      pool: { crashes: 1, running: 0, queued: 0 },
    });
    expect(failed.filter((s) => s === 'bs-crash')).toHaveLength(3);
    expect(await sup.call('bs-crash', 'add', [2, 2])).toBe(4);
    expect(sup.metrics('bs-crash')).toMatchObject({ successfulRequests: 1, pool: { threads: 1 } });
    expect(transitions('bs-crash')).toEqual([]);
  });

  it('a thread that exits right after returning blames nobody, even with a threshold of 1 (scenario 3)', async () => {
    register('bs-exit');
    expect(await sup.call('bs-exit', 'exitAfterReturn', [7])).toBe(7);
    expect(await sup.call('bs-exit', 'addLater', [1, 2])).toBe(3);
    expect(await sup.call('bs-exit', 'exitAfterReturn', [8])).toBe(8);
    expect(await sup.call('bs-exit', 'add', [4, 4])).toBe(8);
    expect(sup.state('bs-exit')).toBe('closed');
    expect(sup.metrics('bs-exit')).toMatchObject({ successfulRequests: 4, failedRequests: 0, inFlight: 0 });
    expect(transitions('bs-exit')).toEqual([]);
  });
});

describe('caller aborts through the breaker (scenario 8)', () => {
  it('before, while queued and while running: ERR_ABORTED, not a failure, no listener left', async () => {
    register('bs-abort');
    const before = new AbortController();
    before.abort();
    expect(await codeOf(sup.call('bs-abort', 'add', [1, 1], { signal: before.signal }))).toBe(
      ErrorCode.Aborted,
    );

    const busy = sup.call('bs-abort', 'gate', ['bs-abort-busy']);
    await bus.when('bs-abort-busy');
    const queuedSignal = new AbortController();
    const queued = codeOf(sup.call('bs-abort', 'add', [1, 1], { signal: queuedSignal.signal }));
    expect(sup.metrics('bs-abort').pool).toMatchObject({ queued: 1, running: 1 });
    queuedSignal.abort();
    expect(await queued).toBe(ErrorCode.Aborted);
    expect(sup.metrics('bs-abort').pool?.queued).toBe(0);
    bus.release('bs-abort-busy');
    expect(await busy).toBe('bs-abort-busy');

    const runningSignal = new AbortController();
    const running = codeOf(
      sup.call('bs-abort', 'waitForAbort', ['bs-abort-run'], { signal: runningSignal.signal }),
    );
    await bus.when('bs-abort-run');
    runningSignal.abort();
    expect(await running).toBe(ErrorCode.Aborted);
    await bus.when('bs-abort-run', 'aborted');

    for (const c of [before, queuedSignal, runningSignal]) {
      expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
    }
    expect(sup.state('bs-abort')).toBe('closed');
    expect(transitions('bs-abort')).toEqual([]);
    expect(sup.metrics('bs-abort')).toMatchObject({
      abortedRequests: 3,
      failedRequests: 0,
      successfulRequests: 1,
      totalRequests: 4,
      inFlight: 0,
      pool: { terminations: 0, crashes: 0 },
    });
    // The slot the running call held is free again.
    expect(await sup.call('bs-abort', 'add', [2, 3])).toBe(5);
  });
});

describe('10,000 concurrent pool callers against a half-open breaker (scenario 9)', () => {
  it('exactly halfOpen.maxCalls reach the pool; the rest reject at once with ERR_HALF_OPEN_FULL', async () => {
    register('bs-burst', { halfOpen: { maxCalls: 3, successThreshold: 3 } });
    await toHalfOpen('bs-burst');
    const calls = Array.from({ length: 10_000 }, (_, i) =>
      track(sup.call('bs-burst', 'gate', [`bs-b-${i}`])),
    );
    // Admission is decided at once: nothing beyond the permits was handed to the pool.
    const pool = sup.metrics('bs-burst').pool!;
    expect(pool.queued + pool.running).toBe(3);
    expect(sup.metrics('bs-burst')).toMatchObject({ rejectedRequests: 9_997, inFlight: 3 });
    await flush();
    const settled = calls.filter((c) => c.outcome !== undefined);
    expect(settled).toHaveLength(9_997);
    expect(calls.slice(0, 3).every((c) => c.outcome === undefined)).toBe(true);
    const codes = new Set(settled.map((c) => (c.outcome as { error: { code: string } }).error.code));
    expect(codes).toEqual(new Set([ErrorCode.HalfOpenFull]));
    // The three probes run one after the other on the one thread.
    for (let i = 0; i < 3; i++) {
      await bus.when(`bs-b-${i}`);
      bus.release(`bs-b-${i}`);
      await calls[i]!.promise;
    }
    expect(calls.slice(0, 3).map((c) => c.outcome)).toEqual(
      [0, 1, 2].map((i) => ({ ok: true, value: `bs-b-${i}` })),
    );
    expect(transitions('bs-burst')).toEqual([
      'closed->open (failure-threshold)',
      'open->half-open (recovery-timer)',
      'half-open->closed (probes-succeeded)',
    ]);
    expect(sup.metrics('bs-burst')).toMatchObject({
      totalRequests: 1 + 10_000,
      successfulRequests: 3,
      failedRequests: 1,
      rejectedRequests: 9_997,
      inFlight: 0,
      pool: { queued: 0, running: 0, threads: 1 },
    });
  });
});

describe('half-open probes in a pool (scenarios 10 and 11)', () => {
  it('a hanging probe is bounded by callTimeoutMs: the breaker re-opens, its thread retires after the grace', async () => {
    register('bs-probe-hang', { callTimeoutMs: 200, halfOpen: { maxCalls: 1, successThreshold: 1 } });
    await toHalfOpen('bs-probe-hang');
    const probe = codeOf(sup.call('bs-probe-hang', 'hang', ['bs-probe-hang']));
    await bus.when('bs-probe-hang');
    await clock.advanceAsync(199);
    expect(sup.state('bs-probe-hang')).toBe('half-open');
    await clock.advanceAsync(1);
    expect(await probe).toBe(ErrorCode.CallTimeout);
    expect(sup.state('bs-probe-hang')).toBe('open');
    expect(sup.metrics('bs-probe-hang')).toMatchObject({ timedOutRequests: 1, pool: { terminations: 0 } });
    // The handler ignores its abort: after the grace its thread retires (and, holding only that
    // overdue call, is terminated). The next half-open period has a free slot on the replacement.
    await clock.advanceAsync(1_000);
    expect(sup.metrics('bs-probe-hang')).toMatchObject({ pool: { retirements: 1, terminations: 1 } });
    expect(await sup.call('bs-probe-hang', 'add', [1, 1])).toBe(2);
    expect(transitions('bs-probe-hang')).toEqual([
      'closed->open (failure-threshold)',
      'open->half-open (recovery-timer)',
      'half-open->open (probe-failed)',
      'open->half-open (recovery-timer)',
      'half-open->closed (probes-succeeded)',
    ]);
  });

  it('an aborted probe returns its permit', async () => {
    register(
      'bs-probe-abort',
      { halfOpen: { maxCalls: 1, successThreshold: 1 } },
      {
        concurrentTasksPerWorker: 2,
      },
    );
    await toHalfOpen('bs-probe-abort');
    const c = new AbortController();
    const probe = codeOf(
      sup.call('bs-probe-abort', 'waitForAbort', ['bs-probe-abort'], { signal: c.signal }),
    );
    await bus.when('bs-probe-abort');
    expect(await codeOf(sup.call('bs-probe-abort', 'add', [1, 1]))).toBe(ErrorCode.HalfOpenFull);
    c.abort();
    expect(await probe).toBe(ErrorCode.Aborted);
    expect(await sup.call('bs-probe-abort', 'add', [1, 1])).toBe(2);
    expect(sup.state('bs-probe-abort')).toBe('closed');
    expect(sup.metrics('bs-probe-abort')).toMatchObject({ abortedRequests: 1, failedRequests: 1 });
  });

  it('a probe that times out in the pool queue returns its permit and is not a failure', async () => {
    register(
      'bs-probe-pool',
      { halfOpen: { maxCalls: 2, successThreshold: 2 } },
      { maxQueue: 1, queueTimeoutMs: 100 },
    );
    await toHalfOpen('bs-probe-pool');
    const first = sup.call('bs-probe-pool', 'gate', ['bs-probe-pool']);
    await bus.when('bs-probe-pool');
    // Second permit: waits in the pool's queue.
    const waiting = codeOf(sup.call('bs-probe-pool', 'add', [1, 1]));
    // Both permits are taken: the breaker turns this one away.
    expect(await codeOf(sup.call('bs-probe-pool', 'add', [1, 1]))).toBe(ErrorCode.HalfOpenFull);
    await clock.advanceAsync(100);
    expect(await waiting).toBe(ErrorCode.QueueTimeout);
    // The queue-timed-out probe gave its permit back: this one is admitted (and queued)...
    const third = sup.call('bs-probe-pool', 'add', [2, 2]);
    expect(sup.metrics('bs-probe-pool').pool).toMatchObject({ running: 1, queued: 1 });
    // ...which takes the last permit again.
    expect(await codeOf(sup.call('bs-probe-pool', 'add', [3, 3]))).toBe(ErrorCode.HalfOpenFull);
    bus.release('bs-probe-pool');
    expect(await first).toBe('bs-probe-pool');
    expect(await third).toBe(4);
    expect(sup.state('bs-probe-pool')).toBe('closed');
    expect(transitions('bs-probe-pool')).toEqual([
      'closed->open (failure-threshold)',
      'open->half-open (recovery-timer)',
      'half-open->closed (probes-succeeded)',
    ]);
    expect(sup.metrics('bs-probe-pool')).toMatchObject({ failedRequests: 1, successfulRequests: 2 });
  });

  it('a bulkhead refusal in half-open hands the permit back (the next caller is admitted, not HALF_OPEN_FULL)', async () => {
    register('bs-probe-bulk', { halfOpen: { maxCalls: 2, successThreshold: 2 } }, { maxQueue: 0 });
    await toHalfOpen('bs-probe-bulk');
    const first = sup.call('bs-probe-bulk', 'gate', ['bs-probe-bulk']);
    await bus.when('bs-probe-bulk');
    // With a permit left, each caller is admitted by the breaker and refused by the full pool;
    // a permit that was not handed back would make the second one ERR_HALF_OPEN_FULL.
    expect(await codeOf(sup.call('bs-probe-bulk', 'add', [1, 1]))).toBe(ErrorCode.BulkheadFull);
    expect(await codeOf(sup.call('bs-probe-bulk', 'add', [1, 1]))).toBe(ErrorCode.BulkheadFull);
    expect(await codeOf(sup.call('bs-probe-bulk', 'add', [1, 1]))).toBe(ErrorCode.BulkheadFull);
    bus.release('bs-probe-bulk');
    expect(await first).toBe('bs-probe-bulk');
    expect(await sup.call('bs-probe-bulk', 'add', [1, 1])).toBe(2);
    expect(sup.state('bs-probe-bulk')).toBe('closed');
    expect(sup.metrics('bs-probe-bulk')).toMatchObject({ failedRequests: 1, rejectedRequests: 3 });
  });

  it('a probe that outlives its half-open period (maxWaitMs) is reported late and changes nothing', async () => {
    register('bs-probe-late', { halfOpen: { maxCalls: 1, successThreshold: 1, maxWaitMs: 500 } });
    await toHalfOpen('bs-probe-late');
    const probe = sup.call('bs-probe-late', 'gate', ['bs-probe-late']);
    await bus.when('bs-probe-late');
    await clock.advanceAsync(500);
    expect(sup.state('bs-probe-late')).toBe('open');
    const releasedAt = clock.now();
    bus.release('bs-probe-late');
    // The caller still gets its value; the breaker ignores it.
    expect(await probe).toBe('bs-probe-late');
    expect(sup.state('bs-probe-late')).toBe('open');
    expect(transitions('bs-probe-late')).toEqual([
      'closed->open (failure-threshold)',
      'open->half-open (recovery-timer)',
      'half-open->open (half-open-timeout)',
    ]);
    expect(late.filter((e) => e.service === 'bs-probe-late')).toEqual([
      { service: 'bs-probe-late', at: releasedAt, ok: true, admittedGeneration: 2, currentGeneration: 3 },
    ]);
    expect(sup.metrics('bs-probe-late')).toMatchObject({ lateResults: 1, successfulRequests: 1 });
  });
});

describe('a listener that throws on a pool call’s event (scenario 12)', () => {
  it('the caller gets its own error, the failure is counted once, listenerError reports it once', async () => {
    register('bs-listener', { trip: { kind: 'consecutive', threshold: 2 } });
    const boom = new Error('listener bug');
    const off = sup.subscribe('bs-listener', 'callFailed', () => {
      throw boom;
    });
    const reported: unknown[] = [];
    const offErrors = sup.subscribe('bs-listener', 'listenerError', (e) => reported.push(e.error));
    const r = await outcome(sup.call('bs-listener', 'throwCustom', ['l']));
    expect((r as { error: { name: string; code: string } }).error).toMatchObject({
      name: 'ValidationError',
      code: 'E_VALIDATION',
    });
    expect(reported).toEqual([boom]);
    expect(sup.metrics('bs-listener')).toMatchObject({ failedRequests: 1, consecutiveFailures: 1 });
    expect(sup.state('bs-listener')).toBe('closed');
    off();
    offErrors();
  });
});

describe('unknown service, unknown handler through sup.call (scenario 20)', () => {
  it('ERR_UNKNOWN_SERVICE and ERR_NOT_POOL_SERVICE with clear messages, counted nowhere', async () => {
    const r = await outcome(sup.call('bs-nowhere', 'add', [1, 2]));
    expect((r as { error: Error & { code: string } }).error).toMatchObject({
      code: ErrorCode.UnknownService,
      name: 'UnknownServiceError',
      message: 'no service named "bs-nowhere" is registered',
    });
    sup.register('bs-inline', {});
    expect(await codeOf(sup.call('bs-inline', 'add', [1, 2]))).toBe(ErrorCode.NotPoolService);
    expect(sup.metrics('bs-inline')).toMatchObject({ totalRequests: 0, failedRequests: 0 });
    expect(sup.services()).not.toContain('bs-nowhere');
  });

  it('ERR_UNKNOWN_HANDLER before and after the module loaded never counts as a failure (threshold 1)', async () => {
    register('bs-handler');
    // Right after register the module is still loading: the worker itself answers "no such export".
    const early = await outcome(sup.call('bs-handler', 'nope', []));
    expect((early as { error: Error & { code: string } }).error).toMatchObject({
      code: ErrorCode.UnknownHandler,
      message: 'worker module of "bs-handler" has no export named "nope"',
    });
    // Now the pool knows the exports: rejected before a thread is used.
    expect(await codeOf(sup.call('bs-handler', 'nope', []))).toBe(ErrorCode.UnknownHandler);
    expect(await codeOf(sup.call('bs-handler', 'notAFunction', []))).toBe(ErrorCode.UnknownHandler);
    expect(sup.state('bs-handler')).toBe('closed');
    expect(transitions('bs-handler')).toEqual([]);
    expect(sup.metrics('bs-handler')).toMatchObject({
      failedRequests: 0,
      rejectedRequests: 3,
      totalRequests: 3,
    });
    expect(failed.filter((s) => s === 'bs-handler')).toEqual([]);
    expect(sup.health().services['bs-handler']?.healthy).toBe(true);
  });
});

describe('pool figures in metrics()', () => {
  it('threads, running, queued and utilization follow the calls; restarts count replacements', async () => {
    sup.register('bs-figures', {
      worker: fixture('handlers.ts'),
      threads: { min: 2, max: 2 },
      breaker: { callTimeoutMs: 0 },
    });
    const a = sup.call('bs-figures', 'gate', ['bs-fig-a']);
    await bus.when('bs-fig-a');
    expect(sup.metrics('bs-figures').pool).toMatchObject({ running: 1, queued: 0, utilization: 0.5 });
    const b = sup.call('bs-figures', 'gate', ['bs-fig-b']);
    await bus.when('bs-fig-b');
    const c = sup.call('bs-figures', 'add', [1, 1]);
    expect(sup.metrics('bs-figures').pool).toMatchObject({
      threads: 2,
      running: 2,
      queued: 1,
      utilization: 1,
    });
    expect(sup.metrics('bs-figures').inFlight).toBe(3);
    bus.release('bs-fig-a');
    bus.release('bs-fig-b');
    expect(await Promise.all([a, b, c])).toEqual(['bs-fig-a', 'bs-fig-b', 2]);
    expect(sup.metrics('bs-figures').pool).toEqual({
      threads: 2,
      retiring: 0,
      running: 0,
      queued: 0,
      utilization: 0,
      restarts: 0,
      crashes: 0,
      terminations: 0,
      retirements: 0,
      broken: false,
    });
    expect(await codeOf(sup.call('bs-figures', 'exitMidCall', ['bs-fig-x', 1]))).toBe(
      ErrorCode.WorkerCrashed,
    );
    expect(await sup.call('bs-figures', 'add', [1, 2])).toBe(3);
    const m = sup.metrics('bs-figures').pool!;
    expect([m.crashes, m.terminations]).toEqual([1, 0]);
  });
});
