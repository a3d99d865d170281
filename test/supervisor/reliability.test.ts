/**
 * RELIABILITY.md scenarios 8–14 and 20 for inline calls (`run()`), on a ManualClock. Scenario 14
 * (process exit without close) runs a real child process on the system clock.
 */
import { getEventListeners, setMaxListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Clock, ManualClock, Supervisor } from '../../src/index.ts';
import { flushMicrotasks } from '../../src/time/manual-clock.ts';
import type { BreakerOptions, Logger } from '../../src/types.ts';
import { runScript } from '../support/run-script.ts';
import { codeOf, deferred, errorOf, failing, hanging, record, track, transitions } from './helpers.ts';

const S = 'svc';
const BREAKER: BreakerOptions = {
  trip: { kind: 'consecutive', threshold: 3, windowMs: 0 },
  openMs: 1_000,
  halfOpen: { maxCalls: 2, successThreshold: 2, maxWaitMs: 10_000 },
  callTimeoutMs: 500,
};

function setup(breaker: BreakerOptions = BREAKER, clock: Clock = new ManualClock(0)) {
  const sup = new Supervisor({ clock }).register(S, { breaker });
  const events = record(sup, 'stateChange');
  return { sup, events };
}

async function trip(sup: Supervisor, n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await sup.run(S, failing()).catch(() => undefined);
}

/** A breaker that has tripped and reached half-open on its timer. */
async function halfOpen(breaker: BreakerOptions = BREAKER) {
  const clock = new ManualClock(0);
  const env = setup(breaker, clock);
  await trip(env.sup);
  clock.advance(breaker.openMs ?? 30_000);
  expect(env.sup.state(S)).toBe('half-open');
  return { clock, ...env };
}

