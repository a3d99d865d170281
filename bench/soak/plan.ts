/**
 * What each soak call does, decided by a hash of its index (the same run every time):
 * - 70% inline: an outage every third block of 4,000 calls (60% failures, so the breaker trips
 *   and recovers again and again), 5% failures otherwise, 0.2% that hang past the 10 ms timeout
 *   and answer late;
 * - 20% worker pool (2 threads): 5% throws, plus `faults` crashes and `faults` hangs (past the
 *   200 ms timeout: the thread is terminated) spread over the run;
 * - 10% batched pool (1 thread): 5% throws, plus `faults / 2` crashes (a crash takes the whole
 *   batch in flight with it: collateral errors, each settled once).
 */
import type { ServiceOptions } from '../../src/index.ts';
import { hash32 } from './probes.ts';

const WORKER = new URL('../workers/soak.mjs', import.meta.url);

export const SERVICES = {
  inline: {
    threads: 0,
    options: {
      breaker: {
        callTimeoutMs: 10,
        openMs: 20,
        trip: { kind: 'consecutive', threshold: 5 },
        halfOpen: { maxCalls: 2, successThreshold: 2 },
      },
    },
  },
  worker: {
    threads: 2,
    options: {
      worker: WORKER,
      threads: { min: 2, max: 2 },
      breaker: { callTimeoutMs: 200, openMs: 50, trip: { kind: 'consecutive', threshold: 5 } },
    },
  },
  batched: {
    threads: 1,
    options: {
      worker: WORKER,
      threads: { min: 1, max: 1 },
      batching: true,
      breaker: { callTimeoutMs: 200, openMs: 50, trip: { kind: 'consecutive', threshold: 5 } },
    },
  },
} as const satisfies Record<string, { threads: number; options: ServiceOptions }>;

export type ServiceName = keyof typeof SERVICES;

export interface Plan {
  readonly service: ServiceName;
  /** Inline: what the work does; worker: the handler's name. */
  readonly kind: 'ok' | 'fail' | 'hang' | 'crash';
  /** Inline work. */
  readonly work?: () => Promise<number>;
}

const inlineError = Object.assign(new Error('inline upstream failed'), { code: 'E_SOAK' });

/** Inline work still running after its caller timed out (its timer is the soak's, not breakwater's). */
export const lateWork = { pending: 0 };

function inlineWork(i: number, kind: Plan['kind']): () => Promise<number> {
  switch (kind) {
    case 'ok':
      return () => Promise.resolve(i);
    case 'fail':
      return () => Promise.reject(inlineError);
    default:
      // Answers after the timeout: the caller already has ERR_CALL_TIMEOUT, the result is late.
      return () => {
        lateWork.pending++;
        return new Promise((resolve) =>
          setTimeout(() => {
            lateWork.pending--;
            resolve(i);
          }, 25),
        );
      };
  }
}

export function planCall(i: number, seed: number, calls: number, faults: number): Plan {
  const every = Math.max(1_000, Math.floor(calls / Math.max(1, faults)));
  const phase = i % every;
  if (phase === every >> 1) return { service: 'worker', kind: 'crash' };
  if (phase === every >> 2) return { service: 'worker', kind: 'hang' };
  if (i % (2 * every) === (3 * every) >> 2) return { service: 'batched', kind: 'crash' };
  const h = hash32(i, seed);
  const pick = h % 1000;
  const roll = (h >>> 10) % 10_000;
  if (pick < 700) {
    const outage = Math.floor(i / 4_000) % 3 === 2;
    const kind: Plan['kind'] = roll < 20 ? 'hang' : roll < (outage ? 6_000 : 500) ? 'fail' : 'ok';
    return { service: 'inline', kind, work: inlineWork(i, kind) };
  }
  const kind: Plan['kind'] = roll < 500 ? 'fail' : 'ok';
  return { service: pick < 900 ? 'worker' : 'batched', kind };
}
