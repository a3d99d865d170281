/**
 * A tiny, independent reference model of one breaker owned by the supervisor, written from the
 * issue's semantics (not from src/): states, generations, probes, timers, counters and the
 * stateChange events they produce. The model-based test drives it side by side with the real
 * Supervisor and compares them after every step.
 *
 * Timers are modelled as due times. The test gives every command a distinct fractional clock time,
 * and call timeouts are shorter than both the open period and halfOpen.maxWaitMs, so a call deadline
 * never falls at the same instant as the breaker's timer: the order of events is the order of
 * their due times (ties only among deadlines of one burst, which expire in admission order).
 */
import type { StateChangeEvent } from '../../../src/events.ts';
import type { CircuitState, TransitionReason } from '../../../src/types.ts';

export type TripConfig =
  | { readonly kind: 'consecutive'; readonly threshold: number; readonly windowMs: number }
  | {
      readonly kind: 'count-window';
      readonly size: number;
      readonly minimumCalls: number;
      readonly failureRate: number;
    };

export interface ModelConfig {
  readonly trip: TripConfig;
  readonly openMs: number;
  readonly backoff:
    | { readonly kind: 'constant' }
    | { readonly kind: 'exponential'; readonly factor: number; readonly maxMs: number };
  readonly halfOpen: {
    readonly maxCalls: number;
    readonly successThreshold: number;
    readonly maxWaitMs: number;
  };
  readonly callTimeoutMs: number;
  /** Also answer failed and timed-out calls from their fallback. */
  readonly fallbackOnFailure?: boolean;
}

/**
 * A call's own fallback: none, `{ value }`, or a function of `(error, { kind })`. The values say
 * which one answered, and for a function whether the call was rejected or failed.
 */
export type FallbackChoice = 'none' | 'value' | 'fn';

/** The value a call's fallback answers with. */
export function fallbackValue(id: number, choice: FallbackChoice, kind: 'rejected' | 'failed'): number {
  if (choice === 'value') return 100_000 + id;
  return (kind === 'rejected' ? 200_000 : 300_000) + id;
}

/** How the work of an admitted call ends (when it ends by itself). */
export type WorkOutcome = 'success' | 'failure' | 'benign' | 'protection';

/** What the caller must see. `error` is compared by identity, `code` by the error's code. */
export type Expected =
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'code'; readonly code: string; readonly timeoutMs?: number };

export interface ModelCall {
  readonly id: number;
  readonly gen: number;
  readonly probe: boolean;
  readonly timeoutMs: number;
  readonly fallback: FallbackChoice;
  /** Clock time the call times out; Infinity without a timeout. */
  readonly deadline: number;
  /** Admission order, to expire calls with equal deadlines first-in first-out. */
  readonly seq: number;
  endedBy: 'work' | 'timeout' | 'abort' | undefined;
}

type TripReasonModel = Extract<TransitionReason, 'failure-threshold' | 'failure-rate'>;

interface PolicyModel {
  onSuccess(now: number): TripReasonModel | null;
  onFailure(now: number): TripReasonModel | null;
  reset(): void;
  readonly streak: number;
}

