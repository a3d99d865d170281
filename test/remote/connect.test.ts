/**
 * `Supervisor.connect()`: the port it returns gives another thread a client of this supervisor,
 * and close() closes every such connection last, after a drain, so remote calls that were running
 * still get their results and nothing is left hanging.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { Supervisor } from '../../src/index.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { Bus } from '../pool/helpers.ts';
import { ClientThread } from './client-thread.ts';

const bus = new Bus();
afterAll(() => bus.close());

function supervisor(): Supervisor {
  const sup = new Supervisor({ clock: new ManualClock(0) });
  sup.register('geo', {
    worker: new URL('../fixtures/handlers.ts', import.meta.url),
    threads: { min: 1, max: 1 },
    concurrentTasksPerWorker: 4,
    breaker: { callTimeoutMs: 0 },
  });
  return sup;
}

describe('Supervisor.connect()', () => {
  it('gives a client in another thread calls and state of the one supervisor', async () => {
    const sup = supervisor();
    const client = new ClientThread({ port: sup.connect() });
    await client.ready;
    expect(await client.value('call', 'geo', 'add', [1, 2])).toBe(3);
    expect(await client.value('state', 'geo')).toBe('closed');
    // The call was counted by this thread's supervisor: there is only one.
    expect(sup.metrics('geo').successfulRequests).toBe(1);
    await sup.close();
    await client.worker.terminate();
  });

  it('close({ drain }) lets a running remote call finish, then closes the connection', async () => {
    const sup = supervisor();
    const client = new ClientThread({ port: sup.connect() });
    await client.ready;
    const running = client.ask('call', 'geo', 'gate', ['c-drain']);
    await bus.when('c-drain');
    const closing = sup.close({ drain: true, timeoutMs: 60_000 });
    bus.release('c-drain');
    await closing;
    expect(await running).toMatchObject({ ok: true, value: 'c-drain' });
    // The connection is gone: a new call rejects at once instead of hanging.
    expect((await client.error('call', 'geo', 'add', [1, 1])).code).toBe(ErrorCode.SupervisorClosed);
    await client.worker.terminate();
  });

  it('close() without drain settles a pending remote call with ERR_SUPERVISOR_CLOSED', async () => {
    const sup = supervisor();
    const client = new ClientThread({ port: sup.connect() });
    await client.ready;
    const pending = client.ask('call', 'geo', 'gate', ['c-nodrain']);
    await bus.when('c-nodrain');
    await sup.close();
    const a = await pending;
    expect(a.ok).toBe(false);
    expect((a.error as { code: string }).code).toBe(ErrorCode.SupervisorClosed);
    bus.release('c-nodrain');
    await client.worker.terminate();
  });

  it('refuses to connect once closed', async () => {
    const sup = supervisor();
    await sup.close();
    expect(() => sup.connect()).toThrow(expect.objectContaining({ code: ErrorCode.SupervisorClosed }));
  });
});
