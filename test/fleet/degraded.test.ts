/**
 * Redis down, paused (a partition) and restarted under a fleet: the node says fleetDegraded, keeps
 * breaking locally, never waits for Redis; on return it says fleetRestored and re-syncs. A real
 * redis-server, killed with SIGKILL and paused with CLIENT PAUSE.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisFleet } from '../../src/fleet/index.ts';
import { RedisServer } from './support/redis-server.ts';
import { TableHost } from './support/table-host.ts';

let server: RedisServer;
let prefixN = 0;
const open: { fleet: RedisFleet; host: TableHost }[] = [];

beforeAll(async () => {
  server = await RedisServer.start({ persist: true });
});

afterAll(async () => {
  await server.stop();
});

afterEach(async () => {
  if (!server.running) await server.restart();
  await Promise.all(open.splice(0).map(({ fleet, host }) => fleet.close().then(() => host.close())));
});

async function node(
  prefix: string,
  name: string,
  services: readonly string[],
): Promise<{ fleet: RedisFleet; host: TableHost }> {
  const fleet = new RedisFleet({
    redis: server.url,
    prefix,
    node: name,
    heartbeatMs: 50,
    commandTimeoutMs: 150,
    leaseMs: 600,
    reconnect: { minMs: 20, maxMs: 100 },
  });
  const host = new TableHost(services).attach(fleet);
  open.push({ fleet, host });
  return { fleet, host };
}

/** Resolves once the fleet is connected and synced, driven by the fleet's own heartbeats. */
async function connected(fleet: RedisFleet): Promise<void> {
  const probe = new Redis(server.url);
  try {
    for (let i = 0; i < 10_000 && !fleet.status().connected; i++) await probe.ping();
  } finally {
    probe.disconnect();
  }
  expect(fleet.status().connected).toBe(true);
}

describe('RedisFleet when Redis fails (real redis-server)', () => {
  it('degrades on CLIENT PAUSE, keeps breaking locally, and re-syncs the local trip on return', async () => {
    const prefix = `d${++prefixN}:`;
    const a = await node(prefix, 'a', ['pay']);
    const b = await node(prefix, 'b', ['pay']);
    await Promise.all([connected(a.fleet), connected(b.fleet)]);
    const admin = new Redis(server.url);
    const degraded = a.host.next((e) => e.kind === 'degraded');
    await admin.client('PAUSE', 600, 'ALL');
    await degraded;
    // Local breaking goes on, synchronously, while Redis answers nothing.
    a.host.local('pay', 'open', 'failure-threshold');
    expect(a.host.state('pay')).toBe('open');
    expect(a.fleet.beforeHalfOpen('pay', 0)).toBeNull(); // the gate doesn't hold a breaker for a Redis away
    const restored = a.host.next((e) => e.kind === 'restored');
    const bOpen = b.host.until('pay', 'open');
    await restored;
    await bOpen; // the trip made while cut off reached the fleet after the re-sync
    expect(b.host.transitions('pay')).toEqual(['closed->open:fleet']);
    const kinds = a.host.events.map((e) => (e.kind === 'transition' ? `${e.from}->${e.to}` : e.kind));
    expect(kinds).toEqual(['degraded', 'closed->open', 'restored']);
    expect(a.fleet.status()).toMatchObject({ connected: true, degraded: false });
    expect(a.fleet.status().redisErrors).toBeGreaterThan(0);
    admin.disconnect();
  });

  it('degrades when redis-server is killed, and adopts the fleet state written while it was away', async () => {
    const prefix = `d${++prefixN}:`;
    const a = await node(prefix, 'a', ['pay']);
    const b = await node(prefix, 'b', ['pay']);
    await Promise.all([connected(a.fleet), connected(b.fleet)]);
    const aDown = a.host.next((e) => e.kind === 'degraded');
    const bDown = b.host.next((e) => e.kind === 'degraded');
    await server.kill();
    await Promise.all([aDown, bDown]);
    expect(a.fleet.status().connected).toBe(false);
    // While Redis is gone, b trips alone; a hears nothing.
    b.host.local('pay', 'open', 'failure-threshold');
    expect(a.host.state('pay')).toBe('closed');
    const aOpen = a.host.until('pay', 'open');
    await server.restart();
    await aOpen;
    expect(a.host.transitions('pay')).toEqual(['closed->open:fleet']);
    await connected(a.fleet);
    await connected(b.fleet);
    expect(a.host.events.filter((e) => e.kind === 'restored')).toHaveLength(1);
  });

  it('releases a breaker held at the gate when Redis goes away mid-wait', async () => {
    const prefix = `d${++prefixN}:`;
    const a = await node(prefix, 'a', ['pay']);
    await connected(a.fleet);
    const admin = new Redis(server.url);
    // Another node holds the lease for a long time; a waits at the gate.
    a.host.local('pay', 'open', 'failure-threshold', 30);
    await admin.set(`${prefix}{pay}:lease`, 'other-node', 'PX', 60_000);
    const halfOpen = a.host.until('pay', 'half-open');
    await admin.client('PAUSE', 400, 'ALL').then(() => undefined);
    await halfOpen; // degraded: the node decides alone instead of waiting for a lease it can't get
    const kinds = a.host.events.map((e) => (e.kind === 'transition' ? `${e.from}->${e.to}` : e.kind));
    expect(kinds).toContain('degraded');
    expect(kinds.indexOf('degraded')).toBeLessThan(kinds.indexOf('open->half-open'));
    admin.disconnect();
  });
});
