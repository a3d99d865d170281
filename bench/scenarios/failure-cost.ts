/**
 * Scenario 3: the cost of recording outcomes as the window grows (100, 1k, 10k, 100k outcomes).
 * Calls alternate success and failure (so a 100%-failure threshold never opens the breaker and
 * every call really records into a full window). breakwater's `count-window` policy should cost
 * the same at every size (O(1) ring); cockatiel's CountBreaker is the like-for-like peer; opossum
 * keeps a rolling *time* window and, on every failure, concatenates and sorts every latency in it,
 * so it is measured with N outcomes in its window (refilled when it has grown by half).
 */
import { performance } from 'node:perf_hooks';
import { Supervisor } from '../../src/index.ts';
import { inlineCase } from '../lib/cases.ts';
import { formatNs, formatRatio } from '../lib/format.ts';
import { type BenchCase, byId, type CaseStats, measureGroup } from '../lib/measure.ts';
import {
  type Comparison,
  caseJson,
  caseTable,
  compareCost,
  comparisonTable,
  type Scenario,
  type ScenarioResult,
} from '../lib/scenario.ts';
import { cockatielCount, opossum } from '../peers/breakers.ts';

const SIZES = [100, 1_000, 10_000, 100_000] as const;
const boom = new Error('boom');

async function ok(): Promise<number> {
  return 1;
}

async function fail(): Promise<number> {
  throw boom;
}

/** An op that alternates a success and a failure through `call`. */
function alternating(call: (fn: () => Promise<number>) => unknown): () => unknown {
  let i = 0;
  return () => call((i++ & 1) === 0 ? ok : fail);
}

function label(size: number): string {
  return size >= 1000 ? `${size / 1000}k` : String(size);
}

/** opossum with `size` outcomes in its rolling window; refills a fresh breaker outside the timing. */
function opossumCase(size: number, disposers: (() => void)[]): BenchCase {
  let up = true;
  const action = (): Promise<number> => (up ? ok() : fail());
  const build = async () => {
    const b = opossum(action, { timeout: false, rollingCountTimeout: 3_600_000, enableSnapshots: false });
    up = true;
    for (let i = 0; i < size; i++) await b.fire();
    return b;
  };
  let breaker: Awaited<ReturnType<typeof build>> | undefined;
  let added = 0;
  disposers.push(() => breaker?.shutdown());
  const chunkMax = Math.max(1, Math.floor(size / 2));
  return {
    id: `opossum-${size}`,
    label: `opossum, ~${label(size)} outcomes in its window`,
    role: 'peer',
    latency: 'per-call',
    minOps: 2,
    async run(n, rec) {
      let elapsed = 0;
      let left = n;
      while (left > 0) {
        if (breaker === undefined || added >= chunkMax) {
          breaker?.shutdown();
          breaker = await build();
          added = 0;
        }
        const chunk = Math.min(left, chunkMax - added);
        const b = breaker;
        const t0 = performance.now();
        for (let i = 0; i < chunk; i++) {
          up = (i & 1) === 0;
          const c0 = performance.now();
          try {
            await b.fire();
          } catch {}
          rec((performance.now() - c0) * 1e6);
        }
        elapsed += performance.now() - t0;
        added += chunk;
        left -= chunk;
      }
      if (breaker?.opened === true) throw new Error('opossum opened during the failure-cost run');
      return elapsed;
    },
  };
}

