/**
 * Snapshots: versioned JSON of every breaker, and restoring one into a freshly registered service.
 * Timers are saved as absolute due times and re-armed against the clock on restore; an open
 * breaker whose recovery time passed while the process was down comes back half-open.
 */
import type * as core from '../core/breaker.ts';
import { restoreState } from '../core/restore.ts';
import { invalidOption } from '../errors.ts';
import type { BreakerSnapshot, CircuitState, SupervisorSnapshot } from '../types.ts';
import { isPlainObject, knownKeys } from '../validate.ts';
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
    // defineProperty: a service may be named `__proto__`, which an assignment would swallow.
    Object.defineProperty(out, name, {
      value: {
        state: b.state,
        generation: b.generation,
        lastStateChange: b.lastChange,
        nextRecoveryAttempt: b.state === 'open' ? b.nextAttemptAt : null,
        reopenStreak: b.reopenStreak,
        policy: b.policy.toJSON(),
        counters,
      },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { version: 1, takenAt: now, services: out };
}

/**
 * Largest generation a snapshot may carry. Generations only need to differ from one transition to
 * the next; near 2^53 an increment stops changing the number, and late results would change state.
 */
export const MAX_GENERATION = 2 ** 52;

const SNAPSHOT_KEYS: readonly string[] = ['version', 'takenAt', 'services'];
const BREAKER_KEYS: readonly string[] = [
  'state',
  'generation',
  'lastStateChange',
  'nextRecoveryAttempt',
  'reopenStreak',
  'policy',
  'counters',
];
const ALL_COUNTER_KEYS: readonly string[] = ['opens', 'total', ...COUNTER_KEYS];

/**
 * Checks every field of a snapshot once, at construction, so that restore can trust it: a tampered
 * or corrupt snapshot is refused with ERR_INVALID_OPTION naming the field, before any service exists.
 */
export function validateSnapshot(input: unknown, field: string): SupervisorSnapshot {
  if (!isPlainObject(input)) throw invalidOption('type', field, 'a snapshot object', input);
  knownKeys(input, SNAPSHOT_KEYS, field);
  if (input.version !== 1) throw invalidOption('range', `${field}.version`, '1', input.version);
  if (input.takenAt !== undefined) finite(input.takenAt, `${field}.takenAt`);
  if (!isPlainObject(input.services))
    throw invalidOption('type', `${field}.services`, 'an object', input.services);
  for (const [name, s] of Object.entries(input.services)) {
    const f = `${field}.services.${name}`;
    if (!isPlainObject(s)) throw invalidOption('type', f, 'an object', s);
    knownKeys(s, BREAKER_KEYS, f);
    if (typeof s.state !== 'string' || !STATES.has(s.state))
      throw invalidOption('range', `${f}.state`, 'a circuit state', s.state);
    count(s.generation, `${f}.generation`, MAX_GENERATION);
    finite(s.lastStateChange, `${f}.lastStateChange`);
    if (s.nextRecoveryAttempt !== null) finite(s.nextRecoveryAttempt, `${f}.nextRecoveryAttempt`);
    count(s.reopenStreak, `${f}.reopenStreak`, Number.MAX_SAFE_INTEGER);
    if (!isPlainObject(s.counters)) throw invalidOption('type', `${f}.counters`, 'an object', s.counters);
    knownKeys(s.counters, ALL_COUNTER_KEYS, `${f}.counters`);
    for (const [key, v] of Object.entries(s.counters))
      count(v, `${f}.counters.${key}`, Number.MAX_SAFE_INTEGER);
  }
  return input as unknown as SupervisorSnapshot;
}

function finite(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidOption('type', field, 'a finite number', value);
}

function count(value: unknown, field: string, max: number): void {
  if (typeof value !== 'number') throw invalidOption('type', field, 'an integer', value);
  if (!Number.isSafeInteger(value) || value < 0 || value > max)
    throw invalidOption('range', field, `an integer between 0 and ${max}`, value);
}

/**
 * Loads a saved breaker (validated by validateSnapshot) into a service that is not registered yet;
 * returns the transition that re-arms its timer, for the caller to apply once the service is in.
 * A custom policy whose restore() throws refuses the snapshot (ERR_INVALID_OPTION naming its
 * `policy` field) and leaves the service as it was.
 */
export function restoreRecord(
  svc: ServiceRecord,
  saved: BreakerSnapshot,
  now: number,
  field: string,
): core.Transition | null {
  try {
    svc.breaker.policy.restore(saved.policy, now);
  } catch (error) {
    svc.breaker.policy.reset(now);
    throw Object.assign(
      invalidOption('type', `${field}.policy`, 'data its trip policy can restore', saved.policy),
      {
        cause: error,
      },
    );
  }
  const c = saved.counters;
  for (const key of COUNTER_KEYS) svc[key] = c[key] ?? 0;
  const total = c.total;
  if (total !== undefined) svc.totalOffset = Math.max(0, total - svc.total);
  return restoreState(
    svc.breaker,
    {
      state: saved.state,
      generation: saved.generation,
      lastChange: saved.lastStateChange,
      nextAttemptAt: saved.nextRecoveryAttempt,
      reopenStreak: saved.reopenStreak,
      opens: c.opens ?? 0,
    },
    now,
  );
}
