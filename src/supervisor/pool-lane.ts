/**
 * The supervisor's side of a service's worker pool: the pool (src/pool, behind its PoolExecutor
 * interface) runs the handler with its own timeout, queue and crash accounting; the lane hands the
 * outcome to settle.ts like any other executor.
 */
import type { PoolExecutor } from '../pool/types.ts';
import type { PoolMetrics } from '../types.ts';
import type { CallPlan } from './call-options.ts';
import type { Engine } from './engine.ts';
import type { CallExecutor } from './executor.ts';
import type { ServiceRecord } from './service.ts';
import { settleError, succeeded } from './settle.ts';

/** A worker call: the handler (a named export of the service's module) and its arguments. */
export interface PoolJob {
  readonly handler: string;
  readonly args: readonly unknown[];
}

export class PoolLane implements CallExecutor<PoolJob> {
  readonly #pool: PoolExecutor;

  constructor(pool: PoolExecutor) {
    this.#pool = pool;
  }

  execute<T>(
    e: Engine,
    svc: ServiceRecord,
    gen: number,
    probe: boolean,
    start: number,
    plan: CallPlan<T>,
    job: PoolJob,
  ): Promise<T> {
    const fallback = plan.fallback;
    return this.#pool
      .call({
        handler: job.handler,
        args: job.args,
        timeoutMs: plan.timeoutMs,
        signal: plan.signal,
        transferList: plan.transferList,
      })
      .then(
        (value) => {
          succeeded(e, svc, gen, start);
          return value as T;
        },
        (error: unknown) => settleError(e, svc, gen, probe, start, error, fallback),
      );
  }

  metrics(): PoolMetrics {
    return this.#pool.metrics();
  }

  health(): { readonly healthy: boolean; readonly message: string } {
    return this.#pool.health();
  }

  close(options: { readonly drain: boolean; readonly timeoutMs: number }): Promise<void> {
    return this.#pool.close(options);
  }
}
