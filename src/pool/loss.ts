/**
 * Turns "the thread running this call is gone" into the one typed error the caller gets. piscina
 * rejects a dead thread's tasks with what it saw: the thread's uncaught error (out-of-memory has
 * code ERR_WORKER_OUT_OF_MEMORY), "worker exited with code: N", or "Terminating worker thread"
 * when the pool was destroyed. What we know about the thread (we terminated it because a call's
 * handler hung its event loop; its generation was stopped) comes first.
 */
import { SupervisorClosedError, WorkerCrashedError, WorkerLoadError, WorkerOomError } from '../errors.ts';
import type { Generation, ThreadState } from './threads.ts';

const EXIT_MESSAGE = /^worker exited with code: (-?\d+)/;

/** Why a thread is gone, as far as the call's thread and generation tell. */
export interface LossContext {
  readonly service: string;
  readonly thread: ThreadState | undefined;
  readonly generation: Generation | undefined;
  /** The module's load error, when its generation was stopped because of it. */
  readonly loadError: unknown;
  /** The overdue call whose stuck event loop made us terminate the thread, if that is why. */
  readonly culprit: { readonly handler: string; readonly error: unknown } | undefined;
}

/** The error for a call that was running on a thread that is gone. */
export function lostCallError(error: unknown, ctx: LossContext): Error {
  const { service, thread } = ctx;
  const stopped = thread?.generation.stopReason ?? ctx.generation?.stopReason;
  if (stopped === 'close') return new SupervisorClosedError(service);
  if (stopped === 'load') {
    return new WorkerLoadError(service, `worker module of "${service}" failed to load`, {
      cause: ctx.loadError,
    });
  }
  if (thread?.terminatedFor !== undefined) {
    // Collateral damage: this call did nothing wrong, and the fault was counted once, on the call
    // that hung the thread (or on nobody: a thread retired because its loop stopped turning).
    const culprit = ctx.culprit;
    const why =
      culprit === undefined
        ? 'its event loop stopped turning'
        : `call "${culprit.handler}" stopped its event loop past its deadline`;
    return new WorkerCrashedError(service, `worker thread of "${service}" was terminated: ${why}`, {
      collateral: true,
      cause: culprit?.error ?? error,
    });
  }
  const dying = thread?.error ?? error;
  const code = (dying as { code?: unknown } | null)?.code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new WorkerOomError(service, `worker thread of "${service}" ran out of memory`, { cause: dying });
  }
  const message = dying instanceof Error ? dying.message : String(dying);
  const exit = EXIT_MESSAGE.exec(message);
  if (exit !== null) {
    const exitCode = Number(exit[1]);
    return new WorkerCrashedError(service, `worker thread of "${service}" exited with code ${exitCode}`, {
      exitCode,
      cause: dying,
    });
  }
  return new WorkerCrashedError(service, `worker thread of "${service}" crashed: ${message}`, {
    cause: dying,
  });
}
