/**
 * The contract between the supervisor and a service's worker pool. The supervisor owns admission,
 * outcome recording, fallbacks and events; the pool owns threads, its queue (bulkhead, queue
 * timeout), call timeouts and aborts that settle only their own call (retiring a thread whose
 * handler ignores them), and crash/OOM/load accounting.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { Clock } from '../time/clock.ts';
import type { Logger, PoolMetrics } from '../types.ts';

export interface ExecRequest {
  /** Name of the export in the worker module. */
  readonly handler: string;
  readonly args: readonly unknown[];
  /** Longest the call may run once it has started in a worker; `0` = no timeout. */
  readonly timeoutMs: number;
  /** The caller's signal: abort settles the call at once with ERR_ABORTED and cancels it. */
  readonly signal: AbortSignal | undefined;
  readonly transferList: readonly TransferListItem[] | undefined;
}

export interface PoolExecutor {
  /**
   * Runs one call. Settles exactly once: with the handler's value, with the handler's own error
   * (class name, message, code, cause chain and fields rebuilt), or with one typed error:
   * ERR_CALL_TIMEOUT, ERR_WORKER_CRASHED, ERR_WORKER_OOM, ERR_WORKER_LOAD (failures; an
   * ERR_WORKER_CRASHED with `collateral: true`, lost with a thread another call stuck, is not);
   * ERR_QUEUE_TIMEOUT, ERR_BULKHEAD_FULL, ERR_NOT_CLONEABLE, ERR_UNKNOWN_HANDLER, ERR_ABORTED,
   * ERR_SUPERVISOR_CLOSED (protections, never failures).
   */
  call(request: ExecRequest): Promise<unknown>;
  metrics(): PoolMetrics;
  health(): { readonly healthy: boolean; readonly message: string };
  /**
   * `drain: true` lets running and queued calls finish within `timeoutMs`, then rejects what is
   * left with ERR_SUPERVISOR_CLOSED; `drain: false` rejects queued and running calls at once. No
   * thread is respawned once close has begun; every thread is gone when it resolves.
   */
  close(options: { readonly drain: boolean; readonly timeoutMs: number }): Promise<void>;
}

export interface PoolDeps {
  readonly clock: Clock;
  readonly logger: Logger | undefined;
}
