/**
 * Exact stateChange sequences (from, to, reason and every payload field) for each way a breaker
 * moves, driven by a ManualClock: nothing sleeps, time moves only when the test says so.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StateChangeEvent } from '../../src/events.ts';
import { ManualClock, presets, Supervisor } from '../../src/index.ts';
import { flushMicrotasks } from '../../src/time/manual-clock.ts';
import type { BreakerOptions, Logger, ServiceOptions } from '../../src/types.ts';
import { deferred, failing, hanging, record, transitions } from './helpers.ts';

const S = 'svc';

function setup(breaker: BreakerOptions, extra: Omit<ServiceOptions, 'breaker'> = {}) {
  const clock = new ManualClock(1_000);
  const sup = new Supervisor({ clock });
  const events = record(sup, 'stateChange');
  sup.register(S, { ...extra, breaker });
  const fail = () => sup.run(S, failing()).catch(() => undefined);
  const succeed = () => sup.run(S, () => 'ok');
  return { clock, sup, events, fail, succeed };
}

const BASE: BreakerOptions = {
  trip: { kind: 'consecutive', threshold: 3, windowMs: 0 },
  openMs: 1_000,
  halfOpen: { maxCalls: 3, successThreshold: 2, maxWaitMs: 5_000 },
  callTimeoutMs: 0,
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('trip', () => {
  it('opens on the threshold-th consecutive failure with one event carrying every field', async () => {
    const { clock, sup, events, fail } = setup(BASE);
    await fail();
    clock.advance(10);
    await fail();
    expect(events).toEqual([]);
    clock.advance(10);
    await fail();
    expect(events).toEqual<StateChangeEvent[]>([
      {
        service: S,
        from: 'closed',
        to: 'open',
        reason: 'failure-threshold',
        at: 1_020,
        generation: 1,
        nextRecoveryAttempt: 2_020,
        consecutiveFailures: 3,
      },
    ]);
    const m = sup.metrics(S);
    expect([m.state, m.opens, m.lastStateChange, m.nextRecoveryAttempt, m.consecutiveFailures]).toEqual([
      'open',
      1,
      1_020,
      2_020,
      3,
    ]);
  });

  it('a success in between restarts the streak', async () => {
    const { events, fail, succeed } = setup(BASE);
    await fail();
    await fail();
    await succeed();
    await fail();
    await fail();
    expect(events).toEqual([]);
    await fail();
    expect(transitions(events)).toEqual(['closed->open (failure-threshold)']);
  });

  it('a count window opens with reason failure-rate', async () => {
    const { events, fail, succeed } = setup({
      ...BASE,
      trip: { kind: 'count-window', size: 4, minimumCalls: 4, failureRate: 0.5 },
    });
    await succeed();
    await fail();
    await succeed();
    expect(events).toEqual([]);
    await fail();
    expect(transitions(events)).toEqual(['closed->open (failure-rate)']);
  });

  it('the event is delivered after the state is committed', async () => {
    const { sup, fail } = setup(BASE);
    const seen: unknown[] = [];
    sup.on('stateChange', (e) => seen.push([e.to, sup.state(S), sup.metrics(S).state, sup.metrics(S).opens]));
    await fail();
    await fail();
    await fail();
    expect(seen).toEqual([['open', 'open', 'open', 1]]);
  });

  it('every transition is logged once: warn when opening, info otherwise', async () => {
    const clock = new ManualClock(0);
    const lines: [string, object, string | undefined][] = [];
    const logger: Logger = {
      info: (obj, msg) => lines.push(['info', obj, msg]),
      warn: (obj, msg) => lines.push(['warn', obj, msg]),
      error: (obj, msg) => lines.push(['error', obj, msg]),
    };
    const sup = new Supervisor({ clock, logger }).register(S, { breaker: BASE });
    sup.forceOpen(S);
    sup.reset(S);
    sup.reset(S);
    expect(lines).toEqual([
      ['warn', { service: S, from: 'closed', to: 'forced-open', reason: 'manual' }, 'circuit state change'],
      ['info', { service: S, from: 'forced-open', to: 'closed', reason: 'manual' }, 'circuit state change'],
    ]);
  });
});

describe('open -> half-open is timer-driven', () => {
  it('fires at exactly openMs with no call arriving', async () => {
    const { clock, sup, events, fail } = setup(BASE);
    for (let i = 0; i < 3; i++) await fail();
    clock.advance(999);
    expect(sup.state(S)).toBe('open');
    clock.advance(1);
    expect(sup.state(S)).toBe('half-open');
    expect(events[1]).toEqual<StateChangeEvent>({
      service: S,
      from: 'open',
      to: 'half-open',
      reason: 'recovery-timer',
      at: 2_000,
      generation: 2,
      nextRecoveryAttempt: null,
      consecutiveFailures: 3,
    });
    expect(sup.metrics(S).nextRecoveryAttempt).toBeNull();
  });

  it('a large clock jump fires each due timer once, in order; an idle half-open breaker waits for a caller', async () => {
    const { clock, sup, events, fail } = setup({ ...BASE, halfOpen: { ...BASE.halfOpen, maxWaitMs: 500 } });
    for (let i = 0; i < 3; i++) await fail();
    clock.advance(3_100);
    // open 1 s, then half-open with no call at all: no probe is outstanding, so maxWaitMs has
    // nothing to bound and the breaker stays half-open (no flapping on timers alone).
    expect(events.map((e) => [e.from, e.to, e.reason, e.at])).toEqual([
      ['closed', 'open', 'failure-threshold', 1_000],
      ['open', 'half-open', 'recovery-timer', 2_000],
    ]);
    expect(sup.state(S)).toBe('half-open');
    // A probe that never finishes is bounded: the re-armed max-wait timer (due at 4_500) re-opens.
    void sup.run(S, () => hanging()).catch(() => {});
    clock.advance(600);
    expect(events.map((e) => [e.from, e.to, e.reason, e.at]).slice(2)).toEqual([
      ['half-open', 'open', 'half-open-timeout', 4_500],
    ]);
  });
});

describe('half-open', () => {
  async function tripAndRecover(breaker: BreakerOptions = BASE) {
    const env = setup(breaker);
    const threshold = breaker.trip?.kind === 'consecutive' ? (breaker.trip.threshold ?? 5) : 3;
    for (let i = 0; i < threshold; i++) await env.fail();
    env.clock.advance(breaker.openMs ?? 30_000);
    expect(env.sup.state(S)).toBe('half-open');
    return env;
  }

  it('successThreshold consecutive probe successes close it; the window starts fresh', async () => {
    const { sup, events, succeed, fail } = await tripAndRecover();
    await succeed();
    expect(sup.state(S)).toBe('half-open');
    await succeed();
    expect(transitions(events)).toEqual([
      'closed->open (failure-threshold)',
      'open->half-open (recovery-timer)',
      'half-open->closed (probes-succeeded)',
    ]);
    expect(events[2]).toMatchObject({
      at: 2_000,
      generation: 3,
      nextRecoveryAttempt: null,
      consecutiveFailures: 0,
    });
    // The old streak is forgotten: it takes a full threshold again.
    await fail();
    await fail();
    expect(sup.state(S)).toBe('closed');
  });

  it('any probe failure re-opens, even after a probe success', async () => {
    const { sup, events, succeed, fail } = await tripAndRecover();
    await succeed();
    await fail();
    expect(sup.state(S)).toBe('open');
    expect(events.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'probe-failed', at: 2_000 });
  });

  it('maxWaitMs re-opens a half-open period whose probe never finishes; its late success changes nothing', async () => {
    const { clock, sup, events } = await tripAndRecover();
    const work = deferred<string>();
    const probe = sup.run(S, () => work.promise);
    clock.advance(4_999);
    expect(sup.state(S)).toBe('half-open');
    clock.advance(1);
    expect(events.at(-1)).toEqual<StateChangeEvent>({
      service: S,
      from: 'half-open',
      to: 'open',
      reason: 'half-open-timeout',
      at: 7_000,
      generation: 3,
      nextRecoveryAttempt: 8_000,
      consecutiveFailures: 3,
    });
    work.resolve('late');
    await expect(probe).resolves.toBe('late');
    expect(sup.state(S)).toBe('open');
    expect(sup.metrics(S).lateResults).toBe(1);
    expect(events).toHaveLength(3);
  });
});

describe('backoff', () => {
  /** Open durations of consecutive re-opens: trips, then fails the first probe of each half-open period. */
  async function openDurations(breaker: BreakerOptions, reopens: number): Promise<number[]> {
    const { clock, sup, events, fail } = setup(breaker);
    for (let i = 0; i < 3; i++) await fail();
    for (let i = 0; i < reopens; i++) {
      clock.advance(sup.metrics(S).nextRecoveryAttempt! - clock.now());
      await fail();
    }
    return events.filter((e) => e.to === 'open').map((e) => e.nextRecoveryAttempt! - e.at);
  }

  it('constant: every open period is openMs', async () => {
    expect(await openDurations(BASE, 4)).toEqual([1_000, 1_000, 1_000, 1_000, 1_000]);
  });

  it('exponential: grows by factor up to maxMs', async () => {
    const breaker: BreakerOptions = { ...BASE, backoff: { kind: 'exponential', factor: 2, maxMs: 5_000 } };
    expect(await openDurations(breaker, 5)).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });

  it('exponential with jitter: spread = base * jitter * random(), still capped', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const breaker: BreakerOptions = {
      ...BASE,
      backoff: { kind: 'exponential', factor: 3, maxMs: 10_000, jitter: 0.2 },
    };
    expect(await openDurations(breaker, 3)).toEqual([1_100, 3_300, 9_900, 10_000]);
  });

  it('a half-open timeout counts as a re-open too', async () => {
    const breaker: BreakerOptions = {
      ...BASE,
      backoff: { kind: 'exponential', factor: 2, maxMs: 60_000 },
      halfOpen: { ...BASE.halfOpen, maxWaitMs: 100 },
    };
    const { clock, sup, events, fail } = setup(breaker);
    for (let i = 0; i < 3; i++) await fail();
    // Each half-open period gets one probe that never finishes, so maxWaitMs re-opens it.
    clock.advance(1_000);
    void sup.run(S, () => hanging()).catch(() => {});
    clock.advance(100 + 2_000);
    void sup.run(S, () => hanging()).catch(() => {});
    clock.advance(100);
    expect(events.filter((e) => e.to === 'open').map((e) => e.nextRecoveryAttempt! - e.at)).toEqual([
      1_000, 2_000, 4_000,
    ]);
  });

  it('resets after the breaker closed (by probes, or by reset())', async () => {
    const breaker: BreakerOptions = { ...BASE, backoff: { kind: 'exponential', factor: 2, maxMs: 60_000 } };
    const { clock, sup, events, fail, succeed } = setup(breaker);
    const trip = async () => {
      for (let i = 0; i < 3; i++) await fail();
    };
    const reopen = async () => {
      clock.advance(sup.metrics(S).nextRecoveryAttempt! - clock.now());
      await fail();
    };
    const durations = () => events.filter((e) => e.to === 'open').map((e) => e.nextRecoveryAttempt! - e.at);
    await trip();
    await reopen();
    await reopen();
    expect(durations()).toEqual([1_000, 2_000, 4_000]);
    clock.advance(4_000);
    await succeed();
    await succeed();
    expect(sup.state(S)).toBe('closed');
    await trip();
    await reopen();
    expect(durations()).toEqual([1_000, 2_000, 4_000, 1_000, 2_000]);
    sup.reset(S);
    await trip();
    expect(durations()).toEqual([1_000, 2_000, 4_000, 1_000, 2_000, 1_000]);
  });
});

