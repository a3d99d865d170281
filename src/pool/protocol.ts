/**
 * The one protocol between the main thread and the worker runtime (workers/runtime.ts): message
 * shapes, outcome kinds, and the explicit error serialization. Structured clone alone would drop
 * an error's class name, its `code` on older Nodes, custom fields and the cause chain; this keeps
 * them. Both sides import this module, so it must stay free of Node-main-thread-only imports.
 *
 * A message can carry many calls (batching mode) and results stream back in batches too; the
 * per-call form (piscina's one task per message) is the batch of one.
 */
import { whyNotCloneable } from './cloneable.ts';

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

// ---------------------------------------------------------------- errors

/** A thrown value that is not an Error travels as itself (if it can be cloned). */
export interface SerializedValue {
  readonly kind: 'value';
  readonly value: unknown;
}

export interface SerializedError {
  readonly kind: 'error';
  /** The error's `name`, or its class name when `name` is the inherited "Error". */
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly code: unknown;
  readonly cause: SerializedThrown | undefined;
  /** Own enumerable fields other than the ones above. */
  readonly fields: Record<string, unknown> | undefined;
  /** An AggregateError's errors. */
  readonly errors: SerializedThrown[] | undefined;
}

export type SerializedThrown = SerializedError | SerializedValue;

/** Causes followed before the chain is cut (a cause may point back at its error). */
export const MAX_CAUSE_DEPTH = 8;
const MAX_AGGREGATED = 16;
const RESERVED = new Set(['name', 'message', 'stack', 'cause', 'code', 'errors']);

/** Turns anything thrown into plain data that survives postMessage. */
export function serializeError(thrown: unknown, depth = 0): SerializedThrown {
  if (!(thrown instanceof Error) && !isErrorLike(thrown)) {
    if (whyNotCloneable(thrown, true) === undefined) return { kind: 'value', value: thrown };
    return { kind: 'value', value: String(thrown) };
  }
  const error = thrown as Error & { code?: unknown; errors?: unknown };
  let fields: Record<string, unknown> | undefined;
  for (const key of Object.keys(error)) {
    if (RESERVED.has(key)) continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    fields ??= {};
    fields[key] =
      value instanceof Error && depth < MAX_CAUSE_DEPTH
        ? rebuildLater(serializeError(value, depth + 1))
        : whyNotCloneable(value, true) === undefined
          ? value
          : `[not cloneable: ${typeof value}]`;
  }
  const hasCause = 'cause' in error && error.cause !== undefined;
  const code = error.code;
  return {
    kind: 'error',
    name: errorName(error),
    message: String(error.message),
    stack: typeof error.stack === 'string' ? error.stack : undefined,
    code: code === undefined || whyNotCloneable(code, true) === undefined ? code : String(code),
    cause: hasCause && depth < MAX_CAUSE_DEPTH ? serializeError(error.cause, depth + 1) : undefined,
    fields,
    errors:
      Array.isArray(error.errors) && depth < MAX_CAUSE_DEPTH
        ? error.errors.slice(0, MAX_AGGREGATED).map((e: unknown) => serializeError(e, depth + 1))
        : undefined,
  };
}

/** Rebuilds what `serializeError` made: an Error with the original name, message, code, cause, fields. */
export function deserializeError(data: SerializedThrown): unknown {
  if (data.kind === 'value') return data.value;
  const error: Error & Record<string, unknown> = new Error(data.message) as Error & Record<string, unknown>;
  Object.defineProperty(error, 'name', {
    value: data.name,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  if (data.stack !== undefined) {
    Object.defineProperty(error, 'stack', {
      value: data.stack,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (data.code !== undefined) error.code = data.code;
  if (data.cause !== undefined) {
    Object.defineProperty(error, 'cause', {
      value: deserializeError(data.cause),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (data.errors !== undefined) {
    Object.defineProperty(error, 'errors', {
      value: data.errors.map(deserializeError),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (data.fields !== undefined) {
    for (const key of Object.keys(data.fields)) {
      const value = data.fields[key];
      error[key] = isNestedError(value) ? deserializeError(value.error) : value;
    }
  }
  return error;
}

/** An Error stored in a custom field travels serialized, tagged so it is rebuilt too. */
interface NestedError {
  readonly __bwError: true;
  readonly error: SerializedThrown;
}

function rebuildLater(error: SerializedThrown): NestedError {
  return { __bwError: true, error };
}

function isNestedError(value: unknown): value is NestedError {
  return typeof value === 'object' && value !== null && (value as { __bwError?: unknown }).__bwError === true;
}

/** Errors from another realm (or DOMException in some runtimes) fail `instanceof Error`. */
function isErrorLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string' &&
    typeof (value as { stack?: unknown }).stack === 'string'
  );
}

function errorName(error: Error): string {
  const name = typeof error.name === 'string' ? error.name : 'Error';
  if (name !== 'Error') return name;
  // `class HttpError extends Error {}` keeps the inherited name "Error": its class name says more.
  const ctor = (error as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' && ctor.name !== 'Object' ? ctor.name : name;
}
