/**
 * The supervisor reached from another worker thread over comlink: calls, typed errors with their
 * codes and causes, state/metrics/health, event subscription, aborts, moved buffers, and a
 * connection that closes with calls pending (they settle, they don't hang).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { openConnection, type RemoteConnection } from '../../src/remote/index.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { Bus } from '../pool/helpers.ts';
import { ClientThread } from './client-thread.ts';

const fixture = (name: string): URL => new URL(`../fixtures/${name}`, import.meta.url);

const bus = new Bus();
const clock = new ManualClock(0);
const sup = new Supervisor({ clock });
sup.register('geo', {
  worker: fixture('handlers.ts'),
  threads: { min: 1, max: 2 },
  concurrentTasksPerWorker: 4,
  breaker: { trip: { kind: 'consecutive', threshold: 2 }, openMs: 1000, callTimeoutMs: 0 },
});
let connection: RemoteConnection;
let client: ClientThread;

beforeAll(async () => {
  const opened = openConnection(sup);
  connection = opened.connection;
  client = new ClientThread(opened);
  await client.ready;
});

afterAll(async () => {
  connection.close();
  await client.worker.terminate();
  await sup.close();
  bus.close();
});

describe('a client in another thread', () => {
  it('calls pool services and reads state, metrics, health and services', async () => {
    expect(await client.value('services')).toEqual(['geo']);
    expect(await client.value('call', 'geo', 'add', [1, 2])).toBe(3);
    expect(await client.value('proxy', 'geo', 20, 22)).toBe(42);
    expect(await client.value('state', 'geo')).toBe('closed');
    expect(await client.value('metrics', 'geo')).toMatchObject({ service: 'geo', successfulRequests: 2 });
    expect(await client.value('health')).toMatchObject({ status: 'ok' });
  });

  it('gets handler errors with class name, code, fields and cause chain', async () => {
    const error = await client.error('call', 'geo', 'throwCustom', ['x']);
    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'bad value x',
      code: 'E_VALIDATION',
      fields: { code: 'E_VALIDATION', field: 'name', httpStatus: 422 },
    });
    expect(error.causes).toEqual([
      { name: 'Error', message: 'upstream failed', code: undefined },
      { name: 'TypeError', message: 'socket closed', code: 'ECONNRESET' },
    ]);
  });

  it("gets breakwater's typed errors with their codes", async () => {
    expect((await client.error('call', 'nowhere', 'add', [])).code).toBe(ErrorCode.UnknownService);
    expect((await client.error('call', 'geo', 'nope', [])).code).toBe(ErrorCode.UnknownHandler);
    const r = (await client.value('callResult', 'geo', 'nope', [])) as { ok: false; error: { code: string } };
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe(ErrorCode.UnknownHandler);
    expect(await client.value('callResult', 'geo', 'add', [2, 2])).toEqual({ ok: true, value: 4 });
  });

  it('moves transferred buffers through the supervisor to the pool', async () => {
    expect(await client.value('transfer', 'geo', 4096)).toEqual({ length: 4096, after: 0 });
  });

  it('aborts a running call at once', async () => {
    const running = client.ask('abortable', 'r-abort', 'geo', 'waitForAbort', ['r-abort']);
    await bus.when('r-abort');
    await client.value('abort', 'r-abort');
    const a = await running;
    expect((a.error as { code: string }).code).toBe(ErrorCode.Aborted);
    await bus.when('r-abort', 'aborted');
  });

  it('receives subscribed events, errors included, until it unsubscribes', async () => {
    await client.value('subscribe', 'changes', 'stateChange', 'geo');
    await client.value('subscribe', 'failures', 'callFailed');
    expect((await client.error('call', 'geo', 'throwCustom', ['1'])).code).toBe('E_VALIDATION');
    expect((await client.error('call', 'geo', 'throwCustom', ['2'])).code).toBe('E_VALIDATION');
    await client.untilEvents('changes', 1);
    await client.untilEvents('failures', 2);
    expect(client.events.find((e) => e.event === 'changes')?.payload).toMatchObject({
      service: 'geo',
      from: 'closed',
      to: 'open',
      reason: 'failure-threshold',
    });
    expect(client.events.find((e) => e.event === 'failures')?.payload.error).toMatchObject({
      name: 'ValidationError',
      code: 'E_VALIDATION',
    });
    expect((await client.error('call', 'geo', 'add', [1, 1])).code).toBe(ErrorCode.CircuitOpen);
    await client.value('unsubscribe', 'changes');
    await client.value('unsubscribe', 'failures');
    expect(sup.listenerCount('stateChange')).toBe(0);
    expect(sup.listenerCount('callFailed')).toBe(0);
    sup.reset('geo');
  });
});

describe('a connection that closes', () => {
  it('settles the pending calls of its client with ERR_SUPERVISOR_CLOSED and drops its listeners', async () => {
    let closes = 0;
    const opened = openConnection(sup, () => closes++);
    const other = new ClientThread(opened);
    await other.ready;
    await other.value('subscribe', 'late', 'stateChange');
    expect(sup.listenerCount('stateChange')).toBe(1);
    const pending = other.ask('call', 'geo', 'gate', ['r-pending']);
    await bus.when('r-pending');
    opened.connection.close();
    const a = await pending;
    expect(a.ok).toBe(false);
    expect((a.error as { code: string }).code).toBe(ErrorCode.SupervisorClosed);
    expect(sup.listenerCount('stateChange')).toBe(0);
    expect([closes, opened.connection.closed]).toEqual([1, true]);
    // Calls made after the close reject at once too.
    expect((await other.error('call', 'geo', 'add', [1, 1])).code).toBe(ErrorCode.SupervisorClosed);
    bus.release('r-pending');
    await other.worker.terminate();
  });

  it('closing from the client side works the same way', async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const opened = openConnection(sup, () => closed());
    const other = new ClientThread(opened);
    await other.ready;
    const pending = other.ask('call', 'geo', 'gate', ['r-client-close']);
    await bus.when('r-client-close');
    expect(await other.value('close')).toBe(true);
    expect(((await pending).error as { code: string }).code).toBe(ErrorCode.SupervisorClosed);
    await serverSawClose;
    expect(opened.connection.closed).toBe(true);
    bus.release('r-client-close');
    await other.worker.terminate();
  });
});
