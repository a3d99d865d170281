/**
 * The hot path of `run()`: every shortcut of the pipeline, behind one function. It applies to an
 * inline call through a closed breaker, while nothing asks for every call to be timed, on a call
 * not sampled for latency: with no options (work that takes a signal gets one of its own; with or
 * without the service's call timeout), or with per-call options (checked and planned as the
 * pipeline does, then straight to the inline executor). Anything else goes through the pipeline
 * (pipeline.ts), which does the same steps in full: resolve the options → admit → execute →
 * settle → apply transitions.
 *
 * Why it exists (BENCH.md: a bare `await fn()` is 55–70 ns; a minimal wrapper leaves room for
 * almost nothing): profiles showed `fn.length` (~45 ns when V8 cannot fold it), per-call closures
 * and the latency clock read each costing about as much as the rest of the wrapper. Measured with
 * `node --expose-gc --import tsx bench/profile/ab.ts inline | inline-default`: through the
 * pipeline 115 ns (1.00x cockatiel) and 247 ns (3.3x opossum); with these shortcuts 57 ns (1.9x
 * cockatiel) and 155 ns (4.9x opossum). Work that takes a signal: Node 20's AbortSignal
 * construction is ~52% of such a call's profile and GC ~19%; the pipeline's own steps (checks,
 * options, sampling) were ~5% (`npm run bench -- --scenario shapes`, signal work vs cockatiel,
 * alternating runs: 3.8-4.1x through the pipeline, 4.0-4.3x here).
 */
import { checkCall } from '../call-checks.ts';
import type { RunOptions } from '../types.ts';
import { type CallPlan, planCall } from './call-options.ts';
import type { Engine } from './engine.ts';
import { NOT_TIMED } from './engine.ts';
import { inlineExecutor, mayBeThenable, NEVER_ABORTED, startWork, takesSignal, type Work } from './inline.ts';
import { InlineCall } from './inline-call.ts';
import { rejectLater } from './reject-later.ts';
import type { PlainHandlers, ServiceRecord } from './service.ts';
import { settleError, succeeded } from './settle.ts';

/**
 * The call's promise when the hot path applies, or `undefined` (then the caller runs the
 * pipeline). Reads only fields kept on the service record for it.
 */
export function fastRun<T>(
  e: Engine,
  svc: ServiceRecord | undefined,
  fn: Work<T>,
  options: unknown,
): Promise<T> | undefined {
  if (svc === undefined || !svc.fastInline || svc.breaker.state !== 'closed' || !e.plain) return undefined;
  if (typeof fn !== 'function') return undefined;
  if (options !== undefined) return runWithOptions(e, svc, fn, options);
  const signalWork = takesSignal(svc, fn);
  if (--svc.sampleCountdown <= 0) return undefined;
  if (svc.callTimeoutMs === 0)
    return runPlain(e, svc, fn, signalWork ? new AbortController().signal : NEVER_ABORTED);
  return runTimed(e, svc, fn, signalWork);
}

/**
 * Per-call options through a closed breaker: checked and planned as the pipeline does, then
 * straight to the inline executor, past the pipeline's dispatch (executor choice, admission,
 * sampling, the caller's signal). A bad option, a caller's signal already aborted or a sampled
 * call goes to the pipeline, which checks again and answers.
 */
function runWithOptions<T>(
  e: Engine,
  svc: ServiceRecord,
  fn: Work<T>,
  options: unknown,
): Promise<T> | undefined {
  if (checkCall(fn, 'work', options) !== undefined) return undefined;
  const plan = planCall(svc.plan as CallPlan<T>, options as RunOptions<T>);
  if (plan.signal?.aborted === true || --svc.sampleCountdown <= 0) return undefined;
  return inlineExecutor.execute(e, svc, e.begin(svc), false, NOT_TIMED, plan, fn as Work<unknown>);
}

/**
 * No timeout: the work's promise and one `.then`. Its outcome handlers depend only on the service
 * and the generation, so they are made once per generation and shared by every call of it: no
 * closure, context or per-call object is allocated here besides the derived promise. Work that
 * declares a signal gets one of its own (listeners it adds must not pile up on a shared one);
 * nothing aborts it.
 */
function runPlain<T>(e: Engine, svc: ServiceRecord, fn: Work<T>, signal: AbortSignal): Promise<T> {
  const gen = e.begin(svc);
  let r: T | PromiseLike<T>;
  try {
    r = fn(signal);
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
      succeeded(e, svc, gen, NOT_TIMED);
      return value;
    },
    err: (error) => settleError(e, svc, gen, false, NOT_TIMED, error, svc.fallback),
  };
}

/**
 * The service's call timeout: the settle-once InlineCall with the service's plan. Work that takes
 * a signal gets its own controller, which the deadline (or close()) aborts.
 */
function runTimed<T>(e: Engine, svc: ServiceRecord, fn: Work<T>, signalWork: boolean): Promise<T> {
  const gen = e.begin(svc);
  return new Promise<T>((resolve, reject) => {
    const call = new InlineCall<T>(e, svc, gen, false, NOT_TIMED, svc.plan as CallPlan<T>, resolve, reject);
    let signal = NEVER_ABORTED;
    if (signalWork) {
      call.controller = new AbortController();
      signal = call.controller.signal;
    }
    startWork(call, fn, signal);
  });
}

function settleThrown<T>(e: Engine, svc: ServiceRecord, gen: number, error: unknown): Promise<T> {
  try {
    return Promise.resolve(settleError(e, svc, gen, false, NOT_TIMED, error, svc.fallback) as T);
  } catch (rethrown) {
    return rejectLater(rethrown);
  }
}

/** A result that is not a native promise: a plain value, or maybe a thenable. */
function settleOther<T>(e: Engine, svc: ServiceRecord, gen: number, r: T | PromiseLike<T>): Promise<T> {
  if (!mayBeThenable(r)) {
    succeeded(e, svc, gen, NOT_TIMED);
    return Promise.resolve(r);
  }
  return Promise.resolve(r).then(
    (value) => {
      succeeded(e, svc, gen, NOT_TIMED);
      return value;
    },
    (error: unknown) => settleError(e, svc, gen, false, NOT_TIMED, error, svc.fallback) as T,
  );
}
