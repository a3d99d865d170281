/**
 * The fixed headline figures of `latest.json` (issue 6 names the keys; tools read them, so the set
 * never changes shape: a figure that was not measured in this run is `null`, never missing).
 */
import type { Summary } from './stats.ts';

/** Every key of `ratios`, in report order. */
export const RATIO_KEYS = [
  'inline_vs_cockatiel',
  'inline_vs_opossum',
  'inline_timed_vs_wrapper',
  'timeout_option_vs_timed',
  'signal_option_vs_budget',
  'signal_work_vs_cockatiel',
  'reject_vs_cockatiel',
  'reject_vs_opossum',
  'fallback_vs_cockatiel',
  'fallback_vs_opossum',
  'fallback_fn_vs_cockatiel',
  'fallback_fn_vs_opossum',
  'call_fallback_fn_vs_cockatiel',
  'call_fallback_fn_vs_opossum',
  'worker_vs_piscina_1',
  'worker_vs_piscina_1000',
  'worker_vs_raw_postmessage',
  'batched_vs_piscina_1000',
  'batched_vs_raw_postmessage',
  'failure_cost_100k_vs_100',
  'bytes_per_idle_breaker',
  'timers_for_100k_breakers',
  'http_healthy_vs_cockatiel',
  'http_heavy_real_vs_cockatiel',
  'http_heavy_loop_p99_ms',
  'http_false_worker_crashes',
  'http_outage_trip_ms',
  'http_outage_fallback_p50_ms',
  'http_outage_upstream_excess',
  'metrics_scrape_10k_ms',
  'metrics_scrape_10k_max_block_ms',
  'otel_vs_prometheus_overhead',
  'undici_vs_bare',
  'undici_open_vs_request',
  'fleet_open_propagation_p99_ms',
  'fleet_attached_vs_local',
  'fleet_redis_commands_per_call',
  'fleet_probes_per_half_open',
] as const;

export type RatioKey = (typeof RATIO_KEYS)[number];

/** The `ratios` object of latest.json: exactly the keys above. */
export type Ratios = { [K in RatioKey]: number | null };

/** What a figure counts: a ratio (`1.85x`), bytes, milliseconds (keys ending in `_ms`) or a count. */
export type FigureUnit = 'ratio' | 'bytes' | 'ms' | 'count';

const COUNT_KEYS: readonly RatioKey[] = [
  'timers_for_100k_breakers',
  'http_false_worker_crashes',
  'http_outage_upstream_excess',
  'fleet_redis_commands_per_call',
  'fleet_probes_per_half_open',
];

export function unitOf(key: RatioKey): FigureUnit {
  if (key === 'bytes_per_idle_breaker') return 'bytes';
  if (key.endsWith('_ms')) return 'ms';
  if (COUNT_KEYS.includes(key)) return 'count';
  return 'ratio';
}

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
