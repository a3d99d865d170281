/**
 * fast-check commands that drive the real Supervisor and the reference model side by side. Every
 * command first moves the clock by EPS (a power-of-two fraction, so clock arithmetic stays exact),
 * which gives each command its own fractional time: see reference.ts for why that rules out ties
 * between a call's deadline and the breaker's timer.
 */
import type fc from 'fast-check';
import { expect } from 'vitest';
import type { StateChangeEvent } from '../../../src/events.ts';
import { CircuitOpenError, type ManualClock, type Supervisor } from '../../../src/index.ts';
import { flushMicrotasks } from '../../../src/time/manual-clock.ts';
import type { RunOptions } from '../../../src/types.ts';
import { codeOf, type Deferred, deferred, type Outcome, type Tracked, track } from '../helpers.ts';
import {
  type Expected,
  type FallbackChoice,
  fallbackValue,
  type ReferenceModel,
  type RestoredBreaker,
  SERVICE,
  type WorkOutcome,
} from './reference.ts';

export const EPS = 1 / 1024;

/** An error the service's `isFailure` says is not a failure (a 404, say): the service answered. */
export class BenignError extends Error {
  override name = 'BenignError';
}

export const isFailure = (error: unknown): boolean => !(error instanceof BenignError);

/** `default`: the service's callTimeoutMs; `override`: a shorter per-call timeoutMs; `none`: timeoutMs 0. */
export type TimeoutChoice = 'default' | 'override' | 'none';

export interface CmdModel {
  readonly ref: ReferenceModel;
  /** Per-call timeout used by `override`. */
  readonly overrideMs: number;
  /** Admitted hanging calls whose work has not been settled by a command yet. */
  readonly openWork: number[];
  /** Admitted hanging calls with a caller signal not aborted yet. */
  readonly abortable: number[];
  nextId: number;
}

interface RealCall {
  readonly tracked: Tracked<unknown>;
  readonly timeoutMs: number;
  invoked: boolean;
  work: Deferred<number> | undefined;
  controller: AbortController | undefined;
  workSignal: AbortSignal | undefined;
}

export interface Real {
  /** Replaced by a restore: a new supervisor built from a snapshot, on the same clock. */
  sup: Supervisor;
  /** Builds a supervisor restored from `snapshot`, with the service registered and its events recorded. */
  readonly rebuild: (snapshot: unknown) => Supervisor;
  readonly clock: ManualClock;
  readonly events: StateChangeEvent[];
  readonly calls: Map<number, RealCall>;
}

type Cmd = fc.AsyncCommand<CmdModel, Real>;

function errorFor(outcome: WorkOutcome, id: number): unknown {
  switch (outcome) {
    case 'failure':
      return new Error(`failure of call ${id}`);
    case 'benign':
      return new BenignError(`benign error of call ${id}`);
    case 'protection':
      // A protection error raised by a nested breaker inside the work: never this service's failure.
      return CircuitOpenError.create('elsewhere', null, 0);
    case 'success':
      return undefined;
  }
}

function timeoutOf(m: CmdModel, choice: TimeoutChoice): number {
  return choice === 'default' ? m.ref.config.callTimeoutMs : choice === 'override' ? m.overrideMs : 0;
}

/** The call's own fallback, as the caller writes it. */
function fallbackOf(id: number, choice: FallbackChoice): RunOptions<unknown>['fallback'] {
  if (choice === 'none') return undefined;
  if (choice === 'value') return { value: fallbackValue(id, 'value', 'rejected') };
  return (_error, info) => fallbackValue(id, 'fn', info.kind);
}

function runOptions(
  m: CmdModel,
  id: number,
  choice: TimeoutChoice,
  signal: AbortSignal | undefined,
  fallback: FallbackChoice,
): RunOptions<unknown> | undefined {
  const options: {
    timeoutMs?: number;
    signal?: AbortSignal;
    fallback?: NonNullable<RunOptions<unknown>['fallback']>;
  } = {};
  if (choice !== 'default') options.timeoutMs = timeoutOf(m, choice);
  if (signal !== undefined) options.signal = signal;
  const fb = fallbackOf(id, fallback);
  if (fb !== undefined) options.fallback = fb;
  return Object.keys(options).length === 0 ? undefined : options;
}

