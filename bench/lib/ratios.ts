/**
 * The fixed headline figures of `latest.json` (issue 6 names the keys; tools read them, so the set
 * never changes shape: a figure that was not measured in this run is `null`, never missing).
 */
import type { Summary } from './stats.ts';

/** Every key of `ratios`, in report order. */
export const RATIO_KEYS = [
  'inline_vs_cockatiel',
  'inline_vs_opossum',
  'reject_vs_cockatiel',
  'reject_vs_opossum',
  'fallback_vs_cockatiel',
  'fallback_vs_opossum',
  'worker_vs_piscina_1',
  'worker_vs_piscina_1000',
  'batched_vs_piscina_1000',
  'batched_vs_raw_postmessage',
  'failure_cost_100k_vs_100',
  'bytes_per_idle_breaker',
  'timers_for_100k_breakers',
] as const;

export type RatioKey = (typeof RATIO_KEYS)[number];

/** The `ratios` object of latest.json: exactly the keys above. */
export type Ratios = { [K in RatioKey]: number | null };

/** One headline figure with the spread of its rounds and what was compared. */
export interface RatioFigure {
  readonly value: number;
  readonly min: number;
  readonly max: number;
  /** What was compared, e.g. `breakwater (callTimeoutMs: 0) vs cockatiel ConsecutiveBreaker(5)`. */
  readonly detail: string;
}

/** A figure from a paired-ratio summary. */
export function figure(summary: Summary, detail: string): RatioFigure {
  return { value: summary.median, min: summary.min, max: summary.max, detail };
}

/** A figure that is a single measurement (bytes, timer count): no spread. */
export function single(value: number, detail: string): RatioFigure {
  return { value, min: value, max: value, detail };
}

export function isRatioKey(key: string): key is RatioKey {
  return (RATIO_KEYS as readonly string[]).includes(key);
}

/**
 * Builds the `ratios` object from the figures the scenarios produced: every key present, `null`
 * where nothing was measured, figures rounded to 4 significant digits.
 */
export function buildRatios(figures: Partial<Record<RatioKey, RatioFigure>>): Ratios {
  const out = {} as Record<RatioKey, number | null>;
  for (const key of RATIO_KEYS) {
    const f = figures[key];
    out[key] = f === undefined ? null : Number(f.value.toPrecision(4));
  }
  return out;
}
