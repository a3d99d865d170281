/**
 * Registration, close() (with and without drain), per-service subscriptions and the per-call
 * events' exact payloads.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, Supervisor } from '../../src/index.ts';
import { flushMicrotasks } from '../../src/time/manual-clock.ts';
import type { BreakerOptions } from '../../src/types.ts';
import { codeOf, deferred, errorOf, failing, hanging, record, track } from './helpers.ts';

const S = 'svc';
const BREAKER: BreakerOptions = {
  trip: { kind: 'consecutive', threshold: 2, windowMs: 0 },
  openMs: 1_000,
  halfOpen: { maxCalls: 1, successThreshold: 1, maxWaitMs: 5_000 },
  callTimeoutMs: 5_000,
};

function setup() {
  const clock = new ManualClock(0);
  const sup = new Supervisor({ clock }).register(S, { breaker: BREAKER });
  return { clock, sup };
}

describe('register', () => {
  it('a second registration of a name throws ERR_ALREADY_REGISTERED and leaves the first intact', async () => {
    const { sup } = setup();
    await sup.run(S, failing()).catch(() => undefined);
    let error: unknown;
    try {
      sup.register(S, { breaker: { openMs: 5 } });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      name: 'AlreadyRegisteredError',
      code: 'ERR_ALREADY_REGISTERED',
      service: S,
    });
    expect((error as Error).message).toBe('a service named "svc" is already registered');
    expect(sup.metrics(S)).toMatchObject({ failedRequests: 1, consecutiveFailures: 1 });
    expect(sup.services()).toEqual([S]);
  });

  it('emits registered with the service’s state; has() and services() list it', () => {
    const clock = new ManualClock(42);
    const sup = new Supervisor({ clock });
    const registered = record(sup, 'registered');
    sup.register('a').register('b');
    expect(registered).toEqual([
      { service: 'a', at: 42, state: 'closed' },
      { service: 'b', at: 42, state: 'closed' },
    ]);
    expect([sup.has('a'), sup.has('c'), sup.services()]).toEqual([true, false, ['a', 'b']]);
  });

  it('unregister cancels the breaker’s timer, drops late outcomes, and frees the name', async () => {
    const { clock, sup } = setup();
    const events = record(sup, 'stateChange');
    const slow = deferred<string>();
    const pending = sup.run(S, () => slow.promise, { timeoutMs: 0 });
    for (let i = 0; i < 2; i++) await sup.run(S, failing()).catch(() => undefined);
    expect(clock.pendingTimers).toBe(1);
    await sup.unregister(S);
    expect(sup.has(S)).toBe(false);
    slow.resolve('after');
    await expect(pending).resolves.toBe('after');
    clock.advance(10_000);
    expect(events.map((e) => e.to)).toEqual(['open']);
    expect(clock.pendingTimers).toBe(0);
    sup.register(S);
    expect(sup.state(S)).toBe('closed');
    expect(sup.metrics(S).totalRequests).toBe(0);
  });
});

describe('close()', () => {
  it('without drain: running wrapped calls reject at once with ERR_SUPERVISOR_CLOSED; their work is aborted', async () => {
    const { clock, sup } = setup();
    let workSignal: AbortSignal | undefined;
    const running = track(
      sup.run(S, (signal) => {
        workSignal = signal;
        return hanging();
      }),
    );
    const noTimeout = track(
      sup.run(S, () => hanging(), { timeoutMs: 0, signal: new AbortController().signal }),
    );
    await sup.close();
    expect(errorOf(running)).toMatchObject({ code: 'ERR_SUPERVISOR_CLOSED', service: S });
    expect(codeOf(errorOf(noTimeout))).toBe('ERR_SUPERVISOR_CLOSED');
    expect(workSignal?.aborted).toBe(true);
    expect(codeOf(workSignal?.reason)).toBe('ERR_SUPERVISOR_CLOSED');
    expect(sup.metrics(S)).toMatchObject({
      abortedRequests: 0,
      rejectedRequests: 2,
      failedRequests: 0,
      inFlight: 0,
    });
    expect(clock.pendingTimers).toBe(0);
  });

  it('drain: running calls may finish within timeoutMs, then the rest reject ERR_SUPERVISOR_CLOSED', async () => {
    const { clock, sup } = setup();
    const quick = deferred<string>();
    const finishing = track(sup.run(S, () => quick.promise));
    const stuck = track(sup.run(S, () => hanging()));
    const closing = track(sup.close({ drain: true, timeoutMs: 1_000 }));
    await flushMicrotasks();
    expect([finishing.outcome, stuck.outcome, closing.outcome]).toEqual([undefined, undefined, undefined]);
    // New calls are refused at once while draining.
    await expect(sup.run(S, () => 'late')).rejects.toMatchObject({ code: 'ERR_SUPERVISOR_CLOSED' });
    quick.resolve('done');
    await flushMicrotasks();
    expect(finishing.outcome).toEqual({ ok: true, value: 'done' });
    expect(closing.outcome).toBeUndefined();
    clock.advance(999);
    await flushMicrotasks();
    expect(stuck.outcome).toBeUndefined();
    clock.advance(1);
    await flushMicrotasks();
    expect(codeOf(errorOf(stuck))).toBe('ERR_SUPERVISOR_CLOSED');
    expect(closing.outcome).toEqual({ ok: true, value: undefined });
    expect(clock.pendingTimers).toBe(0);
  });

  it('drain: resolves as soon as the last running call settles, leaving no timer', async () => {
    const { clock, sup } = setup();
    const work = deferred<number>();
    const call = sup.run(S, () => work.promise);
    const closing = track(sup.close({ drain: true, timeoutMs: 60_000 }));
    work.resolve(1);
    await expect(call).resolves.toBe(1);
    await flushMicrotasks();
    expect(closing.outcome).toEqual({ ok: true, value: undefined });
    expect(clock.pendingTimers).toBe(0);
  });

  it('after close: calls and registration are refused, nothing is scheduled, listeners are gone', async () => {
    const { clock, sup } = setup();
    sup.on('stateChange', () => {});
    sup.register('other', { breaker: BREAKER });
    for (let i = 0; i < 2; i++) await sup.run(S, failing()).catch(() => undefined);
    void sup.run('other', () => hanging()).catch(() => undefined);
    expect(clock.pendingTimers).toBe(1);
    const first = sup.close();
    expect(sup.close()).toBe(first);
    await first;
    expect(sup.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    expect(sup.listenerCount('stateChange')).toBe(0);
    await expect(sup.run(S, () => 1)).rejects.toMatchObject({ code: 'ERR_SUPERVISOR_CLOSED', service: S });
    await expect(sup.run('never-registered', () => 1)).rejects.toMatchObject({
      code: 'ERR_SUPERVISOR_CLOSED',
    });
    expect(() => sup.register('late')).toThrow(expect.objectContaining({ code: 'ERR_SUPERVISOR_CLOSED' }));
    clock.advance(100_000);
    expect(sup.state(S)).toBe('open');
  });

  it('Symbol.asyncDispose closes it (await using)', async () => {
    const clock = new ManualClock(0);
    let outer: Supervisor | undefined;
    {
      await using sup = new Supervisor({ clock }).register(S, { breaker: BREAKER });
      outer = sup;
      for (let i = 0; i < 2; i++) await sup.run(S, failing()).catch(() => undefined);
      expect(clock.pendingTimers).toBe(1);
    }
    expect(outer.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('subscriptions', () => {
  it('subscribe(service) sees only that service; the returned function unsubscribes', async () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock })
      .register('a', { breaker: BREAKER })
      .register('b', { breaker: BREAKER });
    const seen: string[] = [];
    const before = sup.listenerCount('stateChange');
    const unsubscribe = sup.subscribe('a', 'stateChange', (e) => seen.push(`${e.service}:${e.to}`));
    sup.forceOpen('b');
    sup.forceOpen('a');
    sup.reset('a');
    unsubscribe();
    sup.disable('a');
    expect(seen).toEqual(['a:forced-open', 'a:closed']);
    expect(sup.listenerCount('stateChange')).toBe(before);
  });

  it('on/off and once behave as an emitter’s', () => {
    const { sup } = setup();
    const on: string[] = [];
    const once: string[] = [];
    const listener = (e: { to: string }) => on.push(e.to);
    sup.on('stateChange', listener);
    sup.once('stateChange', (e) => once.push(e.to));
    sup.forceOpen(S);
    sup.reset(S);
    sup.off('stateChange', listener);
    sup.disable(S);
    expect(on).toEqual(['forced-open', 'closed']);
    expect(once).toEqual(['forced-open']);
  });
});

describe('per-call events carry exact payloads', () => {
  it('callSucceeded, callFailed, callTimedOut', async () => {
    const { clock, sup } = setup();
    const succeeded = record(sup, 'callSucceeded');
    const failed = record(sup, 'callFailed');
    const timedOut = record(sup, 'callTimedOut');
    const work = deferred<number>();
    const call = sup.run(S, () => work.promise);
    clock.advance(30);
    work.resolve(1);
    await call;
    const own = new Error('down');
    const failing = sup.run(S, () => new Promise((_, reject) => clock.setTimeout(() => reject(own), 20)));
    clock.advance(20);
    await failing.catch(() => undefined);
    const hung = sup.run(S, () => hanging()).catch(() => undefined);
    clock.advance(5_000);
    await hung;
    expect(succeeded).toEqual([{ service: S, at: 30, durationMs: 30, state: 'closed' }]);
    expect(timedOut).toEqual([{ service: S, at: 5_050, timeoutMs: 5_000, state: 'open' }]);
    expect(failed).toHaveLength(2);
    expect(failed[0]).toEqual({ service: S, at: 50, durationMs: 20, error: own, state: 'closed' });
    expect(failed[1]).toMatchObject({
      service: S,
      at: 5_050,
      error: { code: 'ERR_CALL_TIMEOUT' },
      state: 'open',
    });
  });

  it('callRejected for open, half-open full and nested protection errors', async () => {
    const { clock, sup } = setup();
    const rejected = record(sup, 'callRejected');
    for (let i = 0; i < 2; i++) await sup.run(S, failing()).catch(() => undefined);
    await sup.run(S, () => 1).catch(() => undefined);
    clock.advance(1_000);
    void sup.run(S, () => hanging()).catch(() => undefined);
    await sup.run(S, () => 1).catch(() => undefined);
    sup.reset(S);
    await sup.run(S, () => Promise.reject({ code: 'ERR_BULKHEAD_FULL' })).catch(() => undefined);
    expect(rejected).toEqual([
      { service: S, at: 0, code: 'ERR_CIRCUIT_OPEN', state: 'open' },
      { service: S, at: 1_000, code: 'ERR_HALF_OPEN_FULL', state: 'half-open' },
      { service: S, at: 1_000, code: 'ERR_BULKHEAD_FULL', state: 'closed' },
    ]);
  });

  it('a listener added later sees only later calls', async () => {
    const { sup } = setup();
    await sup.run(S, () => 1);
    const succeeded = record(sup, 'callSucceeded');
    await sup.run(S, () => 2);
    expect(succeeded).toHaveLength(1);
  });
});

describe('health()', () => {
  it('ok when all are healthy, degraded when some are not, down when none is', async () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock })
      .register('a', { breaker: BREAKER })
      .register('b', { breaker: BREAKER });
    expect(sup.health()).toEqual({
      status: 'ok',
      services: {
        a: { healthy: true, state: 'closed', message: 'closed: calls flow normally' },
        b: { healthy: true, state: 'closed', message: 'closed: calls flow normally' },
      },
    });
    for (let i = 0; i < 2; i++) await sup.run('a', failing()).catch(() => undefined);
    clock.advance(250);
    expect(sup.health()).toMatchObject({
      status: 'degraded',
      services: {
        a: {
          healthy: false,
          state: 'open',
          message: 'open (failure-threshold); next probe in 750 ms',
        },
      },
    });
    sup.forceOpen('b');
    expect(sup.health().status).toBe('down');
  });
});

describe('metrics()', () => {
  it('rates describe the window; response times come from the (sampled) calls', async () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock }).register(S, {
      breaker: { ...BREAKER, trip: { kind: 'count-window', size: 4, minimumCalls: 4, failureRate: 0.9 } },
      latencySampleEvery: 1,
    });
    for (const [ms, ok] of [
      [10, true],
      [20, false],
      [30, true],
    ] as const) {
      const call = sup.run(
        S,
        () =>
          new Promise((resolve, reject) =>
            clock.setTimeout(() => (ok ? resolve(1) : reject(new Error('x'))), ms),
          ),
      );
      clock.advance(ms);
      await call.catch(() => undefined);
    }
    const m = sup.metrics(S);
    expect(m).toMatchObject({
      totalRequests: 3,
      successfulRequests: 2,
      failedRequests: 1,
      inFlight: 0,
      opens: 0,
    });
    expect(m.failureRate).toBeCloseTo(1 / 3);
    expect(m.successRate).toBeCloseTo(2 / 3);
    expect(m.avgResponseTimeMs).toBeCloseTo(20, 0);
    expect(m.p50ResponseTimeMs).toBeCloseTo(20, 0);
    expect(m.p99ResponseTimeMs).toBeCloseTo(30, 0);
    expect(sup.allMetrics()).toEqual({ [S]: m });
  });
});
