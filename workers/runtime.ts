/**
 * The worker-side runtime: the file piscina loads in every thread of a breakwater pool.
 *
 * It imports the user's handler module once (its URL comes in `workerData`), then serves one lane:
 * piscina's task `lane` hands over a MessagePort, calls arrive many per message into an inbox,
 * at most `concurrency` run at once, and results go back gathered per event-loop turn. Every
 * outcome goes back as data built by src/pool/protocol.ts: handler errors are serialized
 * explicitly, a missing export is ERR_UNKNOWN_HANDLER, a module that failed to load answers every
 * call with its load error. A call starts only if it wins its start mark (compare-and-swap against
 * the main thread's withdrawal), and a heartbeat in shared memory shows the main thread whether
 * the event loop still turns.
 */
import { type MessagePort, parentPort, threadId, workerData } from 'node:worker_threads';
import {
  Began,
  HEARTBEAT_MS,
  LaneOp,
  type LaneRequest,
  type LaneTask,
  Mark,
  Outcome,
  type RuntimeData,
  type RuntimeNotice,
} from '../src/pool/protocol.ts';
import { whyNotCloneable } from '../src/serialization/cloneable.ts';
import { type SerializedThrown, serializeError } from '../src/serialization/errors.ts';

type Handler = (...args: unknown[]) => unknown;

const data = workerData as RuntimeData;
const marks = new Int32Array(data.marks);
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

function notify(notice: RuntimeNotice): void {
  parentPort?.postMessage(notice);
}

/**
 * Immediates scheduled by handler code and not yet run. A handler that ends its thread right after
 * returning (`setImmediate(() => process.exit())`) does it from one of these; calls that arrive
 * while any is pending wait until they ran, so the exit finds it not yet started and the pool
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

/**
 * A call began "late", and sends a `Began` notice so its run timeout restarts, when it waited in
 * the inbox for the thread's concurrency to free up, or began more than this long (ms) after it
 * was sent (the thread's event loop was busy, e.g. with a synchronous handler ahead of it).
 */
const LATE_MS = 50;
/** Makes this thread's performance.now() comparable with the main thread's. */
const origin = performance.timeOrigin;

/** How a synchronous `invoke` ended (read right after it returns). */
let syncKind: Outcome = Outcome.Value;
/** Returned by `invoke` for a call still running: `done` is called when it ends. */
const PENDING: unique symbol = Symbol('pending');

/**
 * Runs one call that won its start mark. Returns its outcome value (the handler's value, or the
 * SerializedThrown of its error or of the module's load error) with `syncKind` saying which, or
 * PENDING and later calls `done`. Never throws.
 */
function invoke(
  slot: number,
  name: string,
  args: readonly unknown[],
  done: (slot: number, kind: Outcome, value: unknown) => void,
): unknown {
  if (loadError !== undefined) {
    syncKind = Outcome.LoadFailed;
    return loadError;
  }
  const fn = handlers[name];
  if (typeof fn !== 'function') {
    syncKind = Outcome.UnknownHandler;
    return undefined;
  }
  let controller: AbortController | undefined;
  let result: unknown;
  try {
    // A handler that declares one more parameter than it was given gets an AbortSignal there;
    // creating one costs ~4 µs, so handlers that don't ask don't pay.
    if (fn.length > args.length) {
      controller = new AbortController();
      controllers.set(slot, controller);
      result = (fn as Handler)(...args, controller.signal);
    } else {
      result = callWith(fn as Handler, args);
    }
  } catch (error) {
    if (controller !== undefined) controllers.delete(slot);
    syncKind = Outcome.Threw;
    return serializeError(error);
  }
  let then: unknown;
  try {
    then = (result as PromiseLike<unknown> | null)?.then;
  } catch (error) {
    // A `then` getter that throws: the handler's failure, like a rejection.
    if (controller !== undefined) controllers.delete(slot);
    syncKind = Outcome.Threw;
    return serializeError(error);
  }
  if (typeof then !== 'function') {
    if (controller !== undefined) controllers.delete(slot);
    return returned(name, result);
  }
  Promise.resolve(result).then(
    (value) => {
      if (controller !== undefined) controllers.delete(slot);
      const out = returned(name, value);
      done(slot, syncKind, out);
    },
    (error: unknown) => {
      if (controller !== undefined) controllers.delete(slot);
      done(slot, Outcome.Threw, serializeError(error));
    },
  );
  return PENDING;
}

