/**
 * The two breaker libraries JavaScript users pick today, configured the way their READMEs show and
 * with the same settings as breakwater where a setting exists on both sides (read from their
 * sources in node_modules: cockatiel 3.2.1 `CircuitBreakerPolicy.execute`, opossum 9.0.0
 * `CircuitBreaker.call`).
 *
 * - cockatiel has no call timeout: `execute()` awaits the work, records the outcome on the breaker
 *   and rethrows. Open circuits throw `new BrokenCircuitError()` (with a stack).
 * - opossum arms a `setTimeout` per call (10 s by default, `timeout: false` turns it off), counts
 *   every call in a rolling time window (one `setInterval` per breaker, plus one for snapshots),
 *   and on an open circuit builds an Error with a stack, emits `reject`, then uses its fallback.
 */
import {
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  CountBreaker,
  circuitBreaker,
  fallback,
  handleAll,
  type IPolicy,
  SamplingBreaker,
  wrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';

/** cockatiel's README breaker: `circuitBreaker(handleAll, { halfOpenAfter, breaker: new ConsecutiveBreaker(5) })`. */
export function cockatielConsecutive(halfOpenAfter = 30_000, threshold = 5): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, { halfOpenAfter, breaker: new ConsecutiveBreaker(threshold) });
}

/** cockatiel's time-window breaker (the counterpart of breakwater's `time-window` policy). */
export function cockatielSampling(halfOpenAfter = 30_000, durationMs = 60_000): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, {
    halfOpenAfter,
    breaker: new SamplingBreaker({ threshold: 0.5, duration: durationMs }),
  });
}

/**
 * cockatiel's count-window breaker (the counterpart of breakwater's `count-window`). cockatiel's
 * threshold must be < 1; 0.99 with a 50% failure mix never opens.
 */
export function cockatielCount(size: number, halfOpenAfter = 30_000): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, {
    halfOpenAfter,
    breaker: new CountBreaker({ threshold: 0.99, size, minimumNumberOfCalls: Math.min(10, size) }),
  });
}

/** cockatiel's fallback idiom from its README: `wrap(fallback(handleAll, value), breaker)`. */
export function cockatielWithFallback<T>(breaker: CircuitBreakerPolicy, value: T) {
  return wrap(fallback(handleAll, value), breaker);
}

/** opossum breaker around `action`; pass `{ timeout: false }` for the no-timeout variant. */
export function opossum<T>(
  action: () => Promise<T>,
  options: CircuitBreaker.Options = {},
): CircuitBreaker<[], T> {
  return new CircuitBreaker(action, options);
}

/** Trips a cockatiel breaker with `n` failing calls. */
export async function tripCockatiel(policy: IPolicy, n = 5): Promise<void> {
  const boom = new Error('boom');
  for (let i = 0; i < n; i++) {
    try {
      await policy.execute(() => Promise.reject(boom));
    } catch {}
  }
}

/** Trips an opossum breaker with failing calls (defaults: the first failure opens it). */
export async function tripOpossum<T>(breaker: CircuitBreaker<[], T>, n = 5): Promise<void> {
  for (let i = 0; i < n && !breaker.opened; i++) {
    try {
      await breaker.fire();
    } catch {}
  }
  if (!breaker.opened) throw new Error('opossum breaker did not open');
}
