/**
 * Tampered or corrupt snapshots (issue 10): every field is validated when the supervisor is built,
 * nothing is half-registered, far-future due times arm one timer (no storm, no TimeoutOverflowWarning),
 * and generations near 2^53 are refused (an increment there stops changing the number).
 */
import { describe, expect, it } from 'vitest';
import type { SupervisorSnapshot, TripPolicy } from '../../src/index.ts';
import { ManualClock, Supervisor } from '../../src/index.ts';
import type { Clock } from '../../src/time/clock.ts';
import { failing } from './helpers.ts';

const S = 'svc';
const DAY = 86_400_000;

function saved(overrides: Record<string, unknown> = {}, counters: Record<string, unknown> = {}) {
  return {
    version: 1,
    takenAt: 0,
    services: {
      [S]: {
        state: 'open',
        generation: 3,
        lastStateChange: 0,
        nextRecoveryAttempt: 1_000,
        reopenStreak: 1,
        policy: null,
        counters: { opens: 1, total: 5, successful: 1, failed: 4, ...counters },
        ...overrides,
      },
    },
  } as unknown as SupervisorSnapshot;
}

function refused(restore: SupervisorSnapshot): unknown {
  try {
    new Supervisor({ clock: new ManualClock(0), restore });
  } catch (error) {
    return error;
  }
  throw new Error('expected the snapshot to be refused');
}

describe('every field of a snapshot is validated', () => {
  const f = `options.restore.services.${S}`;
  it.each([
    ['nextRecoveryAttempt NaN', saved({ nextRecoveryAttempt: Number.NaN }), `${f}.nextRecoveryAttempt`],
    [
      'nextRecoveryAttempt Infinity',
      saved({ nextRecoveryAttempt: Number.POSITIVE_INFINITY }),
      `${f}.nextRecoveryAttempt`,
    ],
    ['nextRecoveryAttempt a string', saved({ nextRecoveryAttempt: '5' }), `${f}.nextRecoveryAttempt`],
    ['generation 2**53', saved({ generation: 2 ** 53 }), `${f}.generation`],
    ['generation negative', saved({ generation: -1 }), `${f}.generation`],
    ['generation fractional', saved({ generation: 1.5 }), `${f}.generation`],
    ['reopenStreak NaN', saved({ reopenStreak: Number.NaN }), `${f}.reopenStreak`],
    ['lastStateChange missing', saved({ lastStateChange: undefined }), `${f}.lastStateChange`],
    ['a counter negative', saved({}, { failed: -4 }), `${f}.counters.failed`],
    ['a counter a string', saved({}, { total: '5' }), `${f}.counters.total`],
    ['an unknown counter', saved({}, { failedd: 4 }), `${f}.counters.failedd`],
    ['an unknown field', saved({ genration: 3 }), `${f}.genration`],
    ['takenAt NaN', { ...saved(), takenAt: Number.NaN } as SupervisorSnapshot, 'options.restore.takenAt'],
  ])('%s', (_label, restore, field) => {
    expect(refused(restore)).toMatchObject({ code: 'ERR_INVALID_OPTION', field });
  });
});

describe('nothing is half-registered', () => {
  it('a custom policy that refuses the saved window: register() throws ERR_INVALID_OPTION and can be retried', () => {
    let refuse = true;
    const policy = (): TripPolicy => ({
      kind: 'picky',
      needsTimeOnSuccess: false,
      slowCallMs: undefined,
      onSuccess: () => null,
      onFailure: () => 'failure-threshold',
      reset() {},
      consecutiveFailures: () => 0,
      stats: () => ({ calls: 0, failures: 0, slowCalls: 0 }),
      toJSON: () => ({}),
      restore() {
        if (refuse) throw new Error('not my data');
      },
    });
    const sup = new Supervisor({ clock: new ManualClock(0), restore: saved() });
    const options = { breaker: { trip: { kind: 'custom' as const, create: policy } } };
    let error: unknown;
    try {
      sup.register(S, options);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      field: `options.restore.services.${S}.policy`,
      cause: expect.objectContaining({ message: 'not my data' }),
    });
    expect(sup.has(S)).toBe(false);
    refuse = false;
    sup.register(S, options);
    expect(sup.metrics(S)).toMatchObject({ state: 'open', nextRecoveryAttempt: 1_000, failedRequests: 4 });
  });
});

/** A clock that records every timer armed; time moves only by hand. */
class RecordingClock implements Clock {
  t = 0;
  readonly armed: number[] = [];
  readonly #timers = new Map<number, () => void>();
  #id = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.armed.push(ms);
    this.#timers.set(++this.#id, fn);
    return this.#id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  /** Fires the timers armed so far, at time `t`. */
  fire(t: number): void {
    this.t = t;
    const due = [...this.#timers.values()];
    this.#timers.clear();
    for (const fn of due) fn();
  }
}

describe('due times beyond 2^31-1 ms', () => {
  it('an open breaker restored 30 days from recovery arms one timer of at most 2^31-1 ms, then the rest', () => {
    const clock = new RecordingClock();
    const sup = new Supervisor({ clock, restore: saved({ nextRecoveryAttempt: 30 * DAY }) }).register(S);
    expect(clock.armed).toEqual([2_147_483_647]);
    clock.fire(2_147_483_647);
    expect(sup.state(S)).toBe('open');
    expect(clock.armed).toEqual([2_147_483_647, 30 * DAY - 2_147_483_647]);
    clock.fire(30 * DAY);
    expect(sup.state(S)).toBe('half-open');
  });

  it('with the system clock: no TimeoutOverflowWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const now = Date.now();
      const sup = new Supervisor({ restore: saved({ nextRecoveryAttempt: now + 30 * DAY }) }).register(S);
      expect(sup.state(S)).toBe('open');
      // Warnings are delivered on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      await sup.close();
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
  });
});

describe('generations', () => {
  it('the largest accepted generation still changes, so a late result cannot change state', async () => {
    const clock = new ManualClock(0);
    const restore = saved({ state: 'closed', nextRecoveryAttempt: null, generation: 2 ** 52 });
    const sup = new Supervisor({ clock, restore }).register(S, {
      breaker: { trip: { kind: 'consecutive', threshold: 1 }, callTimeoutMs: 0, openMs: 10 },
    });
    let release!: () => void;
    const slow = sup.run(S, () => new Promise<void>((r) => (release = r)));
    await sup.run(S, failing()).catch(() => {});
    expect(sup.state(S)).toBe('open');
    sup.reset(S);
    release();
    await slow;
    expect(sup.metrics(S)).toMatchObject({ state: 'closed', lateResults: 1 });
  });
});
