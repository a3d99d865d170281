/**
 * GET /events: every state change with an id `<instance>-<seq>` (seq growing by one), call outcomes only on request, Last-Event-ID
 * replay from the bounded buffer (with a `gap` event when it can't be complete), heartbeats driven
 * by the ManualClock, the cap on open streams, and clean-up when a client goes away.
 */
import { describe, expect, it, vi } from 'vitest';
import type { SupervisorEventName } from '../../src/events.ts';
import type { Supervisor } from '../../src/index.ts';
import type { ManualClock } from '../../src/time/manual-clock.ts';
import {
  cycle,
  fail,
  OPEN_MS,
  type Rig,
  request,
  SseClient,
  type SseEvent,
  startRig,
  succeed,
} from './helpers.ts';

/** This server's instance part of event ids, read from /health. */
async function instanceOf(rig: Rig): Promise<string> {
  const id = (await request(rig.url, '/health')).json<{ eventId: string }>().eventId;
  return id.slice(0, id.lastIndexOf('-'));
}

/** The sequence part of each id, after checking every id names `instance`. */
function seqs(events: readonly SseEvent[], instance: string): string[] {
  return events.map((e) => {
    expect(e.id).toMatch(new RegExp(`^${instance}-\\d+$`));
    return e.id!.slice(instance.length + 1);
  });
}

/** Resolves the next time `sup.off(event, …)` is called: the server's clean-up is observable there. */
function nextOff(sup: Supervisor, event: SupervisorEventName): Promise<void> {
  return new Promise((resolve) => {
    const original = sup.off.bind(sup);
    const spy = vi.spyOn(sup, 'off').mockImplementation((e, listener) => {
      original(e, listener);
      if (e === event) {
        spy.mockRestore();
        resolve();
      }
      return sup;
    });
  });
}

/** Resolves the next time the clock's clearTimeout is called (the heartbeat timer being disarmed). */
function nextClear(clock: ManualClock): Promise<void> {
  return new Promise((resolve) => {
    const original = clock.clearTimeout.bind(clock);
    const spy = vi.spyOn(clock, 'clearTimeout').mockImplementation((handle) => {
      original(handle);
      spy.mockRestore();
      resolve();
    });
  });
}

