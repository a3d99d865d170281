/**
 * Running handlers in a breakwater pool thread: the user's module, loaded once, and `invoke`,
 * which runs one call and turns whatever it does (returns, throws, rejects, returns a value that
 * can't be sent) into an outcome for the main thread. Used by workers/runtime.ts.
 */
import { Outcome } from '../src/pool/protocol.ts';
import { whyNotCloneable } from '../src/serialization/cloneable.ts';
import { type SerializedThrown, serializeError } from '../src/serialization/errors.ts';

type Handler = (...args: unknown[]) => unknown;

/** Signals of running calls whose handler declared one, by slot. */
const controllers = new Map<number, AbortController>();

let handlers: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
let loadError: SerializedThrown | undefined;

/** Imports the handler module; a module that fails to load answers every call with its error. */
export async function loadHandlers(
  module: string,
): Promise<{ ok: true; names: string[] } | { ok: false; error: SerializedThrown }> {
  try {
    handlers = (await import(module)) as Record<string, unknown>;
    return { ok: true, names: Object.keys(handlers).filter((k) => typeof handlers[k] === 'function') };
  } catch (error) {
    loadError = serializeError(error);
    return { ok: false, error: loadError };
  }
}

/** Aborts the signal of a running call, if its handler took one. */
export function abortCall(slot: number): void {
  controllers.get(slot)?.abort(new Error('the caller gave up on the call'));
}

/** How a synchronous `invoke` ended (read right after it returns). */
export let syncKind: Outcome = Outcome.Value;
/** Returned by `invoke` for a call still running: `done` is called when it ends. */
export const PENDING: unique symbol = Symbol('pending');

/**
 * Runs one call that won its start mark. Returns its outcome value (the handler's value, or the
 * SerializedThrown of its error or of the module's load error) with `syncKind` saying which, or
 * PENDING and later calls `done`. Never throws.
 */
export function invoke(
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