describe('8: the caller aborts', () => {
  it('an already-aborted signal settles at once with ERR_ABORTED; the work never runs; not a failure', async () => {
    const { sup } = setup();
    const controller = new AbortController();
    const reason = new Error('user left');
    controller.abort(reason);
    let invoked = false;
    const call = track(
      sup.run(
        S,
        () => {
          invoked = true;
          return 1;
        },
        { signal: controller.signal },
      ),
    );
    await flushMicrotasks();
    const error = errorOf(call);
    expect(error).toMatchObject({ code: 'ERR_ABORTED', service: S, cause: reason });
    expect(invoked).toBe(false);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(sup.metrics(S)).toMatchObject({
      failedRequests: 0,
      abortedRequests: 1,
      consecutiveFailures: 0,
      inFlight: 0,
    });
  });

  it('aborting a running call settles it at once, aborts the work’s own signal and leaves no listener', async () => {
    const { sup, events } = setup();
    const controller = new AbortController();
    let workSignal: AbortSignal | undefined;
    const call = track(
      sup.run(
        S,
        (signal) => {
          workSignal = signal;
          return hanging();
        },
        { signal: controller.signal },
      ),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    expect(workSignal?.aborted).toBe(false);
    controller.abort('stop');
    await flushMicrotasks();
    expect(errorOf(call)).toMatchObject({ code: 'ERR_ABORTED', cause: 'stop' });
    expect(workSignal?.aborted).toBe(true);
    expect(codeOf(workSignal?.reason)).toBe('ERR_ABORTED');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(sup.metrics(S)).toMatchObject({ failedRequests: 0, abortedRequests: 1, inFlight: 0 });
    expect(events).toEqual([]);
  });

  it('many aborted calls never trip the breaker', async () => {
    const { sup } = setup();
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController();
      const p = sup.run(S, () => hanging(), { signal: controller.signal }).catch((e: unknown) => e);
      controller.abort();
      expect(codeOf(await p)).toBe('ERR_ABORTED');
    }
    expect(sup.state(S)).toBe('closed');
    expect(sup.metrics(S)).toMatchObject({ abortedRequests: 10, failedRequests: 0, totalRequests: 10 });
  });

  it('a call that settled normally drops its abort listener; a later abort changes nothing', async () => {
    const { sup } = setup();
    const controller = new AbortController();
    await expect(sup.run(S, () => Promise.resolve(7), { signal: controller.signal })).resolves.toBe(7);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort();
    expect(sup.metrics(S)).toMatchObject({ successfulRequests: 1, abortedRequests: 0, totalRequests: 1 });
  });

  it('one signal shared by many calls holds one listener per running call, none after they settle', async () => {
    const { sup } = setup({ ...BREAKER, callTimeoutMs: 0 });
    const controller = new AbortController();
    setMaxListeners(50, controller.signal); // 20 listeners on purpose: silence Node's leak heuristic
    const works = Array.from({ length: 20 }, () => deferred<number>());
    const calls = works.map((w) => sup.run(S, () => w.promise, { signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(20);
    for (const [i, w] of works.entries()) w.resolve(i);
    await Promise.all(calls);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('with timeoutMs 0 the work receives the caller’s own signal', async () => {
    const { sup } = setup();
    const controller = new AbortController();
    let workSignal: AbortSignal | undefined;
    const p = sup
      .run(
        S,
        (signal) => {
          workSignal = signal;
          return hanging();
        },
        { signal: controller.signal, timeoutMs: 0 },
      )
      .catch((e: unknown) => e);
    controller.abort();
    expect(codeOf(await p)).toBe('ERR_ABORTED');
    expect(workSignal?.aborted).toBe(true);
  });
});

describe('9: 10,000 concurrent callers against a half-open breaker', () => {
  it('exactly halfOpen.maxCalls are admitted; the rest reject at once with ERR_HALF_OPEN_FULL; none queued', async () => {
    const { sup, events } = await halfOpen({ ...BREAKER, halfOpen: { maxCalls: 5, successThreshold: 5 } });
    const works = Array.from({ length: 5 }, () => deferred<string>());
    let invoked = 0;
    const calls = Array.from({ length: 10_000 }, () =>
      track(sup.run(S, () => works[invoked++]!.promise.then((v) => v))),
    );
    // Admission is decided synchronously: the rejections are already counted.
    expect(invoked).toBe(5);
    expect(sup.metrics(S)).toMatchObject({ rejectedRequests: 9_995, inFlight: 5, totalRequests: 3 + 10_000 });
    await flushMicrotasks();
    const settled = calls.filter((c) => c.outcome !== undefined);
    expect(settled).toHaveLength(9_995);
    expect(new Set(settled.map((c) => codeOf(errorOf(c))))).toEqual(new Set(['ERR_HALF_OPEN_FULL']));
    expect(calls.slice(0, 5).every((c) => c.outcome === undefined)).toBe(true);
    for (const [i, w] of works.entries()) w.resolve(`probe ${i}`);
    await flushMicrotasks();
    expect(calls.slice(0, 5).map((c) => c.outcome)).toEqual(
      Array.from({ length: 5 }, (_, i) => ({ ok: true, value: `probe ${i}` })),
    );
    expect(invoked).toBe(5);
    expect(transitions(events)).toEqual([
      'closed->open (failure-threshold)',
      'open->half-open (recovery-timer)',
      'half-open->closed (probes-succeeded)',
    ]);
  });

  it('runResult() under the same burst resolves every rejection and runs only the permitted probes', async () => {
    const { sup } = await halfOpen();
    const works = [deferred<number>(), deferred<number>()];
    let invoked = 0;
    const results = Array.from({ length: 10_000 }, () => sup.runResult(S, () => works[invoked++]!.promise));
    expect(invoked).toBe(2);
    works[0]!.resolve(1);
    works[1]!.resolve(2);
    const settled = await Promise.all(results);
    expect(settled.slice(0, 2)).toEqual([
      { ok: true, value: 1 },
      { ok: true, value: 2 },
    ]);
    const rejected = settled.slice(2);
    expect(rejected.every((r) => !r.ok && codeOf(r.error) === 'ERR_HALF_OPEN_FULL')).toBe(true);
    expect(sup.state(S)).toBe('closed');
  });
});

describe('10: a half-open probe hangs or is aborted', () => {
  it('a hanging probe is bounded by its timeout, which re-opens the breaker', async () => {
    const { clock, sup, events } = await halfOpen();
    const probe = track(sup.run(S, () => hanging()));
    clock.advance(499);
    expect(probe.outcome).toBeUndefined();
    clock.advance(1);
    await flushMicrotasks();
    expect(errorOf(probe)).toMatchObject({ code: 'ERR_CALL_TIMEOUT', timeoutMs: 500 });
    expect(events.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'probe-failed', at: 1_500 });
  });

  it('an aborted probe returns its permit: another probe is admitted after it', async () => {
    const { sup } = await halfOpen({ ...BREAKER, halfOpen: { maxCalls: 1, successThreshold: 1 } });
    const controller = new AbortController();
    const first = track(sup.run(S, () => hanging(), { signal: controller.signal }));
    await expect(sup.run(S, () => 'no room')).rejects.toMatchObject({ code: 'ERR_HALF_OPEN_FULL' });
    controller.abort();
    await flushMicrotasks();
    expect(codeOf(errorOf(first))).toBe('ERR_ABORTED');
    await expect(sup.run(S, () => 'second probe')).resolves.toBe('second probe');
    expect(sup.state(S)).toBe('closed');
  });

  it('a protection error thrown by a probe returns its permit too, and is not a failure', async () => {
    const { sup } = await halfOpen({ ...BREAKER, halfOpen: { maxCalls: 1, successThreshold: 1 } });
    const nested = await sup
      .run(S, () => Promise.reject(Object.assign(new Error('x'), { code: 'ERR_BULKHEAD_FULL' })))
      .catch((e: unknown) => e);
    expect(codeOf(nested)).toBe('ERR_BULKHEAD_FULL');
    expect(sup.state(S)).toBe('half-open');
    await expect(sup.run(S, () => 'ok')).resolves.toBe('ok');
    expect(sup.state(S)).toBe('closed');
  });

  it('a probe from an earlier half-open period that is aborted gives no permit to the current period', async () => {
    const breaker: BreakerOptions = {
      ...BREAKER,
      halfOpen: { maxCalls: 1, successThreshold: 1, maxWaitMs: 100 },
    };
    const { clock, sup, events } = await halfOpen(breaker);
    const controller = new AbortController();
    const old = track(sup.run(S, () => hanging(), { signal: controller.signal, timeoutMs: 0 }));
    clock.advance(100 + 1_000); // half-open timeout, then a new recovery
    expect(transitions(events).slice(-2)).toEqual([
      'half-open->open (half-open-timeout)',
      'open->half-open (recovery-timer)',
    ]);
    const current = deferred<string>();
    const probe = sup.run(S, () => current.promise);
    controller.abort();
    await flushMicrotasks();
    expect(codeOf(errorOf(old))).toBe('ERR_ABORTED');
    await expect(sup.run(S, () => 'one too many')).rejects.toMatchObject({ code: 'ERR_HALF_OPEN_FULL' });
    current.resolve('done');
    await expect(probe).resolves.toBe('done');
    expect(sup.state(S)).toBe('closed');
  });

  it('probes that never finish and have no timeout cannot keep it half-open (maxWaitMs)', async () => {
    const { clock, sup, events } = await halfOpen({ ...BREAKER, callTimeoutMs: 0 });
    sup.run(S, () => hanging()).catch(() => undefined);
    sup.run(S, () => hanging()).catch(() => undefined);
    clock.advance(10_000);
    expect(events.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'half-open-timeout' });
    expect(sup.metrics(S).inFlight).toBe(2);
  });
});

describe('11: a late result from an old generation', () => {
  it('a call admitted while closed that succeeds after the breaker tripped is counted as late; state is unchanged', async () => {
    const { sup, events } = setup({ ...BREAKER, callTimeoutMs: 0 });
    const late = record(sup, 'lateResult');
    const slow = deferred<string>();
    const old = sup.run(S, () => slow.promise);
    await trip(sup);
    slow.resolve('finally');
    await expect(old).resolves.toBe('finally');
    expect(sup.state(S)).toBe('open');
    expect(sup.metrics(S)).toMatchObject({ lateResults: 1, successfulRequests: 1, failedRequests: 3 });
    expect(late).toEqual([{ service: S, at: 0, ok: true, admittedGeneration: 0, currentGeneration: 1 }]);
    expect(events).toHaveLength(1);
  });

  it('a late failure cannot re-open a half-open breaker', async () => {
    const clock = new ManualClock(0);
    const { sup, events } = setup({ ...BREAKER, callTimeoutMs: 0 }, clock);
    const slow = deferred<string>();
    const old = sup.run(S, () => slow.promise).catch((e: unknown) => e);
    await trip(sup);
    clock.advance(1_000);
    expect(sup.state(S)).toBe('half-open');
    slow.reject(new Error('too late'));
    await old;
    expect(sup.state(S)).toBe('half-open');
    expect(sup.metrics(S)).toMatchObject({ lateResults: 1, failedRequests: 4 });
    expect(events).toHaveLength(2);
  });
});

describe('12: an event listener throws', () => {
  it('state and the other listeners are unaffected; one listenerError event carries the error', async () => {
    const { sup } = setup();
    const boom = new Error('listener bug');
    const seen: string[] = [];
    sup.on('stateChange', () => {
      throw boom;
    });
    sup.on('stateChange', (e) => seen.push(`${e.from}->${e.to}`));
    const errors = record(sup, 'listenerError');
    await trip(sup);
    expect(sup.state(S)).toBe('open');
    expect(seen).toEqual(['closed->open']);
    expect(errors).toEqual([{ service: S, at: 0, event: 'stateChange', error: boom }]);
    sup.reset(S);
    expect(seen).toEqual(['closed->open', 'open->closed']);
    expect(errors).toHaveLength(2);
  });

  it('a throwing per-call listener does not change the call’s outcome or its accounting', async () => {
    const { sup } = setup();
    sup.on('callFailed', () => {
      throw new Error('listener bug');
    });
    const errors = record(sup, 'listenerError');
    const own = new Error('service down');
    await expect(sup.run(S, () => Promise.reject(own))).rejects.toBe(own);
    expect(sup.metrics(S)).toMatchObject({ failedRequests: 1, consecutiveFailures: 1 });
    expect(errors.map((e) => e.event)).toEqual(['callFailed']);
  });

  it('a throwing listenerError listener is reported once to the logger, never rethrown or looped', async () => {
    const logged: unknown[] = [];
    const logger: Logger = { info: () => {}, warn: () => {}, error: (obj) => logged.push(obj) };
    const sup = new Supervisor({ clock: new ManualClock(0), logger }).register(S, { breaker: BREAKER });
    const first = new Error('first');
    const second = new Error('second');
    sup.on('stateChange', () => {
      throw first;
    });
    sup.on('listenerError', () => {
      throw second;
    });
    sup.forceOpen(S);
    expect(sup.state(S)).toBe('forced-open');
    expect(logged).toEqual([{ err: second, event: 'listenerError', service: S }]);
  });
});

describe('13: clock jumps and timers', () => {
  it('a call at exactly the recovery time, before the timer fired, makes one half-open transition', async () => {
    const clock = new ManualClock(0);
    const { sup, events } = setup(BREAKER, clock);
    let probeRan = false;
    // Armed before the breaker's timer, so at the same instant it fires first.
    clock.setTimeout(() => {
      sup
        .run(S, () => {
          probeRan = true;
          return hanging();
        })
        .catch(() => undefined);
    }, 1_000);
    await trip(sup);
    clock.advance(1_000);
    expect(probeRan).toBe(true);
    expect(transitions(events)).toEqual([
      'closed->open (failure-threshold)',
      'open->half-open (recovery-timer)',
    ]);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(500); // the probe times out: the only thing left to happen
    expect(transitions(events)).toEqual([
      'closed->open (failure-threshold)',
      'open->half-open (recovery-timer)',
      'half-open->open (probe-failed)',
    ]);
    expect(events[2]?.at).toBe(1_500);
  });

  it('a busy event loop (time passed, timers not run yet) still recovers on the first call, once', async () => {
    const timers = new ManualClock(0);
    let lag = 0;
    const busy: Clock = {
      now: () => timers.now() + lag,
      setTimeout: (fn, ms) => timers.setTimeout(fn, ms),
      clearTimeout: (h) => timers.clearTimeout(h),
    };
    const { sup, events } = setup({ ...BREAKER, callTimeoutMs: 0 }, busy);
    await trip(sup);
    lag = 5_000; // the loop was blocked for 5 s: the recovery timer is overdue but has not run
    expect(sup.state(S)).toBe('open');
    await expect(sup.run(S, () => 'probe')).resolves.toBe('probe');
    expect(transitions(events)).toEqual([
      'closed->open (failure-threshold)',
      'open->half-open (recovery-timer)',
    ]);
    expect(events[1]?.at).toBe(5_000);
    timers.advance(1_000); // the overdue timer's moment comes: nothing more happens
    expect(events).toHaveLength(2);
    expect(timers.pendingTimers).toBe(1);
  });

  it('the recovery timer is cancelled by reset() and by close()', async () => {
    const clock = new ManualClock(0);
    const { sup, events } = setup({ ...BREAKER, callTimeoutMs: 0 }, clock);
    await trip(sup);
    expect(clock.pendingTimers).toBe(1);
    sup.reset(S);
    expect(clock.pendingTimers).toBe(0);
    await trip(sup);
    expect(clock.pendingTimers).toBe(1);
    await sup.close();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(10_000);
    expect(transitions(events)).toEqual([
      'closed->open (failure-threshold)',
      'open->closed (manual)',
      'closed->open (failure-threshold)',
    ]);
  });

  it('a jump far past many due times fires each once, in order, at its own time', async () => {
    const clock = new ManualClock(0);
    const { sup, events } = setup(BREAKER, clock);
    await trip(sup);
    clock.advance(1_000_000);
    // Idle: open 1 s, then half-open; with no probe outstanding maxWaitMs (10 s) only re-arms.
    expect(events.map((e) => [e.reason, e.at])).toEqual([
      ['failure-threshold', 0],
      ['recovery-timer', 1_000],
    ]);
    expect(sup.state(S)).toBe('half-open');
    expect(clock.pendingTimers).toBe(1);
    // With a probe that never finishes (no call timeout), the next max-wait expiry re-opens it.
    void sup.run(S, () => hanging(), { timeoutMs: 0 }).catch(() => {});
    clock.advance(10_000);
    expect(events.slice(2).map((e) => [e.reason, e.at])).toEqual([
      ['half-open-timeout', 1_001_000],
      ['recovery-timer', 1_002_000],
    ]);
    expect(clock.pendingTimers).toBe(1);
  });
});

describe('14: process exit without close()', () => {
  it('an open breaker with a long timer and a pending call do not keep the process alive', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/exit-without-close.ts', import.meta.url));
    const { code, signal, stderr, stdout } = await runScript(fixture);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(stdout.trim().split('\n')).toEqual(['state open', 'pending call started', 'end of script']);
  });
});

describe('20: unknown service', () => {
  it('rejects with ERR_UNKNOWN_SERVICE, runs nothing and counts nothing anywhere', async () => {
    const { sup } = setup();
    const events: string[] = [];
    for (const name of ['stateChange', 'callRejected', 'callFailed', 'callSucceeded'] as const) {
      sup.on(name, () => events.push(name));
    }
    let invoked = false;
    const work = () => {
      invoked = true;
      return 1;
    };
    const error = await sup.run('nope', work).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_UNKNOWN_SERVICE',
      service: 'nope',
      name: 'UnknownServiceError',
    });
    expect((error as Error).message).toBe('no service named "nope" is registered');
    await expect(sup.runResult('nope', work)).resolves.toMatchObject({
      ok: false,
      error: { code: 'ERR_UNKNOWN_SERVICE' },
    });
    for (const op of [
      () => sup.state('nope'),
      () => sup.metrics('nope'),
      () => sup.reset('nope'),
      () => sup.forceOpen('nope'),
      () => sup.disable('nope'),
    ]) {
      expect(op).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SERVICE' }));
    }
    await expect(sup.unregister('nope')).rejects.toMatchObject({ code: 'ERR_UNKNOWN_SERVICE' });
    expect(invoked).toBe(false);
    expect(events).toEqual([]);
    expect(sup.metrics(S)).toMatchObject({ totalRequests: 0, rejectedRequests: 0, failedRequests: 0 });
    expect(Object.keys(sup.allMetrics())).toEqual([S]);
    expect(sup.health().status).toBe('ok');
  });
});
