/**
 * The one table of defaults. Option resolvers (src/options.ts, src/policy/options.ts) fill missing
 * fields from it, the presets are built from it, and the README's tables state the same values.
 */

/** Longest duration any option takes, in ms: Node's timers refuse more than 2^31-1. */
export const MAX_MS = 2_147_483_647;

export const DEFAULTS = Object.freeze({
  /** The spec's trip rule: 5 consecutive failures within 60 s. */
  trip: Object.freeze({ threshold: 5, windowMs: 60_000 }),
  /** Count and time windows. */
  window: Object.freeze({ size: 100, windowMs: 60_000, buckets: 10, minimumCalls: 10, failureRate: 0.5 }),
  openMs: 30_000,
  halfOpen: Object.freeze({ maxCalls: 5, successThreshold: 3, minMaxWaitMs: 60_000 }),
  callTimeoutMs: 10_000,
  backoff: Object.freeze({ factor: 2, maxMs: 300_000, jitter: 0 }),
  latencySampleEvery: 128,
  close: Object.freeze({ drainTimeoutMs: 30_000 }),
});
