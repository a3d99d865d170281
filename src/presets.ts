/**
 * Breaker presets with the values of the reference interface spec (REQ-009): a preset is a plain
 * `BreakerOptions` object, so `{ ...presets.keyVault, callTimeoutMs: 2_000 }` refines one.
 */
import type { BreakerOptions } from './types.ts';

function preset(p: {
  threshold: number;
  windowMs: number;
  openMs: number;
  successThreshold: number;
  callTimeoutMs: number;
  maxCalls: number;
}): BreakerOptions {
  return Object.freeze({
    trip: Object.freeze({ kind: 'consecutive', threshold: p.threshold, windowMs: p.windowMs }),
    openMs: p.openMs,
    halfOpen: Object.freeze({ maxCalls: p.maxCalls, successThreshold: p.successThreshold }),
    callTimeoutMs: p.callTimeoutMs,
  }) as BreakerOptions;
}

export const presets = Object.freeze({
  /** The spec's defaults: 5 consecutive failures in 60 s, 30 s open, 3 successes, 10 s timeout, 5 probes. */
  default: preset({
    threshold: 5,
    windowMs: 60_000,
    openMs: 30_000,
    successThreshold: 3,
    callTimeoutMs: 10_000,
    maxCalls: 5,
  }),
  /** Queue operations: 5 s timeout, conservative probing (3). */
  serviceBus: preset({
    threshold: 5,
    windowMs: 60_000,
    openMs: 30_000,
    successThreshold: 3,
    callTimeoutMs: 5_000,
    maxCalls: 3,
  }),
  /** Blob operations: 10 s timeout, 2 successes close, 5 probes. */
  blobStorage: preset({
    threshold: 5,
    windowMs: 60_000,
    openMs: 30_000,
    successThreshold: 2,
    callTimeoutMs: 10_000,
    maxCalls: 5,
  }),
  /** Secrets: more sensitive (3 failures), longer cooldown (60 s), very conservative probing (2). */
  keyVault: preset({
    threshold: 3,
    windowMs: 60_000,
    openMs: 60_000,
    successThreshold: 2,
    callTimeoutMs: 5_000,
    maxCalls: 2,
  }),
});

export type PresetName = keyof typeof presets;
