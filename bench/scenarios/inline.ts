/**
 * Scenario 1: an inline call that succeeds, through a closed breaker.
 *
 * Fairness: cockatiel has no call timeout, so breakwater is compared with it with
 * `callTimeoutMs: 0`; opossum (default 10 s timeout, a setTimeout per call) is compared with
 * breakwater's default (10 s timeout, one shared deadline list per duration); and both sides
 * without a timeout too. The work is the same async function for every case. Callers often pass
 * a new closure per call instead (`() => fetchUser(id)`), which defeats caches keyed by the
 * function, so that shape is measured too, for both breakwater and cockatiel.
 */
import { Supervisor } from '../../src/index.ts';
import { inlineCase } from '../lib/cases.ts';
import { byId, measureGroup } from '../lib/measure.ts';
import {
  asFigure,
  caseJson,
  caseTable,
  compareSpeed,
  comparisonTable,
  type Scenario,
  type ScenarioResult,
} from '../lib/scenario.ts';
import { cockatielConsecutive, cockatielSampling, opossum } from '../peers/breakers.ts';

async function work(): Promise<number> {
  return 1;
}

export const inline: Scenario = {
  name: 'inline',
  title: 'Inline success through a closed breaker',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const sup = new Supervisor();
    sup.register('no-timeout', { breaker: { callTimeoutMs: 0 } });
    sup.register('fresh', { breaker: { callTimeoutMs: 0 } });
    sup.register('default');
    sup.register('time-window', {
      breaker: {
        callTimeoutMs: 0,
        trip: { kind: 'time-window', windowMs: 60_000, buckets: 10, failureRate: 0.5 },
      },
    });
    const cConsecutive = cockatielConsecutive();
    const cSampling = cockatielSampling();
    const oDefault = opossum(work);
    const oNoTimeout = opossum(work, { timeout: false });
    try {
      const stats = await measureGroup(
        'inline success',
        [
          inlineCase('bare', 'bare `await fn()` (floor)', 'floor', work),
          inlineCase('bw-no-timeout', 'breakwater, callTimeoutMs: 0', 'breakwater', () =>
            sup.run('no-timeout', work),
          ),
          inlineCase('cockatiel-consecutive', 'cockatiel ConsecutiveBreaker(5)', 'peer', () =>
            cConsecutive.execute(work),
          ),
          inlineCase('bw-fresh', 'breakwater, callTimeoutMs: 0, a new closure per call', 'breakwater', () =>
            sup.run('fresh', async () => 1),
          ),
          inlineCase(
            'cockatiel-fresh',
            'cockatiel ConsecutiveBreaker(5), a new closure per call',
            'peer',
            () => cConsecutive.execute(async () => 1),
          ),
          inlineCase('bw-default', 'breakwater, default 10 s timeout', 'breakwater', () =>
            sup.run('default', work),
          ),
          inlineCase('opossum-default', 'opossum defaults (10 s timeout)', 'peer', () => oDefault.fire()),
          inlineCase('opossum-no-timeout', 'opossum timeout: false', 'peer', () => oNoTimeout.fire()),
          inlineCase('bw-time-window', 'breakwater time-window, callTimeoutMs: 0', 'breakwater', () =>
            sup.run('time-window', work),
          ),
          inlineCase('cockatiel-sampling', 'cockatiel SamplingBreaker (60 s)', 'peer', () =>
            cSampling.execute(work),
          ),
        ],
        cfg,
        progress,
      );
      const s = (id: string) => byId(stats, id);
      const vsCockatiel = compareSpeed(
        'breakwater (callTimeoutMs: 0) vs cockatiel ConsecutiveBreaker(5)',
        s('bw-no-timeout'),
        s('cockatiel-consecutive'),
      );
      const vsOpossum = compareSpeed(
        'breakwater (default 10 s timeout) vs opossum defaults (10 s timeout)',
        s('bw-default'),
        s('opossum-default'),
      );
      const comparisons = [
        vsCockatiel,
        vsOpossum,
        compareSpeed(
          'breakwater vs cockatiel, both given a new closure per call',
          s('bw-fresh'),
          s('cockatiel-fresh'),
        ),
        compareSpeed(
          'breakwater (callTimeoutMs: 0) vs opossum timeout: false',
          s('bw-no-timeout'),
          s('opossum-no-timeout'),
        ),
        compareSpeed(
          'breakwater time-window vs cockatiel SamplingBreaker',
          s('bw-time-window'),
          s('cockatiel-sampling'),
        ),
        compareSpeed(
          'breakwater (callTimeoutMs: 0) vs bare await (floor; < 1 = overhead)',
          s('bw-no-timeout'),
          s('bare'),
        ),
      ];
      const overheadNs = s('bw-no-timeout').nsPerOp.median - s('bare').nsPerOp.median;
      progress.line(
        `inline vs cockatiel ${vsCockatiel.value.toFixed(2)}x, vs opossum ${vsOpossum.value.toFixed(2)}x`,
      );
      return {
        name: 'inline',
        title: this.title,
        notes: [
          'work: the same `async () => 1` for every case; each call awaited in a loop.',
          'breakwater vs cockatiel: breakwater registered with `breaker: { callTimeoutMs: 0 }`, since cockatiel has no call timeout.',
          'breakwater vs opossum: both with their default 10 s call timeout (opossum arms a setTimeout per call; breakwater keeps one deadline list per duration).',
          `breakwater's overhead over a bare await: ${overheadNs.toFixed(0)} ns per call (median).`,
        ],
        tables: [
          caseTable('Inline success', stats, s('bw-no-timeout')),
          comparisonTable('Ratios (paired by round)', comparisons),
        ],
        comparisons,
        figures: {
          inline_vs_cockatiel: asFigure(vsCockatiel),
          inline_vs_opossum: asFigure(vsOpossum),
        },
        charts: [],
        data: { cases: stats.map(caseJson), overheadNs },
      };
    } finally {
      oDefault.shutdown();
      oNoTimeout.shutdown();
      await sup.close();
    }
  },
};
