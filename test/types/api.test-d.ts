/**
 * Type tests of the public API (run by vitest's typecheck mode: `npx vitest run test/types`).
 * Every line is a compile-time assertion; a wrong type fails the run.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  type BreakerOptions,
  type BreakwaterError,
  type CallTimeoutError,
  type CircuitOpenError,
  type CircuitState,
  countsAsFailure,
  type ErrorCode,
  type HalfOpenFullError,
  type HealthReport,
  type InvalidOptionError,
  isCallTimeoutError,
  isCircuitOpenError,
  isHalfOpenFullError,
  isInvalidOptionError,
  isProtectionError,
  ManualClock,
  type PoolMetrics,
  presets,
  type Result,
  type ServiceProxy,
  Supervisor,
  type SupervisorEventName,
  type TransitionReason,
  type Work,
} from '../../src/index.ts';

const sup = new Supervisor({ clock: new ManualClock() });

describe('run / runResult / call', () => {
  it('run() resolves to what the work returns, sync or async', () => {
    expectTypeOf(sup.run('s', () => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(sup.run('s', async () => 'a')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(sup.run('s', () => Promise.resolve({ id: 1 }))).toEqualTypeOf<Promise<{ id: number }>>();
    sup.run('s', (signal) => {
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
      return 1;
    });
    expectTypeOf<Work<number>>().toEqualTypeOf<(signal: AbortSignal) => number | PromiseLike<number>>();
  });

  it('runResult() resolves to Result<T>, narrowed by `ok`', async () => {
    const r = await sup.runResult('s', async () => 42);
    expectTypeOf(r).toEqualTypeOf<Result<number>>();
    if (r.ok) expectTypeOf(r.value).toEqualTypeOf<number>();
    else expectTypeOf(r.error).toEqualTypeOf<unknown>();
    // @ts-expect-error the value exists only on the ok branch
    void r.value;
  });

  it('call() is unknown unless told, and callResult() is a Result', () => {
    expectTypeOf(sup.call('geo', 'lookup', ['Paris'])).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(sup.call<number>('geo', 'lookup', ['Paris'])).toEqualTypeOf<Promise<number>>();
    expectTypeOf(sup.callResult<number>('geo', 'lookup', [])).toEqualTypeOf<Promise<Result<number>>>();
  });

  it('per-call options are typed', () => {
    sup.run('s', () => 1, { timeoutMs: 5, signal: new AbortController().signal, fallback: { value: 0 } });
    sup.run('s', () => 1, {
      fallback: (error, info) => (info.kind === 'rejected' && error !== undefined ? 1 : 2),
    });
    // @ts-expect-error timeoutMs is a number
    sup.run('s', () => 1, { timeoutMs: '5' });
    // @ts-expect-error the fallback must produce the work's type
    sup.run('s', () => 1, { fallback: { value: 'zero' } });
  });
});

describe('events', () => {
  it('each event name gets its own payload type', () => {
    sup.on('stateChange', (e) => {
      expectTypeOf(e.from).toEqualTypeOf<CircuitState>();
      expectTypeOf(e.to).toEqualTypeOf<CircuitState>();
      expectTypeOf(e.reason).toEqualTypeOf<TransitionReason>();
      expectTypeOf(e.nextRecoveryAttempt).toEqualTypeOf<number | null>();
      expectTypeOf(e.service).toEqualTypeOf<string>();
      expectTypeOf(e.at).toEqualTypeOf<number>();
      expectTypeOf(e.generation).toEqualTypeOf<number>();
    });
    sup.on('callFailed', (e) => {
      expectTypeOf(e.error).toEqualTypeOf<unknown>();
      expectTypeOf(e.durationMs).toEqualTypeOf<number>();
    });
    sup.on('callRejected', (e) => expectTypeOf(e.code).toEqualTypeOf<string>());
    sup.on('callTimedOut', (e) => expectTypeOf(e.timeoutMs).toEqualTypeOf<number>());
    sup.on('fallback', (e) => expectTypeOf(e.kind).toEqualTypeOf<'rejected' | 'failed'>());
    sup.on('lateResult', (e) => {
      expectTypeOf(e.ok).toEqualTypeOf<boolean>();
      expectTypeOf(e.admittedGeneration).toEqualTypeOf<number>();
    });
    sup.on('listenerError', (e) => {
      expectTypeOf(e.event).toEqualTypeOf<SupervisorEventName>();
      expectTypeOf(e.service).toEqualTypeOf<string | undefined>();
    });
    sup.once('registered', (e) => expectTypeOf(e.state).toEqualTypeOf<CircuitState>());
    sup.subscribe('s', 'callSucceeded', (e) => expectTypeOf(e.durationMs).toEqualTypeOf<number>());
  });

  it('on/once/off chain; subscribe returns its unsubscribe function', () => {
    expectTypeOf(sup.on('stateChange', () => {})).toEqualTypeOf<Supervisor>();
    expectTypeOf(sup.subscribe('s', 'stateChange', () => {})).toEqualTypeOf<() => void>();
  });

  it('rejects unknown events and mismatched listeners', () => {
    // @ts-expect-error no such event
    sup.on('opened', () => {});
    // @ts-expect-error a stateChange listener cannot read a callFailed payload
    sup.on('stateChange', (e: { error: Error; durationMs: number }) => e.durationMs);
  });
});

describe('service proxies', () => {
  interface GeoModule {
    lookup: (a: string, signal?: AbortSignal) => Promise<number>;
    withSignal: (city: string, signal: AbortSignal) => Promise<{ lat: number }>;
    sum: (a: number, b: number) => number;
    optional: (a: string, b?: number) => Promise<string>;
    version: string;
  }

  it('maps each handler to an async method without the trailing signal; non-functions are dropped', () => {
    const geo = sup.service<GeoModule>('geo');
    expectTypeOf(geo).toEqualTypeOf<ServiceProxy<GeoModule>>();
    expectTypeOf(geo.lookup).toEqualTypeOf<(a: string) => Promise<number>>();
    expectTypeOf(geo.withSignal).toEqualTypeOf<(city: string) => Promise<{ lat: number }>>();
    expectTypeOf(geo.sum).toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    expectTypeOf(geo.optional).toEqualTypeOf<(a: string, b?: number) => Promise<string>>();
    expectTypeOf<keyof ServiceProxy<GeoModule>>().toEqualTypeOf<
      'lookup' | 'withSignal' | 'sum' | 'optional'
    >();
    // (Zero-argument handlers: see test/types/bugs.test-d.ts.)
    // @ts-expect-error wrong argument type
    void geo.lookup(5);
  });
});

describe('errors', () => {
  it('guards narrow unknown errors to their classes', () => {
    const e: unknown = new Error('x');
    if (isCircuitOpenError(e)) {
      expectTypeOf(e).toEqualTypeOf<CircuitOpenError>();
      expectTypeOf(e.retryAfterMs).toEqualTypeOf<number | null>();
      expectTypeOf(e.code).toEqualTypeOf<ErrorCode>();
      expectTypeOf(e.service).toEqualTypeOf<string | undefined>();
    }
    if (isHalfOpenFullError(e)) expectTypeOf(e.maxCalls).toEqualTypeOf<number>();
    if (isCallTimeoutError(e)) {
      expectTypeOf(e).toEqualTypeOf<CallTimeoutError>();
      expectTypeOf(e.timeoutMs).toEqualTypeOf<number>();
    }
    if (isInvalidOptionError(e)) {
      expectTypeOf(e).toEqualTypeOf<InvalidOptionError>();
      expectTypeOf(e.field).toEqualTypeOf<string>();
      expectTypeOf(e.code).toEqualTypeOf<'ERR_INVALID_OPTION'>();
    }
    expectTypeOf(isProtectionError).returns.toEqualTypeOf<boolean>();
    expectTypeOf(countsAsFailure).returns.toEqualTypeOf<boolean>();
    expectTypeOf<HalfOpenFullError>().toExtend<BreakwaterError>();
    expectTypeOf<'ERR_CIRCUIT_OPEN'>().toExtend<ErrorCode>();
  });
});

describe('options', () => {
  it('accept presets and refinements of them', () => {
    sup.register('payments', { breaker: { ...presets.keyVault, callTimeoutMs: 2_000 } });
    expectTypeOf(presets.serviceBus).toEqualTypeOf<BreakerOptions>();
    sup.register<number>('n', { fallback: { value: 1 }, fallbackOnFailure: true });
    sup.register('t', { breaker: { trip: { kind: 'time-window', windowMs: 10_000, buckets: 10 } } });
  });

  it('reject wrong shapes', () => {
    // @ts-expect-error unknown trip kind
    sup.register('a', { breaker: { trip: { kind: 'bogus' } } });
    // @ts-expect-error openMs is a number
    sup.register('a', { breaker: { openMs: '1' } });
    // @ts-expect-error maxCalls is a number
    sup.register('a', { breaker: { halfOpen: { maxCalls: '2' } } });
    // @ts-expect-error a consecutive policy has no size
    sup.register('a', { breaker: { trip: { kind: 'consecutive', size: 4 } } });
    // @ts-expect-error factor is a number
    sup.register('a', { breaker: { backoff: { kind: 'exponential', factor: 'x' } } });
    // @ts-expect-error the fallback must be of the service's type
    sup.register<number>('a', { fallback: { value: 'x' } });
    // @ts-expect-error isFailure is a predicate
    sup.register('a', { breaker: { isFailure: true } });
    // @ts-expect-error a clock needs setTimeout and clearTimeout
    new Supervisor({ clock: { now: () => 1 } });
    // @ts-expect-error no such preset
    void presets.cosmosDb;
    // @ts-expect-error not a circuit state
    const s: CircuitState = 'opened';
    void s;
  });
});

describe('queries', () => {
  it('state, metrics, health, snapshot, close', () => {
    expectTypeOf(sup.state('s')).toEqualTypeOf<CircuitState>();
    expectTypeOf(sup.metrics('s').pool).toEqualTypeOf<PoolMetrics | undefined>();
    expectTypeOf(sup.metrics('s').nextRecoveryAttempt).toEqualTypeOf<number | null>();
    expectTypeOf(sup.health()).toEqualTypeOf<HealthReport>();
    expectTypeOf(sup.health().status).toEqualTypeOf<'ok' | 'degraded' | 'down'>();
    expectTypeOf(sup.snapshot().version).toEqualTypeOf<1>();
    expectTypeOf(sup.close()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(sup[Symbol.asyncDispose]).toEqualTypeOf<() => Promise<void>>();
    expectTypeOf(sup.services()).toEqualTypeOf<string[]>();
  });
});
