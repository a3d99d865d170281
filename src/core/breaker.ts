/**
 * The breaker state machine: `(breaker, input, now) -> transition | null`. No timers, no workers,
 * no emitter, no Date.now: the caller passes `now` and applies the returned transition (cancel the
 * old timer, arm `timer` if any, emit the event).
 *
 * Why it mutates instead of returning a new state: the hot path records millions of outcomes per
 * second, and a trip policy's window (up to 10M entries) cannot be copied per outcome. Each function
 * is still deterministic in its inputs, and tests drive it as a table of plain objects.
 */

import type { TripPolicy } from '../policy/types.ts';
import { openDuration, type ResolvedBreakerOptions } from './config.ts';
import type { CircuitState, TransitionReason } from './states.ts';

export interface Breaker {
  state: CircuitState;
  /** Grows by one per transition; outcomes carry the generation they were admitted in. */
  generation: number;
  lastChange: number;
  /** open: when the recovery timer moves it to half-open; otherwise null. */
  nextAttemptAt: number | null;
  /** Why the breaker entered its current state (`null` until the first transition). */
  reason: TransitionReason | null;
  /** Opens since the breaker last closed (drives the backoff); 0 while closed. */
  reopenStreak: number;
  /** half-open bookkeeping for the current period. */
  probesAdmitted: number;
  probeSuccesses: number;
  opens: number;
  readonly policy: TripPolicy;
  readonly options: ResolvedBreakerOptions;
  /** Source of randomness for backoff jitter (injected, so tests are deterministic). */
  readonly random: () => number;
}

/** What the caller must do after a state change. */
export interface Transition {
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: TransitionReason;
  /** New generation. */
  readonly generation: number;
  /** Arm the breaker's timer at this time (after cancelling the old one); `null`: no timer. */
  readonly timerAt: number | null;
}

/** Admission verdicts. `probe` is an admitted half-open call holding a permit. */
export type Admission = 'admit' | 'probe' | 'reject-open' | 'reject-half-open-full';

export function createBreaker(
  options: ResolvedBreakerOptions,
  policy: TripPolicy,
  now: number,
  random: () => number = Math.random,
): Breaker {
  return {
    state: 'closed',
    generation: 0,
    lastChange: now,
    nextAttemptAt: null,
    reason: null,
    reopenStreak: 0,
    probesAdmitted: 0,
    probeSuccesses: 0,
    opens: 0,
    policy,
    options,
    random,
  };
}

/**
 * Moves to `to`, resetting the per-state bookkeeping, and returns what the caller must apply.
 * Exported for the other ways a state is set from outside (restore.ts); calls use the functions here.
 */
export function go(b: Breaker, to: CircuitState, reason: TransitionReason, now: number): Transition {
  const from = b.state;
  b.state = to;
  b.generation++;
  b.lastChange = now;
  b.reason = reason;
  b.nextAttemptAt = null;
  b.probesAdmitted = 0;
  b.probeSuccesses = 0;
  let timerAt: number | null = null;
  switch (to) {
    case 'open':
      b.opens++;
      b.reopenStreak++;
      b.nextAttemptAt = now + openDuration(b.options, b.reopenStreak, b.random);
      timerAt = b.nextAttemptAt;
      break;
    case 'half-open':
      timerAt = now + b.options.halfOpen.maxWaitMs;
      break;
    case 'closed':
      b.reopenStreak = 0;
      b.policy.reset(now);
      break;
    case 'forced-open':
    case 'disabled':
      break;
    default:
      assertNever(to);
  }
  return { from, to, reason, generation: b.generation, timerAt };
}

/**
 * An open breaker whose recovery time has passed moves to half-open even if its timer has not
 * fired yet (a starved event loop must not keep it open). Called before rejecting.
 */
export function recoverIfDue(b: Breaker, now: number): Transition | null {
  if (b.state === 'open' && b.nextAttemptAt !== null && now >= b.nextAttemptAt) {
    return go(b, 'half-open', 'recovery-timer', now);
  }
  return null;
}