describe('GET /events', () => {
  it('streams every state change in order, with ids growing by one', async () => {
    await using rig = await startRig(['alpha']);
    const inst = await instanceOf(rig);
    expect(inst).toMatch(/^[0-9a-v]{10}$/);
    const client = await SseClient.open(rig.url);
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.headers['cache-control']).toContain('no-cache');

    await cycle(rig, 'alpha');
    const events = await client.waitForEvents('stateChange', 3);
    expect(seqs(events, inst)).toEqual(['1', '2', '3']);
    expect(events.map((e) => e.json())).toEqual([
      expect.objectContaining({ service: 'alpha', from: 'closed', to: 'open', reason: 'failure-threshold' }),
      expect.objectContaining({ service: 'alpha', from: 'open', to: 'half-open', reason: 'recovery-timer' }),
      expect.objectContaining({
        service: 'alpha',
        from: 'half-open',
        to: 'closed',
        reason: 'probes-succeeded',
      }),
    ]);
    expect(events[0]!.json()).toMatchObject({ nextRecoveryAttempt: rig.clock.now(), consecutiveFailures: 3 });
    expect(client.events.every((e) => e.event === 'stateChange')).toBe(true);
    client.close();
  });

  it('sends call outcomes only to clients that ask with ?calls=1, errors without stacks', async () => {
    await using rig = await startRig(['alpha']);
    const plain = await SseClient.open(rig.url);
    const calls = await SseClient.open(rig.url, '/events?calls=1');
    await succeed(rig.sup, 'alpha');
    await fail(rig.sup, 'alpha', 4); // 3 failures open it, the 4th is rejected
    await calls.waitForEvents('callRejected', 1);
    expect(calls.events.map((e) => e.event)).toEqual([
      'callSucceeded',
      'callFailed',
      'callFailed',
      'stateChange', // the supervisor commits (and announces) the trip before reporting the call
      'callFailed',
      'callRejected',
    ]);
    expect(calls.events.filter((e) => e.event !== 'stateChange').every((e) => e.id === undefined)).toBe(true);
    const failed = calls.events[1]!;
    expect(failed.json().error).toEqual({ name: 'Error', code: undefined, message: 'boom' });
    expect(failed.data).not.toContain('stack');
    expect(calls.events[5]!.json()).toMatchObject({ service: 'alpha', code: 'ERR_CIRCUIT_OPEN' });

    await plain.waitForEvents('stateChange', 1);
    expect(plain.events.map((e) => e.event)).toEqual(['stateChange']);
    plain.close();
    calls.close();
  });

  it('replays what a client missed after Last-Event-ID, and everything for ?lastEventId=0', async () => {
    await using rig = await startRig(['alpha', 'beta']);
    const inst = await instanceOf(rig);
    await cycle(rig, 'alpha'); // ids 1..3
    await fail(rig.sup, 'beta'); // id 4

    const resumed = await SseClient.open(rig.url, '/events', { 'last-event-id': `${inst}-2` });
    const replayed = await resumed.waitForEvents('stateChange', 2);
    expect(replayed.map((e) => [e.id, e.json().service, e.json().to])).toEqual([
      [`${inst}-3`, 'alpha', 'closed'],
      [`${inst}-4`, 'beta', 'open'],
    ]);
    // Live events continue after the replay.
    rig.clock.advance(OPEN_MS);
    const live = await resumed.waitForEvents('stateChange', 3);
    expect(live[2]).toMatchObject({ id: `${inst}-5` });
    expect(resumed.events.some((e) => e.event === 'gap')).toBe(false);

    const history = await SseClient.open(rig.url, '/events?lastEventId=0');
    expect(seqs(await history.waitForEvents('stateChange', 5), inst)).toEqual(['1', '2', '3', '4', '5']);

    const header = await SseClient.open(rig.url, '/events?lastEventId=0', { 'last-event-id': `${inst}-4` });
    expect(seqs(await header.waitForEvents('stateChange', 1), inst)).toEqual(['5']);

    const fresh = await SseClient.open(rig.url);
    await succeed(rig.sup, 'beta'); // id 6
    expect(seqs(await fresh.waitForEvents('stateChange', 1), inst)).toEqual(['6']);
    for (const c of [resumed, history, header, fresh]) c.close();
  });

  it('sends a gap event first when the buffer no longer holds what the client missed', async () => {
    await using rig = await startRig(['alpha'], { eventBufferSize: 2 });
    const inst = await instanceOf(rig);
    await cycle(rig, 'alpha'); // ids 1..3; the buffer keeps 2 and 3
    const late = await SseClient.open(rig.url, '/events', { 'last-event-id': `${inst}-0` });
    await late.waitForEvents('stateChange', 2);
    expect(late.events.map((e) => e.event)).toEqual(['gap', 'stateChange', 'stateChange']);
    expect(late.events[0]!.json()).toEqual({ lastEventId: `${inst}-0`, oldestBufferedId: `${inst}-2` });
    expect(seqs(late.events.slice(1), inst)).toEqual(['2', '3']);

    // An id this server never gave out (another instance's, or from before ids named the
    // instance): gap, then the whole buffer.
    for (const foreign of ['zzzzzzzzzz-3', '99', '3', 'garbage']) {
      const stranger = await SseClient.open(rig.url, '/events', { 'last-event-id': foreign });
      await stranger.waitForEvents('stateChange', 2);
      expect(
        stranger.events.map((e) => e.event),
        foreign,
      ).toEqual(['gap', 'stateChange', 'stateChange']);
      expect(seqs(stranger.events.slice(1), inst)).toEqual(['2', '3']);
      stranger.close();
    }
    // Up to date: nothing to replay, no gap.
    const current = await SseClient.open(rig.url, '/events', { 'last-event-id': `${inst}-3` });
    await fail(rig.sup, 'alpha');
    await current.waitForEvents('stateChange', 1);
    expect(current.events.map((e) => [e.event, e.id])).toEqual([['stateChange', `${inst}-4`]]);
    for (const c of [late, current]) c.close();
  });

  it('never continues an id of another server instance: a restarted server sends a gap first', async () => {
    await using rig = await startRig(['alpha']);
    // The old instance saw 3 changes: its client holds '<old>-3'.
    await cycle(rig, 'alpha');
    const oldId = (await request(rig.url, '/health')).json<{ eventId: string }>().eventId;
    expect(oldId).toMatch(/-3$/);
    // A new server (a restarted process) over the same supervisor has its own, longer history.
    const { createAdminServer } = await import('../../src/http/index.ts');
    await using second = createAdminServer(rig.sup);
    const { url } = await second.listen();
    for (let i = 0; i < 2; i++) await cycle(rig, 'alpha'); // 6 changes on the new instance
    const resumed = await SseClient.open(url, '/events', { 'last-event-id': oldId });
    await resumed.waitForEvents('stateChange', 6);
    expect(resumed.events[0]!.event).toBe('gap');
    const newInst = (await request(url, '/health')).json<{ eventId: string }>().eventId.split('-')[0]!;
    expect(newInst).not.toBe(oldId.split('-')[0]);
    // Not only the changes after the 3rd: every change the new instance holds.
    expect(seqs(resumed.events.slice(1), newInst)).toEqual(['1', '2', '3', '4', '5', '6']);
    resumed.close();
  });

  it('sends heartbeat comments every heartbeatMs of the injected clock', async () => {
    await using rig = await startRig(['alpha'], { heartbeatMs: 5_000 });
    const client = await SseClient.open(rig.url);
    await client.until(() => client.comments.includes('connected'), 'the connected comment');
    rig.clock.advance(4_999);
    await request(rig.url, '/health'); // a round trip: anything written before it has had its chance
    expect(client.comments.filter((c) => c === 'heartbeat')).toHaveLength(0);
    rig.clock.advance(1);
    await client.until(() => client.comments.filter((c) => c === 'heartbeat').length === 1, 'one heartbeat');
    rig.clock.advance(10_000);
    await client.until(
      () => client.comments.filter((c) => c === 'heartbeat').length === 3,
      'three heartbeats',
    );
    client.close();
  });

  it('caps open streams with 503, and frees the slot when a client disconnects', async () => {
    await using rig = await startRig(['alpha'], { maxSseClients: 2 });
    const first = await SseClient.open(rig.url, '/events?calls=1');
    const second = await SseClient.open(rig.url);
    expect(rig.server.sseClients).toBe(2);
    const refused = await request(rig.url, '/events');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json()).toEqual({
      error: { code: 'ERR_TOO_MANY_STREAMS', message: 'too many open event streams (max 2)' },
    });

    const cleaned = nextOff(rig.sup, 'callSucceeded');
    first.close();
    await cleaned;
    expect(rig.server.sseClients).toBe(1);
    const third = await SseClient.open(rig.url);
    expect(third.status).toBe(200);
    second.close();
    third.close();
  });

  it('removes its listeners when clients disconnect: counts return to the baseline', async () => {
    await using rig = await startRig(['alpha']);
    const events = [
      'stateChange',
      'callSucceeded',
      'callFailed',
      'callRejected',
      'callTimedOut',
      'fallback',
      'lateResult',
    ] as const;
    const counts = (): number[] => events.map((e) => rig.sup.listenerCount(e));
    const baseline = counts();

    for (let round = 0; round < 3; round++) {
      const clients = await Promise.all([
        SseClient.open(rig.url, '/events?calls=1'),
        SseClient.open(rig.url, '/events?calls=1'),
        SseClient.open(rig.url),
      ]);
      // One set of call listeners however many clients want calls.
      expect(counts()).toEqual(baseline.map((n, i) => (i === 0 ? n : n + 1)));
      await succeed(rig.sup, 'alpha');
      await clients[0]!.waitForEvents('callSucceeded', 1);
      await clients[1]!.waitForEvents('callSucceeded', 1);

      // The last call listener goes when both call clients are gone; the heartbeat timer when all are.
      const cleaned = Promise.all([nextOff(rig.sup, 'lateResult'), nextClear(rig.clock)]);
      for (const c of clients) c.close();
      await cleaned;
      expect(counts()).toEqual(baseline);
      expect(rig.server.sseClients).toBe(0);
    }
    // No heartbeat timer is left armed once the last stream is gone.
    expect(rig.clock.pendingTimers).toBe(0);
  });
});
