/**
 * One wrapped inline call (a timeout or a caller signal): it settles exactly once, whichever of
 * the work's result, its deadline, the caller's abort or close() comes first. Also the one place
 * an admitted call's error becomes the caller's outcome (a fallback, or the error).
 */
import { AbortedError, CallTimeoutError, SupervisorClosedError } from '../errors.ts';
import type { DeadlineList, DeadlineNode } from '../time/deadlines.ts';
import type { Fallback } from '../types.ts';
import { type Engine, NO_FALLBACK } from './engine.ts';
import type { ServiceRecord } from './service.ts';

/** Records an error of an admitted call and turns it into the caller's outcome. */
export function failWith<T>(
  e: Engine,
  svc: ServiceRecord,
  gen: number,
  probe: boolean,
  start: number,
  error: unknown,
  fallback: Fallback<T> | undefined,
): T | PromiseLike<T> {
  const kind = e.errored(svc, gen, probe, start, error);
  if (kind === 'failure') {
    const fb = e.fallbackFor(svc, fallback, 'failed', error);
    if (fb !== NO_FALLBACK) return fb;
  }
  throw error;
}

/** One wrapped inline call; settles exactly once, whichever of result, deadline, abort or close comes first. */
export class InlineCall<T> implements DeadlineNode {
  dlAt = 0;
  dlPrev: DeadlineNode | null = null;
  dlNext: DeadlineNode | null = null;
  dlList: DeadlineList | null = null;
  controller: AbortController | undefined;
  #settled = false;

  constructor(
    readonly e: Engine,
    readonly svc: ServiceRecord,
    readonly gen: number,
    readonly probe: boolean,
    readonly start: number,
    readonly timeoutMs: number,
    readonly fallback: Fallback<T> | undefined,
    readonly resolve: (value: T | PromiseLike<T>) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {
    // Every wrapped call sits in a list so close() can find it; Infinity never expires.
    e.deadlines.list(timeoutMs === 0 ? Number.POSITIVE_INFINITY : timeoutMs).add(this);
    signal?.addEventListener('abort', this, { once: true });
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.dlList?.remove(this);
    this.signal?.removeEventListener('abort', this);
    return true;
  }

  /** The work's own result. A result after a timeout or abort is dropped (the call already settled). */
  onValue(value: T): void {
    if (!this.#settle()) return;
    this.e.succeeded(this.svc, this.gen, this.start);
    this.resolve(value);
  }

  onError(error: unknown): void {
    if (!this.#settle()) return;
    try {
      this.resolve(failWith(this.e, this.svc, this.gen, this.probe, this.start, error, this.fallback));
    } catch (rethrown) {
      this.reject(rethrown);
    }
  }

  /** The deadline passed: a failure of the service; the work's signal is aborted. */
  expire(): void {
    if (!this.#settle()) return;
    const error = new CallTimeoutError(this.svc.name, this.timeoutMs);
    let outcome: { value: T | PromiseLike<T> } | { error: unknown } = { error };
    try {
      this.controller?.abort(error);
      this.e.failed(this.svc, this.gen, this.start, error);
      const fb = this.e.fallbackFor(this.svc, this.fallback, 'failed', error);
      if (fb !== NO_FALLBACK) outcome = { value: fb };
    } catch (thrown) {
      outcome = { error: thrown };
    } finally {
      // Settle whatever happened above: the caller must never be left waiting.
      if ('value' in outcome) this.resolve(outcome.value);
      else this.reject(outcome.error);
    }
  }

  /** The caller's signal fired (DOM EventListener object form: no closure per call). */
  handleEvent(): void {
    if (!this.#settle()) return;
    const error = new AbortedError(this.svc.name, { cause: this.signal?.reason });
    this.controller?.abort(error);
    this.e.ignored(this.svc, this.gen, this.probe, error);
    this.reject(error);
  }

  /** close() without drain (or after its drain bound): the call is given up. */
  shutdown(): void {
    if (!this.#settle()) return;
    const error = new SupervisorClosedError(this.svc.name);
    this.controller?.abort(error);
    this.e.ignored(this.svc, this.gen, this.probe, error);
    this.reject(error);
  }
}
