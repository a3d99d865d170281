/**
 * Model-based test: random sequences of calls (succeeding, failing, failing with an error that
 * `isFailure` rejects, throwing a protection error, hanging until their timeout or their caller's
 * abort; with the service's timeout, a per-call one or none, with or without a per-call signal and
 * a per-call fallback, `{ value }` or a function), clock jumps small and large, bursts,
 * reset/forceOpen/disable, and restores of random snapshots into a new supervisor drive the real
 * Supervisor and a small reference model; after every step the state, counters, consecutive
 * failures, every caller's outcome, the timer count and the exact stateChange sequence must agree.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { StateChangeEvent } from '../../src/events.ts';
import { ManualClock, Supervisor } from '../../src/index.ts';
import {
  AbortCmd,
  AdvanceCmd,
  BurstCmd,
  CallCmd,
  type CmdModel,
  HangCmd,
  isFailure,
  ManualCmd,
  type Real,
  RestoreCmd,
  SettleCmd,
  type TimeoutChoice,
} from './model/commands.ts';
import {
  type FallbackChoice,
  type ModelConfig,
  ReferenceModel,
  SERVICE,
  type WorkOutcome,
} from './model/reference.ts';

const outcome = fc.oneof(
  { arbitrary: fc.constant<WorkOutcome>('success'), weight: 4 },
  { arbitrary: fc.constant<WorkOutcome>('failure'), weight: 3 },
  { arbitrary: fc.constant<WorkOutcome>('benign'), weight: 1 },
  { arbitrary: fc.constant<WorkOutcome>('protection'), weight: 1 },
);
const timeout = fc.constantFrom<TimeoutChoice>('default', 'default', 'override', 'none');
const fallback = fc.constantFrom<FallbackChoice>('none', 'none', 'value', 'fn');
const state = fc.constantFrom('closed', 'open', 'open', 'half-open', 'forced-open', 'disabled' as const);
const count = fc.nat({ max: 50 });
const restore = fc
  .record({
    state,
    generation: fc.oneof(fc.nat({ max: 100 }), fc.constant(2 ** 52 - 5)),
    reopenStreak: fc.integer({ min: 1, max: 4 }),
    recoveryInMs: fc.oneof(fc.constant(0), fc.integer({ min: -300, max: 400 })),
    changedAgoMs: fc.nat({ max: 1_000 }),
    counters: fc.record({
      opens: count,
      total: count,
      successful: count,
      failed: count,
      rejected: count,
      timedOut: fc.constant(0),
      aborted: count,
      fallbacks: count,
      late: count,
    }),
  })
  .chain((saved) =>
    fc.record({
      saved: fc.constant({
        ...saved,
        counters: { ...saved.counters, timedOut: Math.min(saved.counters.failed, saved.counters.opens) },
      }),
      keepWindow: fc.boolean(),
    }),
  )
  .map(({ saved, keepWindow }) => new RestoreCmd(saved, keepWindow));
const advanceMs = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 60 }), weight: 3 },
  { arbitrary: fc.integer({ min: 61, max: 500 }), weight: 3 },
  { arbitrary: fc.integer({ min: 501, max: 5_000 }), weight: 1 },
);

/** Weighted so that runs trip, recover and close often; manual operations are rarer (each one resets the story). */
const command = fc.oneof(
  {
    arbitrary: fc
      .tuple(outcome, fc.boolean(), timeout, fallback)
      .map(([o, sync, t, fb]) => new CallCmd(o, sync, t, fb)),
    weight: 6,
  },
  {
    arbitrary: fc.tuple(timeout, fc.boolean(), fallback).map(([t, signal, fb]) => new HangCmd(t, signal, fb)),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(
        fc.array(fc.oneof(outcome, fc.constant('hang' as const)), { minLength: 2, maxLength: 6 }),
        timeout,
      )
      .map(([items, t]) => new BurstCmd(items, t)),
    weight: 2,
  },
  { arbitrary: fc.tuple(fc.nat(), outcome).map(([pick, o]) => new SettleCmd(pick, o)), weight: 3 },
  { arbitrary: fc.nat().map((pick) => new AbortCmd(pick)), weight: 1 },
  { arbitrary: advanceMs.map((ms) => new AdvanceCmd(ms)), weight: 4 },
  {
    arbitrary: fc
      .constantFrom('reset' as const, 'forceOpen' as const, 'disable' as const)
      .map((op) => new ManualCmd(op)),
    weight: 1,
  },
  { arbitrary: restore, weight: 1 },
);

const commands = fc.commands([command], { maxCommands: 40, size: 'medium' });

function setup(config: ModelConfig, overrideMs: number): () => { model: CmdModel; real: Real } {
  return () => {
    const clock = new ManualClock(0);
    const events: StateChangeEvent[] = [];
    const { fallbackOnFailure, ...breaker } = config;
    const rebuild = (restore?: unknown): Supervisor => {
      const sup = new Supervisor({ clock, ...(restore === undefined ? {} : { restore: restore as never }) });
      sup.on('stateChange', (e) => events.push(e));
      sup.register(SERVICE, {
        breaker: { ...breaker, isFailure },
        ...(fallbackOnFailure === undefined ? {} : { fallbackOnFailure }),
      });
      return sup;
    };
    return {
      model: { ref: new ReferenceModel(config), overrideMs, openWork: [], abortable: [], nextId: 0 },
      real: { sup: rebuild(), rebuild, clock, events, calls: new Map() },
    };
  };
}

describe('Supervisor vs reference model', () => {
  it('consecutive trip policy, constant backoff: 600 random runs agree step by step', async () => {
    const config: ModelConfig = {
      trip: { kind: 'consecutive', threshold: 3, windowMs: 500 },
      openMs: 100,
      backoff: { kind: 'constant' },
      halfOpen: { maxCalls: 2, successThreshold: 2, maxWaitMs: 300 },
      callTimeoutMs: 50,
    };
    await fc.assert(
      fc.asyncProperty(commands, (cmds) => fc.asyncModelRun(setup(config, 30), cmds)),
      { numRuns: 600 },
    );
  });

  it('count-window trip policy, exponential backoff with a cap, fallbackOnFailure: 500 random runs agree step by step', async () => {
    const config: ModelConfig = {
      trip: { kind: 'count-window', size: 4, minimumCalls: 3, failureRate: 0.5 },
      openMs: 100,
      backoff: { kind: 'exponential', factor: 2, maxMs: 400 },
      halfOpen: { maxCalls: 3, successThreshold: 2, maxWaitMs: 250 },
      callTimeoutMs: 40,
      fallbackOnFailure: true,
    };
    await fc.assert(
      fc.asyncProperty(commands, (cmds) => fc.asyncModelRun(setup(config, 25), cmds)),
      { numRuns: 500 },
    );
  });
});