/** Moves both clocks by EPS: the command's own fractional instant. */
function tick(m: CmdModel, r: Real, ms = EPS): void {
  m.ref.advanceTo(m.ref.now + ms);
  r.clock.advance(ms);
}

function startHang(
  m: CmdModel,
  r: Real,
  choice: TimeoutChoice,
  withSignal: boolean,
  fallback: FallbackChoice = 'none',
): number {
  const id = m.nextId++;
  const controller = withSignal ? new AbortController() : undefined;
  const rc: RealCall = {
    tracked: undefined as unknown as Tracked<unknown>,
    timeoutMs: timeoutOf(m, choice),
    invoked: false,
    work: undefined,
    controller,
    workSignal: undefined,
  };
  const work = (signal: AbortSignal): Promise<number> => {
    rc.invoked = true;
    rc.workSignal = signal;
    rc.work = deferred<number>();
    return rc.work.promise;
  };
  (rc as { tracked: Tracked<unknown> }).tracked = track(
    r.sup.run(SERVICE, work, runOptions(m, id, choice, controller?.signal, fallback)),
  );
  r.calls.set(id, rc);
  if (m.ref.admit(id, rc.timeoutMs, fallback) !== undefined) {
    m.openWork.push(id);
    if (withSignal) m.abortable.push(id);
  }
  return id;
}

