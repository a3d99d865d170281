/**
 * The worker-side runtime: the file piscina loads in every thread of a breakwater pool.
 *
 * It imports the user's handler module once (its URL comes in `workerData`), then runs calls:
 * `default` is piscina's per-call task, `lane` serves batches over a dedicated port (batching
 * mode). Every outcome goes back as data built by src/pool/protocol.ts: handler errors are
 * serialized explicitly, a missing export is ERR_UNKNOWN_HANDLER, a module that failed to load
 * answers every call with its load error. Nothing here throws to piscina: a rejection of a task is
 * reserved for the thread itself dying, so the main thread can tell the two apart.
 */
import { BroadcastChannel, type MessagePort, parentPort, threadId, workerData } from 'node:worker_threads';
import {
  LaneOp,
  type LaneRequest,
  Outcome,
  outcomeOfMark,
  type RuntimeData,
  type RuntimeNotice,
  slotMark,
  type TaskMessage,
} from '../src/pool/protocol.ts';
import { whyNotCloneable } from '../src/serialization/cloneable.ts';
import { type SerializedThrown, serializeError } from '../src/serialization/errors.ts';

type Handler = (...args: unknown[]) => unknown;

const data = workerData as RuntimeData;
const started = new Int32Array(data.started);
/** Signals of running calls whose handler declared one, by slot. */
const controllers = new Map<number, AbortController>();

let handlers: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
let loadError: SerializedThrown | undefined;

try {
  handlers = (await import(data.module)) as Record<string, unknown>;
  const names = Object.keys(handlers).filter((k) => typeof handlers[k] === 'function');
  notify({ bw: 'loaded', threadId, handlers: names });
} catch (error) {
  loadError = serializeError(error);
  notify({ bw: 'load-failed', threadId, error: loadError });
}

// Cancellation of running calls in per-call mode: piscina gives no side channel into a busy
// thread, so "abort slot N" is broadcast to the pool's threads; the one running it aborts.
const cancels = new BroadcastChannel(data.cancelChannel);
cancels.unref();
cancels.onmessage = (event: unknown) => {
  const slot = (event as { data?: unknown }).data;
  if (typeof slot === 'number') controllers.get(slot)?.abort(new Error('the caller aborted the call'));
};

function notify(notice: RuntimeNotice): void {
  parentPort?.postMessage(notice);
}

/**
 * Immediates scheduled by handler code and not yet run. A handler that ends its thread right after
 * returning (`setImmediate(() => process.exit())`) does it from one of these; a call that arrives
 * while any is pending waits until they ran, so the exit finds it not yet started and the pool
 * runs it elsewhere instead of blaming it. Counting costs nothing for handlers that never
 * schedule immediates, unlike deferring every call by one event-loop turn.
 */
let pendingImmediates = 0;
const nativeSetImmediate = globalThis.setImmediate;
const nativeClearImmediate = globalThis.clearImmediate;
const settleImmediate = new WeakMap<object, () => void>();
globalThis.setImmediate = Object.assign(
  <A extends unknown[]>(callback: (...args: A) => void, ...args: A): NodeJS.Immediate => {
    pendingImmediates++;
    let pending = true;
    const done = (): void => {
      if (pending) {
        pending = false;
        pendingImmediates--;
      }
    };
    const immediate = nativeSetImmediate(() => {
      done();
      callback(...args);
    });
    settleImmediate.set(immediate, done);
    return immediate;
  },
  { __promisify__: nativeSetImmediate.__promisify__ },
) as typeof setImmediate;
globalThis.clearImmediate = (immediate: NodeJS.Immediate | string | number | undefined): void => {
  if (typeof immediate === 'object') settleImmediate.get(immediate)?.();
  nativeClearImmediate(immediate as NodeJS.Immediate);
};

const STARTED = slotMark(Outcome.Value);
const THREW = slotMark(Outcome.Threw);

/**
 * Runs one call: marks its slot started, then with how it ended (see `slotMark`), and returns
 * the outcome value (or a promise of it for async handlers): the handler's value, or the
 * SerializedThrown of its error or of the module's load error. Never throws.
 */
