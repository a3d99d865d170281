/**
 * The inline executor: the work runs on the caller's thread. Two shapes:
 * - plain (`runFast`): no timeout and no caller signal. The call is the work's own promise with
 *   one `.then` (BENCH.md: anything more costs more than the goal allows). Such a call settles when
 *   the work settles; close() cannot cut it short.
 * - wrapped: a timeout or a caller signal. A settle-once InlineCall races the work against its
 *   deadline (one shared list per duration, no timer per call) and the caller's signal.
 * The shortcuts of the hot path (a closed breaker, no options) are in fast-path.ts.
 */
import type { CallPlan } from './call-options.ts';
import type { Engine } from './engine.ts';
import type { CallExecutor } from './executor.ts';
import { InlineCall } from './inline-call.ts';
import { rejectLater } from './reject-later.ts';
import type { ServiceRecord } from './service.ts';
import { settleError, succeeded } from './settle.ts';

/**
 * The work `run()`/`runResult()` execute through a breaker: sync or async, given an `AbortSignal`
 * that aborts when the caller's signal does or the call times out. Declare the parameter to receive
 * it; work that declares none is not given one and skips its cost.
 */
export type Work<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/** Passed to work that declares no signal parameter (it never reads it). */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * Whether a result that is not a native promise may be a thenable. Its `then` is never read here:
 * a getter that throws must reject the call, not throw out of run() or leave it unsettled, so such
 * results are adopted by `Promise.resolve`, which turns that throw into a rejection.
 */
export function mayBeThenable(value: unknown): value is object {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

export const inlineExecutor: CallExecutor<Work<unknown>> = {
  execute<T>(
    e: Engine,
    svc: ServiceRecord,
    gen: number,
    probe: boolean,
    start: number,
    plan: CallPlan<T>,
    fn: Work<unknown>,
  ): Promise<T> {
    const work = fn as Work<T>;
    if (plan.timeoutMs === 0 && plan.signal === undefined)
      return runFast(e, svc, gen, probe, start, work, plan);
    return new Promise<T>((resolve, reject) => {
      const call = new InlineCall<T>(e, svc, gen, probe, start, plan, resolve, reject);
      // Only work that declares a parameter gets a signal of its own (an AbortController costs ~3.8 µs).
      let workSignal = NEVER_ABORTED;
      if (takesSignal(svc, work)) {
        if (plan.timeoutMs === 0 && plan.signal !== undefined) workSignal = plan.signal;
        else {
          call.controller = new AbortController();
          workSignal = call.controller.signal;
        }
      }
      startWork(call, work, workSignal);
    });
  },
};

/**
 * Whether `fn` declares a parameter (then it gets a signal of its own). The last function of each
 * shape is remembered on the service, so the next call with it skips reading `fn.length` (~45 ns
 * when V8 cannot fold it; see fast-path.ts).
 */
export function takesSignal(svc: ServiceRecord, fn: Work<unknown>): boolean {
  if (fn === svc.plainFn) return false;
  if (fn === svc.signalFn) return true;
  if (fn.length > 0) {
    svc.signalFn = fn;
    return true;
  }
  svc.plainFn = fn;
  return false;
}

/** No timeout, no signal: the work's own promise plus one `.then`. */
function runFast<T>(
  e: Engine,
  svc: ServiceRecord,
  gen: number,
  probe: boolean,
  start: number,
  fn: Work<T>,
  plan: CallPlan<T>,
): Promise<T> {
  const fallback = plan.fallback;
  let r: T | PromiseLike<T>;
  try {
    // Work that declares a signal gets its own: listeners it adds must not pile up on a shared one.
    r = fn(takesSignal(svc, fn as Work<unknown>) ? new AbortController().signal : NEVER_ABORTED);
  } catch (error) {
    try {
      return Promise.resolve(settleError(e, svc, gen, probe, start, error, fallback));
    } catch (rethrown) {
      return rejectLater(rethrown);
    }
  }
  let p: Promise<T>;
  if (r instanceof Promise) p = r;
  else if (mayBeThenable(r)) p = Promise.resolve(r);
  else {
    succeeded(e, svc, gen, start);
    return Promise.resolve(r);
  }
  return p.then(
    (value) => {
      succeeded(e, svc, gen, start);
      return value;
    },
    (error: unknown) => settleError(e, svc, gen, probe, start, error, fallback),
  );
}

/** Runs the work and hands its outcome to `call`, which settles once whatever comes first. */
export function startWork<T>(call: InlineCall<T>, fn: Work<T>, signal: AbortSignal): void {
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
