/**
 * A breaker's configuration as the core reads it: every default filled in (by src/options.ts, which
 * owns the user-facing shapes and their validation), and the backoff rule that turns it into the
 * length of an open period.
 */
import type { ResolvedTripOptions } from '../policy/options.ts';

export type ResolvedBackoff =
  | { readonly kind: 'constant' }
  | {
      readonly kind: 'exponential';
      readonly factor: number;
      readonly maxMs: number;
      readonly jitter: number;
    };

export interface ResolvedBreakerOptions {
  readonly trip: ResolvedTripOptions;
  readonly openMs: number;
  readonly backoff: ResolvedBackoff;
  readonly halfOpen: {
    readonly maxCalls: number;
    readonly successThreshold: number;
    readonly maxWaitMs: number;
  };
  readonly callTimeoutMs: number;
  readonly isFailure: ((error: unknown) => boolean) | undefined;
}

/** How long an open period lasts after `reopenStreak` opens without a close in between (1 = first). */
export function openDuration(
  options: ResolvedBreakerOptions,
  reopenStreak: number,
  random: () => number,
): number {
  const b = options.backoff;
  if (b.kind === 'constant') return options.openMs;
  const base = Math.min(b.maxMs, options.openMs * b.factor ** Math.max(0, reopenStreak - 1));
  return Math.min(b.maxMs, Math.round(base * (1 + b.jitter * random())));
}
