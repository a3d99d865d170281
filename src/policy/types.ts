/**
 * The trip-policy interface. A policy only answers "should we open?" from recorded outcomes; it
 * never touches timers, events or breaker state (cockatiel's split of decision from mechanism).
 * Every method is O(1) per recorded outcome, and the policy's state is plain data that
 * serializes to JSON (`toJSON`/`restore`), so snapshots carry it over.
 */
import type { TransitionReason } from '../core/states.ts';

/** What a policy may answer when it decides to open. */
export type TripReason = Extract<TransitionReason, 'failure-threshold' | 'failure-rate' | 'slow-call-rate'>;

/** Figures of the policy's current window, for metrics. */
export interface WindowStats {
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
}

export interface TripPolicy {
  /** A short name, e.g. `consecutive`. */
  readonly kind: string;
  /**
   * True when `onSuccess` needs a real `now` (time-bucketed windows). When false the supervisor may
   * pass `0` for successes and skip the clock read on the hot path.
   */
  readonly needsTimeOnSuccess: boolean;
  /** Calls at least this long are slow (the supervisor then times every call); `undefined`: no slow-call rule. */
  readonly slowCallMs: number | undefined;
  /** Records a success. Returns a reason to open, or `null`. */
  onSuccess(slow: boolean, now: number): TripReason | null;
  /** Records a failure. Returns a reason to open, or `null`. */
  onFailure(slow: boolean, now: number): TripReason | null;
  /** Forgets the window (on close and on manual reset). */
  reset(now: number): void;
  /** Consecutive failures at the end of the window (for metrics). */
  consecutiveFailures(): number;
  /**
   * The current window's figures; `now` lets time windows drop expired buckets. Policies that keep
   * no window of calls (consecutive, failures-in-window) report totals since their last reset.
   */
  stats(now: number): WindowStats;
  /** Plain JSON data of the window, for snapshots. */
  toJSON(): unknown;
  /** Loads data produced by `toJSON()` of a policy with the same options; ignores data it doesn't recognise. */
  restore(data: unknown, now: number): void;
}