function invoke(slot: number, name: string, args: readonly unknown[], from: number): unknown {
  if (name === '') return undefined; // skipped: the slot stays NOT_STARTED
  Atomics.store(started, slot, STARTED);
  if (loadError !== undefined) {
    Atomics.store(started, slot, slotMark(Outcome.LoadFailed));
    return loadError;
  }
  const fn = handlers[name];
  if (typeof fn !== 'function') {
    Atomics.store(started, slot, slotMark(Outcome.UnknownHandler));
    return undefined;
  }
  let controller: AbortController | undefined;
  let result: unknown;
  try {
    // A handler that declares one more parameter than it was given gets an AbortSignal there;
    // creating one costs ~4 µs, so handlers that don't ask don't pay.
    const argc = args.length - from;
    if (fn.length > argc) {
      controller = new AbortController();
      controllers.set(slot, controller);
      result = (fn as Handler)(...args.slice(from), controller.signal);
    } else {
      result = callWith(fn as Handler, args, from, argc);
    }
  } catch (error) {
    if (controller !== undefined) controllers.delete(slot);
    return threw(slot, error);
  }
  if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
    if (controller !== undefined) controllers.delete(slot);
    return returned(slot, name, result);
  }
  return Promise.resolve(result).then(
    (value) => {
      if (controller !== undefined) controllers.delete(slot);
      return returned(slot, name, value);
    },
    (error: unknown) => {
      if (controller !== undefined) controllers.delete(slot);
      return threw(slot, error);
    },
  );
}

/** `fn(...args.slice(from))` without the copy for the usual few arguments. */
function callWith(fn: Handler, args: readonly unknown[], from: number, argc: number): unknown {
  switch (argc) {
    case 0:
      return fn();
    case 1:
      return fn(args[from]);
    case 2:
      return fn(args[from], args[from + 1]);
    case 3:
      return fn(args[from], args[from + 1], args[from + 2]);
    default:
      return fn(...(from === 0 ? args : args.slice(from)));
  }
}

function returned(slot: number, name: string, value: unknown): unknown {
  // A result postMessage can't clone would crash the thread inside piscina; report it instead.
  const why = whyNotCloneable(value, true);
  if (why === undefined) return value;
  Atomics.store(started, slot, slotMark(Outcome.NotCloneable));
  return resultNotCloneable(name, why);
}

function resultNotCloneable(name: string, why: string): string {
  return `the result of handler "${name}" can't be sent to the main thread: ${why}`;
}

function threw(slot: number, error: unknown): SerializedThrown {
  Atomics.store(started, slot, THREW);
  return serializeError(error);
}

/** piscina's task: one call per message. */
export default function run(task: TaskMessage): unknown {
  if (pendingImmediates === 0) return invoke(task[0], task[1], task, 2);
  return new Promise((resolve) => nativeSetImmediate(() => resolve(invoke(task[0], task[1], task, 2))));
}

/**
 * Batching mode: sets up a lane that serves calls over `port`, then returns at once (so piscina
 * sees the thread idle and never holds the process open for it). Calls arrive many per message;
 * results go back as they finish, gathered per event-loop turn into one message.
 */
export function lane(task: { readonly port: MessagePort }): void {
  const { port } = task;
  let out: unknown[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (out.length === 0) return;
    const batch = out;
    out = [];
    try {
      port.postMessage(batch);
    } catch {
      // Outcomes were checked one by one; this is a value the check let through (or a batch too
      // big to send at once). Send each on its own so only the bad one turns into an error.
      for (let i = 0; i < batch.length; i += 3) postOne(port, batch[i] as number, batch[i + 1], batch[i + 2]);
    }
  };
  // The outcome's kind is the slot's mark, final once invoke() has returned (or its promise settled).
  const push = (slot: number, value: unknown): void => {
    out.push(slot, outcomeOfMark(Atomics.load(started, slot)), value);
    if (!scheduled) {
      scheduled = true;
      nativeSetImmediate(flush);
    }
  };
  const runBatch = (c: readonly unknown[]): void => {
    for (let i = 0; i < c.length; i += 3) {
      const slot = c[i] as number;
      const result = invoke(slot, c[i + 1] as string, c[i + 2] as readonly unknown[], 0);
      if (result instanceof Promise) result.then((value: unknown) => push(slot, value));
      else out.push(slot, outcomeOfMark(Atomics.load(started, slot)), result);
    }
    // Synchronous results leave at once; async ones are gathered until the turn ends.
    if (!scheduled) flush();
  };
  port.on('message', (message: LaneRequest) => {
    switch (message.t) {
      case LaneOp.Calls: {
        if (pendingImmediates > 0) {
          nativeSetImmediate(() => runBatch(message.c));
          return;
        }
        runBatch(message.c);
        return;
      }
      case LaneOp.Cancel:
        controllers.get(message.s)?.abort(new Error('the caller aborted the call'));
        return;
      case LaneOp.Close:
        flush();
        port.close();
        return;
    }
  });
  port.postMessage({ hello: threadId });
}

function postOne(port: MessagePort, slot: number, kind: unknown, value: unknown): void {
  try {
    port.postMessage([slot, kind, value]);
  } catch (error) {
    const why = error instanceof Error ? error.message : 'it could not be cloned';
    port.postMessage([slot, Outcome.NotCloneable, `the result can't be sent to the main thread: ${why}`]);
  }
}
