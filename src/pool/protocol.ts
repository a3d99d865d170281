/**
 * The one protocol between the main thread and the worker runtime (workers/runtime.ts): message
 * shapes and outcome kinds (errors travel as src/serialization/errors.ts makes them). Both sides
 * import this module, so it must stay free of Node-main-thread-only imports.
 *
 * Every mode uses the same path: one lane (a MessagePort) per thread, calls many per message,
 * results gathered per event-loop turn. The modes differ only in when a batch leaves and how many
 * calls a thread runs at once (lanes.ts).
 */
import type { MessagePort } from 'node:worker_threads';
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
  /** The main thread withdrew the call before it started (queue timeout, abort): not run. */
  Skipped: 4,
  /** The handler's result can't be sent to the main thread; `v` says why (a string). */
  NotCloneable: 5,
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

// ---------------------------------------------------------------- start marks

/**
 * One Int32 per slot in a SharedArrayBuffer, written with compare-and-swap by both sides, so a call
 * waiting in a thread's inbox is either started by the worker or withdrawn by the main thread,
 * never both. The outcome itself travels with the result.
 */
export const Mark = {
  /** Sent, not started: in a message or in the thread's inbox. */
  NotStarted: 0,
  /** The main thread withdrew it (the caller gave up): the worker skips it. */
  Withdrawn: -1,
  /** Started as soon as it reached the thread (its run timeout counted from when it was sent). */
  Started: 1,
  /** Began more than a moment after it was sent (it waited in the inbox, or the thread's loop was
   * busy): a `Began` notice tells the main thread when its run time really started. */
  StartedLate: 2,
} as const;
export type Mark = (typeof Mark)[keyof typeof Mark];

// ---------------------------------------------------------------- lanes

/**
 * Every thread serves one lane: a MessagePort handed over by a piscina task. Calls travel many per
 * message, results stream back gathered per event-loop turn.
 */
export const LaneOp = { Calls: 0, Cancel: 1, Close: 2 } as const;
export type LaneRequest =
  /**
   * `c` is flat: slot, handler, args, slot, handler, args, ...; `at`: when the batch was sent
   * (`performance.timeOrigin + performance.now()`, comparable across threads).
   */
  | { readonly t: typeof LaneOp.Calls; readonly c: readonly unknown[]; readonly at: number }
  /** Abort the signal of the call in slot `s` (its caller gave up). */
  | { readonly t: typeof LaneOp.Cancel; readonly s: number }
  | { readonly t: typeof LaneOp.Close };

/** A reply entry that is not an outcome: the call in this slot began now (it waited in the inbox). */
export const Began = -1;

/**
 * Worker -> main on a lane port: a hello with the thread id, then flat triples
 * `slot, Outcome | Began, value`.
 */
export type LaneReply = { readonly hello: number } | readonly unknown[];

/** The piscina task that opens a lane on a thread. */
export interface LaneTask {
  readonly port: MessagePort;
  /** Calls the thread runs at once; more wait in its inbox. `0`: no bound (batching mode). */
  readonly concurrency: number;
  /** One Int32 the thread bumps every HEARTBEAT_MS: the main thread sees a stuck event loop. */
  readonly heartbeat: SharedArrayBuffer;
}

/** The worker bumps its heartbeat this often (ms) while its event loop turns. */
export const HEARTBEAT_MS = 100;

// ---------------------------------------------------------------- runtime set-up

/** `workerData` of every thread of a pool. */
export interface RuntimeData {
  /** href of the user's handler module. */
  readonly module: string;
  /** One Int32 per slot: the start marks (`Mark`). */
  readonly marks: SharedArrayBuffer;
}

/** Worker -> main through piscina's 'message' event, once per thread when it has loaded. */
export type RuntimeNotice =
  | { readonly bw: 'loaded'; readonly threadId: number; readonly handlers: readonly string[] }
  | { readonly bw: 'load-failed'; readonly threadId: number; readonly error: SerializedThrown };

export function isRuntimeNotice(message: unknown): message is RuntimeNotice {
  return typeof message === 'object' && message !== null && 'bw' in message;
}
