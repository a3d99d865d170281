/**
 * The pure parts of the bench harness: statistics, paired ratios, the fixed `ratios` keys, goal
 * checking, the result JSON shape, the Markdown report and the SVG writer. No timings here.
 */
import { describe, expect, it } from 'vitest';
import { checkGoals, failedGoals, formatTarget, GOALS } from '../../bench/goals.ts';
import { parseBenchArgs } from '../../bench/lib/cli.ts';
import { commandLine } from '../../bench/lib/env.ts';
import { formatBytes, formatMs, formatNs, formatOps, formatRatio, mdTable } from '../../bench/lib/format.ts';
import { buildRatios, RATIO_KEYS, type Ratios, unitOf } from '../../bench/lib/ratios.ts';
import { README_END, README_START, replaceReadmeBlock } from '../../bench/lib/readme.ts';
import { buildResult, busy, formatFigure, type RunInfo, renderMarkdown } from '../../bench/lib/report.ts';
import type { ScenarioResult } from '../../bench/lib/scenario.ts';
import {
  median,
  opsPerSecond,
  paired,
  sig,
  speedup,
  summarize,
  throughputRatio,
} from '../../bench/lib/stats.ts';
import { compactNumber, escapeXml, linearTicks, lineChart, logTicks } from '../../bench/lib/svg.ts';
import { workerServices } from '../../bench/scenarios/worker.ts';

const ALL_KEYS = [
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
];

describe('statistics', () => {
  it('takes the median of odd and even lists without reordering the input', () => {
    const input = [5, 1, 3];
    expect(median(input)).toBe(3);
    expect(input).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('rejects an empty list', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => summarize([])).toThrow(RangeError);
  });

  it('summarizes median and min–max of the rounds', () => {
    expect(summarize([10, 30, 20, 50, 40])).toEqual({ median: 30, min: 10, max: 50, n: 5 });
  });

  it('pairs ratios round by round, not ratio of medians', () => {
    // Round 2 is slow for both (machine weather): paired ratios stay at 2.
    const subject = [100, 400, 100];
    const peer = [200, 800, 200];
    expect(speedup(subject, peer)).toEqual({ median: 2, min: 2, max: 2, n: 3 });
    expect(throughputRatio([10, 20], [5, 5])).toEqual({ median: 3, min: 2, max: 4, n: 2 });
  });

  it('refuses lists of different length', () => {
    expect(() => paired([1, 2], [1])).toThrow(RangeError);
    expect(() => paired([], [])).toThrow(RangeError);
  });

  it('converts ns/op to ops/s and rounds to significant digits', () => {
    expect(opsPerSecond(50)).toBe(20_000_000);
    expect(opsPerSecond(0)).toBe(Number.POSITIVE_INFINITY);
    expect(sig(1.234567, 3)).toBe(1.23);
    expect(sig(123456, 2)).toBe(120000);
    expect(sig(0)).toBe(0);
  });
});

describe('formatting', () => {
  it('formats times, rates, ratios and sizes', () => {
    expect(formatNs(62.4)).toBe('62 ns');
    expect(formatNs(3.5)).toBe('3.5 ns');
    expect(formatNs(3_120)).toBe('3.12 µs');
    expect(formatNs(1_250_000)).toBe('1.25 ms');
    expect(formatNs(2_100_000_000)).toBe('2.10 s');
    expect(formatOps(16_100_000)).toBe('16.1M/s');
    expect(formatOps(412_000)).toBe('412k/s');
    expect(formatOps(950)).toBe('950/s');
    expect(formatRatio(1.849)).toBe('1.85x');
    expect(formatRatio(12.34)).toBe('12.3x');
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatMs(0.674)).toBe('0.67 ms');
    expect(formatMs(23.04)).toBe('23.0 ms');
    expect(formatMs(1043.4)).toBe('1043 ms');
  });

  it('formats each headline figure in its unit', () => {
    expect(unitOf('inline_vs_cockatiel')).toBe('ratio');
    expect(unitOf('bytes_per_idle_breaker')).toBe('bytes');
    expect(unitOf('http_heavy_loop_p99_ms')).toBe('ms');
    expect(unitOf('http_false_worker_crashes')).toBe('count');
    expect(formatFigure('worker_vs_piscina_1000', 12.34)).toBe('12.3x');
    expect(formatFigure('http_heavy_loop_p99_ms', 8.4)).toBe('8.40 ms');
    expect(formatFigure('http_outage_upstream_excess', -5)).toBe('-5');
    expect(formatFigure('http_outage_trip_ms', null)).toBe('n/a');
  });

  it('renders a Markdown table and escapes pipes', () => {
    expect(mdTable(['a', 'b'], [['1', 'x|y']])).toBe('| a | b |\n| --- | --- |\n| 1 | x\\|y |');
  });
});