/** `fn(...args)` without the spread for the usual few arguments. */
function callWith(fn: Handler, args: readonly unknown[]): unknown {
  switch (args.length) {
    case 0:
      return fn();
    case 1:
      return fn(args[0]);
    case 2:
      return fn(args[0], args[1]);
    case 3:
      return fn(args[0], args[1], args[2]);
    default:
      return fn(...args);
  }
}

/** A value, or why it can't be sent (a result postMessage can't clone would crash the thread). */
function returned(name: string, value: unknown): unknown {
  const why = whyNotCloneable(value, true);
  if (why === undefined) {
    syncKind = Outcome.Value;
    return value;
  }
  syncKind = Outcome.NotCloneable;
  return `the result of handler "${name}" can't be sent to the main thread: ${why}`;
}

/**
 * Serves the lane handed over by piscina's task, then returns at once (so piscina sees the thread
 * idle and never holds the process open for it).
 */
export function lane(task: LaneTask): void {
  const { port } = task;
  const limit = task.concurrency > 0 ? task.concurrency : Number.POSITIVE_INFINITY;
  const holdBack = task.concurrency > 0;
  const beat = new Int32Array(task.heartbeat);
  const heartbeat = setInterval(() => Atomics.add(beat, 0, 1), HEARTBEAT_MS);
  heartbeat.unref();
  /** Calls not started yet, flat: slot, handler, args, when sent, which message brought them. */
  let inbox: unknown[] = [];
  let head = 0;
  /** Calls running asynchronously. */
  let running = 0;
  /** Messages received; `serving` is the one being served as it arrives (-1: none). */
  let arrivals = 0;
  let serving = -1;
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
  const later = (): void => {
    if (!scheduled) {
      scheduled = true;
      nativeSetImmediate(flush);
    }
  };
  const done = (slot: number, kind: Outcome, value: unknown): void => {
    running--;
    out.push(slot, kind, value);
    pump();
    later();
  };
  const pump = (): void => {
    while (running < limit && head < inbox.length) {
      const slot = inbox[head] as number;
      const name = inbox[head + 1] as string | null;
      const args = inbox[head + 2] as readonly unknown[];
      const late =
        inbox[head + 4] !== serving || origin + performance.now() - (inbox[head + 3] as number) > LATE_MS;
      head += 5;
      if (name === null) continue; // withdrawn, already answered
      const mark = late ? Mark.StartedLate : Mark.Started;
      if (Atomics.compareExchange(marks, slot, Mark.NotStarted, mark) !== Mark.NotStarted) {
        out.push(slot, Outcome.Skipped, undefined); // withdrawn by the main thread
        continue;
      }
      if (late) out.push(slot, Began, undefined);
      const value = invoke(slot, name, args, done);
      if (value === PENDING) running++;
      else out.push(slot, syncKind, value);
      if (pendingImmediates > 0 && holdBack && head < inbox.length) {
        // The handler scheduled work for after this turn (maybe its thread's exit): the calls
        // behind it begin only after that ran, so an exit finds them not started. (Batching mode
        // promises that a batch runs in one turn, so there only a whole batch is held back.)
        defer();
        break;
      }
    }
    if (head === inbox.length) {
      inbox = [];
      head = 0;
    }
  };
  let deferred = false;
  const serve = (): void => {
    deferred = false;
    pump();
    // Synchronous results leave at once; async ones are gathered until the turn ends.
    if (!scheduled) flush();
  };
  const defer = (): void => {
    if (deferred) return;
    deferred = true;
    nativeSetImmediate(serve);
  };
  port.on('message', (message: LaneRequest) => {
    switch (message.t) {
      case LaneOp.Calls: {
        const c = message.c;
        const at = message.at;
        arrivals++;
        for (let i = 0; i < c.length; i += 3) inbox.push(c[i], c[i + 1], c[i + 2], at, arrivals);
        if (pendingImmediates > 0) defer();
        else {
          serving = arrivals;
          serve();
          serving = -1;
        }
        return;
      }
      case LaneOp.Cancel: {
        const slot = message.s;
        if (Atomics.load(marks, slot) !== Mark.Withdrawn) {
          controllers.get(slot)?.abort(new Error('the caller gave up on the call'));
          return;
        }
        // Withdrawn while in the inbox: let go of it now, so its slot frees up at once.
        for (let i = head; i < inbox.length; i += 5) {
          if (inbox[i] === slot && inbox[i + 1] !== null) {
            inbox[i + 1] = null;
            out.push(slot, Outcome.Skipped, undefined);
            later();
            break;
          }
        }
        return;
      }
      case LaneOp.Close:
        flush();
        clearInterval(heartbeat);
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