describe('manual operations', () => {
  it('forceOpen, disable and reset each emit exactly once with reason manual; same-state calls emit nothing', async () => {
    const { clock, sup, events } = setup(BASE);
    sup.reset(S); // already closed
    sup.forceOpen(S);
    sup.forceOpen(S);
    clock.advance(5);
    sup.disable(S);
    sup.disable(S);
    sup.reset(S);
    sup.reset(S);
    expect(events).toEqual<StateChangeEvent[]>([
      {
        service: S,
        from: 'closed',
        to: 'forced-open',
        reason: 'manual',
        at: 1_000,
        generation: 1,
        nextRecoveryAttempt: null,
        consecutiveFailures: 0,
      },
      {
        service: S,
        from: 'forced-open',
        to: 'disabled',
        reason: 'manual',
        at: 1_005,
        generation: 2,
        nextRecoveryAttempt: null,
        consecutiveFailures: 0,
      },
      {
        service: S,
        from: 'disabled',
        to: 'closed',
        reason: 'manual',
        at: 1_005,
        generation: 3,
        nextRecoveryAttempt: null,
        consecutiveFailures: 0,
      },
    ]);
  });

  it('forced-open rejects with retryAfterMs null and never recovers by itself', async () => {
    const { clock, sup, events } = setup(BASE);
    sup.forceOpen(S);
    clock.advance(1_000_000);
    const error = await sup.run(S, () => 1).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', service: S, retryAfterMs: null, retryAt: null });
    expect(events).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('disabled admits every call and keeps measuring, but never trips', async () => {
    const { sup, events, fail } = setup(BASE);
    sup.disable(S);
    for (let i = 0; i < 10; i++) await fail();
    expect(sup.state(S)).toBe('disabled');
    expect(sup.metrics(S)).toMatchObject({
      failedRequests: 10,
      consecutiveFailures: 10,
      rejectedRequests: 0,
    });
    expect(events).toHaveLength(1);
  });

  it('reset from open cancels the recovery timer and forgets the streak', async () => {
    const { clock, sup, events, fail } = setup(BASE);
    for (let i = 0; i < 3; i++) await fail();
    expect(clock.pendingTimers).toBe(1);
    sup.reset(S);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(10_000);
    expect(transitions(events)).toEqual(['closed->open (failure-threshold)', 'open->closed (manual)']);
    expect(sup.metrics(S).consecutiveFailures).toBe(0);
  });
});

describe('listeners and ordering', () => {
  it('a listener that calls reset() inside stateChange: every listener sees the events in order', async () => {
    const { sup, fail } = setup(BASE);
    const seen: Record<string, string[]> = { first: [], second: [], third: [] };
    sup.on('stateChange', (e) => {
      seen.first!.push(`${e.from}->${e.to}`);
      if (e.to === 'open') sup.reset(S);
    });
    sup.on('stateChange', (e) => seen.second!.push(`${e.from}->${e.to}`));
    sup.on('stateChange', (e) => seen.third!.push(`${e.from}->${e.to}`));
    for (let i = 0; i < 3; i++) await fail();
    const expected = ['closed->open', 'open->closed'];
    expect(seen).toEqual({ first: expected, second: expected, third: expected });
    expect(sup.state(S)).toBe('closed');
  });

  it('generations grow by one per transition', async () => {
    const { clock, sup, events, fail, succeed } = setup(BASE);
    for (let i = 0; i < 3; i++) await fail();
    clock.advance(1_000);
    await succeed();
    await succeed();
    sup.forceOpen(S);
    sup.disable(S);
    sup.reset(S);
    expect(events.map((e) => e.generation)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('open -> half-open fires for every open breaker, each at its own time, from one clock timer', async () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock });
    const events = record(sup, 'stateChange');
    for (let i = 0; i < 50; i++) {
      sup.register(`s${i}`, { breaker: { ...BASE, openMs: 1_000 + (i % 7) * 10 } });
      for (let k = 0; k < 3; k++) await sup.run(`s${i}`, failing()).catch(() => undefined);
    }
    expect(clock.pendingTimers).toBe(1);
    clock.advance(2_000);
    const recoveries = events.filter((e) => e.to === 'half-open');
    expect(recoveries).toHaveLength(50);
    for (const e of recoveries) expect(e.at).toBe(1_000 + (Number(e.service.slice(1)) % 7) * 10);
    expect(recoveries.map((e) => e.at)).toEqual([...recoveries.map((e) => e.at)].sort((a, b) => a - b));
  });
});

describe('presets (values of the reference interface spec, REQ-009)', () => {
  it('match the spec exactly', () => {
    const spec = (
      threshold: number,
      openMs: number,
      successThreshold: number,
      callTimeoutMs: number,
      maxCalls: number,
    ): BreakerOptions => ({
      trip: { kind: 'consecutive', threshold, windowMs: 60_000 },
      openMs,
      halfOpen: { maxCalls, successThreshold },
      callTimeoutMs,
    });
    expect(presets.default).toEqual(spec(5, 30_000, 3, 10_000, 5));
    expect(presets.serviceBus).toEqual(spec(5, 30_000, 3, 5_000, 3));
    expect(presets.blobStorage).toEqual(spec(5, 30_000, 2, 10_000, 5));
    expect(presets.keyVault).toEqual(spec(3, 60_000, 2, 5_000, 2));
    expect(Object.keys(presets).sort()).toEqual(['blobStorage', 'default', 'keyVault', 'serviceBus']);
  });

  it('are frozen, so one service cannot change another one’s preset', () => {
    expect(Object.isFrozen(presets)).toBe(true);
    for (const p of Object.values(presets)) {
      expect(Object.isFrozen(p)).toBe(true);
      expect(Object.isFrozen(p.trip)).toBe(true);
      expect(Object.isFrozen(p.halfOpen)).toBe(true);
    }
  });

  it('keyVault behaves as specified: 3 failures open it, 60 s cooldown, 2 probes, 2 successes close it', async () => {
    const { clock, sup, events, fail, succeed } = setup({ ...presets.keyVault, callTimeoutMs: 2_000 });
    await fail();
    await fail();
    expect(sup.state(S)).toBe('closed');
    await fail();
    expect(sup.metrics(S).nextRecoveryAttempt).toBe(61_000);
    clock.advance(59_999);
    expect(sup.state(S)).toBe('open');
    clock.advance(1);
    const a = deferred<string>();
    const b = deferred<string>();
    const p1 = sup.run(S, () => a.promise);
    const p2 = sup.run(S, () => b.promise);
    await expect(sup.run(S, () => 'third')).rejects.toMatchObject({
      code: 'ERR_HALF_OPEN_FULL',
      maxCalls: 2,
    });
    a.resolve('a');
    b.resolve('b');
    await Promise.all([p1, p2]);
    expect(transitions(events)).toEqual([
      'closed->open (failure-threshold)',
      'open->half-open (recovery-timer)',
      'half-open->closed (probes-succeeded)',
    ]);
    await succeed();
  });

  it('a service registered without options uses presets.default: 5 failures, 30 s, 3 successes', async () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock }).register(S);
    const events = record(sup, 'stateChange');
    for (let i = 0; i < 4; i++) await sup.run(S, failing()).catch(() => undefined);
    expect(sup.state(S)).toBe('closed');
    await sup.run(S, failing()).catch(() => undefined);
    expect(events[0]).toMatchObject({ reason: 'failure-threshold', nextRecoveryAttempt: 30_000 });
    clock.advance(30_000);
    for (let i = 0; i < 2; i++) await sup.run(S, () => 1);
    expect(sup.state(S)).toBe('half-open');
    await sup.run(S, () => 1);
    expect(sup.state(S)).toBe('closed');
    // And the default call timeout is 10 s.
    const hung = sup.run(S, () => new Promise(() => {})).catch((e: unknown) => e);
    clock.advance(10_000);
    await flushMicrotasks();
    await expect(hung).resolves.toMatchObject({ code: 'ERR_CALL_TIMEOUT', timeoutMs: 10_000 });
  });
});