/** Starts a call whose work ends at once (synchronously, or through an already-settled promise). */
function startImmediate(
  m: CmdModel,
  r: Real,
  outcome: WorkOutcome,
  sync: boolean,
  choice: TimeoutChoice,
  fallback: FallbackChoice = 'none',
): () => void {
  const id = m.nextId++;
  const error = errorFor(outcome, id);
  const rc: RealCall = {
    tracked: undefined as unknown as Tracked<unknown>,
    timeoutMs: timeoutOf(m, choice),
    invoked: false,
    work: undefined,
    controller: undefined,
    workSignal: undefined,
  };
  const work = (): number | Promise<number> => {
    rc.invoked = true;
    if (outcome === 'success') return sync ? id : Promise.resolve(id);
    if (sync) throw error;
    return Promise.reject(error);
  };
  (rc as { tracked: Tracked<unknown> }).tracked = track(
    r.sup.run(SERVICE, work, runOptions(m, id, choice, undefined, fallback)),
  );
  r.calls.set(id, rc);
  const admitted = m.ref.admit(id, rc.timeoutMs, fallback) !== undefined;
  // The model records the outcome when the work's result is delivered: at once for synchronous
  // work, after the whole burst's admissions for promise work.
  return () => {
    if (admitted) m.ref.complete(id, outcome, error);
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Why a call's real outcome disagrees with the model's expectation, or undefined when it agrees. */
function callProblem(
  ref: ReferenceModel,
  id: number,
  exp: Expected | undefined,
  rc: RealCall,
): string | undefined {
  const call = ref.admitted.get(id);
  if (rc.invoked !== (call !== undefined))
    return `work invoked: ${rc.invoked}, admitted by the model: ${call !== undefined}`;
  const got = rc.tracked.outcome;
  if (exp === undefined)
    return got === undefined ? undefined : `settled (${describe(got)}) but the model has it pending`;
  if (got === undefined) return `still pending, the model expects ${JSON.stringify(exp)}`;
  if (exp.kind === 'value') {
    if (!got.ok || got.value !== exp.value) return `expected the value ${exp.value}, got ${describe(got)}`;
  } else if (exp.kind === 'error') {
    if (got.ok || got.error !== exp.error) return `expected the work's own error, got ${describe(got)}`;
  } else {
    if (got.ok || codeOf(got.error) !== exp.code) return `expected ${exp.code}, got ${describe(got)}`;
    const timeoutMs = (got.error as { timeoutMs?: unknown }).timeoutMs;
    if (exp.timeoutMs !== undefined && timeoutMs !== exp.timeoutMs)
      return `expected timeoutMs ${exp.timeoutMs}, got ${String(timeoutMs)}`;
  }
  // The work's own signal is aborted exactly when the supervisor gave up on it (timeout or abort).
  if (call !== undefined && rc.timeoutMs > 0 && rc.workSignal !== undefined) {
    const gaveUp = call.endedBy === 'timeout' || call.endedBy === 'abort';
    if (rc.workSignal.aborted !== gaveUp)
      return `work signal aborted: ${rc.workSignal.aborted}, expected ${gaveUp}`;
  }
  return undefined;
}

function describe(outcome: Outcome<unknown>): string {
  if (outcome.ok) return `value ${String(outcome.value)}`;
  const e = outcome.error as { code?: unknown; message?: unknown };
  return `error ${String(e.code ?? '')} ${String(e.message ?? outcome.error)}`;
}

/** Compares the real supervisor with the model; throws (with a diff) on the first disagreement. */
export function verify(m: CmdModel, r: Real): void {
  const ref = m.ref;
  if (r.clock.now() !== ref.now) expect(r.clock.now()).toBe(ref.now);
  if (r.sup.state(SERVICE) !== ref.state) expect(r.sup.state(SERVICE)).toBe(ref.state);
  const met = r.sup.metrics(SERVICE);
  const real = {
    total: met.totalRequests,
    successful: met.successfulRequests,
    failed: met.failedRequests,
    rejected: met.rejectedRequests,
    timedOut: met.timedOutRequests,
    aborted: met.abortedRequests,
    late: met.lateResults,
    fallbacks: met.fallbacks,
    consecutiveFailures: met.consecutiveFailures,
    opens: met.opens,
    inFlight: met.inFlight,
    lastStateChange: met.lastStateChange,
    nextRecoveryAttempt: met.nextRecoveryAttempt,
  };
  const model = {
    ...ref.counters,
    consecutiveFailures: ref.policy.streak,
    opens: ref.opens,
    inFlight: ref.inFlight,
    lastStateChange: ref.lastChange,
    nextRecoveryAttempt: ref.state === 'open' ? ref.nextAttemptAt : null,
  };
  if (!sameJson(real, model)) expect(real).toEqual(model);
  if (!sameJson(r.events, ref.events)) expect(r.events).toEqual(ref.events);
  for (const [id, exp] of ref.expected) {
    const problem = callProblem(ref, id, exp, r.calls.get(id)!);
    if (problem !== undefined) expect.fail(`call ${id}: ${problem}`);
  }
  // One shared scheduler: never more than one clock timer, and one whenever something is due
  // (an emptied deadline list may keep its wake-up until it fires once, finding nothing).
  const timers = r.clock.pendingTimers;
  if (timers > 1 || (ref.hasScheduledWork && timers !== 1)) {
    expect.fail(
      `${timers} clock timers pending; expected ${ref.hasScheduledWork ? 'exactly 1' : 'at most 1'}`,
    );
  }
}

async function settleAndVerify(m: CmdModel, r: Real): Promise<void> {
  await flushMicrotasks();
  verify(m, r);
}

/** One call whose work ends at once. */
export class CallCmd implements Cmd {
  constructor(
    readonly outcome: WorkOutcome,
    readonly sync: boolean,
    readonly timeout: TimeoutChoice,
    readonly fallback: FallbackChoice = 'none',
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: CmdModel, r: Real): Promise<void> {
    tick(m, r);
    startImmediate(m, r, this.outcome, this.sync, this.timeout, this.fallback)();
    await settleAndVerify(m, r);
  }
  toString(): string {
    return `call(${this.outcome}, ${this.sync ? 'sync' : 'async'}, timeout=${this.timeout}, fallback=${this.fallback})`;
  }
}

/** One call whose work hangs until a Settle command (or its timeout, or its caller's abort). */
export class HangCmd implements Cmd {
  constructor(
    readonly timeout: TimeoutChoice,
    readonly withSignal: boolean,
    readonly fallback: FallbackChoice = 'none',
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: CmdModel, r: Real): Promise<void> {
    tick(m, r);
    startHang(m, r, this.timeout, this.withSignal, this.fallback);
    await settleAndVerify(m, r);
  }
  toString(): string {
    return `hang(timeout=${this.timeout}${this.withSignal ? ', signal' : ''}, fallback=${this.fallback})`;
  }
}

/** Several calls made in the same tick (all admitted before any result is delivered). */
export class BurstCmd implements Cmd {
  constructor(
    readonly items: readonly (WorkOutcome | 'hang')[],
    readonly timeout: TimeoutChoice,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: CmdModel, r: Real): Promise<void> {
    tick(m, r);
    const deliveries: (() => void)[] = [];
    for (const item of this.items) {
      if (item === 'hang') startHang(m, r, this.timeout, false);
      else deliveries.push(startImmediate(m, r, item, false, this.timeout));
    }
    for (const deliver of deliveries) deliver();
    await settleAndVerify(m, r);
  }
  toString(): string {
    return `burst([${this.items.join(', ')}], timeout=${this.timeout})`;
  }
}

/** The work of a hanging call ends (the call may have timed out or been aborted already). */
export class SettleCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly outcome: WorkOutcome,
  ) {}
  check(m: Readonly<CmdModel>): boolean {
    return m.openWork.length > 0;
  }
  async run(m: CmdModel, r: Real): Promise<void> {
    tick(m, r);
    const [id] = m.openWork.splice(this.pick % m.openWork.length, 1) as [number];
    const error = errorFor(this.outcome, id);
    const work = r.calls.get(id)!.work!;
    if (this.outcome === 'success') work.resolve(id);
    else work.reject(error);
    m.ref.complete(id, this.outcome, error);
    await settleAndVerify(m, r);
  }
  toString(): string {
    return `settle(#${this.pick}, ${this.outcome})`;
  }
}

