/**
 * Inline calls: the work runs on the caller's thread. Two paths:
 * - fast: no timeout and no caller signal. The call is the work's own promise with one `.then`
 *   (BENCH.md: anything more — a wrapper promise, a clock read — costs more than the goal allows).
 *   Such a call settles when the work settles; close() cannot cut it short.
 * - wrapped: a timeout or a caller signal. A settle-once InlineCall races the work against its
 *   deadline (one shared list per duration, no timer per call) and the caller's signal.
 */
import { AbortedError, CallTimeoutError, SupervisorClosedError } from '../errors.ts';
import type { DeadlineList, DeadlineNode } from '../time/deadlines.ts';
import type { Fallback, RunOptions } from '../types.ts';
import { type Engine, NO_FALLBACK, NOT_TIMED } from './engine.ts';
import { rejectLater } from './reject-later.ts';
import type { ServiceRecord } from './service.ts';

/** The work a caller runs through a breaker. Declare the `signal` parameter to receive one. */
export type Work<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/** Passed to work that declares no signal parameter (it never reads it). */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Records an error of an admitted call and turns it into the caller's outcome. */
function failWith<T>(
  e: Engine,
  svc: ServiceRecord,
  gen: number,
  probe: boolean,
  start: number,
  error: unknown,
  fallback: Fallback<T> | undefined,
): T | PromiseLike<T> {
  const kind = e.errored(svc, gen, probe, start, error);
  if (kind === 'failure') {
    const fb = e.fallbackFor(svc, fallback, 'failed', error);
    if (fb !== NO_FALLBACK) return fb;
  }
  throw error;
}

export function runInline<T>(
  e: Engine,
  svc: ServiceRecord,
  probe: boolean,
  fn: Work<T>,
  options: RunOptions<T> | undefined,
): Promise<T> {
  if (options === undefined) {
    const fallback = svc.fallback as Fallback<T> | undefined;
    return svc.callTimeoutMs === 0
      ? runFast(e, svc, probe, fn, fallback)
      : runWrapped(e, svc, probe, fn, svc.callTimeoutMs, undefined, fallback);
  }
  const timeoutMs = options.timeoutMs ?? svc.callTimeoutMs;
  const fallback = options.fallback ?? (svc.fallback as Fallback<T> | undefined);
  if (timeoutMs === 0 && options.signal === undefined) return runFast(e, svc, probe, fn, fallback);
  return runWrapped(e, svc, probe, fn, timeoutMs, options.signal, fallback);
}

/**
 * The hot path of `Supervisor.run`: a closed breaker, no options, no timeout, work that takes no
 * signal, a call not sampled for latency. The closures capture three values, no more.
 */
export function runPlain<T>(e: Engine, svc: ServiceRecord, fn: Work<T>): Promise<T> {
  const gen = e.begin(svc);
  let r: T | PromiseLike<T>;
  try {
    r = fn(NEVER_ABORTED);
  } catch (error) {
    return settleThrown(e, svc, gen, error);
  }
  if (!(r instanceof Promise)) return settleOther(e, svc, gen, r);
  return (r as Promise<T>).then(
    (value) => {
      e.succeeded(svc, gen, NOT_TIMED);
      return value;
    },
    (error: unknown) =>
      failWith(e, svc, gen, false, NOT_TIMED, error, svc.fallback as Fallback<T> | undefined),
  );
}

function settleThrown<T>(e: Engine, svc: ServiceRecord, gen: number, error: unknown): Promise<T> {
  try {
    return Promise.resolve(
      failWith(e, svc, gen, false, NOT_TIMED, error, svc.fallback as Fallback<T> | undefined),
    );
  } catch (rethrown) {
    return rejectLater(rethrown);
  }
}

/** A thenable that is not a native promise, or a plain value. */
function settleOther<T>(e: Engine, svc: ServiceRecord, gen: number, r: T | PromiseLike<T>): Promise<T> {
  if (!isPromiseLike(r)) {
    e.succeeded(svc, gen, NOT_TIMED);
    return Promise.resolve(r);
  }
  return Promise.resolve(r).then(
    (value) => {
      e.succeeded(svc, gen, NOT_TIMED);
      return value;
    },
    (error: unknown) =>
      failWith(e, svc, gen, false, NOT_TIMED, error, svc.fallback as Fallback<T> | undefined),
  );
}

/** No timeout, no signal: the work's own promise plus one `.then`. */
function runFast<T>(
  e: Engine,
  svc: ServiceRecord,
  probe: boolean,
  fn: Work<T>,
  fallback: Fallback<T> | undefined,
): Promise<T> {
  const gen = e.begin(svc);
  const start = e.startTime(svc);
  let r: T | PromiseLike<T>;
  try {
    // Work that declares a signal gets its own: listeners it adds must not pile up on a shared one.
    r = fn(fn.length === 0 ? NEVER_ABORTED : new AbortController().signal);
  } catch (error) {
    try {
      return Promise.resolve(failWith(e, svc, gen, probe, start, error, fallback));
    } catch (rethrown) {
      return rejectLater(rethrown);
    }
  }
  let p: Promise<T>;
  if (r instanceof Promise) p = r;
  else if (isPromiseLike(r)) p = Promise.resolve(r);
  else {
    e.succeeded(svc, gen, start);
    return Promise.resolve(r);
  }
  return p.then(
    (value) => {
      e.succeeded(svc, gen, start);
      return value;
    },
    (error: unknown) => failWith(e, svc, gen, probe, start, error, fallback),
  );
}