class ConsecutiveModel implements PolicyModel {
  streak = 0;
  #start = 0;
  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {}
  onSuccess(): null {
    this.streak = 0;
    return null;
  }
  onFailure(now: number): TripReasonModel | null {
    // A streak whose first failure is more than windowMs old starts again.
    if (this.streak === 0 || (this.windowMs > 0 && now - this.#start > this.windowMs)) {
      this.streak = 0;
      this.#start = now;
    }
    this.streak++;
    return this.streak >= this.threshold ? 'failure-threshold' : null;
  }
  reset(): void {
    this.streak = 0;
  }
}

class CountWindowModel implements PolicyModel {
  streak = 0;
  #window: boolean[] = [];
  constructor(
    private readonly size: number,
    private readonly minimumCalls: number,
    private readonly rate: number,
  ) {}
  #push(failed: boolean): TripReasonModel | null {
    this.#window.push(failed);
    if (this.#window.length > this.size) this.#window.shift();
    const failures = this.#window.filter(Boolean).length;
    const calls = this.#window.length;
    return calls >= this.minimumCalls && failures / calls >= this.rate ? 'failure-rate' : null;
  }
  onSuccess(): TripReasonModel | null {
    this.streak = 0;
    return this.#push(false);
  }
  onFailure(): TripReasonModel | null {
    this.streak++;
    return this.#push(true);
  }
  reset(): void {
    this.streak = 0;
    this.#window = [];
  }
}

export const SERVICE = 'svc';

/** The saved breaker a restore loads (the shape of one entry of `snapshot().services`). */
export interface RestoredBreaker {
  readonly state: CircuitState;
  readonly generation: number;
  readonly lastStateChange: number;
  readonly nextRecoveryAttempt: number | null;
  readonly reopenStreak: number;
  readonly counters: {
    readonly opens: number;
    readonly total: number;
    readonly successful: number;
    readonly failed: number;
    readonly rejected: number;
    readonly timedOut: number;
    readonly aborted: number;
    readonly fallbacks: number;
    readonly late: number;
  };
}

export class ReferenceModel {
  readonly config: ModelConfig;
  now = 0;
  state: CircuitState = 'closed';
  gen = 0;
  lastChange = 0;
  nextAttemptAt: number | null = null;
  halfOpenUntil: number | null = null;
  reopenStreak = 0;
  probesAdmitted = 0;
  probeSuccesses = 0;
  opens = 0;
  readonly counters = {
    total: 0,
    successful: 0,
    failed: 0,
    rejected: 0,
    timedOut: 0,
    aborted: 0,
    late: 0,
    fallbacks: 0,
  };
  readonly events: StateChangeEvent[] = [];
  /** Every call ever made, by id: what its caller must see once it settled (undefined: pending). */
  readonly expected = new Map<number, Expected | undefined>();
  /** Admitted calls, by id. */
  readonly admitted = new Map<number, ModelCall>();
  readonly policy: PolicyModel;
  #seq = 0;

  constructor(config: ModelConfig) {
    this.config = config;
    const t = config.trip;
    this.policy =
      t.kind === 'consecutive'
        ? new ConsecutiveModel(t.threshold, t.windowMs)
        : new CountWindowModel(t.size, t.minimumCalls, t.failureRate);
  }

  get inFlight(): number {
    let n = 0;
    for (const c of this.admitted.values()) if (c.endedBy === undefined) n++;
    return n;
  }

  /** True when the supervisor must hold a clock timer: the breaker's own, or a pending call deadline. */
  get hasScheduledWork(): boolean {
    if (this.state === 'open' || this.state === 'half-open') return true;
    for (const c of this.admitted.values())
      if (c.endedBy === undefined && c.deadline !== Infinity) return true;
    return false;
  }

  #openDuration(): number {
    const b = this.config.backoff;
    if (b.kind === 'constant') return this.config.openMs;
    return Math.min(b.maxMs, this.config.openMs * b.factor ** (this.reopenStreak - 1));
  }

