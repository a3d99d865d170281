/**
 * A breaker's state set from outside its own outcomes: loaded from a snapshot, adopted from a
 * fleet, or kept open by a gate before recovery. Same shape as the rest of the core: mutate the
 * breaker, return the transition for the caller to apply.
 */
import { assertNever, type Breaker, go, type Transition } from './breaker.ts';
import type { CircuitState } from './states.ts';

/**
 * Puts a breaker back into a saved state (snapshot restore). An open breaker whose recovery time
 * passed while the process was down comes back half-open.
 */
export function restoreState(
  b: Breaker,
  saved: {
    state: CircuitState;
    generation: number;
    lastChange: number;
    nextAttemptAt: number | null;
    reopenStreak: number;
    opens: number;
  },
  now: number,
): Transition | null {
  b.generation = saved.generation;
  b.lastChange = saved.lastChange;
  b.reopenStreak = saved.reopenStreak;
  b.opens = saved.opens;
  b.probesAdmitted = 0;
  b.probeSuccesses = 0;
  b.state = saved.state;
  b.nextAttemptAt = null;
  switch (saved.state) {
    case 'open': {
      const at = saved.nextAttemptAt ?? now;
      if (at <= now) return go(b, 'half-open', 'restore', now);
      b.nextAttemptAt = at;
      return { from: 'open', to: 'open', reason: 'restore', generation: b.generation, timerAt: at };
    }
    case 'half-open':
      // Probes in flight were lost with the process; a fresh half-open period starts now.
      return {
        from: 'half-open',
        to: 'half-open',
        reason: 'restore',
        generation: b.generation,
        timerAt: now + b.options.halfOpen.maxWaitMs,
      };
    case 'closed':
    case 'forced-open':
    case 'disabled':
      return null;
    default:
      return assertNever(saved.state);
  }
}

/**
 * Adopts a state decided elsewhere (another process of a fleet): the same bookkeeping as a local
 * transition, with reason `fleet`; `nextAttemptAt` (open only) overrides the local backoff's due
 * time so the fleet's members probe together. `null` when the breaker is already in that state.
 */
export function adopt(
  b: Breaker,
  to: CircuitState,
  now: number,
  nextAttemptAt: number | null = null,
): Transition | null {
  if (b.state === to) return null;
  const t = go(b, to, 'fleet', now);
  if (to !== 'open' || nextAttemptAt === null) return t;
  b.nextAttemptAt = nextAttemptAt;
  return { ...t, timerAt: nextAttemptAt };
}

/**
 * Keeps an open breaker open until `until` instead of moving to half-open now (a gate before
 * open -> half-open said "not yet"): no state change, no new generation; the timer is re-armed.
 */
export function postponeRecovery(b: Breaker, until: number): Transition | null {
  if (b.state !== 'open') return null;
  b.nextAttemptAt = until;
  return {
    from: 'open',
    to: 'open',
    reason: b.reason ?? 'restore',
    generation: b.generation,
    timerAt: until,
  };
}