describe('ratios', () => {
  it('has exactly the fixed keys, in order', () => {
    expect([...RATIO_KEYS]).toEqual(ALL_KEYS);
  });

  it('fills every key, null where nothing was measured, rounded to 4 digits', () => {
    const r = buildRatios({ inline_vs_cockatiel: { value: 1.876543, min: 1.5, max: 2, detail: 'x' } });
    expect(Object.keys(r)).toEqual(ALL_KEYS);
    expect(r.inline_vs_cockatiel).toBe(1.877);
    expect(r.reject_vs_opossum).toBeNull();
  });
});

function ratiosWith(values: Partial<Ratios>): Ratios {
  return { ...buildRatios({}), ...values };
}

describe('goals', () => {
  it('covers every ratio key exactly once', () => {
    expect(GOALS.map((g) => g.key).sort()).toEqual([...ALL_KEYS].sort());
  });

  it('judges >= and <= goals, and n/a for figures not measured', () => {
    const results = checkGoals(
      ratiosWith({
        inline_vs_cockatiel: 1.67,
        inline_vs_opossum: 4.99,
        failure_cost_100k_vs_100: 1.5,
        bytes_per_idle_breaker: 1025,
        timers_for_100k_breakers: 1,
      }),
    );
    const verdict = Object.fromEntries(results.map((r) => [r.goal.key, r.verdict]));
    expect(verdict.inline_vs_cockatiel).toBe('pass');
    expect(verdict.inline_vs_opossum).toBe('miss');
    expect(verdict.failure_cost_100k_vs_100).toBe('pass');
    expect(verdict.bytes_per_idle_breaker).toBe('miss');
    expect(verdict.timers_for_100k_breakers).toBe('pass');
    expect(verdict.reject_vs_cockatiel).toBe('n/a');
    expect(failedGoals(results).map((r) => r.goal.key)).toEqual([
      'inline_vs_opossum',
      'bytes_per_idle_breaker',
    ]);
  });

  it('judges an exact goal (==): both too few and too many miss', () => {
    const verdict = (fleet_probes_per_half_open: number) =>
      checkGoals(ratiosWith({ fleet_probes_per_half_open })).find(
        (r) => r.goal.key === 'fleet_probes_per_half_open',
      )!.verdict;
    expect(verdict(2)).toBe('pass');
    expect(verdict(1)).toBe('miss');
    expect(verdict(3)).toBe('miss');
  });

  it('never fails --check on an aim (fractions of the raw postMessage floor)', () => {
    const results = checkGoals(
      ratiosWith({ batched_vs_raw_postmessage: 0.1, worker_vs_raw_postmessage: 0.2 }),
    );
    for (const key of ['batched_vs_raw_postmessage', 'worker_vs_raw_postmessage']) {
      expect(results.find((r) => r.goal.key === key)!.verdict).toBe('miss');
    }
    expect(failedGoals(results)).toEqual([]);
  });

  it('holds the call-shape goals: a timed call near the floor of a timeout, options and signals near it', () => {
    const verdict = (values: Partial<Ratios>) =>
      Object.fromEntries(checkGoals(ratiosWith(values)).map((r) => [r.goal.key, r.verdict]));
    expect(
      verdict({
        inline_vs_opossum: 5,
        inline_timed_vs_wrapper: 1.15,
        timeout_option_vs_timed: 1.2,
        signal_option_vs_budget: 1,
        signal_work_vs_cockatiel: 5,
        call_fallback_fn_vs_opossum: 20,
      }),
    ).toMatchObject({
      inline_vs_opossum: 'pass',
      inline_timed_vs_wrapper: 'pass',
      timeout_option_vs_timed: 'pass',
      signal_option_vs_budget: 'pass',
      signal_work_vs_cockatiel: 'pass',
      call_fallback_fn_vs_opossum: 'pass',
    });
    expect(
      verdict({
        inline_timed_vs_wrapper: 1.16,
        timeout_option_vs_timed: 1.21,
        fallback_fn_vs_cockatiel: 19.9,
      }),
    ).toMatchObject({
      inline_timed_vs_wrapper: 'miss',
      timeout_option_vs_timed: 'miss',
      fallback_fn_vs_cockatiel: 'miss',
    });
  });

  it('holds the worker goals of the default configuration: 0.95x at 1, 10x at 1,000 in flight', () => {
    const verdict = (values: Partial<Ratios>) =>
      Object.fromEntries(checkGoals(ratiosWith(values)).map((r) => [r.goal.key, r.verdict]));
    expect(verdict({ worker_vs_piscina_1: 0.95, worker_vs_piscina_1000: 10 })).toMatchObject({
      worker_vs_piscina_1: 'pass',
      worker_vs_piscina_1000: 'pass',
    });
    // The old 0.95x at 1,000 in flight is a miss now.
    expect(verdict({ worker_vs_piscina_1: 0.94, worker_vs_piscina_1000: 9.9 })).toMatchObject({
      worker_vs_piscina_1: 'miss',
      worker_vs_piscina_1000: 'miss',
    });
    expect(verdict({ batched_vs_piscina_1000: 4.9 }).batched_vs_piscina_1000).toBe('miss');
  });

  it('measures the worker goals on the default configuration: only the module and the thread count set', () => {
    for (const quick of [true, false]) {
      const services = workerServices(quick);
      expect(Object.keys(services.default ?? {}).sort()).toEqual(['threads', 'worker']);
      expect(services.default?.threads).toEqual({ min: 1, max: 1 });
      expect(Object.keys(services.batched ?? {}).sort()).toEqual(['batching', 'threads', 'worker']);
    }
    expect(Object.keys(workerServices(false))).toEqual(['default', 'batched', 'no-timeout']);
  });

  it('judges the end-to-end goals: ratios, milliseconds and counts', () => {
    const pass = checkGoals(
      ratiosWith({
        http_healthy_vs_cockatiel: 1,
        http_heavy_real_vs_cockatiel: 1.2,
        http_heavy_loop_p99_ms: 100,
        http_false_worker_crashes: 0,
        http_outage_trip_ms: 1_100,
        http_outage_fallback_p50_ms: 0.7,
        http_outage_upstream_excess: -3,
      }),
    );
    expect(failedGoals(pass)).toEqual([]);
    expect(pass.filter((r) => r.goal.key.startsWith('http_')).every((r) => r.verdict === 'pass')).toBe(true);
    const miss = checkGoals(
      ratiosWith({
        http_healthy_vs_cockatiel: 0.77,
        http_heavy_real_vs_cockatiel: 0.47,
        http_heavy_loop_p99_ms: 101,
        http_false_worker_crashes: 15,
        http_outage_trip_ms: 2_500,
        http_outage_fallback_p50_ms: 12,
        http_outage_upstream_excess: 1,
      }),
    );
    expect(failedGoals(miss).map((r) => r.goal.key)).toEqual([
      'http_healthy_vs_cockatiel',
      'http_heavy_real_vs_cockatiel',
      'http_heavy_loop_p99_ms',
      'http_false_worker_crashes',
      'http_outage_trip_ms',
      'http_outage_fallback_p50_ms',
      'http_outage_upstream_excess',
    ]);
  });

  it('treats a non-finite figure as not measured', () => {
    const results = checkGoals(ratiosWith({ inline_vs_cockatiel: Number.NaN }));
    expect(results.find((r) => r.goal.key === 'inline_vs_cockatiel')!.verdict).toBe('n/a');
  });

  it('states targets with their unit', () => {
    const t = (key: string) => formatTarget(GOALS.find((g) => g.key === key)!);
    expect(t('inline_vs_cockatiel')).toBe('≥1.67x');
    expect(t('failure_cost_100k_vs_100')).toBe('≤1.5x');
    expect(t('bytes_per_idle_breaker')).toBe('≤1024 B');
    expect(t('timers_for_100k_breakers')).toBe('≤1');
    expect(t('worker_vs_piscina_1000')).toBe('≥10x');
    expect(t('http_heavy_loop_p99_ms')).toBe('≤100 ms');
    expect(t('http_false_worker_crashes')).toBe('≤0');
    expect(t('fleet_open_propagation_p99_ms')).toBe('≤50 ms');
    expect(t('fleet_probes_per_half_open')).toBe('=2');
  });
});

