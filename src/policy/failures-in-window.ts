/**
 * Open when `threshold` failures fall within any sliding `windowMs`, whatever succeeded in between
 * (a flaky service that fails every other call still opens it). Exact, not bucketed: a ring holds
 * the times of the last `threshold` failures, and the newest failure trips when the oldest of them
 * is at most `windowMs` earlier. Successes need no clock read.
 */
import {
  isCount,
  isRecord,
  type OptionsJSON,
  optionsJSON,
  type ResolvedFailuresInWindowOptions,
  sameOptions,
} from './options.ts';
import type { TripPolicy, TripReason, WindowStats } from './types.ts';

/** Snapshot data of a {@link FailuresInWindowPolicy}. */
export interface FailuresInWindowJSON {
  readonly kind: 'failures-in-window';
  readonly options: OptionsJSON;
  /** Clock ms of the last (at most `threshold`) failures, oldest first, non-decreasing. */
  readonly times: readonly number[];
  readonly streak: number;
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
}

/**
 * Trips (`failure-threshold`) when `threshold` failures happen within `windowMs` (inclusive: failures
 * exactly `windowMs` apart are within it). Failure times are kept non-decreasing: after a backwards
 * clock jump a failure counts as happening at the latest time seen, so the jump can't hide failures.
 * `stats()` counts every outcome since the last `reset()`.
 */
export class FailuresInWindowPolicy implements TripPolicy {
  readonly kind = 'failures-in-window';
  readonly needsTimeOnSuccess = false;
  readonly slowCallMs = undefined;
  readonly #threshold: number;
  readonly #windowMs: number;
  readonly #options: OptionsJSON;
  /** Times of the last `threshold` failures; `#next` is the slot written next, i.e. the oldest once full. */
  readonly #times: Float64Array;
  #next = 0;
  #stored = 0;
  #last = Number.NEGATIVE_INFINITY;
  #streak = 0;
  #calls = 0;
  #failures = 0;
  #slowCalls = 0;

  constructor(options: ResolvedFailuresInWindowOptions) {
    this.#threshold = options.threshold;
    this.#windowMs = options.windowMs;
    this.#options = optionsJSON(options);
    this.#times = new Float64Array(options.threshold);
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
    this.#streak++;
    const time = Math.max(now, this.#last);
    this.#last = time;
    this.#times[this.#next] = time;
    this.#next = this.#next + 1 === this.#threshold ? 0 : this.#next + 1;
    if (this.#stored < this.#threshold) this.#stored++;
    if (this.#stored < this.#threshold) return null;
    return time - this.#times[this.#next]! <= this.#windowMs ? 'failure-threshold' : null;
  }

  reset(_now?: number): void {
    this.#next = 0;
    this.#stored = 0;
    this.#last = Number.NEGATIVE_INFINITY;
    this.#streak = 0;
    this.#calls = 0;
    this.#failures = 0;
    this.#slowCalls = 0;
  }

  consecutiveFailures(): number {
    return this.#streak;
  }

  stats(_now?: number): WindowStats {
    return { calls: this.#calls, failures: this.#failures, slowCalls: this.#slowCalls };
  }

  toJSON(): FailuresInWindowJSON {
    const times: number[] = [];
    const first = this.#stored < this.#threshold ? 0 : this.#next;
    for (let i = 0; i < this.#stored; i++) times.push(this.#times[(first + i) % this.#threshold]!);
    return {
      kind: this.kind,
      options: this.#options,
      times,
      streak: this.#streak,
      calls: this.#calls,
      failures: this.#failures,
      slowCalls: this.#slowCalls,
    };
  }

  restore(data: unknown, _now?: number): void {
    if (!isRecord(data) || !sameOptions(data, this.kind, this.#options)) return;
    const { times, streak, calls, failures, slowCalls } = data;
    if (!isCount(streak) || !isCount(calls) || !isCount(failures) || !isCount(slowCalls)) return;
    if (failures > calls || slowCalls > calls || streak > failures) return;
    // The ring holds the last failures since the reset: exactly min(failures, threshold) of them.
    if (!Array.isArray(times) || times.length !== Math.min(failures, this.#threshold)) return;
    let previous = Number.NEGATIVE_INFINITY;
    for (const time of times as unknown[]) {
      if (typeof time !== 'number' || !Number.isFinite(time) || time < previous) return;
      previous = time;
    }
    this.reset();
    for (let i = 0; i < times.length; i++) this.#times[i] = times[i] as number;
    this.#stored = times.length;
    this.#next = times.length === this.#threshold ? 0 : times.length;
    this.#last = previous;
    this.#streak = streak;
    this.#calls = calls;
    this.#failures = failures;
    this.#slowCalls = slowCalls;
  }
}
