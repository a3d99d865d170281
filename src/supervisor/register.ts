/**
 * The supervisor's services by name, and building one for register(): its options resolved once
 * (merged under the supervisor's defaults, strictly checked), its breaker and policy, its pool
 * lane, and its saved state loaded. Nothing is inserted anywhere until all of it succeeded, so a
 * refused register() leaves nothing behind.
 */
import * as core from '../core/breaker.ts';
import {
  AlreadyRegisteredError,
  invalidOption,
  SupervisorClosedError,
  UnknownServiceError,
} from '../errors.ts';
import { mergeServiceOptions, resolveServiceOptions } from '../options.ts';
import { createPolicy } from '../policy/index.ts';
import { createPoolExecutor, resolvePoolOptions } from '../pool/index.ts';
import type { BreakerSnapshot, ServiceOptions } from '../types.ts';
import type { Engine } from './engine.ts';
import { PoolLane } from './pool-lane.ts';
import { ServiceRecord } from './service.ts';
import { restoreRecord } from './snapshot.ts';
import { applyTransition } from './transitions.ts';

export class Registry {
  readonly services = new Map<string, ServiceRecord>();
  /** The service of the last run(): a burst of calls to one service skips the Map lookup. */
  last: ServiceRecord | undefined;
  readonly #e: Engine;
  readonly #defaults: ServiceOptions | undefined;
  /** Saved breakers not yet claimed by a register(); each is applied once. */
  readonly #restore: Map<string, BreakerSnapshot>;

  constructor(
    e: Engine,
    defaults: ServiceOptions | undefined,
    saved: Readonly<Record<string, BreakerSnapshot>>,
  ) {
    this.#e = e;
    this.#defaults = defaults;
    this.#restore = new Map(Object.entries(saved));
  }

  /** Builds and inserts a service (checks in the order users meet them: name, closed, taken, options). */
  register(name: string, options: ServiceOptions | undefined, closed: boolean): void {
    if (typeof name !== 'string' || name.length === 0)
      throw invalidOption('type', 'name', 'a non-empty string', name);
    if (closed) throw new SupervisorClosedError(name);
    if (this.services.has(name)) throw new AlreadyRegisteredError(name);
    const e = this.#e;
    const { svc, restored } = buildService(e, name, this.#defaults, options, this.#restore.get(name));
    this.services.set(name, svc);
    this.#restore.delete(name);
    if (restored !== null) applyTransition(e, svc, restored);
    e.emit('registered', { service: name, at: e.clock.now(), state: svc.breaker.state });
  }

  /** Removes a service: its timer is cancelled and its pool closed; late outcomes are dropped. */
  async unregister(name: string): Promise<void> {
    const svc = this.get(name);
    this.services.delete(name);
    if (this.last === svc) this.last = undefined;
    svc.detach();
    if (svc.timer !== undefined) this.#e.scheduler.cancel(svc.timer);
    svc.timer = undefined;
    await svc.pool?.close({ drain: false, timeoutMs: 0 });
  }

  /** The service, or ERR_UNKNOWN_SERVICE. */
  get(name: string): ServiceRecord {
    const svc = this.services.get(name);
    if (svc === undefined) throw new UnknownServiceError(name);
    return svc;
  }

  /** The service or undefined, remembered for the next run(). */
  lookup(name: string): ServiceRecord | undefined {
    const svc = this.services.get(name);
    if (svc !== undefined) this.last = svc;
    return svc;
  }
}

/** A built service and the transition that re-arms its restored timer (applied once it is registered). */
export interface BuiltService {
  readonly svc: ServiceRecord;
  readonly restored: core.Transition | null;
}

export function buildService(
  e: Engine,
  name: string,
  defaults: ServiceOptions | undefined,
  options: ServiceOptions | undefined,
  saved: BreakerSnapshot | undefined,
): BuiltService {
  const merged = mergeServiceOptions(defaults, options);
  const resolved = resolveServiceOptions(merged, 'options');
  const poolOptions = resolvePoolOptions(merged, 'options');
  const now = e.clock.now();
  const breaker = core.createBreaker(
    resolved.breaker,
    createPolicy(resolved.breaker.trip, 'options.breaker.trip'),
    now,
  );
  const pool =
    poolOptions === undefined
      ? undefined
      : new PoolLane(createPoolExecutor(name, poolOptions, { clock: e.clock, logger: e.logger }));
  const svc = new ServiceRecord(name, resolved, breaker, pool);
  if (saved === undefined) return { svc, restored: null };
  try {
    return { svc, restored: restoreRecord(svc, saved, now, `options.restore.services.${name}`) };
  } catch (error) {
    // The saved state was refused: the pool goes too, and the name stays free for a retry.
    void pool?.close({ drain: false, timeoutMs: 0 });
    throw error;
  }
}
