/**
 * Type tests of the worker-pool and cross-thread API (issue 4): proxies typed from a real handler
 * module, `call()` options, `connect()`/`connectSupervisor()` and the client they give, and the
 * guards of the pool's error codes. Every line is a compile-time assertion.
 */
import type { MessagePort } from 'node:worker_threads';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type BulkheadFullError,
  type CircuitState,
  connectSupervisor,
  type ErrorCode,
  isBulkheadFullError,
  isNotCloneableError,
  isQueueTimeoutError,
  isUnknownHandlerError,
  isWorkerCrashedError,
  isWorkerLoadError,
  isWorkerOomError,
  ManualClock,
  type NotCloneableError,
  type PoolMetrics,
  type QueueTimeoutError,
  type Result,
  type ServiceMetrics,
  type ServiceProxy,
  Supervisor,
  type SupervisorClient,
  type UnknownHandlerError,
  type WorkerCrashedError,
  type WorkerLoadError,
  type WorkerOomError,
} from '../../src/index.ts';

type Handlers = typeof import('../fixtures/handlers.ts');
const sup = new Supervisor({ clock: new ManualClock() });

describe('a proxy typed from a real worker module', () => {
  it('has one async method per exported function, with the handler’s argument and result types', () => {
    const geo = sup.service<Handlers>('geo');
    expectTypeOf(geo).toEqualTypeOf<ServiceProxy<Handlers>>();
    expectTypeOf(geo.add).toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    // An async handler resolves to its value, not to a nested promise.
    expectTypeOf(geo.addLater).toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    // The AbortSignal the runtime passes last is not one of the caller's arguments.
    expectTypeOf(geo.waitForAbort).toEqualTypeOf<(tag: string) => Promise<string>>();
    expectTypeOf(geo.turnOf).toEqualTypeOf<() => Promise<[number, number]>>();
    expectTypeOf(geo.exitMidCall).parameters.toEqualTypeOf<[tag: string, code: number]>();
    // A non-function export is not a method.
    expectTypeOf<keyof typeof geo>().not.toEqualTypeOf<keyof Handlers>();
    expectTypeOf<'notAFunction' extends keyof typeof geo ? true : false>().toEqualTypeOf<false>();
    // @ts-expect-error wrong argument type
    void geo.add('1', 2);
    // @ts-expect-error missing argument
    void geo.add(1);
    // @ts-expect-error no such handler
    void geo.nope();
  });
});

describe('call() options and results', () => {
  it('takes a transfer list, a signal and a typed fallback', () => {
    const buffer = new ArrayBuffer(8);
    expectTypeOf(
      sup.call<number>('geo', 'byteLength', [buffer], {
        transferList: [buffer],
        signal: new AbortController().signal,
        timeoutMs: 100,
        fallback: { value: 0 },
      }),
    ).toEqualTypeOf<Promise<number>>();
    expectTypeOf(sup.callResult<string>('geo', 'gate', ['t'])).toEqualTypeOf<Promise<Result<string>>>();
    // @ts-expect-error the transfer list is an array of Transferables
    sup.call('geo', 'byteLength', [buffer], { transferList: buffer });
    // @ts-expect-error the fallback must be of the call's type
    sup.call<number>('geo', 'add', [1, 2], { fallback: { value: 'x' } });
    // @ts-expect-error arguments are an array
    sup.call('geo', 'add', 1);
  });

  it('metrics carry the pool figures', () => {
    const m: ServiceMetrics = sup.metrics('geo');
    expectTypeOf(m.pool).toEqualTypeOf<PoolMetrics | undefined>();
    expectTypeOf<PoolMetrics>().toEqualTypeOf<{
      readonly threads: number;
      readonly retiring: number;
      readonly queued: number;
      readonly running: number;
      readonly utilization: number;
      readonly restarts: number;
      readonly crashes: number;
      readonly terminations: number;
      readonly retirements: number;
      readonly broken: boolean;
    }>();
  });
});

describe('connect() and connectSupervisor()', () => {
  it('connect() gives a MessagePort; connectSupervisor(port) a typed client', () => {
    const port = sup.connect();
    expectTypeOf(port).toEqualTypeOf<MessagePort>();
    const client = connectSupervisor(port);
    expectTypeOf(client).toEqualTypeOf<SupervisorClient>();
    expectTypeOf(client.call<number>('geo', 'add', [1, 2])).toEqualTypeOf<Promise<number>>();
    expectTypeOf(client.callResult<number>('geo', 'add', [1, 2])).toEqualTypeOf<Promise<Result<number>>>();
    expectTypeOf(client.state('geo')).toEqualTypeOf<Promise<CircuitState>>();
    expectTypeOf(client.metrics('geo')).toEqualTypeOf<Promise<ServiceMetrics>>();
    expectTypeOf(client.service<Handlers>('geo').add).toEqualTypeOf<
      (a: number, b: number) => Promise<number>
    >();
    expectTypeOf(client.closed).toEqualTypeOf<boolean>();
    const off = client.on('stateChange', (e) => {
      expectTypeOf(e.from).toEqualTypeOf<CircuitState>();
      expectTypeOf(e.to).toEqualTypeOf<CircuitState>();
    });
    expectTypeOf(off).toEqualTypeOf<Promise<() => Promise<void>>>();
    client.on('callFailed', (e) => expectTypeOf(e.error).toEqualTypeOf<unknown>(), 'geo');
    // @ts-expect-error no such event
    void client.on('opened', () => {});
    // @ts-expect-error remote fallbacks are functions and can't cross threads: not an option
    void client.call('geo', 'add', [1, 2], { fallback: { value: 0 } });
    // @ts-expect-error connectSupervisor needs the port
    connectSupervisor();
  });
});

describe('guards of the pool’s error codes', () => {
  it('narrow unknown errors to their classes and fields', () => {
    const e: unknown = new Error('x');
    if (isWorkerCrashedError(e)) {
      expectTypeOf(e).toEqualTypeOf<WorkerCrashedError>();
      expectTypeOf(e.exitCode).toEqualTypeOf<number | undefined>();
    }
    if (isWorkerOomError(e)) expectTypeOf(e).toEqualTypeOf<WorkerOomError>();
    if (isWorkerLoadError(e)) expectTypeOf(e).toEqualTypeOf<WorkerLoadError>();
    if (isQueueTimeoutError(e)) {
      expectTypeOf(e).toEqualTypeOf<QueueTimeoutError>();
      expectTypeOf(e.queueTimeoutMs).toEqualTypeOf<number>();
    }
    if (isBulkheadFullError(e)) {
      expectTypeOf(e).toEqualTypeOf<BulkheadFullError>();
      expectTypeOf(e.maxQueue).toEqualTypeOf<number>();
    }
    if (isNotCloneableError(e)) expectTypeOf(e).toEqualTypeOf<NotCloneableError>();
    if (isUnknownHandlerError(e)) {
      expectTypeOf(e).toEqualTypeOf<UnknownHandlerError>();
      expectTypeOf(e.handler).toEqualTypeOf<string>();
    }
    expectTypeOf<
      | 'ERR_WORKER_CRASHED'
      | 'ERR_WORKER_OOM'
      | 'ERR_WORKER_LOAD'
      | 'ERR_QUEUE_TIMEOUT'
      | 'ERR_BULKHEAD_FULL'
      | 'ERR_NOT_CLONEABLE'
      | 'ERR_UNKNOWN_HANDLER'
    >().toExtend<ErrorCode>();
  });
});
