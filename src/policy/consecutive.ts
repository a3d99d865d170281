/**
 * The default trip policy: open after `threshold` failures in a row. A success ends the streak, and
 * a streak that has gone on too long is not "in a row" any more: when its first failure is more than
 * `windowMs` before the current one, the count restarts at 1 (so five failures spread over a day
 * don't open the breaker). The state is a streak and its start time; successes need no clock read.
 */
import {
  isCount,
  isRecord,
  type OptionsJSON,
  optionsJSON,
  type ResolvedConsecutiveOptions,
  sameOptions,
} from './options.ts';
import type { TripPolicy, TripReason, WindowStats } from './types.ts';

/** Snapshot data of a {@link ConsecutivePolicy}. */
export interface ConsecutiveJSON {
  readonly kind: 'consecutive';
  readonly options: OptionsJSON;
  /** Failures counted towards the threshold. */
  readonly streak: number;
  /** Clock ms of the streak's first failure; `null` when there is no streak. */
  readonly streakStart: number | null;
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
}

/**
 * Trips (`failure-threshold`) on the `threshold`-th failure in a row. `stats()` counts every outcome
 * since the last `reset()` (the breaker's last close): the policy has no window of calls to report.
 */
export class ConsecutivePolicy implements TripPolicy {
  readonly kind = 'consecutive';
  readonly needsTimeOnSuccess = false;
  readonly slowCallMs = undefined;
  readonly #threshold: number;
  readonly #windowMs: number;
  readonly #options: OptionsJSON;
  #streak = 0;
  #streakStart = 0;
  #calls = 0;
  #failures = 0;
  #slowCalls = 0;

  constructor(options: ResolvedConsecutiveOptions) {
    this.#threshold = options.threshold;
    this.#windowMs = options.windowMs;
    this.#options = optionsJSON(options);
  }

  onSuccess(slow: boolean, _now: number): TripReason | null {
    this.#calls++;
    if (slow) this.#slowCalls++;
    this.#streak = 0;
    return null;
  }

  onFailure(slow: boolean, now: number): TripReason | null {
    this.#calls++;
    this.#failures++;
    if (slow) this.#slowCalls++;
    // A clock that jumped backwards makes `now - start` negative: the streak is kept, not forgotten.
    if (this.#streak === 0 || (this.#windowMs > 0 && now - this.#streakStart > this.#windowMs)) {
      this.#streak = 0;
      this.#streakStart = now;
    }
    return ++this.#streak >= this.#threshold ? 'failure-threshold' : null;
  }

  reset(_now?: number): void {
    this.#streak = 0;
    this.#streakStart = 0;
    this.#calls = 0;
    this.#failures = 0;
    this.#slowCalls = 0;
  }

  /** The failures counted towards the threshold: a streak that outlived `windowMs` restarted at 1. */
  consecutiveFailures(): number {
    return this.#streak;
  }

  stats(_now?: number): WindowStats {
    return { calls: this.#calls, failures: this.#failures, slowCalls: this.#slowCalls };
  }

  toJSON(): ConsecutiveJSON {
    return {
      kind: this.kind,
      options: this.#options,
      streak: this.#streak,
      streakStart: this.#streak === 0 ? null : this.#streakStart,
      calls: this.#calls,
      failures: this.#failures,
      slowCalls: this.#slowCalls,
    };
  }

  restore(data: unknown, _now?: number): void {
    if (!isRecord(data) || !sameOptions(data, this.kind, this.#options)) return;
    const { streak, streakStart, calls, failures, slowCalls } = data;
    if (!isCount(streak) || !isCount(calls) || !isCount(failures) || !isCount(slowCalls)) return;
    if (failures > calls || slowCalls > calls || streak > failures) return;
    const start = streak === 0 ? 0 : streakStart;
    if (typeof start !== 'number' || !Number.isFinite(start)) return;
    this.#streak = streak;
    this.#streakStart = start;
    this.#calls = calls;
    this.#failures = failures;
    this.#slowCalls = slowCalls;
  }
}
