/**
 * The one call pipeline, for every entry point (`run`, `runResult`, `call`, `callResult`, the typed
 * proxy, the remote client): check the call's arguments (call-checks.ts) and resolve its options
 * once (call-options.ts) → admit (core) →
 * execute on the service's executor, inline or pool (executor.ts) → settle: classify, record,
 * fallback, late results (settle.ts) → apply transitions: timer, hooks, log, events
 * (transitions.ts). The hot path's shortcuts of these steps are in fast-path.ts.
 */
import { checkCall, checkPoolCall } from '../call-checks.ts';
import type { Admission } from '../core/breaker.ts';
import { AbortedError, NotPoolServiceError, SupervisorClosedError, UnknownServiceError } from '../errors.ts';
import type { CallOptions, Fallback, Result, RunOptions } from '../types.ts';
import { type CallPlan, planCall } from './call-options.ts';
import type { Engine } from './engine.ts';
import type { CallExecutor } from './executor.ts';
import { inlineExecutor, type Work } from './inline.ts';
import { rejectLater } from './reject-later.ts';
import type { ServiceRecord } from './service.ts';
import { fallbackFor, ignored } from './settle.ts';

/** The executor of a call, or undefined when the service has no pool for a worker call. */
function executorOf(svc: ServiceRecord, pool: boolean): CallExecutor<unknown> | undefined {
  return pool ? (svc.pool as CallExecutor<unknown> | undefined) : (inlineExecutor as CallExecutor<unknown>);
}

/** `run()` past its hot path: the work and options checked, then the pipeline. */
export function pipelineRun<T>(
  e: Engine,
  name: string,
  svc: ServiceRecord | undefined,
  fn: Work<T>,
  options: RunOptions<T> | undefined,
): Promise<T> {
  const invalid = checkCall(fn, 'work', options);
  return invalid !== undefined ? rejectLater(invalid) : runCall(e, name, svc, false, fn, options);
}

/** `runResult()` past its hot path: like pipelineRun(), in the result form. */
export function pipelineRunResult<T>(
  e: Engine,
  name: string,
  svc: ServiceRecord | undefined,
  fn: Work<T>,
  options: RunOptions<T> | undefined,
): Promise<Result<T>> {
  const invalid = checkCall(fn, 'work', options);
  if (invalid !== undefined) return Promise.resolve({ ok: false, error: invalid });
  return runCallResult(e, name, svc, false, fn, options);
}

/** `call()`: the handler, arguments and options checked, then the pipeline on the service's pool. */
export function pipelineCall<T>(
  e: Engine,
  name: string,
  svc: ServiceRecord | undefined,
  handler: string,
  args: readonly unknown[],
  options: CallOptions<T> | undefined,
): Promise<T> {
  const invalid = checkPoolCall(handler, args, options);
  return invalid !== undefined
    ? rejectLater(invalid)
    : runCall(e, name, svc, true, { handler, args }, options);
}

/**
 * Runs one call through the pipeline: `job` is the inline work, or the pool job when `pool`.
 * `svc` is undefined when no service has that name. Options were checked by checkCall().
 */
function runCall<T>(
  e: Engine,
  name: string,
  svc: ServiceRecord | undefined,
  pool: boolean,
  job: unknown,
  options: CallOptions<T> | undefined,
): Promise<T> {
  if (svc === undefined || e.closing) return rejectLater(missing(e, name));
  const executor = executorOf(svc, pool);
  if (executor === undefined) return rejectLater(new NotPoolServiceError(name));
  return admitAndExecute(e, svc, executor, job, planCall(svc.plan, options));
}

function admitAndExecute<T, J>(
  e: Engine,
  svc: ServiceRecord,
  executor: CallExecutor<J>,
  job: J,
  plan: CallPlan<T>,
): Promise<T> {
  let probe = false;
  if (svc.breaker.state !== 'closed') {
    const verdict = e.admitSlow(svc);
    if (verdict !== 'admit' && verdict !== 'probe') return rejected(e, svc, verdict, plan.fallback);
    probe = verdict === 'probe';
  }
  return execute(e, svc, probe, executor, job, plan);
}

/**
 * Like runCall(), in the result form that never rejects. A rejection by the breaker, with no
 * fallback to run, answers with the generation's ready-made result: the cheapest degraded path.
 */
function runCallResult<T>(
  e: Engine,
  name: string,
  svc: ServiceRecord | undefined,
  pool: boolean,
  job: unknown,
  options: CallOptions<T> | undefined,
): Promise<Result<T>> {
  if (svc === undefined || e.closing) return Promise.resolve({ ok: false, error: missing(e, name) });
  const executor = executorOf(svc, pool);
  if (executor === undefined) return Promise.resolve({ ok: false, error: new NotPoolServiceError(name) });
  const plan = planCall(svc.plan, options);
  if (svc.breaker.state !== 'closed' && plan.fallback === undefined) {
    const verdict = e.admitSlow(svc);
    if (verdict !== 'admit' && verdict !== 'probe') return Promise.resolve(e.cachedRejection(svc, verdict));
    return toResult(execute(e, svc, verdict === 'probe', executor, job, plan));
  }
  return toResult(admitAndExecute(e, svc, executor, job, plan));
}

/** An admitted call: counted in its generation, timed if sampled, then handed to its executor. */
function execute<T, J>(
  e: Engine,
  svc: ServiceRecord,
  probe: boolean,
  executor: CallExecutor<J>,
  job: J,
  plan: CallPlan<T>,
): Promise<T> {
  const gen = e.begin(svc);
  const start = e.startTime(svc);
  const signal = plan.signal;
  if (signal?.aborted === true) {
    const error = new AbortedError(svc.name, { cause: signal.reason });
    ignored(e, svc, gen, probe, error);
    return rejectLater(error);
  }
  return executor.execute(e, svc, gen, probe, start, plan, job);
}

/**
 * A call the breaker did not admit: its fallback's value, or the protection error. A fallback
 * function gets the error shared by the rejections of this breaker generation (built once: a
 * fresh error per rejection would cost more than the whole degraded path).
 */
function rejected<T>(
  e: Engine,
  svc: ServiceRecord,
  verdict: Admission,
  fallback: Fallback<T> | undefined,
): Promise<T> {
  if (fallback === undefined) return rejectLater(e.rejectionError(svc, verdict));
  try {
    return Promise.resolve(
      fallbackFor(e, svc, fallback, 'rejected', () => e.cachedRejection(svc, verdict).error) as
        | T
        | PromiseLike<T>,
    );
  } catch (fallbackError) {
    return rejectLater(fallbackError);
  }
}

/** Why a call found no service: the supervisor closed, or no such name. */
export function missing(e: Engine, name: string): Error {
  return e.closing ? new SupervisorClosedError(name) : new UnknownServiceError(name);
}

export function toResult<T>(p: Promise<T>): Promise<Result<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
