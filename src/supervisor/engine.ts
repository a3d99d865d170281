/**
 * The actor's internals: the one place where breaker state changes. Admission, outcome recording,
 * timers and events all go through here, and an event is emitted only after its state is committed.
 * Events raised while another is being delivered (a listener calling reset(), say) are queued and
 * delivered after it, so every listener sees transitions in the order they happened.
 */
import * as core from '../core/breaker.ts';
import {
  CallTimeoutError,
  CircuitOpenError,
  ErrorCode,
  HalfOpenFullError,
  isProtectionError,
} from '../errors.ts';
import type { SupervisorEventName, SupervisorEvents } from '../events.ts';
import type { Clock } from '../time/clock.ts';
import { Deadlines } from '../time/deadlines.ts';
import { Scheduler } from '../time/scheduler.ts';
import type { Fallback, Logger, Result } from '../types.ts';
import { SafeEmitter } from './emitter.ts';
import type { ServiceRecord } from './service.ts';

/** `start` value of a call whose duration is not measured. */
export const NOT_TIMED = -1;

/** Returned by `fallbackFor` when no fallback applies. */
export const NO_FALLBACK: unique symbol = Symbol('no fallback');

/** How an error from an admitted call is classified. */
type ErrorKind = 'failure' | 'success' | 'ignored';

export class Engine {
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly scheduler: Scheduler;
  readonly deadlines: Deadlines;
  readonly emitter: SafeEmitter;
  readonly captureStacks: boolean;
  /** Set while close() drains: called as calls settle, resolves once none is in flight. */
  #onIdle: (() => void) | undefined;
  readonly #queue: { event: SupervisorEventName; payload: unknown }[] = [];
  #delivering = false;

  constructor(
    clock: Clock,
    logger: Logger | undefined,
    captureStacks: boolean,
    onTimed?: (timed: boolean) => void,
  ) {
    this.clock = clock;
    this.logger = logger;
    this.captureStacks = captureStacks;
    this.scheduler = new Scheduler(clock);
    this.deadlines = new Deadlines(clock, this.scheduler);
    this.emitter = new SafeEmitter(logger, () => clock.now(), onTimed);
  }

