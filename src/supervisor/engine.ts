/**
 * The actor's shared state: the clock, the one scheduler, the deadline lists, the emitter and its
 * event queue, and admission. Outcomes are settled in settle.ts and transitions applied in
 * transitions.ts; an event is emitted only after its state is committed. Events raised while
 * another is being delivered (a listener calling reset(), say) are queued and delivered after it,
 * so every listener sees transitions in the order they happened.
 */
import * as core from '../core/breaker.ts';
import { CircuitOpenError, ErrorCode, HalfOpenFullError } from '../errors.ts';
import type { SupervisorEventName, SupervisorEvents } from '../events.ts';
import type { Clock } from '../time/clock.ts';
import { Deadlines } from '../time/deadlines.ts';
import { Scheduler } from '../time/scheduler.ts';
import type { Logger, Result } from '../types.ts';
import { SafeEmitter } from './emitter.ts';
import type { ServiceRecord } from './service.ts';
import { recover, type TransitionHooks } from './transitions.ts';

/** The failed form of a `Result`. */
type Rejection = Extract<Result<never>, { ok: false }>;

/** `start` value of a call whose duration is not measured. */
export const NOT_TIMED = -1;

export class Engine {
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly scheduler: Scheduler;
  readonly deadlines: Deadlines;
  readonly emitter: SafeEmitter;
  readonly captureStacks: boolean;
  /** Hooks into transitions (a fleet); attached through hooks.ts. */
  hooks: TransitionHooks | undefined;
  /** Set once close() was called. */
  closing = false;
  /** Hot-path flag: not closing, and no listener wants every call timed. */
  plain = true;
  /** Set while close() drains: called as calls settle, resolves once none is in flight. */
  onIdle: (() => void) | undefined;
  readonly #queue: { event: SupervisorEventName; payload: unknown }[] = [];
  #delivering = false;
  /** The clock reading of the last admitSlow() of an open breaker, reused by rejectionError(). */
  #admittedAt = 0;
  readonly #cached = new WeakMap<
    ServiceRecord,
    { gen: number; verdict: core.Admission; result: Rejection }
  >();

  constructor(clock: Clock, logger: Logger | undefined, captureStacks: boolean) {
    this.clock = clock;
    this.logger = logger;
    this.captureStacks = captureStacks;
    this.scheduler = new Scheduler(clock);
    this.deadlines = new Deadlines(clock, this.scheduler);
    this.emitter = new SafeEmitter(
      logger,
      () => clock.now(),
      (timed) => {
        this.plain = !timed && !this.closing;
      },
    );
  }

  /** Marks the supervisor closing: calls are refused and the hot path is off. */
  close(): void {
    this.closing = true;
    this.plain = false;
  }

  /** Resolves when no admitted call is in flight (`inFlight` counts them across services). */
  whenIdle(inFlight: () => number): Promise<void> {
    if (inFlight() === 0) return Promise.resolve();
    return new Promise((resolve) => {
      // Only while draining does a settling call pay for this check (the hot path reads one field).
      this.onIdle = () => {
        if (inFlight() !== 0) return;
        this.onIdle = undefined;
        resolve();
      };
    });
  }

  /** Reports an error of user code that must not disturb state (a policy, a hook): logger or warning. */
  report(error: unknown, service: string, what: string, code: string): void {
    if (this.logger !== undefined) this.logger.error({ err: error, service }, what);
    else process.emitWarning(`${what} ("${service}"): ${String(error)}`, { code });
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
      recover(this, svc, now, true);
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

  /**
   * The rejection as a ready-made `Result`, shared by every rejection of one breaker generation:
   * the non-throwing degraded path allocates nothing (its error's `retryAfterMs` is as of the
   * first rejection of the period; `retryAt` is exact).
   */
  cachedRejection(svc: ServiceRecord, verdict: core.Admission): Rejection {
    const hit = this.#cached.get(svc);
    const b = svc.breaker;
    if (
      hit !== undefined &&
      hit.gen === b.generation &&
      hit.verdict === verdict &&
      (hit.result.error as { retryAt?: unknown }).retryAt === (b.state === 'open' ? b.nextAttemptAt : null)
    ) {
      return hit.result;
    }
    const result = Object.freeze({ ok: false as const, error: this.rejectionError(svc, verdict) });
    this.#cached.set(svc, { gen: b.generation, verdict, result });
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