function runWrapped<T>(
  e: Engine,
  svc: ServiceRecord,
  probe: boolean,
  fn: Work<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  fallback: Fallback<T> | undefined,
): Promise<T> {
  const gen = e.begin(svc);
  const start = e.startTime(svc);
  if (signal?.aborted === true) {
    const error = new AbortedError(svc.name, { cause: signal.reason });
    e.ignored(svc, gen, probe, error);
    return rejectLater(error);
  }
  return new Promise<T>((resolve, reject) => {
    const call = new InlineCall<T>(e, svc, gen, probe, start, timeoutMs, fallback, resolve, reject, signal);
    // Only work that declares a parameter gets a signal of its own (an AbortController costs ~3.8 µs).
    let workSignal = NEVER_ABORTED;
    if (fn.length > 0) {
      if (timeoutMs === 0 && signal !== undefined) workSignal = signal;
      else {
        call.controller = new AbortController();
        workSignal = call.controller.signal;
      }
    }
    let r: T | PromiseLike<T>;
    try {
      r = fn(workSignal);
    } catch (error) {
      call.onError(error);
      return;
    }
    // Anonymous closures, not per-instance arrow fields: transpilers that keep function names wrap
    // each named function they create in a defineProperty call, which costs more than the call.
    if (isPromiseLike(r)) {
      r.then(
        (value) => call.onValue(value),
        (error: unknown) => call.onError(error),
      );
    } else call.onValue(r);
  });
}

/** One wrapped inline call; settles exactly once, whichever of result, deadline, abort or close comes first. */
class InlineCall<T> implements DeadlineNode {
  dlAt = 0;
  dlPrev: DeadlineNode | null = null;
  dlNext: DeadlineNode | null = null;
  dlList: DeadlineList | null = null;
  controller: AbortController | undefined;
  #settled = false;

  constructor(
    readonly e: Engine,
    readonly svc: ServiceRecord,
    readonly gen: number,
    readonly probe: boolean,
    readonly start: number,
    readonly timeoutMs: number,
    readonly fallback: Fallback<T> | undefined,
    readonly resolve: (value: T | PromiseLike<T>) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {
    // Every wrapped call sits in a list so close() can find it; Infinity never expires.
    e.deadlines.list(timeoutMs === 0 ? Number.POSITIVE_INFINITY : timeoutMs).add(this);
    signal?.addEventListener('abort', this, { once: true });
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.dlList?.remove(this);
    this.signal?.removeEventListener('abort', this);
    return true;
  }

  /** The work's own result. A result after a timeout or abort is dropped (the call already settled). */
  onValue(value: T): void {
    if (!this.#settle()) return;
    this.e.succeeded(this.svc, this.gen, this.start);
    this.resolve(value);
  }

  onError(error: unknown): void {
    if (!this.#settle()) return;
    try {
      this.resolve(failWith(this.e, this.svc, this.gen, this.probe, this.start, error, this.fallback));
    } catch (rethrown) {
      this.reject(rethrown);
    }
  }

  /** The deadline passed: a failure of the service; the work's signal is aborted. */
  expire(): void {
    if (!this.#settle()) return;
    const error = new CallTimeoutError(this.svc.name, this.timeoutMs);
    let outcome: { value: T | PromiseLike<T> } | { error: unknown } = { error };
    try {
      this.controller?.abort(error);
      this.e.failed(this.svc, this.gen, this.start, error);
      const fb = this.e.fallbackFor(this.svc, this.fallback, 'failed', error);
      if (fb !== NO_FALLBACK) outcome = { value: fb };
    } catch (thrown) {
      outcome = { error: thrown };
    } finally {
      // Settle whatever happened above: the caller must never be left waiting.
      if ('value' in outcome) this.resolve(outcome.value);
      else this.reject(outcome.error);
    }
  }

  /** The caller's signal fired (DOM EventListener object form: no closure per call). */
  handleEvent(): void {
    if (!this.#settle()) return;
    const error = new AbortedError(this.svc.name, { cause: this.signal?.reason });
    this.controller?.abort(error);
    this.e.ignored(this.svc, this.gen, this.probe, error);
    this.reject(error);
  }

  /** close() without drain (or after its drain bound): the call is given up. */
  shutdown(): void {
    if (!this.#settle()) return;
    const error = new SupervisorClosedError(this.svc.name);
    this.controller?.abort(error);
    this.e.ignored(this.svc, this.gen, this.probe, error);
    this.reject(error);
  }
}
