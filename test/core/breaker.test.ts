import { describe, expect, it } from 'vitest';
import * as core from '../../src/core/breaker.ts';
import { restoreState } from '../../src/core/restore.ts';
import { resolveBreakerOptions } from '../../src/options.ts';
import { createPolicy } from '../../src/policy/index.ts';
import type { BreakerOptions, CircuitState } from '../../src/types.ts';

/** A breaker in a given state, built from plain options (threshold 3, open 1 s, 2 probes / 2 successes). */
function breaker(
  state: CircuitState,
  extra: Partial<core.Breaker> = {},
  options: BreakerOptions = {},
): core.Breaker {
  const resolved = resolveBreakerOptions({
    trip: { kind: 'consecutive', threshold: 3, windowMs: 0 },
    openMs: 1_000,
    halfOpen: { maxCalls: 2, successThreshold: 2, maxWaitMs: 5_000 },
    ...options,
  });
  const b = core.createBreaker(resolved, createPolicy(resolved.trip), 0, () => 0.5);
  b.state = state;
  if (state === 'open') b.nextAttemptAt = 1_000;
  return Object.assign(b, extra);
}

type Input =
  | { kind: 'success'; slow?: boolean }
  | { kind: 'failure'; slow?: boolean }
  | { kind: 'timer' }
  | { kind: 'recover' }
  | { kind: 'reset' }
  | { kind: 'forceOpen' }
  | { kind: 'disable' };

function step(b: core.Breaker, input: Input, now: number): core.Transition | null {
  switch (input.kind) {
    case 'success':
      return core.recordSuccess(b, input.slow ?? false, now);
    case 'failure':
      return core.recordFailure(b, input.slow ?? false, now);
    case 'timer':
      return core.timerFired(b, now);
    case 'recover':
      return core.recoverIfDue(b, now);
    case 'reset':
      return core.reset(b, now);
    case 'forceOpen':
      return core.forceOpen(b, now);
    case 'disable':
      return core.disable(b, now);
  }
}

describe('core transitions: [state, input, now] -> [state, transition]', () => {
  const table: [
    string,
    core.Breaker,
    Input,
    number,
    CircuitState,
    Omit<core.Transition, 'generation'> | null,
  ][] = [
    ['success in closed', breaker('closed'), { kind: 'success' }, 10, 'closed', null],
    ['failure below threshold', breaker('closed'), { kind: 'failure' }, 10, 'closed', null],
    ['timer in closed is stale', breaker('closed'), { kind: 'timer' }, 10, 'closed', null],
    [
      'open timer -> half-open',
      breaker('open'),
      { kind: 'timer' },
      1_000,
      'half-open',
      { from: 'open', to: 'half-open', reason: 'recovery-timer', timerAt: 6_000 },
    ],
    ['recover before due', breaker('open'), { kind: 'recover' }, 999, 'open', null],
    [
      'recover when due',
      breaker('open'),
      { kind: 'recover' },
      1_000,
      'half-open',
      { from: 'open', to: 'half-open', reason: 'recovery-timer', timerAt: 6_000 },
    ],
    [
      'half-open timer with a probe outstanding -> open',
      breaker('half-open', { probesAdmitted: 1 }),
      { kind: 'timer' },
      7_000,
      'open',
      { from: 'half-open', to: 'open', reason: 'half-open-timeout', timerAt: 8_000 },
    ],
    [
      'probe failure re-opens',
      breaker('half-open'),
      { kind: 'failure' },
      50,
      'open',
      { from: 'half-open', to: 'open', reason: 'probe-failed', timerAt: 1_050 },
    ],
    ['first probe success stays', breaker('half-open'), { kind: 'success' }, 50, 'half-open', null],
    [
      'second probe success closes',
      breaker('half-open', { probeSuccesses: 1 }),
      { kind: 'success' },
      50,
      'closed',
      { from: 'half-open', to: 'closed', reason: 'probes-succeeded', timerAt: null },
    ],
    ['success in open is ignored', breaker('open'), { kind: 'success' }, 50, 'open', null],
    [
      'failure in forced-open is ignored',
      breaker('forced-open'),
      { kind: 'failure' },
      50,
      'forced-open',
      null,
    ],
    ['failure in disabled never trips', breaker('disabled'), { kind: 'failure' }, 50, 'disabled', null],
    ['reset closed: no transition', breaker('closed'), { kind: 'reset' }, 50, 'closed', null],
    [
      'reset open',
      breaker('open'),
      { kind: 'reset' },
      50,
      'closed',
      { from: 'open', to: 'closed', reason: 'manual', timerAt: null },
    ],
    [
      'force open',
      breaker('closed'),
      { kind: 'forceOpen' },
      50,
      'forced-open',
      { from: 'closed', to: 'forced-open', reason: 'manual', timerAt: null },
    ],
    ['force open twice', breaker('forced-open'), { kind: 'forceOpen' }, 50, 'forced-open', null],
    [
      'disable',
      breaker('half-open'),
      { kind: 'disable' },
      50,
      'disabled',
      { from: 'half-open', to: 'disabled', reason: 'manual', timerAt: null },
    ],
    ['disable twice', breaker('disabled'), { kind: 'disable' }, 50, 'disabled', null],
  ];

  it.each(table)('%s', (_name, b, input, now, state, expected) => {
    const generation = b.generation;
    const t = step(b, input, now);
    expect(b.state).toBe(state);
    if (expected === null) {
      expect(t).toBeNull();
      expect(b.generation).toBe(generation);
    } else {
      expect(t).toEqual({ ...expected, generation: generation + 1 });
      expect(b.generation).toBe(generation + 1);
      expect(b.lastChange).toBe(now);
    }
  });
});

