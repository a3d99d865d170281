/**
 * Can a value cross a thread boundary? Answering with `structuredClone` copies the whole value,
 * which doubles the cost of every call; so a cheap walk answers first for the shapes calls carry
 * (primitives, plain objects and arrays, buffers, dates, maps, sets) and only values it can't
 * vouch for (class instances, host objects such as sockets) pay for a trial clone.
 * Shared by the main thread (arguments) and the worker runtime (results). Never throws: a value
 * whose getters or Proxy traps throw is "not cloneable", with the reason.
 */
import { isProxy } from 'node:util/types';

/** The walk's answers. */
const Verdict = {
  Yes: 0,
  No: 1,
  /** An object the walk doesn't know, e.g. a class instance: a trial clone decides. */
  Unknown: 2,
  /** The value is too big to walk cheaply. */
  Large: 3,
  /** Nested deeper than the walk goes: structured clone may overflow the stack on it. */
  Deep: 4,
} as const;
type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** Values visited before the walk gives up and lets the real clone decide. */
const NODE_BUDGET = 512;
const MAX_DEPTH = 32;

interface Walk {
  budget: number;
}

const objectProto = Object.prototype;

function walk(value: unknown, depth: number, state: Walk): Verdict {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return Verdict.Yes;
    case 'function':
    case 'symbol':
      return Verdict.No;
  }
  if (value === null) return Verdict.Yes;
  if (depth > MAX_DEPTH) return Verdict.Deep;
  if (--state.budget < 0) return Verdict.Large;
  const obj = value as object;
  // A Proxy looks like its target to the walk, but structured clone refuses it.
  if (isProxy(obj)) return Verdict.No;
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      const v = walk(obj[i], depth + 1, state);
      if (v !== Verdict.Yes) return v;
    }
    return Verdict.Yes;
  }
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto === objectProto || proto === null) {
    for (const key in obj) {
      const v = walk((obj as Record<string, unknown>)[key], depth + 1, state);
      if (v !== Verdict.Yes) return v;
    }
    return Verdict.Yes;
  }
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer || obj instanceof Date || obj instanceof RegExp) {
    return Verdict.Yes;
  }
  if (obj instanceof Map) {
    for (const [k, v] of obj) {
      const a = walk(k, depth + 1, state);
      if (a !== Verdict.Yes) return a;
      const b = walk(v, depth + 1, state);
      if (b !== Verdict.Yes) return b;
    }
    return Verdict.Yes;
  }
  if (obj instanceof Set) {
    for (const v of obj) {
      const a = walk(v, depth + 1, state);
      if (a !== Verdict.Yes) return a;
    }
    return Verdict.Yes;
  }
  if (obj instanceof Promise || obj instanceof WeakMap || obj instanceof WeakSet) return Verdict.No;
  return Verdict.Unknown;
}

/**
 * Why `value` can't be cloned, or `undefined` when it can (or when it is too large to check
 * cheaply and `thorough` is false: postMessage then has the last word).
 *
 * `transferList` objects are legal only when transferred; a trial clone can't transfer without
 * detaching the caller's buffers, so values the walk can't vouch for are left to postMessage then.
 */
export function whyNotCloneable(
  value: unknown,
  thorough: boolean,
  transferList?: readonly unknown[] | undefined,
): string | undefined {
  // Primitives other than symbols (most results) clone: answered before any walk state exists.
  const type = typeof value;
  if (type !== 'object' && type !== 'function' && type !== 'symbol') return undefined;
  let verdict: Verdict;
  try {
    verdict = walk(value, 0, { budget: NODE_BUDGET });
  } catch (error) {
    // A getter or a Proxy trap threw while the walk read it: postMessage would throw the same.
    return messageOf(error);
  }
  if (verdict === Verdict.Yes) return undefined;
  if (verdict === Verdict.No) return trialClone(value) ?? 'it contains a function, symbol or promise';
  if (verdict === Verdict.Large && !thorough) return undefined;
  // Deep values are rare and may overflow the stack of the thread that rebuilds them, on the
  // other side of the boundary, where no caller could be told (a worker's stack is larger than
  // the main thread's): refused here when nested deeper than MAX_NESTING.
  if (verdict === Verdict.Deep && nestedDeeperThan(value, MAX_NESTING)) {
    return `it is nested more than ${MAX_NESTING} levels deep`;
  }
  if (transferList !== undefined && transferList.length > 0) return undefined;
  return trialClone(value);
}

/** Levels of nesting a value may have to cross a thread boundary. */
export const MAX_NESTING = 1_000;
/** Objects the nesting check visits at most; a value larger than that is left to the clone. */
const NESTING_BUDGET = 1_000_000;

/** Whether `value` nests objects deeper than `limit` (iterative: it must not overflow itself). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  const seen = new Set<object>();
  let budget = NESTING_BUDGET;
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    if (depth > limit) return true;
    if (--budget < 0) return false;
    seen.add(v);
    if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
    else if (v instanceof Map) for (const [k, x] of v) stack.push([k, depth + 1], [x, depth + 1]);
    else if (v instanceof Set) for (const x of v) stack.push([x, depth + 1]);
    else if (!ArrayBuffer.isView(v)) for (const x of Object.values(v)) stack.push([x, depth + 1]);
  }
  return false;
}

function trialClone(value: unknown): string | undefined {
  try {
    structuredClone(value);
    return undefined;
  } catch (error) {
    // DataCloneError, or a RangeError ("Maximum call stack size exceeded") for a deep value.
    return messageOf(error);
  }
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return 'the value could not be read';
  }
}

/**
 * True for errors postMessage/structuredClone throw for what can't be sent: a value that can't be
 * cloned (DataCloneError) or a transfer list entry that can't be transferred.
 */
export function isDataCloneError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return e.name === 'DataCloneError' || e.code === 'ERR_INVALID_TRANSFER_OBJECT';
}