export const failureCost: Scenario = {
  name: 'failure-cost',
  title: 'Outcome-recording cost as the window grows (100 → 100k)',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const sup = new Supervisor();
    const cases: BenchCase[] = [];
    const disposers: (() => void)[] = [];
    // Quick runs keep opossum's two ends only (its refills make the middle sizes slow to run).
    const opossumSizes = cfg.quick ? [SIZES[0], SIZES[3]] : SIZES;
    const opossums = opossumSizes.map((size) => opossumCase(size, disposers));
    for (const size of SIZES) {
      const name = `window-${size}`;
      sup.register(name, {
        breaker: { callTimeoutMs: 0, trip: { kind: 'count-window', size, minimumCalls: 10, failureRate: 1 } },
      });
      const cb = cockatielCount(size);
      const bwOp = alternating((fn) => sup.runResult(name, fn));
      const cOp = alternating((fn) => cb.execute(fn));
      // Fill both windows (twice over) before anything is timed.
      for (let i = 0; i < 2 * size; i++) {
        await bwOp();
        try {
          await cOp();
        } catch {}
      }
      cases.push(
        inlineCase(`bw-${size}`, `breakwater count-window ${label(size)}`, 'breakwater', bwOp, true),
      );
      cases.push(inlineCase(`cockatiel-${size}`, `cockatiel CountBreaker ${label(size)}`, 'peer', cOp, true));
    }
    cases.push(...opossums);
    try {
      const stats = await measureGroup('failure cost', cases, cfg, progress);
      for (const size of SIZES) {
        if (sup.state(`window-${size}`) !== 'closed')
          throw new Error(`window-${size} left closed during the run`);
      }
      const s = (id: string) => byId(stats, id);
      const growth = (prefix: string, big: number): Comparison =>
        compareCost(
          `${prefix === 'bw' ? 'breakwater' : prefix}: cost at ${label(big)} / cost at 100`,
          s(`${prefix}-${big}`).roundsNs,
          s(`${prefix}-100`).roundsNs,
          'cost ratio (1 = flat)',
        );
      const flat = growth('bw', 100_000);
      const comparisons = [
        growth('bw', 1_000),
        growth('bw', 10_000),
        flat,
        growth('cockatiel', 100_000),
        growth('opossum', 100_000),
      ];
      progress.line(`breakwater 100k/100 cost ${formatRatio(flat.value)}`);
      const series = (prefix: string, name: string) => ({
        name,
        points: (prefix === 'opossum' ? opossumSizes : SIZES).map(
          (size) => [size, s(`${prefix}-${size}`).nsPerOp.median] as const,
        ),
      });
      const ordered: CaseStats[] = [
        ...SIZES.map((z) => s(`bw-${z}`)),
        ...SIZES.map((z) => s(`cockatiel-${z}`)),
        ...opossumSizes.map((z) => s(`opossum-${z}`)),
      ];
      return {
        name: 'failure-cost',
        title: this.title,
        notes: [
          'Each call alternates a success and a failure; figures are per call. breakwater: `runResult()` (never rejects) on a `count-window` policy of that size with `failureRate: 1` (a 50% mix never opens it) and `callTimeoutMs: 0`.',
          'cockatiel: `CountBreaker({ threshold: 0.99, size })` (its threshold must be < 1); its failures reject, caught in the loop.',
          'opossum has no count window: its rolling time window (1 h here, so nothing rotates out) is pre-filled with N successes and refilled once it has grown by half.',
          `breakwater: ${SIZES.map((z) => `${label(z)} ${formatNs(s(`bw-${z}`).nsPerOp.median)}`).join(', ')} per call.`,
        ],
        tables: [
          caseTable('Cost per call by window size', ordered),
          comparisonTable('Growth (paired by round)', comparisons),
        ],
        comparisons,
        figures: {
          failure_cost_100k_vs_100: { value: flat.value, min: flat.min, max: flat.max, detail: flat.label },
        },
        charts: [
          {
            file: 'failure-cost.svg',
            spec: {
              title: 'Cost per call vs window size (success/failure mix)',
              xLabel: 'outcomes in the window',
              yLabel: 'time per call (ns)',
              xLog: true,
              yLog: true,
              series: [
                series('bw', 'breakwater count-window'),
                series('cockatiel', 'cockatiel CountBreaker'),
                series('opossum', 'opossum (time window)'),
              ],
            },
          },
        ],
        data: { sizes: SIZES, cases: ordered.map(caseJson) },
      };
    } finally {
      for (const d of disposers) d();
      await sup.close();
    }
  },
};