  #go(to: CircuitState, reason: TransitionReason): void {
    const from = this.state;
    this.state = to;
    this.gen++;
    this.lastChange = this.now;
    this.nextAttemptAt = null;
    this.halfOpenUntil = null;
    this.probesAdmitted = 0;
    this.probeSuccesses = 0;
    if (to === 'open') {
      this.opens++;
      this.reopenStreak++;
      this.nextAttemptAt = this.now + this.#openDuration();
    } else if (to === 'half-open') {
      this.halfOpenUntil = this.now + this.config.halfOpen.maxWaitMs;
    } else if (to === 'closed') {
      this.reopenStreak = 0;
      this.policy.reset();
    }
    this.events.push({
      service: SERVICE,
      from,
      to,
      reason,
      at: this.now,
      generation: this.gen,
      nextRecoveryAttempt: to === 'open' ? this.nextAttemptAt : null,
      consecutiveFailures: this.policy.streak,
    });
  }

  /** Moves time to `target`, firing the breaker timer and call deadlines in due order. */
  advanceTo(target: number): void {
    for (;;) {
      const timerAt =
        this.state === 'open' ? this.nextAttemptAt : this.state === 'half-open' ? this.halfOpenUntil : null;
      let due: ModelCall | undefined;
      for (const c of this.admitted.values()) {
        if (c.endedBy !== undefined || c.deadline > target) continue;
        if (
          due === undefined ||
          c.deadline < due.deadline ||
          (c.deadline === due.deadline && c.seq < due.seq)
        )
          due = c;
      }
      const timerDue = timerAt !== null && timerAt <= target;
      if (!timerDue && due === undefined) break;
      if (timerDue && (due === undefined || timerAt <= due.deadline)) {
        this.now = timerAt;
        if (this.state === 'open') this.#go('half-open', 'recovery-timer');
        else if (this.probesAdmitted > this.probeSuccesses) this.#go('open', 'half-open-timeout');
        // An idle half-open period (no probe outstanding) just waits on: the timer re-arms, no event.
        else this.halfOpenUntil = this.now + this.config.halfOpen.maxWaitMs;
      } else if (due !== undefined) {
        this.now = due.deadline;
        due.endedBy = 'timeout';
        this.expected.set(due.id, { kind: 'code', code: 'ERR_CALL_TIMEOUT', timeoutMs: due.timeoutMs });
        this.#failure(due, true);
        this.#failedFallback(due);
      }
    }
    this.now = target;
  }

  /** A call arrives. Returns the admitted call, or undefined when it was rejected (expectation set). */
  admit(id: number, timeoutMs: number, fallback: FallbackChoice = 'none'): ModelCall | undefined {
    if (this.state === 'open' && this.nextAttemptAt !== null && this.now >= this.nextAttemptAt) {
      this.#go('half-open', 'recovery-timer');
    }
    this.counters.total++;
    let probe = false;
    switch (this.state) {
      case 'open':
      case 'forced-open':
        this.counters.rejected++;
        this.expected.set(id, { kind: 'code', code: 'ERR_CIRCUIT_OPEN' });
        this.#rejectedFallback(id, fallback);
        return undefined;
      case 'half-open':
        if (this.probesAdmitted >= this.config.halfOpen.maxCalls) {
          this.counters.rejected++;
          this.expected.set(id, { kind: 'code', code: 'ERR_HALF_OPEN_FULL' });
          this.#rejectedFallback(id, fallback);
          return undefined;
        }
        this.probesAdmitted++;
        probe = true;
        break;
      case 'closed':
      case 'disabled':
        break;
    }
    const call: ModelCall = {
      id,
      gen: this.gen,
      probe,
      timeoutMs,
      fallback,
      deadline: timeoutMs === 0 ? Infinity : this.now + timeoutMs,
      seq: this.#seq++,
      endedBy: undefined,
    };
    this.admitted.set(id, call);
    this.expected.set(id, undefined);
    return call;
  }

  /** The work of call `id` ends by itself. A call that already settled (timeout, abort) ignores it. */
  complete(id: number, outcome: WorkOutcome, error: unknown): void {
    const call = this.admitted.get(id);
    if (call === undefined || call.endedBy !== undefined) return;
    call.endedBy = 'work';
    this.expected.set(id, outcome === 'success' ? { kind: 'value', value: id } : { kind: 'error', error });
    if (outcome === 'success' || outcome === 'benign') this.#success(call);
    else if (outcome === 'failure') {
      this.#failure(call, false);
      this.#failedFallback(call);
    } else this.#ignored(call, 'rejected');
  }

  /** A rejected call with a fallback is answered by it. */
  #rejectedFallback(id: number, fallback: FallbackChoice): void {
    if (fallback === 'none') return;
    this.counters.fallbacks++;
    this.expected.set(id, { kind: 'value', value: fallbackValue(id, fallback, 'rejected') });
  }

  /** A failed (or timed-out) call with a fallback is answered by it with fallbackOnFailure, late or not. */
  #failedFallback(call: ModelCall): void {
    if (call.fallback === 'none' || this.config.fallbackOnFailure !== true) return;
    this.counters.fallbacks++;
    this.expected.set(call.id, { kind: 'value', value: fallbackValue(call.id, call.fallback, 'failed') });
  }

  /**
   * Loads a saved breaker (what `new Supervisor({ restore })` then register() does): state and
   * counters as saved; an open breaker whose recovery time has passed comes back half-open (reason
   * `restore`), a half-open one starts a fresh half-open period. `keepWindow`: the saved policy data
   * is this breaker's own window; otherwise the window starts empty.
   */
  restore(saved: RestoredBreaker, keepWindow: boolean): void {
    this.state = saved.state;
    this.gen = saved.generation;
    this.lastChange = saved.lastStateChange;
    this.reopenStreak = saved.reopenStreak;
    this.opens = saved.counters.opens;
    this.probesAdmitted = 0;
    this.probeSuccesses = 0;
    this.nextAttemptAt = null;
    this.halfOpenUntil = null;
    const c = saved.counters;
    Object.assign(this.counters, {
      successful: c.successful,
      failed: c.failed,
      rejected: c.rejected,
      timedOut: c.timedOut,
      aborted: c.aborted,
      late: c.late,
      fallbacks: c.fallbacks,
      total: Math.max(c.total, c.successful + c.failed + c.rejected + c.aborted),
    });
    if (!keepWindow) this.policy.reset();
    if (saved.state === 'open') {
      const at = saved.nextRecoveryAttempt ?? this.now;
      if (at <= this.now) this.#go('half-open', 'restore');
      else this.nextAttemptAt = at;
    } else if (saved.state === 'half-open') {
      this.halfOpenUntil = this.now + this.config.halfOpen.maxWaitMs;
    }
  }

  /** The caller aborts call `id`. */
  abort(id: number): void {
    const call = this.admitted.get(id);
    if (call === undefined || call.endedBy !== undefined) return;
    call.endedBy = 'abort';
    this.expected.set(id, { kind: 'code', code: 'ERR_ABORTED' });
    this.#ignored(call, 'aborted');
  }

  #success(call: ModelCall): void {
    this.counters.successful++;
    if (call.gen !== this.gen) {
      this.counters.late++;
      return;
    }
    if (this.state === 'closed') {
      const reason = this.policy.onSuccess(this.now);
      if (reason !== null) this.#go('open', reason);
    } else if (this.state === 'disabled') {
      this.policy.onSuccess(this.now);
    } else if (this.state === 'half-open') {
      this.probeSuccesses++;
      if (this.probeSuccesses >= this.config.halfOpen.successThreshold)
        this.#go('closed', 'probes-succeeded');
    }
  }

  #failure(call: ModelCall, timeout: boolean): void {
    this.counters.failed++;
    if (timeout) this.counters.timedOut++;
    if (call.gen !== this.gen) {
      this.counters.late++;
      return;
    }
    if (this.state === 'closed') {
      const reason = this.policy.onFailure(this.now);
      if (reason !== null) this.#go('open', reason);
    } else if (this.state === 'disabled') {
      this.policy.onFailure(this.now);
    } else if (this.state === 'half-open') {
      this.#go('open', 'probe-failed');
    }
  }

  /** Neither success nor failure: an abort, or a protection error thrown by the work. */
  #ignored(call: ModelCall, as: 'aborted' | 'rejected'): void {
    this.counters[as]++;
    // A probe hands its permit back, but only within its own half-open period.
    if (call.probe && call.gen === this.gen && this.state === 'half-open' && this.probesAdmitted > 0) {
      this.probesAdmitted--;
    }
  }

  reset(): void {
    if (this.state === 'closed') {
      this.policy.reset();
      this.reopenStreak = 0;
      return;
    }
    this.#go('closed', 'manual');
  }

  forceOpen(): void {
    if (this.state !== 'forced-open') this.#go('forced-open', 'manual');
  }

  disable(): void {
    if (this.state !== 'disabled') this.#go('disabled', 'manual');
  }
}
