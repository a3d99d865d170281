/**
 * Over comlink, through `sup.connect()`: breakwater's own errors reach a client in another thread
 * with their class name, code and fields (a circuit's retryAfterMs, a crash's exit code, a
 * timeout's timeoutMs), and a client thread that dies without closing leaves no listener and no
 * running call of its own behind in the supervisor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { Supervisor } from '../../src/index.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { Bus } from '../pool/helpers.ts';
import { ClientThread } from './client-thread.ts';

const bus = new Bus();
const clock = new ManualClock(0);
const sup = new Supervisor({ clock });
sup.register('geo', {
  worker: new URL('../fixtures/handlers.ts', import.meta.url),
  threads: { min: 1, max: 1 },
  concurrentTasksPerWorker: 4,
  breaker: { trip: { kind: 'consecutive', threshold: 3 }, openMs: 5_000, callTimeoutMs: 0 },
});
let client: ClientThread;

beforeAll(async () => {
  client = new ClientThread({ port: sup.connect() });
  await client.ready;
});

afterAll(async () => {
  await sup.close();
  await client.worker.terminate();
  bus.close();
});

describe("breakwater's errors in a client thread", () => {
  it('ERR_WORKER_CRASHED keeps its name and exit code', async () => {
    const error = await client.error('call', 'geo', 'exitMidCall', ['te-crash', 3]);
    expect(error).toMatchObject({
      name: 'WorkerCrashedError',
      code: ErrorCode.WorkerCrashed,
      fields: { exitCode: 3, service: 'geo' },
    });
  });

  it('ERR_CALL_TIMEOUT keeps its timeoutMs', async () => {
    const pending = client.ask('call', 'geo', 'hang', ['te-hang'], 250);
    await bus.when('te-hang');
    await clock.advanceAsync(250);
    const a = await pending;
    expect(a.ok).toBe(false);
    expect(a.error).toMatchObject({
      name: 'CallTimeoutError',
      code: ErrorCode.CallTimeout,
      fields: { timeoutMs: 250, service: 'geo' },
    });
  });

  it('ERR_CIRCUIT_OPEN keeps its service and retryAfterMs', async () => {
    // Two failures so far (crash, timeout): a third opens the breaker.
    expect((await client.error('call', 'geo', 'throwCustom', ['x'])).code).toBe('E_VALIDATION');
    expect(sup.state('geo')).toBe('open');
    await clock.advanceAsync(1_000);
    const error = await client.error('call', 'geo', 'add', [1, 1]);
    expect(error).toMatchObject({
      name: 'CircuitOpenError',
      code: ErrorCode.CircuitOpen,
      fields: { service: 'geo', retryAfterMs: 4_000 },
    });
    sup.reset('geo');
  });
});

describe('a client thread that dies without closing its connection', () => {
  it('loses its listeners and its abortable running call in the supervisor', async () => {
    const other = new ClientThread({ port: sup.connect() });
    await other.ready;
    await other.value('subscribe', 'te-changes', 'stateChange');
    await other.value('subscribe', 'te-failures', 'callFailed', 'geo');
    expect(sup.listenerCount('stateChange')).toBe(1);
    expect(sup.listenerCount('callFailed')).toBe(1);
    void other.ask('abortable', 'te-dead', 'geo', 'waitForAbort', ['te-dead']);
    await bus.when('te-dead');
    expect(sup.metrics('geo').inFlight).toBe(1);
    const aborted = sup.metrics('geo').abortedRequests;
    await other.worker.terminate();
    // The supervisor learns of the dead port, aborts the call: the handler sees its signal.
    await bus.when('te-dead', 'aborted');
    expect(sup.listenerCount('stateChange')).toBe(0);
    expect(sup.listenerCount('callFailed')).toBe(0);
    expect(sup.metrics('geo')).toMatchObject({ inFlight: 0, abortedRequests: aborted + 1 });
  });

  it('has its calls without a signal aborted too: nobody is left to receive their results', async () => {
    const other = new ClientThread({ port: sup.connect() });
    await other.ready;
    void other.ask('call', 'geo', 'waitForAbort', ['te-dead-nosignal']);
    await bus.when('te-dead-nosignal');
    expect(sup.metrics('geo').inFlight).toBe(1);
    const aborted = sup.metrics('geo').abortedRequests;
    await other.worker.terminate();
    await bus.when('te-dead-nosignal', 'aborted');
    expect(sup.metrics('geo')).toMatchObject({ inFlight: 0, abortedRequests: aborted + 1 });
  });
});
