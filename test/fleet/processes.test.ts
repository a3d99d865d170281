/**
 * Fleet mode across processes: each child (fixtures/fleet-node.ts) has its own Supervisor and
 * RedisFleet on one real redis-server. Every wait is on a message from a child or a reply from
 * Redis; nothing sleeps.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type FleetNodeProcess as FleetNode,
  startFleetNodes as startNodes,
} from '../../src/demo/fleet-nodes.ts';
import { RedisServer } from './support/redis-server.ts';

let server: RedisServer;
let prefixN = 0;
let nodes: FleetNode[] = [];

beforeAll(async () => {
  server = await RedisServer.start({ persist: true });
});

afterAll(async () => {
  await server.stop();
});

afterEach(async () => {
  if (!server.running) await server.restart();
  await Promise.all(nodes.map((n) => n.close()));
  nodes = [];
});

async function start(n: number, config: Parameters<typeof startNodes>[3] = {}): Promise<FleetNode[]> {
  nodes = await startNodes(server.url, `p${++prefixN}:`, n, config);
  return nodes;
}

/** Trips `node` by hand: three failing calls (consecutive threshold 3). */
async function trip(node: FleetNode): Promise<void> {
  const open = node.state('open');
  await node.send({ cmd: 'mode', mode: 'fail' });
  await node.send({ cmd: 'calls', n: 3 });
  await open;
}

/** Every call settled and none failed or waited because of Redis. */
async function expectUnharmed(all: readonly FleetNode[]): Promise<void> {
  for (const node of all) await node.send({ cmd: 'stop' });
  for (const node of all) {
    const r = await node.report();
    expect(r.otherErrors, `${node.name}: calls failed for another reason than the upstream`).toBe(0);
    expect(r.blocked, `${node.name}: calls waited on I/O`).toBe(0);
    expect(r.issued as number).toBeGreaterThan(0);
  }
}

describe('fleet mode across processes (real redis-server)', () => {
  it('spreads an open, then runs exactly halfOpen.maxCalls probes fleet-wide while every process keeps calling', async () => {
    const all = await start(3, { maxCalls: 2, openMs: 300 });
    const [a, b, c] = all as [FleetNode, FleetNode, FleetNode];
    // One process trips; the others are opened by the fleet.
    const bOpen = b.state('open');
    const cOpen = c.state('open');
    const closed = all.map((n) => n.state('closed'));
    await trip(a);
    expect(await bOpen).toMatchObject({ from: 'closed', reason: 'fleet', origin: 'p0' });
    expect(await cOpen).toMatchObject({ from: 'closed', reason: 'fleet', origin: 'p0' });
    for (const n of all) await n.send({ cmd: 'mode', mode: 'fail' });
    for (const n of all) await n.send({ cmd: 'load', everyMs: 2 });
    // The upstream is back; probes take 20 ms, so both permits of the one half-open period are used.
    for (const n of all) await n.send({ cmd: 'mode', mode: 'slow-ok' });
    await Promise.all(closed);
    await expectUnharmed(all);
    const reports = await Promise.all(all.map((n) => n.report()));
    expect(reports.reduce((sum, r) => sum + (r.probes as number), 0)).toBe(2);
    const halfOpens = all.flatMap((n) => n.transitions().filter((t) => t.startsWith('open->half-open')));
    expect(halfOpens).toEqual(['open->half-open:recovery-timer']);
    for (const n of all) expect(n.transitions().at(-1)).toMatch(/->closed:(probes-succeeded|fleet)$/);
  });

  it('lets another process probe when the lease holder is killed mid-probe', async () => {
    const all = await start(3, { maxCalls: 1, openMs: 200, leaseMs: 900 });
    for (const n of all) await n.send({ cmd: 'mode', mode: 'hang' });
    await trip(all[0]!);
    await all[0]!.send({ cmd: 'mode', mode: 'hang' });
    const firstProbe = Promise.race(all.map((n) => n.next((m) => m.type === 'probe').then(() => n)));
    for (const n of all) await n.send({ cmd: 'load', everyMs: 5 });
    const holder = await firstProbe;
    await holder.kill();
    const survivors = all.filter((n) => n !== holder);
    for (const n of survivors) await n.send({ cmd: 'mode', mode: 'slow-ok' });
    const secondProbe = Promise.race(survivors.map((n) => n.next((m) => m.type === 'probe').then(() => n)));
    const closed = survivors.map((n) => n.state('closed'));
    const next = await secondProbe;
    expect(survivors).toContain(next);
    await Promise.all(closed);
    await expectUnharmed(survivors);
  });

  it('keeps every call local while redis-server is killed and restarted, and through a partition (CLIENT PAUSE); re-syncs after each', async () => {
    const all = await start(2, { openMs: 10_000 });
    const [a, b] = all as [FleetNode, FleetNode];
    for (const n of all) await n.send({ cmd: 'load', everyMs: 2 });
    // Killed and restarted (with its data: an append-only file).
    let down = all.map((n) => n.event('fleetDegraded'));
    await server.kill();
    await Promise.all(down);
    await trip(a); // alone: b can't hear of it yet
    let restored = all.map((n) => n.event('fleetRestored'));
    let bOpen = b.state('open');
    await server.restart();
    await Promise.all(restored);
    expect(await bOpen).toMatchObject({ reason: 'fleet', origin: 'p0' });
    const events = (n: FleetNode) =>
      n.messages.flatMap((m) =>
        m.type === 'event' ? [m.event === 'stateChange' ? `${m.from}->${m.to}` : String(m.event)] : [],
      );
    expect(events(a)).toEqual(['fleetDegraded', 'closed->open', 'fleetRestored']);

    // Back to closed everywhere, then a partition: Redis holds every command.
    const bClosed = b.state('closed');
    await a.send({ cmd: 'mode', mode: 'ok' });
    await a.send({ cmd: 'reset-fleet' });
    await bClosed;
    const admin = new Redis(server.url);
    down = all.map((n) => n.event('fleetDegraded'));
    restored = all.map((n) => n.event('fleetRestored'));
    await admin.client('PAUSE', 700, 'ALL');
    await Promise.all(down);
    bOpen = b.state('open');
    await trip(a);
    await Promise.all(restored);
    expect(await bOpen).toMatchObject({ reason: 'fleet', origin: 'p0' });
    expect(events(a).slice(3)).toEqual(['open->closed', 'fleetDegraded', 'closed->open', 'fleetRestored']);
    await expectUnharmed(all);
    admin.disconnect();
  });

  it('opens the fleet when 2 of 3 processes tripped (quorum), not when one did', async () => {
    const all = await start(3, { quorum: 2 });
    const [a, b, c] = all as [FleetNode, FleetNode, FleetNode];
    await trip(a);
    const admin = new Redis(server.url);
    const trips = `p${prefixN}:{pay}:trips`;
    // The trip was counted (one node in the window); the fleet did not open.
    for (let i = 0; i < 10_000 && (await admin.zcard(trips)) === 0; i++);
    expect(await admin.zcard(trips)).toBe(1);
    expect((await b.report()).state).toBe('closed');
    expect((await c.report()).state).toBe('closed');
    const cOpen = c.state('open');
    await trip(b);
    expect(await cOpen).toMatchObject({ reason: 'fleet', origin: 'p1' });
    expect(a.transitions()).toEqual(['closed->open:failure-threshold']);
    admin.disconnect();
  });
});
