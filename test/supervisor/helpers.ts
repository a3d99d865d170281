/**
 * Small helpers shared by the supervisor suites: settle-trackers for promises (so a test can look at
 * whether a call has settled without awaiting it), deferred work, and event recorders.
 */

import type { SupervisorEventName, SupervisorEvents } from '../../src/events.ts';
import type { Supervisor } from '../../src/index.ts';

/** The outcome of a promise once it settled; `undefined` while pending. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

export interface Tracked<T> {
  outcome: Outcome<T> | undefined;
  readonly promise: Promise<T>;
}

/** Watches a promise without awaiting it. The rejection is handled, so no unhandled-rejection noise. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { outcome: undefined, promise };
  promise.then(
    (value) => {
      t.outcome = { ok: true, value };
    },
    (error: unknown) => {
      t.outcome = { ok: false, error };
    },
  );
  return t;
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The `code` of an error-like value, or undefined. */
export function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** The error a tracked promise rejected with; fails the test if it is pending or resolved. */
export function errorOf<T>(t: Tracked<T>): unknown {
  if (t.outcome === undefined) throw new Error('expected the call to have settled, it is still pending');
  if (t.outcome.ok) throw new Error(`expected a rejection, got the value ${String(t.outcome.value)}`);
  return t.outcome.error;
}

/** Records every payload of one event, in order. */
export function record<E extends SupervisorEventName>(sup: Supervisor, event: E): SupervisorEvents[E][0][] {
  const out: SupervisorEvents[E][0][] = [];
  const listener = ((payload: SupervisorEvents[E][0]) => {
    out.push(payload);
  }) as (...args: SupervisorEvents[E]) => void;
  sup.on(event, listener);
  return out;
}

/** `from -> to (reason)` of state-change events: compact, exact sequences for assertions. */
export function transitions(events: readonly SupervisorEvents['stateChange'][0][]): string[] {
  return events.map((e) => `${e.from}->${e.to} (${e.reason})`);
}

/** Work that fails with `error` (a fresh Error by default). */
export function failing(error: unknown = new Error('boom')): () => Promise<never> {
  return () => Promise.reject(error);
}

/** Work that never settles. */
export function hanging(): Promise<never> {
  return new Promise<never>(() => {});
}
