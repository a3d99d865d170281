/**
 * Pools through the Supervisor: which pool outcomes are breaker failures (crash, OOM, load
 * failure, timeout) and which are protections that never trip it (bulkhead, queue timeout,
 * abort, not cloneable, unknown handler), and a late result from an old generation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import type { StateChangeEvent } from '../../src/events.ts';
import { DEFAULT_ABORT_GRACE_MS } from '../../src/pool/threads.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import type { ServiceOptions } from '../../src/types.ts';
import { Bus, codeOf, fixture } from './helpers.ts';

const bus = new Bus();
const clock = new ManualClock(0);
const sup = new Supervisor({ clock });
const changes: StateChangeEvent[] = [];
sup.on('stateChange', (e) => changes.push(e));
afterAll(async () => {
  await sup.close();
  bus.close();
});

const trip = (threshold: number, extra: ServiceOptions = {}): ServiceOptions => ({
  worker: fixture('handlers.ts'),
  threads: { min: 1, max: 1 },
  breaker: { trip: { kind: 'consecutive', threshold }, openMs: 60_000, callTimeoutMs: 0 },
  ...extra,
});

const opened = (service: string): string[] =>
  changes.filter((c) => c.service === service).map((c) => `${c.from}->${c.to}:${c.reason}`);

describe('failures that trip the breaker', () => {
  it('a crashing worker', async () => {
    sup.register('crashy', trip(2));
    expect(await codeOf(sup.call('crashy', 'exitMidCall', ['s-crash-1', 1]))).toBe(ErrorCode.WorkerCrashed);
    expect(sup.state('crashy')).toBe('closed');
    expect(await codeOf(sup.call('crashy', 'exitMidCall', ['s-crash-2', 1]))).toBe(ErrorCode.WorkerCrashed);
    expect(opened('crashy')).toEqual(['closed->open:failure-threshold']);
    expect(sup.metrics('crashy')).toMatchObject({ failedRequests: 2, pool: { crashes: 2 } });
    expect(await codeOf(sup.call('crashy', 'add', [1, 1]))).toBe(ErrorCode.CircuitOpen);
  });

  it('a call that times out (its thread retires once the handler ignored the abort for the grace)', async () => {
    sup.register(
      'slow',
      trip(2, { breaker: { trip: { kind: 'consecutive', threshold: 2 }, callTimeoutMs: 100 } }),
    );
    for (const tag of ['s-slow-1', 's-slow-2']) {
      const call = codeOf(sup.call('slow', 'hang', [tag]));
      await bus.when(tag);
      await clock.advanceAsync(100);
      expect(await call).toBe(ErrorCode.CallTimeout);
      await clock.advanceAsync(DEFAULT_ABORT_GRACE_MS);
    }
    expect(opened('slow')).toEqual(['closed->open:failure-threshold']);
    expect(sup.metrics('slow')).toMatchObject({
      failedRequests: 2,
      timedOutRequests: 2,
      pool: { retirements: 2, terminations: 2 },
    });
  });

  it('a worker that runs out of memory', async () => {
    sup.register('hungry', trip(1, { resourceLimits: { maxOldGenerationSizeMb: 16 } }));
    expect(await codeOf(sup.call('hungry', 'allocate', ['s-oom']))).toBe(ErrorCode.WorkerOom);
    expect(opened('hungry')).toEqual(['closed->open:failure-threshold']);
  });

  it('a module that fails to load', async () => {
    sup.register('broken', { ...trip(1), worker: fixture('broken-syntax.js') });
    expect(await codeOf(sup.call('broken', 'ok', []))).toBe(ErrorCode.WorkerLoad);
    expect(opened('broken')).toEqual(['closed->open:failure-threshold']);
    const health = sup.health();
    expect(health.services.broken?.healthy).toBe(false);
    expect(health.services.broken?.message).toMatch(/^worker module failed to load/);
  });
});

describe('protections that never trip it', () => {
  it('bulkhead full, queue timeout, abort, not cloneable, unknown handler', async () => {
    sup.register('guarded', trip(1, { maxQueue: 1, queueTimeoutMs: 50 }));
    const busy = sup.call('guarded', 'gate', ['s-guard']);
    await bus.when('s-guard');
    const waiting = codeOf(sup.call('guarded', 'add', [1, 1]));
    expect(await codeOf(sup.call('guarded', 'add', [1, 1]))).toBe(ErrorCode.BulkheadFull);
    await clock.advanceAsync(50);
    expect(await waiting).toBe(ErrorCode.QueueTimeout);
    const c = new AbortController();
    const aborted = codeOf(sup.call('guarded', 'add', [1, 1], { signal: c.signal }));
    c.abort();
    expect(await aborted).toBe(ErrorCode.Aborted);
    expect(await codeOf(sup.call('guarded', 'echo', [() => 1]))).toBe(ErrorCode.NotCloneable);
    bus.release('s-guard');
    expect(await busy).toBe('s-guard');
    expect(await codeOf(sup.call('guarded', 'nope', []))).toBe(ErrorCode.UnknownHandler);
    expect(sup.state('guarded')).toBe('closed');
    expect(opened('guarded')).toEqual([]);
    expect(sup.metrics('guarded')).toMatchObject({
      failedRequests: 0,
      successfulRequests: 1,
      abortedRequests: 1,
    });
    expect(sup.metrics('guarded').rejectedRequests).toBe(4);
  });
});

describe('generations', () => {
  it('a result that arrives after the breaker moved on is counted late and changes nothing', async () => {
    sup.register('late', trip(1));
    const call = sup.call('late', 'gate', ['s-late']);
    await bus.when('s-late');
    sup.forceOpen('late');
    bus.release('s-late');
    expect(await call).toBe('s-late');
    expect(sup.state('late')).toBe('forced-open');
    expect(sup.metrics('late')).toMatchObject({ lateResults: 1, successfulRequests: 1 });
  });
});
