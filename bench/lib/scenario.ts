/**
 * What a scenario is and what it hands back: tables for the report, headline figures for
 * `ratios`, extra comparisons, charts, and the raw data for latest.json.
 */
import { formatNs, formatOps, formatRatio, formatSpread } from './format.ts';
import type { CaseStats, RunConfig } from './measure.ts';
import type { Progress } from './progress.ts';
import type { RatioFigure, RatioKey } from './ratios.ts';
import { paired, speedup, summarize, throughputRatio } from './stats.ts';
import type { ChartSpec } from './svg.ts';

export interface ScenarioContext {
  readonly cfg: RunConfig;
  readonly progress: Progress;
}

export interface ReportTable {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** A named ratio with its spread (in addition to, or behind, the headline `ratios`). */
export interface Comparison {
  readonly label: string;
  readonly value: number;
  readonly min: number;
  readonly max: number;
  /** `times faster`, `throughput`, `cost`, ... */
  readonly unit: string;
}

export interface ChartOutput {
  /** File name inside bench/results/. */
  readonly file: string;
  readonly spec: ChartSpec;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  /** How it was measured and configured (fairness notes). */
  readonly notes: readonly string[];
  readonly tables: readonly ReportTable[];
  readonly comparisons: readonly Comparison[];
  readonly figures: Partial<Record<RatioKey, RatioFigure>>;
  readonly charts: readonly ChartOutput[];
  /** Raw figures for latest.json. */
  readonly data: unknown;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

/** Speed comparison (cost per op, paired by round): how many times faster `subject` is than `peer`. */
export function compareSpeed(label: string, subject: CaseStats, peer: CaseStats): Comparison {
  const s = speedup(subject.roundsNs, peer.roundsNs);
  return { label, value: s.median, min: s.min, max: s.max, unit: 'times faster' };
}

/**
 * Cost comparison (paired by round): `cost[r] / base[r]`, time per op over time per op (≤1: no
 * more expensive than the base).
 */
export function compareCost(
  label: string,
  cost: readonly number[],
  base: readonly number[],
  unit = 'cost ratio',
): Comparison {
  const s = summarize(paired(cost, base));
  return { label, value: s.median, min: s.min, max: s.max, unit };
}

/** Throughput comparison (paired by round): subject ops/s over peer ops/s. */
export function compareThroughput(label: string, subject: CaseStats, peer: CaseStats): Comparison {
  const s = throughputRatio(
    subject.roundsNs.map((ns) => 1e9 / ns),
    peer.roundsNs.map((ns) => 1e9 / ns),
  );
  return { label, value: s.median, min: s.min, max: s.max, unit: 'throughput ratio' };
}

/** A comparison as a headline figure. */
export function asFigure(c: Comparison): RatioFigure {
  return { value: c.value, min: c.min, max: c.max, detail: c.label };
}

const LATENCY_NOTE: Record<CaseStats['latency'], string> = {
  'batch-mean': 'per-op mean of batches of 1,000',
  'per-call': 'per call',
  'sampled-per-call': 'per call, 1 in 16 sampled',
};

/**
 * The standard case table: ops/s, time per op (median and min–max of rounds), p50/p99, and how
 * many times faster `reference` (a breakwater case) is than each row, paired by round.
 */
export function caseTable(title: string, stats: readonly CaseStats[], reference?: CaseStats): ReportTable {
  const header = ['case', 'ops/s (median)', 'time/op median (min–max)', 'p50', 'p99', 'latency sample'];
  if (reference !== undefined) header.push(`${reference.label}: times faster`);
  const rows = stats.map((s) => {
    const row = [
      s.label,
      formatOps(s.opsPerSec.median),
      formatSpread(s.nsPerOp.median, s.nsPerOp.min, s.nsPerOp.max, formatNs),
      formatNs(s.p50Ns),
      formatNs(s.p99Ns),
      LATENCY_NOTE[s.latency],
    ];
    if (reference !== undefined) {
      if (s.id === reference.id) row.push('—');
      else {
        const r = speedup(reference.roundsNs, s.roundsNs);
        row.push(`${formatRatio(r.median)} (${formatRatio(r.min)}–${formatRatio(r.max)})`);
      }
    }
    return row;
  });
  return { title, header, rows };
}

/** The comparisons of a scenario as a table. */
export function comparisonTable(title: string, comparisons: readonly Comparison[]): ReportTable {
  return {
    title,
    header: ['comparison', 'ratio (median)', 'spread (min–max)', 'unit'],
    rows: comparisons.map((c) => [
      c.label,
      formatRatio(c.value),
      `${formatRatio(c.min)}–${formatRatio(c.max)}`,
      c.unit,
    ]),
  };
}

/** Case stats trimmed for JSON. */
export function caseJson(s: CaseStats): Record<string, unknown> {
  const r = (n: number): number => Number(n.toPrecision(4));
  return {
    id: s.id,
    label: s.label,
    role: s.role,
    opsPerRound: s.ops,
    nsPerOp: { median: r(s.nsPerOp.median), min: r(s.nsPerOp.min), max: r(s.nsPerOp.max) },
    opsPerSec: { median: r(s.opsPerSec.median), min: r(s.opsPerSec.min), max: r(s.opsPerSec.max) },
    p50Ns: s.p50Ns,
    p99Ns: s.p99Ns,
    latency: s.latency,
    roundsNs: s.roundsNs.map(r),
  };
}
