/**
 * Breaker presets with the values of the reference interface spec (REQ-009): a preset is a plain
 * `BreakerOptions` object, so `{ ...presets.keyVault, callTimeoutMs: 2_000 }` refines one.
 */

import { DEFAULTS } from './defaults.ts';
import type { BreakerOptions } from './types.ts';

/** The values a preset may change; everything else is the defaults table's. */
interface PresetValues {
  readonly threshold?: number;
  readonly openMs?: number;
  readonly successThreshold?: number;
  readonly callTimeoutMs?: number;
  readonly maxCalls?: number;
}

function preset(p: PresetValues): BreakerOptions {
  return Object.freeze({
    trip: Object.freeze({
      kind: 'consecutive',
      threshold: p.threshold ?? DEFAULTS.trip.threshold,
      windowMs: DEFAULTS.trip.windowMs,
    }),
    openMs: p.openMs ?? DEFAULTS.openMs,
    halfOpen: Object.freeze({
      maxCalls: p.maxCalls ?? DEFAULTS.halfOpen.maxCalls,
      successThreshold: p.successThreshold ?? DEFAULTS.halfOpen.successThreshold,
    }),
    callTimeoutMs: p.callTimeoutMs ?? DEFAULTS.callTimeoutMs,
  }) as BreakerOptions;
}

export const presets = Object.freeze({
  /** The spec's defaults: 5 consecutive failures in 60 s, 30 s open, 3 successes, 10 s timeout, 5 probes. */
  default: preset({}),
  /** Queue operations: 5 s timeout, conservative probing (3). */
  serviceBus: preset({ callTimeoutMs: 5_000, maxCalls: 3 }),
  /** Blob operations: 10 s timeout, 2 successes close, 5 probes. */
  blobStorage: preset({ successThreshold: 2 }),
  /** Secrets: more sensitive (3 failures), longer cooldown (60 s), very conservative probing (2). */
  keyVault: preset({ threshold: 3, openMs: 60_000, successThreshold: 2, callTimeoutMs: 5_000, maxCalls: 2 }),
});

export type PresetName = keyof typeof presets;
