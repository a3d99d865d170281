/**
 * One wrapped inline call (a timeout or a caller signal): it settles exactly once, whichever of
 * the work's result, its deadline, the caller's abort or close() comes first; its outcome is
 * settled through settle.ts like every other call's.
 */
import { AbortedError, CallTimeoutError, SupervisorClosedError } from '../errors.ts';
import type { DeadlineList, DeadlineNode } from '../time/deadlines.ts';
import type { CallPlan } from './call-options.ts';
import type { Engine } from './engine.ts';
import type { ServiceRecord } from './service.ts';
import { failed, fallbackFor, ignored, NO_FALLBACK, settleError, succeeded } from './settle.ts';

/** One wrapped inline call; settles exactly once, whichever of result, deadline, abort or close comes first. */
export class InlineCall<T> implements DeadlineNode {
  // `declare` fields, set in the constructor: with ES2022 class fields every declared field would
  // be defined (then assigned again) on each of the millions of calls; plain assignments in one
  // order give one hidden class at the cost of an object literal.
  declare readonly e: Engine;
  declare readonly svc: ServiceRecord;
  declare readonly gen: number;
  declare readonly probe: boolean;
  declare readonly start: number;
  /** The call's options resolved (a call without options shares its service's plan). */
  declare readonly plan: CallPlan<T>;
  declare readonly resolve: (value: T | PromiseLike<T>) => void;
  declare readonly reject: (error: unknown) => void;
  declare dlAt: number;
  declare dlPrev: DeadlineNode | null;
  declare dlNext: DeadlineNode | null;
  declare dlList: DeadlineList | null;
  declare controller: AbortController | undefined;
  declare settled: boolean;

  constructor(
    e: Engine,
    svc: ServiceRecord,
    gen: number,
    probe: boolean,
    start: number,
    plan: CallPlan<T>,
    resolve: (value: T | PromiseLike<T>) => void,
    reject: (error: unknown) => void,
  ) {
    this.e = e;
    this.svc = svc;
    this.gen = gen;
    this.probe = probe;
    this.start = start;
    this.plan = plan;
    this.resolve = resolve;
    this.reject = reject;
    this.dlAt = 0;
    this.dlPrev = null;
    this.dlNext = null;
    this.dlList = null;
    this.controller = undefined;
    this.settled = false;
    const timeoutMs = plan.timeoutMs;
    // Every wrapped call sits in a list so close() can find it; Infinity never expires.
    e.deadlines.list(timeoutMs === 0 ? Number.POSITIVE_INFINITY : timeoutMs).add(this);
    plan.signal?.addEventListener('abort', this, { once: true });
  }

  #settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.dlList?.remove(this);
    this.plan.signal?.removeEventListener('abort', this);
    return true;
  }

  /** The work's own result. A result after a timeout or abort is dropped (the call already settled). */
  onValue(value: T): void {
    if (!this.#settle()) return;
    succeeded(this.e, this.svc, this.gen, this.start);
    this.resolve(value);
  }

  onError(error: unknown): void {
    if (!this.#settle()) return;
    try {
      this.resolve(
        settleError(this.e, this.svc, this.gen, this.probe, this.start, error, this.plan.fallback),
      );
    } catch (rethrown) {
      this.reject(rethrown);
    }
  }

  /** The deadline passed: a failure of the service; the work's signal is aborted. */
  expire(): void {
    if (!this.#settle()) return;
    const error = new CallTimeoutError(this.svc.name, this.plan.timeoutMs);
    let outcome: { value: T | PromiseLike<T> } | { error: unknown } = { error };
    try {
      this.controller?.abort(error);
      failed(this.e, this.svc, this.gen, this.start, error);
      const fb = fallbackFor(this.e, this.svc, this.plan.fallback, 'failed', error);
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
    const error = new AbortedError(this.svc.name, { cause: this.plan.signal?.reason });
    this.controller?.abort(error);
    ignored(this.e, this.svc, this.gen, this.probe, error);
    this.reject(error);
  }

  /** close() without drain (or after its drain bound): the call is given up. */
  shutdown(): void {
    if (!this.#settle()) return;
    const error = new SupervisorClosedError(this.svc.name);
    this.controller?.abort(error);
    ignored(this.e, this.svc, this.gen, this.probe, error);
    this.reject(error);
  }
}