describe('core sequences', () => {
  it('trips after the threshold of consecutive failures, and a success resets the streak', () => {
    const b = breaker('closed');
    expect(core.recordFailure(b, false, 1)).toBeNull();
    expect(core.recordFailure(b, false, 2)).toBeNull();
    expect(core.recordSuccess(b, false, 3)).toBeNull();
    expect(core.recordFailure(b, false, 4)).toBeNull();
    expect(core.recordFailure(b, false, 5)).toBeNull();
    expect(core.recordFailure(b, false, 6)).toEqual({
      from: 'closed',
      to: 'open',
      reason: 'failure-threshold',
      generation: 1,
      timerAt: 1_006,
    });
    expect(b.nextAttemptAt).toBe(1_006);
    expect(b.opens).toBe(1);
  });

  it('admits exactly halfOpen.maxCalls probes per period; an ignored probe returns its permit', () => {
    const b = breaker('half-open');
    expect([core.admit(b), core.admit(b), core.admit(b)]).toEqual([
      'probe',
      'probe',
      'reject-half-open-full',
    ]);
    core.recordIgnored(b, true);
    expect(core.admit(b)).toBe('probe');
    expect(core.admit(b)).toBe('reject-half-open-full');
  });

  it('rejects in open and forced-open, admits in closed and disabled', () => {
    expect(core.admit(breaker('open'))).toBe('reject-open');
    expect(core.admit(breaker('forced-open'))).toBe('reject-open');
    expect(core.admit(breaker('closed'))).toBe('admit');
    expect(core.admit(breaker('disabled'))).toBe('admit');
  });

  it('grows the open period exponentially up to the cap, and resets the backoff after closing', () => {
    const b = breaker('closed', {}, { backoff: { kind: 'exponential', factor: 2, maxMs: 5_000 } });
    const opens: number[] = [];
    let now = 0;
    for (let i = 0; i < 3; i++) core.recordFailure(b, false, now);
    opens.push(b.nextAttemptAt! - now);
    for (let k = 0; k < 4; k++) {
      now = b.nextAttemptAt!;
      core.timerFired(b, now);
      core.recordFailure(b, false, now);
      opens.push(b.nextAttemptAt! - now);
    }
    expect(opens).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    now = b.nextAttemptAt!;
    core.timerFired(b, now);
    core.recordSuccess(b, false, now);
    core.recordSuccess(b, false, now);
    expect(b.state).toBe('closed');
    for (let i = 0; i < 3; i++) core.recordFailure(b, false, now);
    expect(b.nextAttemptAt! - now).toBe(1_000);
  });

  it('adds jitter from the injected random source', () => {
    const b = breaker(
      'closed',
      {},
      { backoff: { kind: 'exponential', factor: 2, maxMs: 60_000, jitter: 0.5 } },
    );
    for (let i = 0; i < 3; i++) core.recordFailure(b, false, 0);
    // random() = 0.5 -> 1_000 * (1 + 0.5 * 0.5)
    expect(b.nextAttemptAt).toBe(1_250);
  });

  it('an idle half-open breaker (no probe outstanding) only re-arms its max-wait timer', () => {
    const b = breaker('half-open', { probesAdmitted: 1, probeSuccesses: 1 });
    expect(core.timerFired(b, 7_000)).toEqual({
      from: 'half-open',
      to: 'half-open',
      reason: 'half-open-timeout',
      generation: 0,
      timerAt: 12_000,
    });
    expect(b.state).toBe('half-open');
    expect(b.generation).toBe(0);
  });

  it('late outcomes are recognised by generation', () => {
    const b = breaker('closed');
    const admitted = b.generation;
    core.forceOpen(b, 1);
    expect(core.isLate(b, admitted)).toBe(true);
    expect(core.isLate(b, b.generation)).toBe(false);
  });

  it('restores an open breaker: timer re-armed, or half-open when its recovery time passed', () => {
    const saved = {
      state: 'open' as const,
      generation: 4,
      lastChange: 100,
      nextAttemptAt: 2_000,
      reopenStreak: 1,
      opens: 2,
    };
    const early = breaker('closed');
    expect(restoreState(early, saved, 1_500)).toEqual({
      from: 'open',
      to: 'open',
      reason: 'restore',
      generation: 4,
      timerAt: 2_000,
    });
    expect(early.state).toBe('open');
    const late = breaker('closed');
    expect(restoreState(late, saved, 2_500)).toEqual({
      from: 'open',
      to: 'half-open',
      reason: 'restore',
      generation: 5,
      timerAt: 7_500,
    });
    expect(late.opens).toBe(2);
  });

  it('a count-window policy trips on a slow success (slow-call rate)', () => {
    const b = breaker(
      'closed',
      {},
      {
        trip: {
          kind: 'count-window',
          size: 4,
          minimumCalls: 2,
          failureRate: 1,
          slowCallRate: 0.5,
          slowCallMs: 100,
        },
      },
    );
    expect(core.recordSuccess(b, false, 1)).toBeNull();
    expect(core.recordSuccess(b, true, 2)?.reason).toBe('slow-call-rate');
  });
});
