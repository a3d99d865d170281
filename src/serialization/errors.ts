/**
 * Explicit serialization of thrown values, shared by the worker runtime (workers/), the pool
 * (src/pool) and the remote wire (src/remote). Structured clone alone would drop an error's class
 * name, custom fields and often its cause chain; this keeps them.
 *
 * A thrown value is user data and may be hostile or broken: getters that throw, Proxies whose
 * traps throw, causes that point back at their error, fields of many megabytes. Serialization
 * never throws and never produces something postMessage can't send: every read is guarded, and
 * what can't be read is replaced by a note saying so, keeping whatever could be read (at the
 * very least the class name). A thread that serializes a bad error therefore reports it as the
 * handler's error instead of dying.
 */
import { whyNotCloneable } from './cloneable.ts';

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
/** Longest `message` or `stack` kept, in characters; longer ones are cut with a note. */
export const MAX_TEXT_LENGTH = 16_384;
/** Custom fields kept per error; a field whose value is larger than this (as JSON) is replaced. */
export const MAX_FIELDS = 32;
const MAX_FIELD_TEXT = 4_096;
const MAX_AGGREGATED = 16;
const RESERVED = new Set(['name', 'message', 'stack', 'cause', 'code', 'errors']);

/** Turns anything thrown into plain data that survives postMessage. Never throws. */
export function serializeError(thrown: unknown, depth = 0): SerializedThrown {
  try {
    return serializeUnsafe(thrown, depth);
  } catch (error) {
    // Every read below is guarded; this is the last line for what no guard foresaw.
    return bare('Error', `[thrown value could not be serialized: ${safeText(errorMessageOf(error))}]`);
  }
}

function serializeUnsafe(thrown: unknown, depth: number): SerializedThrown {
  if (!isErrorish(thrown)) {
    if (whyNotCloneable(thrown, true) === undefined && !isHuge(thrown))
      return { kind: 'value', value: thrown };
    return { kind: 'value', value: safeText(describeValue(thrown)) };
  }
  const error = thrown as Error & Record<string, unknown>;
  const next = depth + 1;
  let fields: Record<string, unknown> | undefined;
  const keys = read(() => Object.keys(error), [] as string[]);
  let kept = 0;
  for (const key of keys) {
    if (RESERVED.has(key)) continue;
    if (kept++ >= MAX_FIELDS) {
      fields ??= {};
      fields.__truncated = `${keys.length - MAX_FIELDS} more field(s) not sent`;
      break;
    }
    fields ??= {};
    fields[key] = fieldValue(error, key, next);
  }
  const hasCause = read(() => 'cause' in error && error.cause !== undefined, false);
  const code = read(() => error.code, undefined);
  const stack = read(() => error.stack, undefined);
  const errors = read(() => error.errors, undefined);
  return {
    kind: 'error',
    name: read(() => errorName(error), 'Error'),
    message: read(() => safeText(String(error.message)), '[message could not be read]'),
    stack: typeof stack === 'string' ? safeText(stack) : undefined,
    code:
      code === undefined || (whyNotCloneable(code, true) === undefined && !isHuge(code))
        ? code
        : safeText(describeValue(code)),
    cause:
      hasCause && depth < MAX_CAUSE_DEPTH
        ? serializeError(
            read(() => error.cause, '[cause could not be read]'),
            next,
          )
        : undefined,
    fields,
    errors:
      Array.isArray(errors) && depth < MAX_CAUSE_DEPTH
        ? read(() => errors.slice(0, MAX_AGGREGATED).map((e: unknown) => serializeError(e, next)), undefined)
        : undefined,
  };
}

function fieldValue(error: Record<string, unknown>, key: string, depth: number): unknown {
  let value: unknown;
  try {
    value = error[key];
  } catch (e) {
    return `[field could not be read: ${safeText(errorMessageOf(e))}]`;
  }
  if (isErrorish(value)) {
    return depth <= MAX_CAUSE_DEPTH ? rebuildLater(serializeError(value, depth)) : '[nested error not sent]';
  }
  if (whyNotCloneable(value, true) !== undefined) return `[not cloneable: ${typeof value}]`;
  if (isHuge(value)) return `[too large: ${typeof value}]`;
  return value;
}

/** Rebuilds what `serializeError` made: an Error with the original name, message, code, cause, fields. */
export function deserializeError(data: SerializedThrown): unknown {
  if (data.kind === 'value') return data.value;
  const error: Error & Record<string, unknown> = new Error(data.message) as Error & Record<string, unknown>;
  define(error, 'name', data.name);
  if (data.stack !== undefined) define(error, 'stack', data.stack);
  if (data.code !== undefined) error.code = data.code;
  if (data.cause !== undefined) define(error, 'cause', deserializeError(data.cause));
  if (data.errors !== undefined) define(error, 'errors', data.errors.map(deserializeError));
  if (data.fields !== undefined) {
    for (const key of Object.keys(data.fields)) {
      const value = data.fields[key];
      error[key] = isNestedError(value) ? deserializeError(value.error) : value;
    }
  }
  return error;
}

function define(error: Error, key: string, value: unknown): void {
  Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: false });
}

/** A SerializedError carrying only a name and a message. */
function bare(name: string, message: string): SerializedError {
  return {
    kind: 'error',
    name,
    message,
    stack: undefined,
    code: undefined,
    cause: undefined,
    fields: undefined,
    errors: undefined,
  };
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

/** `fn()`, or `fallback` if it throws (a getter, a Proxy trap). */
function read<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/**
 * An Error, or an error from another realm (or a DOMException in some runtimes), which fails
 * `instanceof Error` but has a string `message` and `stack`. `instanceof` itself may throw (a
 * Proxy's getPrototypeOf trap): such a value is treated as an error, so what can be read is kept.
 */
function isErrorish(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  try {
    if (value instanceof Error) return true;
    const v = value as { message?: unknown; stack?: unknown };
    return typeof v.message === 'string' && typeof v.stack === 'string';
  } catch {
    return true;
  }
}

function errorName(error: Error): string {
  const own = read(() => error.name, 'Error');
  const name = typeof own === 'string' ? safeText(own).slice(0, 200) : 'Error';
  if (name !== 'Error') return name;
  // `class HttpError extends Error {}` keeps the inherited name "Error": its class name says more.
  const ctor = read(() => (error as { constructor?: { name?: unknown } }).constructor?.name, undefined);
  return typeof ctor === 'string' && ctor !== '' && ctor !== 'Object' ? ctor.slice(0, 200) : name;
}

/** A string cut to MAX_TEXT_LENGTH with a note of how much was left out. */
function safeText(text: string): string {
  if (text.length <= MAX_TEXT_LENGTH) return text;
  return `${text.slice(0, MAX_TEXT_LENGTH)}... [${text.length - MAX_TEXT_LENGTH} more characters not sent]`;
}

/** A long string, or a value whose JSON is long (checked cheaply: strings by length, objects by JSON). */
function isHuge(value: unknown): boolean {
  if (typeof value === 'string') return value.length > MAX_FIELD_TEXT;
  if (typeof value !== 'object' || value === null) return false;
  if (ArrayBuffer.isView(value)) return value.byteLength > MAX_FIELD_TEXT;
  try {
    const json = JSON.stringify(value);
    return json !== undefined && json.length > MAX_FIELD_TEXT;
  } catch {
    // Not JSON (a cycle, a BigInt, a throwing toJSON): structured clone already accepted it.
    return false;
  }
}

function describeValue(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return `[${Object.prototype.toString.call(value)}]`;
    } catch {
      return '[unprintable value]';
    }
  }
}

function errorMessageOf(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return 'unknown';
  }
}