/** The caller aborts a hanging call through its signal. */
export class AbortCmd implements Cmd {
  constructor(readonly pick: number) {}
  check(m: Readonly<CmdModel>): boolean {
    return m.abortable.length > 0;
  }
  async run(m: CmdModel, r: Real): Promise<void> {
    tick(m, r);
    const [id] = m.abortable.splice(this.pick % m.abortable.length, 1) as [number];
    r.calls.get(id)!.controller!.abort(new Error('caller gave up'));
    m.ref.abort(id);
    await settleAndVerify(m, r);
  }
  toString(): string {
    return `abort(#${this.pick})`;
  }
}

export class AdvanceCmd implements Cmd {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(m: CmdModel, r: Real): Promise<void> {
    tick(m, r);
    tick(m, r, this.ms);
    await settleAndVerify(m, r);
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

export class ManualCmd implements Cmd {
  constructor(readonly op: 'reset' | 'forceOpen' | 'disable') {}
  check(): boolean {
    return true;
  }
  async run(m: CmdModel, r: Real): Promise<void> {
    tick(m, r);
    r.sup[this.op](SERVICE);
    m.ref[this.op]();
    await settleAndVerify(m, r);
  }
  toString(): string {
    return this.op;
  }
}

/**
 * Restores a random snapshot into a new supervisor (on the same clock, the old one closed), once
 * no call is in flight: the saved state, generation, recovery time (past or future), backoff
 * streak and counters, with the breaker's own window or none.
 */
export class RestoreCmd implements Cmd {
  constructor(
    readonly saved: Omit<RestoredBreaker, 'lastStateChange' | 'nextRecoveryAttempt'> & {
      /** Recovery time relative to now (open only). */
      readonly recoveryInMs: number;
      readonly changedAgoMs: number;
    },
    readonly keepWindow: boolean,
  ) {}
  check(m: Readonly<CmdModel>): boolean {
    return m.ref.inFlight === 0;
  }
  async run(m: CmdModel, r: Real): Promise<void> {
    tick(m, r);
    const now = m.ref.now;
    const taken = JSON.parse(JSON.stringify(r.sup.snapshot())) as {
      services: Record<string, { policy: unknown }>;
    };
    const { recoveryInMs, changedAgoMs, ...rest } = this.saved;
    const saved: RestoredBreaker = {
      ...rest,
      lastStateChange: now - changedAgoMs,
      nextRecoveryAttempt: rest.state === 'open' ? now + recoveryInMs : null,
    };
    const policy = this.keepWindow ? taken.services[SERVICE]!.policy : null;
    await r.sup.close();
    m.openWork.length = 0;
    m.abortable.length = 0;
    r.sup = r.rebuild({ version: 1, takenAt: now, services: { [SERVICE]: { ...saved, policy } } });
    m.ref.restore(saved, this.keepWindow);
    await settleAndVerify(m, r);
  }
  toString(): string {
    return `restore(${JSON.stringify(this.saved)}, window=${this.keepWindow})`;
  }
}
