/**
 * Runs a group of cases side by side: warm-up and calibration, then rounds in which every case runs
 * once, interleaved (A, B, C, then B, C, A, ...), so breakwater and its peers share the machine's
 * weather. Reports the median and min–max of the rounds, and latency percentiles (hdr-histogram).
 */
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import type { Recorder } from './loops.ts';
import type { Progress } from './progress.ts';
import { opsPerSecond, type Summary, summarize } from './stats.ts';

export type Role = 'breakwater' | 'peer' | 'floor';

/** How latency samples were taken, said in the report next to p50/p99. */
export type LatencyKind = 'batch-mean' | 'per-call' | 'sampled-per-call';

export interface BenchCase {
  /** Stable id used in JSON and to pair cases for ratios. */
  readonly id: string;
  /** Row label in the report. */
  readonly label: string;
  readonly role: Role;
  readonly latency: LatencyKind;
  /**
   * Runs `n` operations, recording latency samples (ns). A case that must leave set-up work out of
   * the timing (e.g. refilling a window) times itself and resolves to the elapsed ms.
   */
  run(n: number, rec: Recorder): Promise<unknown>;
  /** Fewest ops in one round (e.g. several times the concurrency). @default 1 */
  readonly minOps?: number;
}

export interface RunConfig {
  readonly quick: boolean;
  /** Warm-up time per case before calibration is trusted. */
  readonly warmupMs: number;
  readonly rounds: number;
  /** Target duration of one case's round. */
  readonly roundMs: number;
}

export const QUICK: RunConfig = { quick: true, warmupMs: 100, rounds: 5, roundMs: 40 };
export const FULL: RunConfig = { quick: false, warmupMs: 500, rounds: 9, roundMs: 200 };

export interface CaseStats {
  readonly id: string;
  readonly label: string;
  readonly role: Role;
  /** Ops per round. */
  readonly ops: number;
  /** Time per op of each round, in order. */
  readonly roundsNs: readonly number[];
  readonly nsPerOp: Summary;
  readonly opsPerSec: Summary;
  readonly latency: LatencyKind;
  readonly p50Ns: number;
  readonly p99Ns: number;
}

type Gc = () => void;

/** `global.gc` when node runs with --expose-gc (bench/main.ts re-executes itself to get it). */
export function exposedGc(): Gc | undefined {
  const g = (globalThis as { gc?: unknown }).gc;
  return typeof g === 'function' ? (g as Gc) : undefined;
}

/** Measures `cases` together and returns their stats, in the order given. */
export async function measureGroup(
  title: string,
  cases: readonly BenchCase[],
  cfg: RunConfig,
  progress: Progress,
): Promise<CaseStats[]> {
  const gc = exposedGc();
  const total = cases.length * (cfg.rounds + 1);
  let done = 0;
  progress.step(title, done, total);
  const noop: Recorder = () => {};
  const perRound = new Map<string, number>();
  for (const c of cases) {
    perRound.set(c.id, await calibrate(c, cfg, noop));
    progress.step(title, ++done, total);
  }
  const rounds = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const hist = new Map(cases.map((c) => [c.id, hdr.build({ numberOfSignificantValueDigits: 3 })]));
  for (let r = 0; r < cfg.rounds; r++) {
    // One full gc per round, not per case: right after one, the next calls of every kind run
    // markedly slower for a while (seen on the worker path: up to 2x). The case that runs first
    // after it rotates with the interleaving, and the median of the rounds leaves it out.
    gc?.();
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(r + k) % cases.length]!;
      const n = perRound.get(c.id)!;
      const h = hist.get(c.id)!;
      const rec: Recorder = (ns) => h.recordValue(Math.max(1, Math.round(ns)));
      const t0 = performance.now();
      const own = await c.run(n, rec);
      const ms = typeof own === 'number' ? own : performance.now() - t0;
      const ns = (ms * 1e6) / n;
      rounds.get(c.id)!.push(ns);
      progress.step(title, ++done, total);
    }
  }
  return cases.map((c) => caseStats(c, perRound.get(c.id)!, rounds.get(c.id)!, hist.get(c.id)!));
}

/** A case's figures from its per-round times and latency histogram (which it then frees). */
export function caseStats(c: BenchCase, ops: number, roundsNs: number[], h: hdr.Histogram): CaseStats {
  const stats: CaseStats = {
    id: c.id,
    label: c.label,
    role: c.role,
    ops,
    roundsNs,
    nsPerOp: summarize(roundsNs),
    opsPerSec: summarize(roundsNs.map(opsPerSecond)),
    latency: c.latency,
    p50Ns: h.getValueAtPercentile(50),
    p99Ns: h.getValueAtPercentile(99),
  };
  h.destroy();
  return stats;
}

/**
 * Warms the case up for `warmupMs` with growing op counts, then returns the op count that fills
 * one round (`roundMs`), from the speed of the last warm-up run.
 */
async function calibrate(c: BenchCase, cfg: RunConfig, rec: Recorder): Promise<number> {
  const minOps = Math.max(1, c.minOps ?? 1);
  let n = minOps;
  let nsPerOp = 0;
  const start = performance.now();
  for (;;) {
    const t0 = performance.now();
    const own = await c.run(n, rec);
    const ms = typeof own === 'number' ? own : performance.now() - t0;
    nsPerOp = (ms * 1e6) / n;
    if (performance.now() - start >= cfg.warmupMs && ms >= Math.min(20, cfg.roundMs / 4)) break;
    if (ms < cfg.roundMs / 2) n *= 2;
  }
  const target = Math.round((cfg.roundMs * 1e6) / Math.max(nsPerOp, 1));
  return Math.max(minOps, target);
}

/** Stats of one case by id (throws when missing: a scenario bug, not a measurement). */
export function byId(stats: readonly CaseStats[], id: string): CaseStats {
  const s = stats.find((x) => x.id === id);
  if (s === undefined) throw new Error(`no case "${id}" in this group`);
  return s;
}
