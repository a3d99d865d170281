/**
 * latest.json and latest.md: the run's headline `ratios` (fixed keys), the goals with pass/miss,
 * each scenario's tables, comparisons and raw data, and where the run happened.
 */
import { checkGoals, formatTarget, type GoalOp, type GoalResult } from '../goals.ts';
import type { Machine } from './env.ts';
import { formatBytes, formatMs, formatRatio, mdTable } from './format.ts';
import { buildRatios, RATIO_KEYS, type RatioFigure, type RatioKey, type Ratios, unitOf } from './ratios.ts';
import type { ScenarioResult } from './scenario.ts';

export interface RunInfo {
  readonly quick: boolean;
  /** ISO date-time of the start of the run. */
  readonly date: string;
  readonly node: string;
  readonly machine: Machine;
  readonly git: string;
  readonly command: string;
  readonly durationMs: number;
  /** `os.loadavg()` (1, 5, 15 min) when the run started and ended: other work on the machine. */
  readonly load: { readonly start: readonly number[]; readonly end: readonly number[] };
}

export interface GoalJson {
  readonly key: RatioKey;
  readonly op: GoalOp;
  readonly target: number;
  readonly enforced: boolean;
  readonly value: number | null;
  readonly verdict: GoalResult['verdict'];
}

export interface BenchResult extends RunInfo {
  readonly schema: 1;
  /** Scenarios run, in order. */
  readonly scenariosRun: readonly string[];
  readonly ratios: Ratios;
  /** Spread and meaning of each headline figure (`null` when not measured). */
  readonly ratioDetails: { readonly [K in RatioKey]: RatioFigure | null };
  readonly goals: readonly GoalJson[];
  readonly scenarios: Readonly<Record<string, unknown>>;
}

/** Collects every scenario's figures into the result (later scenarios never overwrite a key). */
export function buildResult(info: RunInfo, results: readonly ScenarioResult[]): BenchResult {
  const figures: Partial<Record<RatioKey, RatioFigure>> = {};
  for (const r of results) {
    for (const key of RATIO_KEYS) {
      const f = r.figures[key];
      if (f !== undefined && figures[key] === undefined) figures[key] = f;
    }
  }
  const ratios = buildRatios(figures);
  const details = {} as Record<RatioKey, RatioFigure | null>;
  for (const key of RATIO_KEYS) {
    const f = figures[key];
    details[key] =
      f === undefined
        ? null
        : { value: ratios[key] ?? f.value, min: sig(f.min), max: sig(f.max), detail: f.detail };
  }
  const goals = checkGoals(ratios).map(
    (g): GoalJson => ({
      key: g.goal.key,
      op: g.goal.op,
      target: g.goal.target,
      enforced: g.goal.enforced,
      value: g.value,
      verdict: g.verdict,
    }),
  );
  const scenarios: Record<string, unknown> = {};
  for (const r of results) {
    scenarios[r.name] = { title: r.title, notes: r.notes, comparisons: r.comparisons, data: r.data };
  }
  return {
    schema: 1,
    ...info,
    scenariosRun: results.map((r) => r.name),
    ratios,
    ratioDetails: details,
    goals,
    scenarios,
  };
}

/** True when other work competed for the CPUs during the run. */
export function busy(result: Pick<RunInfo, 'load' | 'machine'>): boolean {
  const cpus = result.machine.cpus.count;
  return (result.load.start[0] ?? 0) > cpus || (result.load.end[0] ?? 0) > cpus;
}

function sig(n: number): number {
  return Number.isFinite(n) ? Number(n.toPrecision(4)) : n;
}

/** A headline figure as text: ratios as `1.85x`, bytes as `412 B`, `_ms` keys as `8.4 ms`, counts as is. */
export function formatFigure(key: RatioKey, value: number | null): string {
  if (value === null) return 'n/a';
  switch (unitOf(key)) {
    case 'bytes':
      return formatBytes(value);
    case 'ms':
      return formatMs(value);
    case 'count':
      return String(value);
    case 'ratio':
      return formatRatio(value);
  }
}

/** The goals table (also pasted into the README). */
export function goalsTable(result: BenchResult): string {
  const rows = checkGoals(result.ratios).map((g) => {
    const d = result.ratioDetails[g.goal.key];
    const spread =
      d === null || d.min === d.max
        ? ''
        : ` (${formatFigure(g.goal.key, d.min)}–${formatFigure(g.goal.key, d.max)})`;
    const verdict =
      g.verdict === 'pass'
        ? 'pass'
        : g.verdict === 'miss'
          ? g.goal.enforced
            ? '**MISS**'
            : 'below aim'
          : 'n/a';
    return [
      `\`${g.goal.key}\``,
      g.goal.text,
      formatTarget(g.goal),
      `${formatFigure(g.goal.key, g.value)}${spread}`,
      verdict,
    ];
  });
  return mdTable(['key', 'goal', 'target', 'measured (min–max of rounds)', 'verdict'], rows);
}

/** The Markdown report. */
export function renderMarkdown(result: BenchResult, results: readonly ScenarioResult[]): string {
  const mem = `${(result.machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB`;
  const out: string[] = [
    `# breakwater benchmark${result.quick ? ' (quick run)' : ''}`,
    '',
    `- date: ${result.date}`,
    `- command: \`${result.command}\``,
    `- machine: ${result.machine.cpus.count} × ${result.machine.cpus.model}, ${mem}, ${result.machine.platform}/${result.machine.arch}`,
    `- Node ${result.node}; git ${result.git}`,
    `- scenarios: ${result.scenariosRun.join(', ')}; took ${(result.durationMs / 1000).toFixed(0)} s`,
    `- load average (1 min) at start / end: ${result.load.start[0]?.toFixed(2)} / ${result.load.end[0]?.toFixed(2)}${busy(result) ? ` — **the machine was busy (more runnable work than its ${result.machine.cpus.count} CPUs): absolute figures are unreliable, ratios less so**` : ''}`,
    result.quick
      ? '- **quick run**: fewer and shorter rounds; figures are noisier than a full run.'
      : '- full run',
    '',
    'Every figure is a ratio measured side by side in this run: cases run interleaved, round by',
    'round, and each ratio is the median (and min–max) of the per-round ratios (BENCH.md).',
    '',
    '## Goals',
    '',
    goalsTable(result),
    '',
  ];
  for (const r of results) {
    out.push(`## ${r.name}: ${r.title}`, '');
    for (const n of r.notes) out.push(`- ${n}`);
    if (r.notes.length > 0) out.push('');
    for (const t of r.tables) out.push(`### ${t.title}`, '', mdTable(t.header, t.rows), '');
    for (const c of r.charts) out.push(`![${c.spec.title}](${c.file})`, '');
  }
  return `${out.join('\n')}\n`;
}
