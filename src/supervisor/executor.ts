/**
 * The one interface the pipeline runs an admitted call on. Two implementations: the inline
 * executor (inline.ts: the work runs on the caller's thread) and a service's pool lane
 * (pool-lane.ts: a handler runs in the service's worker pool). Either way the call has already
 * been admitted and counted (`gen`, `start`), and its outcome is settled through settle.ts.
 */
import type { CallPlan } from './call-options.ts';
import type { Engine } from './engine.ts';
import type { ServiceRecord } from './service.ts';

export interface CallExecutor<J> {
  /**
   * Runs `job` for an admitted call of `svc` (admitted in generation `gen`; `probe` holds a
   * half-open permit; `start` is its start time or NOT_TIMED). The promise is the caller's
   * outcome: the value, the fallback's value, or one typed error; it settles exactly once.
   */
  execute<T>(
    e: Engine,
    svc: ServiceRecord,
    gen: number,
    probe: boolean,
    start: number,
    plan: CallPlan<T>,
    job: J,
  ): Promise<T>;
}