const info: RunInfo = {
  quick: true,
  date: '2026-11-23T00:00:00.000Z',
  node: 'v20.20.2',
  machine: {
    cpus: { model: 'Test CPU', count: 2 },
    memoryBytes: 8 * 1024 ** 3,
    platform: 'linux',
    arch: 'x64',
  },
  git: 'abc123 (uncommitted)',
  command: 'npm run bench -- --quick',
  durationMs: 1234,
  load: { start: [0.5, 0.4, 0.3], end: [0.6, 0.5, 0.4] },
};

function scenario(name: string, figures: ScenarioResult['figures']): ScenarioResult {
  return {
    name,
    title: `${name} title`,
    notes: ['a note'],
    tables: [{ title: 'T', header: ['case', 'value'], rows: [['bw', '1']] }],
    comparisons: [{ label: 'bw vs peer', value: 2, min: 1.5, max: 2.5, unit: 'times faster' }],
    figures,
    charts: [{ file: `${name}.svg`, spec: { title: 'c', xLabel: 'x', yLabel: 'y', series: [] } }],
    data: { raw: true },
  };
}

describe('result JSON and report', () => {
  const results = [
    scenario('inline', {
      inline_vs_cockatiel: { value: 1.8123, min: 1.2, max: 2.4, detail: 'bw vs cockatiel' },
      inline_vs_opossum: { value: 12, min: 10, max: 14, detail: 'bw vs opossum' },
    }),
    scenario('many-services', {
      bytes_per_idle_breaker: { value: 600.4, min: 600.4, max: 600.4, detail: 'heap' },
    }),
    scenario('http', {
      http_heavy_loop_p99_ms: { value: 23, min: 8, max: 140, detail: 'loop p99' },
      http_false_worker_crashes: { value: 15, min: 15, max: 15, detail: 'crashes' },
    }),
  ];
  const result = buildResult(info, results);

  it('has the run facts, the fixed ratios keys and per-key details', () => {
    expect(result.schema).toBe(1);
    expect(result.quick).toBe(true);
    expect(result.node).toBe('v20.20.2');
    expect(result.machine.cpus).toEqual({ model: 'Test CPU', count: 2 });
    expect(result.git).toBe('abc123 (uncommitted)');
    expect(result.command).toBe('npm run bench -- --quick');
    expect(result.scenariosRun).toEqual(['inline', 'many-services', 'http']);
    expect(Object.keys(result.ratios)).toEqual(ALL_KEYS);
    expect(result.ratios.inline_vs_cockatiel).toBe(1.812);
    expect(result.ratios.bytes_per_idle_breaker).toBe(600.4);
    expect(result.ratios.worker_vs_piscina_1).toBeNull();
    expect(Object.keys(result.ratioDetails)).toEqual(ALL_KEYS);
    expect(result.ratioDetails.inline_vs_cockatiel).toEqual({
      value: 1.812,
      min: 1.2,
      max: 2.4,
      detail: 'bw vs cockatiel',
    });
    expect(result.ratioDetails.reject_vs_cockatiel).toBeNull();
  });

  it('records a goal verdict per key and survives a JSON round trip', () => {
    expect(result.goals).toHaveLength(ALL_KEYS.length);
    const g = result.goals.find((x) => x.key === 'inline_vs_cockatiel')!;
    expect(g).toMatchObject({ op: '>=', target: 1.67, enforced: true, value: 1.812, verdict: 'pass' });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('keeps the first figure when two scenarios report the same key', () => {
    const twice = buildResult(info, [
      scenario('a', { inline_vs_cockatiel: { value: 2, min: 2, max: 2, detail: 'first' } }),
      scenario('b', { inline_vs_cockatiel: { value: 3, min: 3, max: 3, detail: 'second' } }),
    ]);
    expect(twice.ratios.inline_vs_cockatiel).toBe(2);
  });

  it('renders the Markdown report with the goals table, scenario tables and charts', () => {
    const md = renderMarkdown(result, results);
    expect(md).toContain('# breakwater benchmark (quick run)');
    expect(md).toContain('`npm run bench -- --quick`');
    expect(md).toContain('2 × Test CPU, 8.0 GiB');
    expect(md).toContain('| `inline_vs_cockatiel` |');
    expect(md).toMatch(/\| `inline_vs_cockatiel` \|[^\n]*\| ≥1\.67x \| 1\.81x \(1\.20x–2\.40x\) \| pass \|/);
    expect(md).toMatch(/\| `worker_vs_piscina_1` \|[^\n]*\| n\/a \| n\/a \|/);
    expect(md).toMatch(/\| `bytes_per_idle_breaker` \|[^\n]*\| 600 B \| pass \|/);
    expect(md).toMatch(
      /\| `http_heavy_loop_p99_ms` \|[^\n]*\| ≤100 ms \| 23\.0 ms \(8\.00 ms–140 ms\) \| pass \|/,
    );
    expect(md).toMatch(/\| `http_false_worker_crashes` \|[^\n]*\| ≤0 \| 15 \| \*\*MISS\*\* \|/);
    expect(md).toContain('## inline: inline title');
    expect(md).toContain('![c](inline.svg)');
    expect(md).toContain('load average (1 min) at start / end: 0.50 / 0.60');
    expect(md).not.toContain('the machine was busy');
  });

  it('writes the goals table of the run between the README markers, and only there', () => {
    const readme = `# title\n\nbefore\n${README_START}\nold figures\n${README_END}\nafter\n`;
    const out = replaceReadmeBlock(readme, result);
    expect(out.startsWith(`# title\n\nbefore\n${README_START}\n`)).toBe(true);
    expect(out.endsWith(`\n${README_END}\nafter\n`)).toBe(true);
    expect(out).not.toContain('old figures');
    expect(out).toContain('`npm run bench -- --quick`, commit `abc123 (uncommitted)`');
    expect(out).toContain('**a quick run**');
    expect(out).toMatch(/\| `inline_vs_cockatiel` \|[^\n]*\| ≥1\.67x \| 1\.81x \(1\.20x–2\.40x\) \| pass \|/);
    // Written twice, the block is replaced, not appended.
    expect(replaceReadmeBlock(out, result)).toBe(out);
    expect(() => replaceReadmeBlock('# no markers\n', result)).toThrow(/has no .* section/);
  });

  it('warns when the machine was busy during the run', () => {
    const loaded = buildResult({ ...info, load: { start: [0.5, 0, 0], end: [5.1, 0, 0] } }, results);
    expect(busy(loaded)).toBe(true);
    expect(renderMarkdown(loaded, results)).toContain('the machine was busy');
    expect(busy(result)).toBe(false);
  });
});

describe('command line', () => {
  const known = ['inline', 'reject'];

  it('parses the flags', () => {
    expect(
      parseBenchArgs(
        ['--quick', '--scenario', 'inline', '--scenario', 'reject', '--json', '--check', '--readme'],
        known,
      ),
    ).toEqual({
      quick: true,
      scenarios: ['inline', 'reject'],
      json: true,
      check: true,
      readme: true,
      out: undefined,
      help: false,
    });
    expect(parseBenchArgs([], known).scenarios).toEqual([]);
  });

  it('rejects an unknown scenario or flag', () => {
    expect(() => parseBenchArgs(['--scenario', 'nope'], known)).toThrow(/unknown scenario "nope"/);
    expect(() => parseBenchArgs(['--fast'], known)).toThrow();
  });

  it('records the command as typed', () => {
    expect(commandLine(['--quick'], 'bench/main.ts', 'bench')).toBe('npm run bench -- --quick');
    expect(commandLine([], 'bench/main.ts', 'bench')).toBe('npm run bench');
    expect(commandLine(['--quick'], 'bench/main.ts')).toBe('tsx bench/main.ts --quick');
  });
});

describe('SVG chart writer', () => {
  const svg = lineChart({
    title: 'Throughput <vs> in-flight & "calls"',
    xLabel: 'calls in flight',
    yLabel: 'ops/s',
    xLog: true,
    series: [
      {
        name: 'breakwater',
        points: [
          [1, 100],
          [1000, 400],
        ],
      },
      {
        name: 'piscina',
        points: [
          [1, 90],
          [1000, 80],
          [0, 50],
        ],
      },
    ],
  });

  it('is a standalone SVG document with balanced tags', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const opened = (svg.match(/<(svg|g|text)\b/g) ?? []).length;
    const closed = (svg.match(/<\/(svg|g|text)>/g) ?? []).length;
    expect(opened).toBe(closed);
  });

  it('escapes text, draws a line per series and skips points a log axis cannot show', () => {
    expect(svg).toContain('Throughput &lt;vs&gt; in-flight &amp; &quot;calls&quot;');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(4); // x = 0 is dropped on the log axis
    expect(svg).toContain('>breakwater</text>');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('says so when there is no data', () => {
    const empty = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [] }] });
    expect(empty).toContain('no data');
    expect(empty.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('picks readable ticks', () => {
    expect(linearTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(logTicks(3, 2000)).toEqual([1, 10, 100, 1000, 10000]);
    expect(compactNumber(100_000)).toBe('100k');
    expect(compactNumber(1_500_000)).toBe('1.5M');
    expect(compactNumber(0.25)).toBe('0.25');
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });
});
