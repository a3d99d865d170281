/**
 * Snapshots: versioned JSON of every breaker, and restoring one into a freshly registered service.
 * Timers are saved as absolute due times and re-armed against the clock on restore; an open
 * breaker whose recovery time passed while the process was down comes back half-open.
 */
import * as core from '../core/breaker.ts';
import { invalidOption } from '../errors.ts';
import type { BreakerSnapshot, CircuitState, SupervisorSnapshot } from '../types.ts';
import { isPlainObject } from '../validate.ts';
import type { Engine } from './engine.ts';
import { COUNTER_KEYS, type ServiceRecord } from './service.ts';

const STATES: ReadonlySet<string> = new Set<CircuitState>([
  'closed',
  'open',
  'half-open',
  'forced-open',
  'disabled',
]);

export function takeSnapshot(services: ReadonlyMap<string, ServiceRecord>, now: number): SupervisorSnapshot {
  const out: Record<string, BreakerSnapshot> = {};
  for (const [name, svc] of services) {
    const b = svc.breaker;
    const counters: Record<string, number> = { opens: b.opens, total: svc.total };
    for (const key of COUNTER_KEYS) counters[key] = svc[key];
    out[name] = {
      state: b.state,
      generation: b.generation,
      lastStateChange: b.lastChange,
      nextRecoveryAttempt: b.state === 'open' ? b.nextAttemptAt : null,
      reopenStreak: b.reopenStreak,
      policy: b.policy.toJSON(),
      counters,
    };
  }
  return { version: 1, takenAt: now, services: out };
}

/** Checks a snapshot's shape once, at construction, so restore can trust it. */
export function validateSnapshot(input: unknown, field: string): SupervisorSnapshot {
  if (!isPlainObject(input)) throw invalidOption('type', field, 'a snapshot object', input);
  if (input.version !== 1) throw invalidOption('range', `${field}.version`, '1', input.version);
  if (!isPlainObject(input.services))
    throw invalidOption('type', `${field}.services`, 'an object', input.services);
  for (const [name, s] of Object.entries(input.services)) {
    const f = `${field}.services.${name}`;
    if (!isPlainObject(s)) throw invalidOption('type', f, 'an object', s);
    if (typeof s.state !== 'string' || !STATES.has(s.state))
      throw invalidOption('range', `${f}.state`, 'a circuit state', s.state);
    for (const key of ['generation', 'lastStateChange', 'reopenStreak'] as const) {
      if (typeof s[key] !== 'number' || !Number.isFinite(s[key]))
        throw invalidOption('type', `${f}.${key}`, 'a finite number', s[key]);
    }
    if (s.nextRecoveryAttempt !== null && typeof s.nextRecoveryAttempt !== 'number') {
      throw invalidOption('type', `${f}.nextRecoveryAttempt`, 'a number or null', s.nextRecoveryAttempt);
    }
    if (!isPlainObject(s.counters)) throw invalidOption('type', `${f}.counters`, 'an object', s.counters);
  }
  return input as unknown as SupervisorSnapshot;
}

/** Loads a saved breaker into a just-registered service and re-arms its timer. */
export function applySnapshot(e: Engine, svc: ServiceRecord, saved: BreakerSnapshot, now: number): void {
  for (const key of COUNTER_KEYS) {
    const v = saved.counters[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) svc[key] = v;
  }
  const total = saved.counters.total;
  if (typeof total === 'number' && Number.isFinite(total)) svc.totalOffset = Math.max(0, total - svc.total);
  const opens = saved.counters.opens;
  svc.breaker.policy.restore(saved.policy, now);
  const t = core.restoreState(
    svc.breaker,
    {
      state: saved.state,
      generation: saved.generation,
      lastChange: saved.lastStateChange,
      nextAttemptAt: saved.nextRecoveryAttempt,
      reopenStreak: saved.reopenStreak,
      opens: typeof opens === 'number' && Number.isFinite(opens) ? opens : 0,
    },
    now,
  );
  if (t !== null) e.apply(svc, t);
}
