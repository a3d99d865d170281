/**
 * Scenario 1b: every shape of an inline call with a timeout, not only the no-options one.
 * - the no-options timed call (the service's default 10 s timeout) against a minimal hand-written
 *   timed wrapper (lookup, clock read, promise, deadline entry: the floor of an exact timeout);
 * - a per-call `{ timeoutMs }` and a per-call `{ signal }` against the no-options timed call (the
 *   signal's budget: 1.5x the timed call plus one addEventListener/removeEventListener pair,
 *   measured as a reference case);
 * - work that takes a signal, with the default timeout, against cockatiel's
 *   `wrap(timeout(10_000, TimeoutStrategy.Cooperative), breaker)`.
 */
import { ConsecutiveBreaker, circuitBreaker, handleAll, TimeoutStrategy, timeout, wrap } from 'cockatiel';
import { Supervisor } from '../../src/index.ts';
import { inlineCase } from '../lib/cases.ts';
import { byId, type CaseStats, measureGroup } from '../lib/measure.ts';
import {
  asFigure,
  type Comparison,
  caseJson,
  caseTable,
  compareSpeed,
  comparisonTable,
  type Scenario,
  type ScenarioResult,
} from '../lib/scenario.ts';
import { summarize } from '../lib/stats.ts';
import { MinimalTimed } from '../peers/minimal-timed.ts';

async function work(): Promise<number> {
  return 1;
}

async function workWithSignal(signal: AbortSignal): Promise<number> {
  return signal.aborted ? 0 : 1;
}

/** Round by round: the signal call's cost over its budget (1.5x the timed call plus one listener pair). */
function signalBudget(signal: CaseStats, timed: CaseStats, timedPlusListener: CaseStats): Comparison {
  const ratios = signal.roundsNs.map((ns, i) => {
    const t = timed.roundsNs[i]!;
    const listener = Math.max(0, timedPlusListener.roundsNs[i]! - t);
    return ns / (1.5 * t + listener);
  });
  const s = summarize(ratios);
  return {
    label: 'breakwater { signal } cost / (1.5x the no-options timed call + one addEventListener)',
    value: s.median,
    min: s.min,
    max: s.max,
    unit: 'cost ratio',
  };
}

export const shapes: Scenario = {
  name: 'shapes',
  title: 'Every inline call shape with a timeout: per-call options, signals, the floor of a timeout',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const sup = new Supervisor();
    sup.register('default');
    const wrapper = new MinimalTimed().register('default', 10_000);
    const controller = new AbortController();
    const signal = controller.signal;
    const listener = (): void => {};
    const cockatiel = wrap(
      timeout(10_000, TimeoutStrategy.Cooperative),
      circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
    );
    try {
      const stats = await measureGroup(
        'call shapes',
        [
          inlineCase('wrapper', 'minimal timed wrapper (floor of a timeout)', 'floor', () =>
            wrapper.run('default', work),
          ),
          inlineCase('bw-timed', 'breakwater, default 10 s timeout, no options', 'breakwater', () =>
            sup.run('default', work),
          ),
          inlineCase('bw-timeout-option', 'breakwater, { timeoutMs: 5_000 } per call', 'breakwater', () =>
            sup.run('default', work, { timeoutMs: 5_000 }),
          ),
          inlineCase('bw-signal-option', 'breakwater, { signal } per call', 'breakwater', () =>
            sup.run('default', work, { signal }),
          ),
          inlineCase(
            'bw-timed-listener',
            'breakwater timed call + one add/removeEventListener',
            'floor',
            () => {
              signal.addEventListener('abort', listener);
              const p = sup.run('default', work);
              signal.removeEventListener('abort', listener);
              return p;
            },
          ),
          inlineCase('bw-signal-work', 'breakwater, work takes a signal, default timeout', 'breakwater', () =>
            sup.run('default', workWithSignal),
          ),
          inlineCase('cockatiel-timeout', 'cockatiel wrap(timeout(10 s, Cooperative), breaker)', 'peer', () =>
            cockatiel.execute(({ signal: s }) => workWithSignal(s)),
          ),
        ],
        cfg,
        progress,
      );
      const s = (id: string) => byId(stats, id);
      const vsWrapper = compareSpeed(
        'minimal timed wrapper vs breakwater timed call (= breakwater cost / wrapper cost)',
        s('wrapper'),
        s('bw-timed'),
      );
      const timeoutOption = compareSpeed(
        'breakwater { timeoutMs } cost / no-options timed call cost',
        s('bw-timed'),
        s('bw-timeout-option'),
      );
      const signalOption = signalBudget(s('bw-signal-option'), s('bw-timed'), s('bw-timed-listener'));
      const signalWork = compareSpeed(
        'breakwater work taking a signal vs cockatiel cooperative timeout + breaker',
        s('bw-signal-work'),
        s('cockatiel-timeout'),
      );
      const comparisons = [vsWrapper, timeoutOption, signalOption, signalWork];
      progress.line(
        `timed/wrapper ${vsWrapper.value.toFixed(2)}x, {timeoutMs} ${timeoutOption.value.toFixed(2)}x, ` +
          `{signal} ${signalOption.value.toFixed(2)} of budget, signal work vs cockatiel ${signalWork.value.toFixed(1)}x`,
      );
      return {
        name: 'shapes',
        title: this.title,
        notes: [
          'work: `async () => 1`, or `async (signal) => ...` where the work takes a signal; each call awaited in a loop.',
          'The minimal wrapper does per call: one Map lookup, one clock read, one promise, one entry in a FIFO deadline list served by one timer.',
          '`{ timeoutMs: 5_000 }` and `{ signal }` are written at the call site (a new options object per call), the way callers write them.',
          'Work that declares a signal parameter gets an AbortController of its own per call (the timeout must be able to abort it).',
        ],
        tables: [
          caseTable('Call shapes', stats, s('bw-timed')),
          comparisonTable('Ratios (paired by round)', comparisons),
        ],
        comparisons,
        figures: {
          inline_timed_vs_wrapper: asFigure(vsWrapper),
          timeout_option_vs_timed: asFigure(timeoutOption),
          signal_option_vs_budget: asFigure(signalOption),
          signal_work_vs_cockatiel: asFigure(signalWork),
        },
        charts: [],
        data: { cases: stats.map(caseJson) },
      };
    } finally {
      wrapper.close();
      controller.abort();
      await sup.close();
    }
  },
};
