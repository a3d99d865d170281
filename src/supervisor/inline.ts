/**
 * Inline calls: the work runs on the caller's thread. Three paths:
 * - plain (`runPlain`, `runFast`): no timeout and no caller signal. The call is the work's own
 *   promise with one `.then` (BENCH.md: anything more — a wrapper promise, a clock read — costs more
 *   than the goal allows). Such a call settles when the work settles; close() cannot cut it short.
 * - timed hot path (`runTimed`): the service's timeout, no options, work that takes no signal.
 * - wrapped: a timeout or a caller signal. A settle-once InlineCall races the work against its
 *   deadline (one shared list per duration, no timer per call) and the caller's signal.
 */
import { AbortedError } from '../errors.ts';
import type { Fallback, RunOptions } from '../types.ts';
import { type Engine, NOT_TIMED } from './engine.ts';
import { failWith, InlineCall } from './inline-call.ts';
import { rejectLater } from './reject-later.ts';
import type { PlainHandlers, ServiceRecord } from './service.ts';

/** The work a caller runs through a breaker. Declare the `signal` parameter to receive one. */
export type Work<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/** Passed to work that declares no signal parameter (it never reads it). */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * Whether a result that is not a native promise may be a thenable. Its `then` is never read here:
 * a getter that throws must reject the call, not throw out of run() or leave it unsettled, so such
 * results are adopted by `Promise.resolve`, which turns that throw into a rejection.
 */
function mayBeThenable(value: unknown): value is object {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
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
 * signal, a call not sampled for latency. Its outcome handlers depend only on the service and the
 * generation, so they are made once per generation and shared by every call of it: no closure,
 * context or per-call object is allocated here besides the derived promise.
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
  let h = svc.plain;
  if (h === undefined || h.gen !== gen) h = svc.plain = plainHandlers(e, svc, gen);
  return (r as Promise<T>).then(h.ok as (value: T) => T, h.err as (error: unknown) => T);
}

/** The shared outcome handlers of the plain calls admitted in generation `gen`. */
function plainHandlers(e: Engine, svc: ServiceRecord, gen: number): PlainHandlers {
  return {
    gen,
    ok: (value) => {
      e.succeeded(svc, gen, NOT_TIMED);
      return value;
    },
    err: (error) => failWith(e, svc, gen, false, NOT_TIMED, error, svc.fallback),
  };
}

/**
 * `runPlain` with the service's call timeout: the settle-once InlineCall, no caller signal, no
 * controller (the work takes no signal), not timed.
 */
export function runTimed<T>(e: Engine, svc: ServiceRecord, fn: Work<T>): Promise<T> {
  const gen = e.begin(svc);
  return new Promise<T>((resolve, reject) => {
    const call = new InlineCall<T>(
      e,
      svc,
      gen,
      false,
      NOT_TIMED,
      svc.callTimeoutMs,
      svc.fallback as Fallback<T> | undefined,
      resolve,
      reject,
      undefined,
    );
    startWork(call, fn, NEVER_ABORTED);
  });
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

/** A result that is not a native promise: a plain value, or maybe a thenable. */
function settleOther<T>(e: Engine, svc: ServiceRecord, gen: number, r: T | PromiseLike<T>): Promise<T> {
  if (!mayBeThenable(r)) {
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
  else if (mayBeThenable(r)) p = Promise.resolve(r);
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
    startWork(call, fn, workSignal);
  });
}

/** Runs the work and hands its outcome to `call`, which settles once whatever comes first. */
function startWork<T>(call: InlineCall<T>, fn: Work<T>, signal: AbortSignal): void {
  let r: T | PromiseLike<T>;
  try {
    r = fn(signal);
  } catch (error) {
    call.onError(error);
    return;
  }
  // Anonymous closures, not per-instance arrow fields: transpilers that keep function names wrap
  // each named function they create in a defineProperty call, which costs more than the call.
  if (mayBeThenable(r)) {
    (r instanceof Promise ? r : Promise.resolve(r)).then(
      (value: T) => call.onValue(value),
      (error: unknown) => call.onError(error),
    );
  } else call.onValue(r);
}
