/**
 * The one protocol between the main thread and the worker runtime (workers/runtime.ts): message
 * shapes and outcome kinds (errors travel as src/serialization/errors.ts makes them). Both sides
 * import this module, so it must stay free of Node-main-thread-only imports.
 *
 * A message can carry many calls (batching mode) and results stream back in batches too; the
 * per-call form (piscina's one task per message) is the batch of one.
 */
import type { SerializedThrown } from '../serialization/errors.ts';

// ---------------------------------------------------------------- outcomes

/** How a call ended in the worker. Numbers, because they cross the boundary once per call. */
export const Outcome = {
  /** The handler returned (or resolved to) `v`. */
  Value: 0,
  /** The handler threw (or rejected with) `v`, a SerializedThrown. */
  Threw: 1,
  /** The module has no function export of that name. */
  UnknownHandler: 2,
  /** The module failed to load; `v` is the SerializedThrown of the load error. */
  LoadFailed: 3,
  /** The main thread gave up on the call before it started (queue timeout, abort): not run. */
  Skipped: 4,
  /** The handler's result can't be sent to the main thread; `v` says why (a string). */
  NotCloneable: 5,
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/**
 * One call, as piscina's task (per-call mode): a flat tuple `[slot, handler, ...args]`, which
 * structured clone copies for about a third of what an object with named fields costs (and a
 * nested args array would add another ~80 ns). `handler === ''` means "skip": the caller gave up
 * before a thread took it.
 *
 * The task's result is the bare outcome value (the handler's value, a SerializedThrown, or
 * nothing): how the call ended is in its slot of the shared "started" array (`slotMark`), so no
 * envelope object is built, cloned and read back per call.
 */
export type TaskMessage = [
  /** Slot: the call's index in the shared "started" array, unique among calls in flight. */
  slot: number,
  /** Handler: the export's name, or '' to skip. */
  handler: string,
  ...args: unknown[],
];

/**
 * What the worker stores in a call's slot of the shared array. 0: not started (a skipped call
 * stays 0). Once started, `1 + Outcome`: 1 while it runs and when it returned a value, other
 * values for the other ways it ended. Written before the result is posted, so the main thread
 * reads the final mark when the result arrives.
 */
export const NOT_STARTED = 0;

export function slotMark(outcome: Exclude<Outcome, typeof Outcome.Skipped>): number {
  return 1 + outcome;
}

/** How a call ended, from its slot mark read after its result arrived. */
export function outcomeOfMark(mark: number): Outcome {
  return mark === NOT_STARTED ? Outcome.Skipped : ((mark - 1) as Outcome);
}

// ---------------------------------------------------------------- lanes (batching mode)

/** Main -> worker on a lane port. */
export const LaneOp = { Calls: 0, Cancel: 1, Close: 2 } as const;
export type LaneRequest =
  /** `c` is flat: slot, handler, args, slot, handler, args, ... */
  | { readonly t: typeof LaneOp.Calls; readonly c: readonly unknown[] }
  | { readonly t: typeof LaneOp.Cancel; readonly s: number }
  | { readonly t: typeof LaneOp.Close };

/**
 * Worker -> main on a lane port: a hello with the thread id, then results. Results are a flat
 * array: slot, outcome, value, slot, outcome, value, ...
 */
export type LaneReply = { readonly hello: number } | readonly unknown[];

// ---------------------------------------------------------------- runtime set-up

/** `workerData` of every thread of a pool. */
export interface RuntimeData {
  /** href of the user's handler module. */
  readonly module: string;
  /** One Int32 per slot: the worker marks a call started, then how it ended (`slotMark`). */
  readonly started: SharedArrayBuffer;
  /** Name of the BroadcastChannel that carries "cancel slot N" (per-call mode). */
  readonly cancelChannel: string;
}

/** Worker -> main through piscina's 'message' event, once per thread when it has loaded. */
export type RuntimeNotice =
  | { readonly bw: 'loaded'; readonly threadId: number; readonly handlers: readonly string[] }
  | { readonly bw: 'load-failed'; readonly threadId: number; readonly error: SerializedThrown };

export function isRuntimeNotice(message: unknown): message is RuntimeNotice {
  return typeof message === 'object' && message !== null && 'bw' in message;
}