/** Decides whether a call may run. Takes a half-open permit when it admits a probe. */
export function admit(b: Breaker): Admission {
  switch (b.state) {
    case 'closed':
    case 'disabled':
      return 'admit';
    case 'open':
    case 'forced-open':
      return 'reject-open';
    case 'half-open':
      if (b.probesAdmitted >= b.options.halfOpen.maxCalls) return 'reject-half-open-full';
      b.probesAdmitted++;
      return 'probe';
    default:
      return assertNever(b.state);
  }
}

/** True when an outcome admitted in `generation` arrives after the breaker moved on. */
export function isLate(b: Breaker, generation: number): boolean {
  return generation !== b.generation;
}

/** Records a success of the current generation. `slow`: it took at least the policy's slowCallMs. */
export function recordSuccess(b: Breaker, slow: boolean, now: number): Transition | null {
  switch (b.state) {
    case 'closed': {
      const reason = b.policy.onSuccess(slow, now);
      return reason === null ? null : go(b, 'open', reason, now);
    }
    case 'disabled':
      b.policy.onSuccess(slow, now); // measured, never acted on
      return null;
    case 'half-open':
      b.probeSuccesses++;
      return b.probeSuccesses >= b.options.halfOpen.successThreshold
        ? go(b, 'closed', 'probes-succeeded', now)
        : null;
    case 'open':
    case 'forced-open':
      return null; // no call of this generation was admitted
    default:
      return assertNever(b.state);
  }
}

/** Records a failure of the current generation. */
export function recordFailure(b: Breaker, slow: boolean, now: number): Transition | null {
  switch (b.state) {
    case 'closed': {
      const reason = b.policy.onFailure(slow, now);
      return reason === null ? null : go(b, 'open', reason, now);
    }
    case 'disabled':
      b.policy.onFailure(slow, now);
      return null;
    case 'half-open':
      return go(b, 'open', 'probe-failed', now);
    case 'open':
    case 'forced-open':
      return null;
    default:
      return assertNever(b.state);
  }
}

/** An admitted call that ended neither in success nor failure (aborted by its caller): a probe returns its permit. */
export function recordIgnored(b: Breaker, probe: boolean): void {
  if (probe && b.state === 'half-open' && b.probesAdmitted > 0) b.probesAdmitted--;
}

/** The breaker's timer fired: open -> half-open (recovery), half-open -> open (probes took too long). */
export function timerFired(b: Breaker, now: number): Transition | null {
  switch (b.state) {
    case 'open':
      return go(b, 'half-open', 'recovery-timer', now);
    case 'half-open':
      // Only probes that never finish keep a half-open period from ending. With none outstanding
      // the breaker just waits for a caller (re-arming, no event): re-opening an idle breaker
      // would make it flap on timers alone and grow its backoff for nothing.
      if (b.probesAdmitted > b.probeSuccesses) return go(b, 'open', 'half-open-timeout', now);
      return {
        from: 'half-open',
        to: 'half-open',
        reason: 'half-open-timeout',
        generation: b.generation,
        timerAt: now + b.options.halfOpen.maxWaitMs,
      };
    default:
      return null; // a stale timer; the caller cancels timers on every transition, so this is defensive
  }
}

/** Manual reset: back to closed with a fresh window (an event only if the state changes). */
export function reset(b: Breaker, now: number): Transition | null {
  if (b.state === 'closed') {
    b.policy.reset(now);
    b.reopenStreak = 0;
    return null;
  }
  return go(b, 'closed', 'manual', now);
}

export function forceOpen(b: Breaker, now: number): Transition | null {
  return b.state === 'forced-open' ? null : go(b, 'forced-open', 'manual', now);
}

export function disable(b: Breaker, now: number): Transition | null {
  return b.state === 'disabled' ? null : go(b, 'disabled', 'manual', now);
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${String(x)}`);
}
