/**
 * Scenario 4: worker calls, 1 in flight (latency) and 1,000 in flight (throughput), payloads of
 * 0 B, 1 KB and 64 KB, against bare piscina (same thread count, same tiny task, piscina's
 * defaults: what a user writes without us) and raw postMessage to one worker (the floor).
 * The headline breakwater case is the **default configuration**: only `worker` and `threads` (to
 * match piscina's thread count) are set, so the default call timeout and the default pool mode
 * are what is measured. The opt-in `batching: true` runs beside it; full runs add the default
 * pool without a call timeout, to show what the timeout costs.
 */
import { Piscina } from 'piscina';
import { type ServiceOptions, Supervisor } from '../../src/index.ts';
import { concurrentCase } from '../lib/cases.ts';
import { formatNs, formatOps, formatRatio } from '../lib/format.ts';
import { type BenchCase, byId, type CaseStats, measureGroup } from '../lib/measure.ts';
import {
  asFigure,
  type Comparison,
  caseJson,
  caseTable,
  compareThroughput,
  comparisonTable,
  type ReportTable,
  type Scenario,
  type ScenarioResult,
} from '../lib/scenario.ts';
import { RawWorker } from '../peers/raw-worker.ts';

const TASK = new URL('../workers/tiny.mjs', import.meta.url);
const RAW = new URL('../workers/raw-echo.mjs', import.meta.url);
const THREADS = 1;
const PAYLOADS = [
  { name: '0 B', value: '' },
  { name: '1 KB', value: 'x'.repeat(1024) },
  { name: '64 KB', value: 'x'.repeat(64 * 1024) },
] as const;

interface Group {
  readonly inFlight: number;
  readonly payload: (typeof PAYLOADS)[number];
  readonly stats: CaseStats[];
}

/**
 * Which (in-flight, payload) groups a run measures. Quick runs keep 1 in flight at 0 B only, skip
 * the 64 KB payload and the curve's middle points (10 and 100 in flight).
 */
function plan(quick: boolean): { inFlight: number; payload: (typeof PAYLOADS)[number] }[] {
  const out: { inFlight: number; payload: (typeof PAYLOADS)[number] }[] = [];
  for (const payload of quick ? PAYLOADS.slice(0, 2) : PAYLOADS) {
    out.push({ inFlight: 1000, payload });
    if (!quick || payload === PAYLOADS[0]) out.push({ inFlight: 1, payload });
  }
  if (!quick) for (const inFlight of [10, 100]) out.push({ inFlight, payload: PAYLOADS[0] });
  return out.sort((a, b) => a.inFlight - b.inFlight);
}

/**
 * The breakwater services of the scenario. `default` is the headline: the handler module and the
 * thread count (pinned to piscina's), nothing else, so every other option is breakwater's default
 * (test/bench/harness.test.ts holds it to that).
 */
export function workerServices(quick: boolean): Record<string, ServiceOptions> {
  const threads = { min: THREADS, max: THREADS } as const;
  const out: Record<string, ServiceOptions> = {
    default: { worker: TASK, threads },
    batched: { worker: TASK, threads, batching: true },
  };
  if (!quick) out['no-timeout'] = { worker: TASK, threads, breaker: { callTimeoutMs: 0 } };
  return out;
}

export const worker: Scenario = {
  name: 'worker',
  title: 'Worker calls: 1 and 1,000 in flight, 0 B / 1 KB / 64 KB payloads',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const sup = new Supervisor();
    for (const [name, options] of Object.entries(workerServices(cfg.quick))) sup.register(name, options);
    const piscina = new Piscina({ filename: TASK.href, minThreads: THREADS, maxThreads: THREADS });
    // Full runs also show piscina as breakwater configures it in per-call mode (no timing histogram).
    const tuned = cfg.quick
      ? undefined
      : new Piscina({ filename: TASK.href, minThreads: THREADS, maxThreads: THREADS, recordTiming: false });
    const raw = new RawWorker(RAW);
    try {
      await raw.ready();
      for (const name of sup.services()) await sup.call(name, 'size', ['']);
      await piscina.run('');
      await tuned?.run('');
      const groups: Group[] = [];
      for (const { inFlight, payload } of plan(cfg.quick)) {
        const p = payload.value;
        const c = (id: string, label: string, role: BenchCase['role'], op: () => unknown) =>
          concurrentCase(id, label, role, op, inFlight);
        const cases = [
          c('raw', 'raw postMessage, one worker (floor)', 'floor', () => raw.call(p)),
          c('piscina', 'bare piscina (defaults)', 'peer', () => piscina.run(p)),
          c('bw', 'breakwater, default configuration', 'breakwater', () => sup.call('default', 'size', [p])),
          c('bw-batched', 'breakwater batching: true', 'breakwater', () => sup.call('batched', 'size', [p])),
        ];
        if (tuned !== undefined) {
          cases.push(
            c('bw-no-timeout', 'breakwater, callTimeoutMs: 0', 'breakwater', () =>
              sup.call('no-timeout', 'size', [p]),
            ),
            c('piscina-tuned', 'piscina recordTiming: false', 'peer', () => tuned.run(p)),
          );
        }
        const stats = await measureGroup(`${inFlight} in flight, ${payload.name}`, cases, cfg, progress);
        groups.push({ inFlight, payload, stats });
      }
      return report(groups, cfg.quick, progress.line);
    } finally {
      await sup.close();
      await piscina.close();
      await tuned?.close();
      await raw.close();
    }
  },
};

