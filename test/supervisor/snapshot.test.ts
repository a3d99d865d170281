/**
 * snapshot() is versioned JSON; `restore` brings back state, counters and the policy window, and
 * re-arms timers against the (new) clock: an open breaker whose recovery time passed while the
 * process was down comes back half-open.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, Supervisor } from '../../src/index.ts';
import type { BreakerOptions, SupervisorSnapshot } from '../../src/types.ts';
import { failing, hanging, record, transitions } from './helpers.ts';

const S = 'svc';
const BREAKER: BreakerOptions = {
  trip: { kind: 'consecutive', threshold: 3, windowMs: 0 },
  openMs: 1_000,
  backoff: { kind: 'exponential', factor: 2, maxMs: 60_000 },
  halfOpen: { maxCalls: 1, successThreshold: 1, maxWaitMs: 5_000 },
  callTimeoutMs: 0,
};

function fresh(start = 0, breaker: BreakerOptions = BREAKER) {
  const clock = new ManualClock(start);
  const sup = new Supervisor({ clock }).register(S, { breaker });
  return { clock, sup };
}

function restored(snapshot: SupervisorSnapshot, start: number, breaker: BreakerOptions = BREAKER) {
  const clock = new ManualClock(start);
  const sup = new Supervisor({ clock, restore: JSON.parse(JSON.stringify(snapshot)) as SupervisorSnapshot });
  const events = record(sup, 'stateChange');
  sup.register(S, { breaker });
  return { clock, sup, events };
}

async function fail(sup: Supervisor, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await sup.run(S, failing()).catch(() => undefined);
}

describe('snapshot()', () => {
  it('is versioned JSON that round-trips through JSON.stringify', async () => {
    const { clock, sup } = fresh(1_000);
    sup.register('other', { breaker: { trip: { kind: 'count-window', size: 4, minimumCalls: 4 } } });
    await fail(sup, 2);
    await sup.run('other', () => 1);
    clock.advance(10);
    const snap = sup.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap).toMatchObject({ version: 1, takenAt: 1_010 });
    expect(Object.keys(snap.services)).toEqual([S, 'other']);
    expect(snap.services[S]).toEqual({
      state: 'closed',
      generation: 0,
      lastStateChange: 1_000,
      nextRecoveryAttempt: null,
      reopenStreak: 0,
      policy: expect.anything(),
      counters: {
        opens: 0,
        total: 2,
        successful: 0,
        failed: 2,
        rejected: 0,
        timedOut: 0,
        aborted: 0,
        fallbacks: 0,
        late: 0,
      },
    });
  });
});

describe('restore', () => {
  it('brings back state, counters and the policy window (a streak of 2 trips on the next failure)', async () => {
    const a = fresh(0);
    await fail(a.sup, 2);
    await a.sup.run(S, () => 'ok');
    await fail(a.sup, 2);
    const b = restored(a.sup.snapshot(), 50_000);
    expect(b.sup.metrics(S)).toMatchObject({
      state: 'closed',
      totalRequests: 5,
      successfulRequests: 1,
      failedRequests: 4,
      consecutiveFailures: 2,
    });
    await fail(b.sup);
    expect(transitions(b.events)).toEqual(['closed->open (failure-threshold)']);
    expect(b.events[0]).toMatchObject({ generation: 1, at: 50_000, consecutiveFailures: 3 });
  });

  it('a count window comes back with its outcomes', async () => {
    const breaker: BreakerOptions = {
      ...BREAKER,
      trip: { kind: 'count-window', size: 4, minimumCalls: 4, failureRate: 0.5 },
    };
    const a = fresh(0, breaker);
    await a.sup.run(S, () => 1);
    await a.sup.run(S, () => 1);
    await fail(a.sup);
    const b = restored(a.sup.snapshot(), 0, breaker);
    expect(b.sup.metrics(S).failureRate).toBeCloseTo(1 / 3);
    await fail(b.sup);
    expect(transitions(b.events)).toEqual(['closed->open (failure-rate)']);
  });

  it('an open breaker restored before its recovery time keeps its due time and recovers on schedule', async () => {
    const a = fresh(0);
    await fail(a.sup, 3);
    a.clock.advance(300);
    const snap = a.sup.snapshot();
    expect(snap.services[S]).toMatchObject({
      state: 'open',
      nextRecoveryAttempt: 1_000,
      generation: 1,
      reopenStreak: 1,
    });
    const b = restored(snap, 800);
    expect(b.events).toEqual([]);
    expect(b.sup.metrics(S)).toMatchObject({
      state: 'open',
      nextRecoveryAttempt: 1_000,
      opens: 1,
      lastStateChange: 0,
    });
    expect(b.clock.pendingTimers).toBe(1);
    await expect(b.sup.run(S, () => 1)).rejects.toMatchObject({
      code: 'ERR_CIRCUIT_OPEN',
      retryAfterMs: 200,
    });
    b.clock.advance(199);
    expect(b.sup.state(S)).toBe('open');
    b.clock.advance(1);
    expect(b.events).toEqual([
      {
        service: S,
        from: 'open',
        to: 'half-open',
        reason: 'recovery-timer',
        at: 1_000,
        generation: 2,
        nextRecoveryAttempt: null,
        consecutiveFailures: 3,
      },
    ]);
    // The backoff continues where it was: the next open period doubles.
    await fail(b.sup);
    expect(b.events.at(-1)).toMatchObject({ reason: 'probe-failed', nextRecoveryAttempt: 1_000 + 2_000 });
  });

  it('an open breaker whose recovery time passed while down comes back half-open, reason restore', async () => {
    const a = fresh(0);
    await fail(a.sup, 3);
    const b = restored(a.sup.snapshot(), 7_000);
    expect(b.sup.state(S)).toBe('half-open');
    expect(b.events).toEqual([
      {
        service: S,
        from: 'open',
        to: 'half-open',
        reason: 'restore',
        at: 7_000,
        generation: 2,
        nextRecoveryAttempt: null,
        consecutiveFailures: 3,
      },
    ]);
    // A fresh half-open period: its probe permits and its maxWaitMs start now.
    void b.sup.run(S, () => hanging()).catch(() => undefined);
    await expect(b.sup.run(S, () => 1)).rejects.toMatchObject({ code: 'ERR_HALF_OPEN_FULL' });
    b.clock.advance(5_000);
    expect(b.events.at(-1)).toMatchObject({ reason: 'half-open-timeout', at: 12_000 });
  });

  it('a half-open breaker comes back half-open, without an event, with a fresh period', async () => {
    const a = fresh(0);
    await fail(a.sup, 3);
    a.clock.advance(1_000);
    void a.sup.run(S, () => hanging()).catch(() => undefined); // its permit is lost with the process
    const b = restored(a.sup.snapshot(), 2_000);
    expect(b.sup.state(S)).toBe('half-open');
    expect(b.events).toEqual([]);
    await expect(b.sup.run(S, () => 'probe')).resolves.toBe('probe');
    expect(transitions(b.events)).toEqual(['half-open->closed (probes-succeeded)']);
  });

  it('forced-open and disabled come back as they were', async () => {
    const a = new Supervisor({ clock: new ManualClock(0) })
      .register('forced', { breaker: BREAKER })
      .register('off', { breaker: BREAKER });
    a.forceOpen('forced');
    a.disable('off');
    const clock = new ManualClock(0);
    const b = new Supervisor({ clock, restore: a.snapshot() }).register('forced').register('off');
    expect([b.state('forced'), b.state('off')]).toEqual(['forced-open', 'disabled']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('only registered names are restored; new names start fresh; a different policy ignores the window', async () => {
    const a = fresh(0);
    await fail(a.sup, 2);
    const clock = new ManualClock(0);
    const b = new Supervisor({ clock, restore: a.sup.snapshot() });
    b.register('newcomer', { breaker: BREAKER });
    expect(b.metrics('newcomer').totalRequests).toBe(0);
    b.register(S, { breaker: { ...BREAKER, trip: { kind: 'consecutive', threshold: 4, windowMs: 0 } } });
    expect(b.metrics(S)).toMatchObject({ totalRequests: 2, consecutiveFailures: 0 });
  });

  it.each([
    ['not an object', 'x', TypeError, 'options.restore must be a snapshot object, got "x"'],
    [
      'wrong version',
      { version: 2, takenAt: 0, services: {} },
      RangeError,
      'options.restore.version must be 1, got 2',
    ],
    [
      'no services',
      { version: 1, takenAt: 0 },
      TypeError,
      'options.restore.services must be an object, got undefined',
    ],
    [
      'unknown state',
      {
        version: 1,
        takenAt: 0,
        services: {
          svc: {
            state: 'ajar',
            generation: 0,
            lastStateChange: 0,
            reopenStreak: 0,
            nextRecoveryAttempt: null,
            counters: {},
          },
        },
      },
      RangeError,
      'options.restore.services.svc.state must be a circuit state, got "ajar"',
    ],
    [
      'generation not a number',
      {
        version: 1,
        takenAt: 0,
        services: {
          svc: {
            state: 'open',
            generation: '1',
            lastStateChange: 0,
            reopenStreak: 0,
            nextRecoveryAttempt: null,
            counters: {},
          },
        },
      },
      TypeError,
      'options.restore.services.svc.generation must be an integer, got "1"',
    ],
    [
      'no counters',
      {
        version: 1,
        takenAt: 0,
        services: {
          svc: {
            state: 'open',
            generation: 1,
            lastStateChange: 0,
            reopenStreak: 0,
            nextRecoveryAttempt: null,
          },
        },
      },
      TypeError,
      'options.restore.services.svc.counters must be an object, got undefined',
    ],
  ])('an invalid snapshot (%s) is refused with ERR_INVALID_OPTION', (_label, restore, kind, message) => {
    let error: unknown;
    try {
      new Supervisor({ clock: new ManualClock(0), restore: restore as SupervisorSnapshot });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(kind);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', message });
  });
});
