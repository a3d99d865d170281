/**
 * Type tests of the option types (issue 10): the same typos the supervisor refuses at run time
 * (`ERR_INVALID_OPTION`, naming the path) are refused by the compiler in object literals, at every
 * level and per call; each trip kind and backoff kind takes only its own keys; presets are plain
 * breaker options that spread and refine.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  type BreakerOptions,
  type CallOptions,
  type CloseOptions,
  ManualClock,
  presets,
  type RunOptions,
  type ServiceOptions,
  Supervisor,
  type SupervisorOptions,
  type TripOptions,
} from '../../src/index.ts';

const sup = new Supervisor({ clock: new ManualClock() });
const work = async (): Promise<number> => 1;

describe('service options', () => {
  it('refuse unknown keys at every level', () => {
    // @ts-expect-error a typo of openMs
    sup.register('a', { breaker: { opnMs: 1 } });
    // @ts-expect-error a typo of breaker
    sup.register('a', { breakr: {} });
    // @ts-expect-error a typo of threshold
    sup.register('a', { breaker: { trip: { kind: 'consecutive', treshold: 1 } } });
    // @ts-expect-error a typo of fallback
    sup.register('a', { fallbak: { value: 1 } });
    // @ts-expect-error a typo of concurrentTasksPerWorker
    sup.register('a', { worker: 'w.js', concurrentTasksPerWorkers: 2 });
    // @ts-expect-error a typo of maxCalls
    sup.register('a', { breaker: { halfOpen: { maxcalls: 1 } } });
    // @ts-expect-error a typo of max
    sup.register('a', { worker: 'w.js', threads: { mx: 2 } });
    sup.register('a', {
      breaker: { openMs: 1, halfOpen: { maxCalls: 1 } },
      worker: 'w.js',
      threads: { max: 2 },
    });
  });

  it('fleet is a boolean opt-out', () => {
    expectTypeOf<ServiceOptions['fleet']>().toEqualTypeOf<boolean | undefined>();
    sup.register('a', { fleet: false });
    // @ts-expect-error a boolean, not a scope
    sup.register('a', { fleet: 'local' });
  });

  it('each trip kind takes only its own keys', () => {
    expectTypeOf({ kind: 'count-window', size: 10, minimumCalls: 5 } as const).toMatchTypeOf<TripOptions>();
    // @ts-expect-error size belongs to count-window
    const consecutive: TripOptions = { kind: 'consecutive', size: 10 };
    // @ts-expect-error threshold belongs to consecutive and failures-in-window
    const timeWindow: TripOptions = { kind: 'time-window', threshold: 3 };
    // @ts-expect-error a custom policy needs create()
    const custom: TripOptions = { kind: 'custom' };
    void [consecutive, timeWindow, custom];
  });

  it('a constant backoff has no factor; an exponential one does', () => {
    const exponential: BreakerOptions = { backoff: { kind: 'exponential', factor: 3, maxMs: 60_000 } };
    // @ts-expect-error a constant backoff takes no factor
    const constant: BreakerOptions = { backoff: { kind: 'constant', factor: 3 } };
    void [exponential, constant];
  });

  it('a { value } fallback is exactly { value }, of the service type', () => {
    sup.register<number>('a', { fallback: { value: 1 } });
    // @ts-expect-error the value must be of the service type
    sup.register<number>('a', { fallback: { value: 'one' } });
    // @ts-expect-error a typo of value
    sup.register<number>('a', { fallback: { vaule: 1 } });
  });

  it('presets are plain breaker options that spread and refine', () => {
    expectTypeOf(presets.keyVault).toMatchTypeOf<BreakerOptions>();
    const refined: ServiceOptions = { breaker: { ...presets.keyVault, callTimeoutMs: 2_000 } };
    // @ts-expect-error a typo after the spread is still refused
    const typo: ServiceOptions = { breaker: { ...presets.keyVault, callTimeoutMS: 2_000 } };
    void [refined, typo];
  });
});

describe('per-call options', () => {
  it('run() takes signal, timeoutMs and fallback, nothing else', () => {
    sup.run('a', work, { signal: new AbortController().signal, timeoutMs: 5, fallback: { value: 0 } });
    // @ts-expect-error a typo of timeoutMs
    sup.run('a', work, { timeOutMs: 1 });
    // @ts-expect-error transferList is for worker calls
    sup.run('a', work, { transferList: [] });
    expectTypeOf<keyof RunOptions>().toEqualTypeOf<'signal' | 'timeoutMs' | 'fallback'>();
  });

  it('call() adds transferList', () => {
    sup.call('a', 'h', [new ArrayBuffer(8)], { transferList: [new ArrayBuffer(8)], timeoutMs: 5 });
    // @ts-expect-error a typo of transferList
    sup.call('a', 'h', [], { transferlist: [] });
    expectTypeOf<keyof CallOptions>().toEqualTypeOf<'signal' | 'timeoutMs' | 'fallback' | 'transferList'>();
  });
});

describe('supervisor and close() options', () => {
  it('refuse unknown keys', () => {
    // @ts-expect-error a typo of captureStacks
    const typo: SupervisorOptions = { captureStack: true };
    // @ts-expect-error a typo of drain
    const close: CloseOptions = { drian: true };
    expectTypeOf<keyof CloseOptions>().toEqualTypeOf<'drain' | 'timeoutMs'>();
    void [typo, close];
  });
});
