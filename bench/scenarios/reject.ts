/**
 * Scenario 2: calls to an open breaker, the fast path users hit during an outage.
 * - the promise rejects (awaited in try/catch): breakwater `run()` vs cockatiel `execute()` vs
 *   opossum `fire()`, with a floor of rejecting with a ready-made error;
 * - a fallback value: breakwater's `fallback: { value }` vs opossum's `.fallback(fn)` and
 *   cockatiel's README idiom `wrap(fallback(handleAll, value), breaker)`; and a fallback function,
 *   the service's (`fallback: (error) => ...`) and a per-call one (`run(name, fn, { fallback })`);
 * - breakwater's non-rejecting `runResult()`, with a floor of an awaited `Promise.resolve(value)`.
 * Every breaker is tripped by real failures (5 consecutive; opossum opens on its first failure
 * with its defaults) and stays open for an hour, so no call in the run is a probe.
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
import {
  cockatielConsecutive,
  cockatielWithFallback,
  opossum,
  tripCockatiel,
  tripOpossum,
} from '../peers/breakers.ts';

const OPEN_MS = 3_600_000;
const boom = new Error('upstream down');

async function work(): Promise<number> {
  return 1;
}

async function failing(): Promise<number> {
  throw boom;
}

export const reject: Scenario = {
  name: 'reject',
  title: 'Calls to an open breaker: rejection, fallback value, result form',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const sup = new Supervisor();
    const breaker = { openMs: OPEN_MS, trip: { kind: 'consecutive', threshold: 5 } } as const;
    sup.register('reject', { breaker });
    sup.register('fallback', { breaker, fallback: { value: -1 } });
    sup.register('fallback-fn', { breaker, fallback: (error) => (error === undefined ? 0 : -1) });
    const perCall = (error: unknown): number => (error === undefined ? 0 : -1);
    for (const name of ['reject', 'fallback', 'fallback-fn']) {
      for (let i = 0; i < 5; i++) await sup.runResult(name, failing);
      if (sup.state(name) !== 'open') throw new Error(`breakwater service ${name} did not open`);
    }
    const cReject = cockatielConsecutive(OPEN_MS);
    const cBreaker = cockatielConsecutive(OPEN_MS);
    const cFallback = cockatielWithFallback(cBreaker, -1);
    await tripCockatiel(cReject);
    await tripCockatiel(cBreaker);
    let up = false;
    const action = (): Promise<number> => (up ? work() : failing());
    const oReject = opossum(action, { resetTimeout: OPEN_MS });
    const oFallback = opossum(action, { resetTimeout: OPEN_MS }).fallback(() => -1);
    await tripOpossum(oReject);
    await tripOpossum(oFallback);
    up = true;
    const ready = new Error('ready-made');
    try {
      const stats = await measureGroup(
        'open breaker',
        [
          inlineCase(
            'floor-reject',
            'reject a ready-made error (floor)',
            'floor',
            () => Promise.reject(ready),
            true,
          ),
          inlineCase(
            'bw-reject',
            'breakwater run() rejects',
            'breakwater',
            () => sup.run('reject', work),
            true,
          ),
          inlineCase(
            'cockatiel-reject',
            'cockatiel execute() rejects',
            'peer',
            () => cReject.execute(work),
            true,
          ),
          inlineCase('opossum-reject', 'opossum fire() rejects', 'peer', () => oReject.fire(), true),
          inlineCase('floor-value', 'await Promise.resolve(value) (floor)', 'floor', () =>
            Promise.resolve(-1),
          ),
          inlineCase('bw-fallback', 'breakwater fallback: { value }', 'breakwater', () =>
            sup.run('fallback', work),
          ),
          inlineCase('bw-fallback-fn', "breakwater, the service's fallback function", 'breakwater', () =>
            sup.run('fallback-fn', work),
          ),
          inlineCase('bw-call-fallback-fn', 'breakwater, a per-call fallback function', 'breakwater', () =>
            sup.run('reject', work, { fallback: perCall }),
          ),
          inlineCase('bw-result', 'breakwater runResult()', 'breakwater', () =>
            sup.runResult('reject', work),
          ),
          inlineCase('cockatiel-fallback', 'cockatiel wrap(fallback, breaker)', 'peer', () =>
            cFallback.execute(work),
          ),
          inlineCase('opossum-fallback', 'opossum .fallback()', 'peer', () => oFallback.fire()),
        ],
        cfg,
        progress,
      );
      if (!oReject.opened || !oFallback.opened || sup.state('reject') !== 'open') {
        throw new Error('a breaker left the open state during the measurement');
      }
      const s = (id: string) => byId(stats, id);
      const rejectVsCockatiel = compareSpeed(
        'breakwater run() vs cockatiel execute(), both reject',
        s('bw-reject'),
        s('cockatiel-reject'),
      );
      const rejectVsOpossum = compareSpeed(
        'breakwater run() vs opossum fire(), both reject',
        s('bw-reject'),
        s('opossum-reject'),
      );
      const fbVsCockatiel = compareSpeed(
        'breakwater fallback value vs cockatiel wrap(fallback, breaker)',
        s('bw-fallback'),
        s('cockatiel-fallback'),
      );
      const fbVsOpossum = compareSpeed(
        'breakwater fallback value vs opossum .fallback()',
        s('bw-fallback'),
        s('opossum-fallback'),
      );
      const fn = (id: string, peer: string, what: string) =>
        compareSpeed(`breakwater ${what} vs ${peer}`, s(id), s(peer));
      const fnVsCockatiel = fn('bw-fallback-fn', 'cockatiel-fallback', "service's fallback function");
      const fnVsOpossum = fn('bw-fallback-fn', 'opossum-fallback', "service's fallback function");
      const callFnVsCockatiel = fn('bw-call-fallback-fn', 'cockatiel-fallback', 'per-call fallback function');
      const callFnVsOpossum = fn('bw-call-fallback-fn', 'opossum-fallback', 'per-call fallback function');
      const comparisons = [
        rejectVsCockatiel,
        rejectVsOpossum,
        fbVsCockatiel,
        fbVsOpossum,
        fnVsCockatiel,
        fnVsOpossum,
        callFnVsCockatiel,
        callFnVsOpossum,
        compareSpeed(
          'breakwater runResult() vs cockatiel wrap(fallback, breaker)',
          s('bw-result'),
          s('cockatiel-fallback'),
        ),
        compareSpeed('breakwater runResult() vs opossum .fallback()', s('bw-result'), s('opossum-fallback')),
        compareSpeed(
          'breakwater run() reject vs ready-made rejection (floor; ≥0.77 = within 1.3x)',
          s('bw-reject'),
          s('floor-reject'),
        ),
        compareSpeed(
          'breakwater fallback vs awaited Promise.resolve (floor)',
          s('bw-fallback'),
          s('floor-value'),
        ),
      ];
      progress.line(
        `reject vs cockatiel ${rejectVsCockatiel.value.toFixed(2)}x, vs opossum ${rejectVsOpossum.value.toFixed(2)}x; ` +
          `fallback vs cockatiel ${fbVsCockatiel.value.toFixed(1)}x, vs opossum ${fbVsOpossum.value.toFixed(1)}x; ` +
          `function fallback ${fnVsCockatiel.value.toFixed(1)}x / ${fnVsOpossum.value.toFixed(1)}x, ` +
          `per call ${callFnVsCockatiel.value.toFixed(1)}x / ${callFnVsOpossum.value.toFixed(1)}x`,
      );
      return {
        name: 'reject',
        title: this.title,
        notes: [
          'Every breaker was opened by real failures (5 consecutive; opossum opens on its first failure by default) with a 1 h open period, so no call is a probe.',
          'Rejections are awaited inside try/catch, the way callers handle them.',
          "cockatiel's fallback is its README idiom `wrap(fallback(handleAll, value), breaker)`; opossum's is `breaker.fallback(() => value)`.",
          'breakwater builds protection errors without a stack by default (`captureStacks: false`); cockatiel and opossum capture one.',
        ],
        tables: [
          caseTable('Open breaker', stats, s('bw-reject')),
          comparisonTable('Ratios (paired by round)', comparisons),
        ],
        comparisons,
        figures: {
          reject_vs_cockatiel: asFigure(rejectVsCockatiel),
          reject_vs_opossum: asFigure(rejectVsOpossum),
          fallback_vs_cockatiel: asFigure(fbVsCockatiel),
          fallback_vs_opossum: asFigure(fbVsOpossum),
          fallback_fn_vs_cockatiel: asFigure(fnVsCockatiel),
          fallback_fn_vs_opossum: asFigure(fnVsOpossum),
          call_fallback_fn_vs_cockatiel: asFigure(callFnVsCockatiel),
          call_fallback_fn_vs_opossum: asFigure(callFnVsOpossum),
        },
        charts: [],
        data: { cases: stats.map(caseJson) },
      };
    } finally {
      oReject.shutdown();
      oFallback.shutdown();
      await sup.close();
    }
  },
};