function report(groups: readonly Group[], quick: boolean, line: (text: string) => void): ScenarioResult {
  const find = (inFlight: number, payload: string): Group | undefined =>
    groups.find((g) => g.inFlight === inFlight && g.payload.name === payload);
  const comparisons: Comparison[] = [];
  const tables: ReportTable[] = [];
  for (const g of groups) {
    const s = (id: string) => byId(g.stats, id);
    const tag = `${g.inFlight} in flight, ${g.payload.name}`;
    tables.push(caseTable(tag, g.stats));
    comparisons.push(
      compareThroughput(`${tag}: breakwater (defaults) vs bare piscina`, s('bw'), s('piscina')),
      compareThroughput(
        `${tag}: breakwater (defaults) vs raw postMessage (fraction of floor)`,
        s('bw'),
        s('raw'),
      ),
      compareThroughput(`${tag}: breakwater batched vs bare piscina`, s('bw-batched'), s('piscina')),
      compareThroughput(
        `${tag}: breakwater batched vs raw postMessage (fraction of floor)`,
        s('bw-batched'),
        s('raw'),
      ),
    );
    if (g.stats.some((x) => x.id === 'bw-no-timeout')) {
      comparisons.push(
        compareThroughput(
          `${tag}: breakwater callTimeoutMs: 0 vs bare piscina`,
          s('bw-no-timeout'),
          s('piscina'),
        ),
        compareThroughput(`${tag}: breakwater (defaults) vs tuned piscina`, s('bw'), s('piscina-tuned')),
      );
    }
  }
  const g1 = find(1, '0 B');
  const g1000 = find(1000, '0 B');
  const figures: ScenarioResult['figures'] = {};
  const notes: string[] = [
    `Every case uses ${THREADS} worker thread and the same task (bench/workers/tiny.mjs: the payload's length). Payloads are strings; the task's answer is a number.`,
    'Bare piscina runs with its defaults (what a user writes without us); full runs also show piscina with `recordTiming: false`, as breakwater configures it.',
    'The headline breakwater case is the default configuration: `register(name, { worker, threads: { min: 1, max: 1 } })`, nothing else (so the default 10 s call timeout and the default pool mode). `batching: true` is the opt-in batched mode (otherwise defaults); full runs also show the default pool with `breaker: { callTimeoutMs: 0 }` (piscina has no call timeout).',
    'Closed loop: each completion issues the next call. 1 in flight: every call timed; 1,000 in flight: 1 call in 16 timed.',
  ];
  if (g1 !== undefined && g1000 !== undefined) {
    const s1 = (id: string) => byId(g1.stats, id);
    const sK = (id: string) => byId(g1000.stats, id);
    const w1 = compareThroughput(
      'breakwater (default configuration) vs bare piscina, 1 in flight, 0 B',
      s1('bw'),
      s1('piscina'),
    );
    const wK = compareThroughput(
      'breakwater (default configuration) vs bare piscina, 1,000 in flight, 0 B',
      sK('bw'),
      sK('piscina'),
    );
    const wRaw = compareThroughput(
      'breakwater (default configuration) vs raw postMessage, 1,000 in flight, 0 B',
      sK('bw'),
      sK('raw'),
    );
    const bK = compareThroughput(
      'breakwater batched vs bare piscina, 1,000 in flight, 0 B',
      sK('bw-batched'),
      sK('piscina'),
    );
    const bRaw = compareThroughput(
      'breakwater batched vs raw postMessage, 1,000 in flight, 0 B',
      sK('bw-batched'),
      sK('raw'),
    );
    figures.worker_vs_piscina_1 = asFigure(w1);
    figures.worker_vs_piscina_1000 = asFigure(wK);
    figures.worker_vs_raw_postmessage = asFigure(wRaw);
    figures.batched_vs_piscina_1000 = asFigure(bK);
    figures.batched_vs_raw_postmessage = asFigure(bRaw);
    const p50 = s1('bw').p50Ns / s1('piscina').p50Ns;
    notes.push(
      `1-in-flight latency: breakwater p50 ${formatNs(s1('bw').p50Ns)} vs bare piscina ${formatNs(s1('piscina').p50Ns)} (${formatRatio(p50)} of piscina's; goal ≤1.1x).`,
      `Raw postMessage floor at 1,000 in flight: ${formatOps(sK('raw').opsPerSec.median)}; breakwater's default configuration reaches ${(wRaw.value * 100).toFixed(0)}% of it, batching: true ${(bRaw.value * 100).toFixed(0)}%.`,
    );
    line(
      `defaults: 1 in flight ${formatRatio(w1.value)} piscina; 1,000 in flight ${formatRatio(wK.value)} piscina, ${(wRaw.value * 100).toFixed(0)}% of raw; batched ${formatRatio(bK.value)} piscina, ${(bRaw.value * 100).toFixed(0)}% of raw`,
    );
  }
  const curve = groups.filter((g) => g.payload.name === '0 B');
  const series = (id: string, name: string) => ({
    name,
    points: curve.map((g) => [g.inFlight, byId(g.stats, id).opsPerSec.median] as const),
  });
  return {
    name: 'worker',
    title: worker.title,
    notes,
    tables: [...tables, comparisonTable('Throughput ratios (paired by round)', comparisons)],
    comparisons,
    figures,
    charts: [
      {
        file: 'worker-throughput.svg',
        spec: {
          title: `Worker throughput vs calls in flight (0 B payload, ${THREADS} thread${quick ? ', quick' : ''})`,
          xLabel: 'calls in flight',
          yLabel: 'calls per second',
          xLog: true,
          yLog: true,
          series: [
            series('raw', 'raw postMessage (floor)'),
            series('bw-batched', 'breakwater batched'),
            series('bw', 'breakwater (defaults)'),
            series('piscina', 'bare piscina'),
          ],
        },
      },
    ],
    data: groups.map((g) => ({
      inFlight: g.inFlight,
      payload: g.payload.name,
      cases: g.stats.map(caseJson),
    })),
  };
}