  /** Resolves when no admitted call is in flight (`inFlight` counts them across services). */
  whenIdle(inFlight: () => number): Promise<void> {
    if (inFlight() === 0) return Promise.resolve();
    return new Promise((resolve) => {
      // Only while draining does a settling call pay for this check (the hot path reads one field).
      this.#onIdle = () => {
        if (inFlight() !== 0) return;
        this.#onIdle = undefined;
        resolve();
      };
    });
  }

  // ---------------------------------------------------------------- admission

  /**
   * Slow admission (any state but closed). Returns the verdict; a rejection is counted and
   * reported here. An overdue open breaker moves to half-open first.
   */
  admitSlow(svc: ServiceRecord): core.Admission {
    const b = svc.breaker;
    if (b.state === 'open') {
      const now = this.clock.now();
      this.#admittedAt = now;
      const t = core.recoverIfDue(b, now);
      if (t !== null) this.apply(svc, t);
    }
    const verdict = core.admit(b);
    if (verdict === 'reject-open' || verdict === 'reject-half-open-full') {
      svc.rejected++;
      if (this.emitter.listening.callRejected) {
        this.emit('callRejected', {
          service: svc.name,
          at: this.clock.now(),
          code: verdict === 'reject-open' ? ErrorCode.CircuitOpen : ErrorCode.HalfOpenFull,
          state: b.state,
        });
      }
    }
    return verdict;
  }

  /** The clock reading of the last admitSlow() of an open breaker, reused by rejectionError(). */
  #admittedAt = 0;

  /** A fresh protection error for a rejected call (no stack unless `captureStacks`). */
  rejectionError(svc: ServiceRecord, verdict: core.Admission): Error {
    const b = svc.breaker;
    return verdict === 'reject-half-open-full'
      ? HalfOpenFullError.create(svc.name, b.options.halfOpen.maxCalls, this.captureStacks)
      : CircuitOpenError.create(
          svc.name,
          b.state === 'open' ? b.nextAttemptAt : null,
          // Always right after admitSlow() of this call, which read the clock for an open breaker.
          b.state === 'open' ? this.#admittedAt : 0,
          this.captureStacks,
        );
  }

  #cached: WeakMap<ServiceRecord, { gen: number; verdict: core.Admission; result: Result<never> }> =
    new WeakMap();

  /**
   * The rejection as a ready-made `Result`, shared by every rejection of one breaker generation:
   * the non-throwing degraded path allocates nothing (its error's `retryAfterMs` is as of the
   * first rejection of the period; `retryAt` is exact).
   */
  cachedRejection(svc: ServiceRecord, verdict: core.Admission): Result<never> {
    const hit = this.#cached.get(svc);
    if (hit !== undefined && hit.gen === svc.breaker.generation && hit.verdict === verdict) return hit.result;
    const result = Object.freeze({ ok: false as const, error: this.rejectionError(svc, verdict) });
    this.#cached.set(svc, { gen: svc.breaker.generation, verdict, result });
    return result;
  }

  /** Takes a call through admission bookkeeping: counts it and returns its generation. */
  begin(svc: ServiceRecord): number {
    svc.inFlight++;
    return svc.breaker.generation;
  }

  /** Starts timing a call when it is sampled or must be timed. */
  startTime(svc: ServiceRecord): number {
    if (svc.timeEveryCall || --svc.sampleCountdown <= 0 || this.emitter.timed) {
      svc.sampleCountdown = svc.sampleInterval;
      return this.clock.now();
    }
    return NOT_TIMED;
  }

  #end(svc: ServiceRecord): void {
    svc.inFlight--;
    if (this.#onIdle !== undefined) this.#onIdle();
  }

  // ---------------------------------------------------------------- outcomes

  succeeded(svc: ServiceRecord, gen: number, start: number): void {
    this.#end(svc);
    svc.successful++;
    const b = svc.breaker;
    // Hot path: an untimed success in a closed breaker of the current generation, under a policy
    // that can't trip on a success and needs no time. (A listener for callSucceeded forces timing.)
    if (
      start === NOT_TIMED &&
      svc.cheapSuccess &&
      b.state === 'closed' &&
      gen === b.generation &&
      !svc.detached
    ) {
      b.policy.onSuccess(false, 0);
      return;
    }
    this.#succeededSlow(svc, gen, start);
  }

  #succeededSlow(svc: ServiceRecord, gen: number, start: number): void {
    if (svc.detached) return;
    const b = svc.breaker;
    if (gen !== b.generation) {
      this.#late(svc, gen, true);
      return;
    }
    const now = this.clock.now();
    let duration = 0;
    if (start !== NOT_TIMED) {
      duration = now - start;
      svc.recordLatency(duration, now);
    }
    const slowMs = b.policy.slowCallMs;
    const t = this.#record(svc, true, slowMs !== undefined && duration >= slowMs, now);
    if (t !== null) this.apply(svc, t);
    if (this.emitter.listening.callSucceeded) {
      this.emit('callSucceeded', { service: svc.name, at: now, durationMs: duration, state: b.state });
    }
  }

  /** Classifies an error an admitted call ended with, and records it. Returns the classification. */
  errored(svc: ServiceRecord, gen: number, probe: boolean, start: number, error: unknown): ErrorKind {
    const kind = this.classify(svc, error);
    if (kind === 'success') this.succeeded(svc, gen, start);
    else if (kind === 'ignored') this.ignored(svc, gen, probe, error);
    else this.failed(svc, gen, start, error);
    return kind;
  }

  classify(svc: ServiceRecord, error: unknown): ErrorKind {
    if (isProtectionError(error)) return 'ignored';
    const isFailure = svc.breaker.options.isFailure;
    if (isFailure === undefined) return 'failure';
    try {
      return isFailure(error) ? 'failure' : 'success';
    } catch (classifierError) {
      this.logger?.error({ err: classifierError, service: svc.name }, 'isFailure threw; counting as failure');
      return 'failure';
    }
  }

  failed(svc: ServiceRecord, gen: number, start: number, error: unknown): void {
    this.#end(svc);
    const c = svc;
    c.failed++;
    const timeout =
      error instanceof CallTimeoutError || (error as { code?: unknown })?.code === ErrorCode.CallTimeout;
    if (timeout) c.timedOut++;
    if (svc.detached) return;
    const b = svc.breaker;
    if (gen !== b.generation) {
      this.#late(svc, gen, false);
      return;
    }
    const now = this.clock.now();
    const duration = start === NOT_TIMED ? 0 : now - start;
    if (start !== NOT_TIMED) svc.recordLatency(duration, now);
    const slowMs = b.policy.slowCallMs;
    const t = this.#record(svc, false, slowMs !== undefined && duration >= slowMs, now);
    if (t !== null) this.apply(svc, t);
    if (timeout && this.emitter.listening.callTimedOut) {
      this.emit('callTimedOut', {
        service: svc.name,
        at: now,
        timeoutMs: (error as CallTimeoutError).timeoutMs,
        state: b.state,
      });
    }
    if (this.emitter.listening.callFailed) {
      this.emit('callFailed', { service: svc.name, at: now, durationMs: duration, error, state: b.state });
    }
  }

  /** An admitted call ended in neither success nor failure (aborted, closed, a pool protection). */
  ignored(svc: ServiceRecord, gen: number, probe: boolean, error: unknown): void {
    this.#end(svc);
    const code = (error as { code?: unknown } | undefined)?.code;
    // Only the caller's own abort is an abort; a call given up by close() was rejected by it.
    if (code === ErrorCode.Aborted) svc.aborted++;
    else svc.rejected++;
    if (svc.detached) return;
    // A probe returns its permit only within its own half-open period.
    if (probe && gen === svc.breaker.generation) core.recordIgnored(svc.breaker, true);
    if (code !== ErrorCode.Aborted && this.emitter.listening.callRejected) {
      this.emit('callRejected', {
        service: svc.name,
        at: this.clock.now(),
        code: String(code),
        state: svc.breaker.state,
      });
    }
  }

  /**
   * Runs a core step that calls into the trip policy. A custom policy that throws must not leave
   * the call unsettled or the breaker half-updated: its error is reported and the outcome is taken
   * as "no decision".
   */
  #record(svc: ServiceRecord, ok: boolean, slow: boolean, now: number): core.Transition | null {
    try {
      return ok ? core.recordSuccess(svc.breaker, slow, now) : core.recordFailure(svc.breaker, slow, now);
    } catch (error) {
      if (this.logger !== undefined)
        this.logger.error({ err: error, service: svc.name }, 'trip policy threw');
      else
        process.emitWarning(`trip policy of "${svc.name}" threw: ${String(error)}`, {
          code: 'BREAKWATER_POLICY_ERROR',
        });
      return null;
    }
  }

  #late(svc: ServiceRecord, gen: number, ok: boolean): void {
    svc.late++;
    if (this.emitter.listening.lateResult) {
      this.emit('lateResult', {
        service: svc.name,
        at: this.clock.now(),
        ok,
        admittedGeneration: gen,
        currentGeneration: svc.breaker.generation,
      });
    }
  }

  // ---------------------------------------------------------------- fallbacks

  /**
   * The fallback's value (or promise) for a rejected or failed call, or NO_FALLBACK. `error` may be
   * a thunk so the `{ value }` form never builds an error it doesn't need.
   */
  fallbackFor<T>(
    svc: ServiceRecord,
    fallback: Fallback<T> | undefined,
    kind: 'rejected' | 'failed',
    error: unknown | (() => unknown),
  ): T | PromiseLike<T> | typeof NO_FALLBACK {
    if (fallback === undefined) return NO_FALLBACK;
    if (kind === 'failed' && !svc.options.fallbackOnFailure) return NO_FALLBACK;
    svc.fallbacks++;
    const needError = typeof fallback === 'function' || this.emitter.listening.fallback;
    const err = needError && typeof error === 'function' ? (error as () => unknown)() : error;
    if (this.emitter.listening.fallback) {
      this.emit('fallback', { service: svc.name, at: this.clock.now(), kind, error: err });
    }
    return typeof fallback === 'function' ? fallback(err, { service: svc.name, kind }) : fallback.value;
  }

  // ---------------------------------------------------------------- transitions

  /** Applies a transition the core returned: timer, rates, log, event (in that order). */
  apply(svc: ServiceRecord, t: core.Transition): void {
    if (svc.timer !== undefined) {
      this.scheduler.cancel(svc.timer);
      svc.timer = undefined;
    }
    if (t.timerAt !== null) {
      const gen = t.generation;
      svc.timer = this.scheduler.schedule(t.timerAt, () => this.#timerFired(svc, gen));
    }
    if (t.from === t.to) return; // a restored timer, not a transition
    const b = svc.breaker;
    const payload = {
      service: svc.name,
      from: t.from,
      to: t.to,
      reason: t.reason,
      at: b.lastChange,
      generation: t.generation,
      nextRecoveryAttempt: b.state === 'open' ? b.nextAttemptAt : null,
      consecutiveFailures: b.policy.consecutiveFailures(),
    };
    if (this.logger !== undefined) {
      const level = t.to === 'open' || t.to === 'forced-open' ? 'warn' : 'info';
      this.logger[level](
        { service: svc.name, from: t.from, to: t.to, reason: t.reason },
        'circuit state change',
      );
    }
    this.emit('stateChange', payload);
  }

  #timerFired(svc: ServiceRecord, gen: number): void {
    svc.timer = undefined;
    if (svc.detached || svc.breaker.generation !== gen) return;
    const t = core.timerFired(svc.breaker, this.clock.now());
    if (t !== null) this.apply(svc, t);
  }

  emit<E extends SupervisorEventName>(event: E, payload: SupervisorEvents[E][0]): void {
    this.#queue.push({ event, payload });
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let i = 0; i < this.#queue.length; i++) {
        const item = this.#queue[i]!;
        this.emitter.emit(item.event, item.payload as never);
      }
    } finally {
      this.#queue.length = 0;
      this.#delivering = false;
    }
  }
}
