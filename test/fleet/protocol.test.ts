/**
 * The fleet protocol against a real redis-server: opens spread, stale writes are rejected, one
 * lease per open, the backoff is shared, the quorum, operator commands. Hosts are small real
 * breaker tables (support/table-host.ts); every wait is on an event, never a sleep.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisFleet } from '../../src/fleet/index.ts';
import type { RedisFleetOptions } from '../../src/fleet/options.ts';
import { useRedisServer } from './support/redis-server.ts';
import { TableHost } from './support/table-host.ts';

const redis = useRedisServer();
let prefixN = 0;
const open: { fleet: RedisFleet; host: TableHost }[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map(({ fleet, host }) => fleet.close().then(() => host.close())));
});

/** `n` nodes sharing one fresh prefix, each connected and synced. */
async function nodes(
  n: number,
  services: readonly string[],
  options: Partial<RedisFleetOptions> = {},
  backoff?: { openMs: number; factor: number; maxMs: number; jitter: number },
): Promise<{ fleet: RedisFleet; host: TableHost }[]> {
  const prefix = `t${++prefixN}:`;
  const made = Array.from({ length: n }, (_, i) => {
    const fleet = new RedisFleet({
      redis: redis.server.url,
      prefix,
      node: `node-${i}`,
      heartbeatMs: 100,
      commandTimeoutMs: 200,
      ...options,
    });
    const host = new TableHost(services, backoff).attach(fleet);
    open.push({ fleet, host });
    return { fleet, host };
  });
  // Connected: the first heartbeat and the first read of every service have happened.
  await Promise.all(made.map(({ fleet }) => until(() => fleet.status().connected, fleet)));
  return made;
}

/** Waits for a fleet condition by polling its status on each heartbeat-sized tick of Redis I/O. */
async function until(test: () => boolean, fleet: RedisFleet): Promise<void> {
  // Each round trip is one PING through the fleet's own Redis: progress is driven by I/O, not a timer.
  const probe = new Redis(redis.server.url);
  try {
    for (let i = 0; i < 10_000 && !test(); i++) await probe.ping();
    if (!test()) throw new Error(`condition not reached; fleet status ${JSON.stringify(fleet.status())}`);
  } finally {
    probe.disconnect();
  }
}

function stateKey(prefix: string, service: string): string {
  return `${prefix}{${service}}:state`;
}

describe('RedisFleet protocol (real redis-server)', () => {
  it('spreads an open to every node with reason fleet, and writes one versioned hash', async () => {
    const [a, b, c] = await nodes(3, ['pay']);
    const bOpen = b!.host.until('pay', 'open');
    const cOpen = c!.host.until('pay', 'open');
    a!.host.local('pay', 'open', 'failure-threshold');
    await Promise.all([bOpen, cOpen]);
    expect(b!.host.transitions('pay')).toEqual(['closed->open:fleet']);
    expect(c!.host.transitions('pay')).toEqual(['closed->open:fleet']);
    const hash = await redis.admin.hgetall(stateKey(`t${prefixN}:`, 'pay'));
    expect(hash).toMatchObject({
      state: 'open',
      v: '1',
      reopens: '1',
      origin: 'node-0',
      reason: 'failure-threshold',
    });
    expect(Number(hash.until)).toBeGreaterThan(0);
    expect(a!.fleet.status().published).toBe(1);
    expect(b!.fleet.status().adopted).toBe(1);
    // The open period a node adopts is the time left as Redis computed it, not its own openMs.
    expect(b!.host.rows.get('pay')!.until - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('rejects the second of two racing trips as stale; that node adopts the winner', async () => {
    const [a, b] = await nodes(2, ['pay']);
    a!.host.local('pay', 'open', 'failure-threshold');
    b!.host.local('pay', 'open', 'failure-rate');
    await until(() => a!.fleet.status().published + b!.fleet.status().published === 1, a!.fleet);
    await until(() => a!.fleet.status().staleWrites + b!.fleet.status().staleWrites === 1, a!.fleet);
    const hash = await redis.admin.hgetall(stateKey(`t${prefixN}:`, 'pay'));
    expect(hash.v).toBe('1');
    // Both are open; neither saw an extra event for the same state.
    expect(a!.host.transitions('pay')).toEqual(['closed->open:failure-threshold']);
    expect(b!.host.transitions('pay')).toEqual(['closed->open:failure-rate']);
  });

  it('lets exactly one node probe when the open period ends; its success closes every node', async () => {
    const backoff = { openMs: 150, factor: 1, maxMs: 150, jitter: 0 };
    const all = await nodes(3, ['pay'], {}, backoff);
    const firstHalfOpen = Promise.race(all.map(({ host }) => host.until('pay', 'half-open')));
    all[0]!.host.local('pay', 'open', 'failure-threshold', 150);
    await firstHalfOpen;
    const probing = all.filter(({ host }) => host.state('pay') === 'half-open');
    expect(probing).toHaveLength(1);
    expect(probing[0]!.fleet.status().leaseWins).toBe(1);
    const others = all.filter((n) => n !== probing[0]);
    const closed = others.map(({ host }) => host.until('pay', 'closed'));
    probing[0]!.host.local('pay', 'closed', 'probes-succeeded');
    await Promise.all(closed);
    for (const { host } of others) {
      expect(host.transitions('pay')).not.toContain('open->half-open:recovery-timer');
      expect(host.transitions('pay').at(-1)).toBe('open->closed:fleet');
    }
    expect(all.reduce((n, { fleet }) => n + fleet.status().leaseWins, 0)).toBe(1);
    const hash = await redis.admin.hgetall(stateKey(`t${prefixN}:`, 'pay'));
    expect(hash).toMatchObject({ state: 'closed', reopens: '0', reason: 'probes-succeeded' });
    expect(await redis.admin.exists(`t${prefixN}:{pay}:lease`)).toBe(0);
  });

  it('re-opens every node after a failed probe, with the re-open count shared in Redis', async () => {
    const backoff = { openMs: 100, factor: 3, maxMs: 10_000, jitter: 0 };
    const [a, b] = await nodes(2, ['pay'], {}, backoff);
    const first = Promise.race([a!.host.until('pay', 'half-open'), b!.host.until('pay', 'half-open')]);
    a!.host.local('pay', 'open', 'failure-threshold', 100);
    await first;
    const prober = a!.host.state('pay') === 'half-open' ? a! : b!;
    const other = prober === a ? b! : a!;
    const before = other.host.events.length;
    prober.host.local('pay', 'open', 'probe-failed', 300);
    await until(() => other.fleet.shared('pay')?.version === 2, other.fleet);
    const hash = await redis.admin.hgetall(stateKey(`t${prefixN}:`, 'pay'));
    expect(hash).toMatchObject({ state: 'open', reopens: '2', v: '2', reason: 'probe-failed' });
    // 100 × 3^(2-1) = 300 ms, computed by Redis from its own clock.
    const left = Number(hash.until) - Number((await redis.admin.time())[0]) * 1000;
    expect(left).toBeLessThanOrEqual(1_300);
    // The other node was open all along: it moves its recovery time, with no event.
    expect(other.host.events.slice(before)).toEqual([]);
    expect(other.host.state('pay')).toBe('open');
  });

  it('waits for a lease held by someone else, and probes once it expires (its holder died)', async () => {
    const backoff = { openMs: 50, factor: 1, maxMs: 50, jitter: 0 };
    const [a] = await nodes(1, ['pay'], {}, backoff);
    const prefix = `t${prefixN}:`;
    // A node that won the lease and died: its lease outlives it by at most its PX.
    await redis.admin.set(`${prefix}{pay}:lease`, 'dead-node-token', 'PX', 400);
    a!.host.local('pay', 'open', 'failure-threshold', 50);
    await a!.host.until('pay', 'half-open');
    expect(await redis.admin.get(`${prefix}{pay}:lease`)).not.toBe('dead-node-token');
    expect(a!.fleet.status().leaseWins).toBe(1);
  });

  it('opens the fleet only when 2 of 3 nodes tripped within the window', async () => {
    const [a, b, c] = await nodes(3, ['pay'], { quorum: { nodes: 2, windowMs: 60_000 } });
    a!.host.local('pay', 'open', 'failure-threshold');
    // The trip was counted (reply `noted`): a now knows the shared state, still closed.
    await until(() => a!.fleet.shared('pay') !== undefined, a!.fleet);
    expect(a!.fleet.shared('pay')?.state).toBe('closed');
    const prefix = `t${prefixN}:`;
    expect(await redis.admin.zcard(`${prefix}{pay}:trips`)).toBe(1);
    expect(await redis.admin.hget(stateKey(prefix, 'pay'), 'state')).toBeNull();
    expect(b!.host.state('pay')).toBe('closed');
    expect(c!.host.state('pay')).toBe('closed');
    const cOpen = c!.host.until('pay', 'open');
    b!.host.local('pay', 'open', 'failure-threshold');
    await cOpen;
    expect(c!.host.transitions('pay')).toEqual(['closed->open:fleet']);
    expect(a!.host.transitions('pay')).toEqual(['closed->open:failure-threshold']);
    expect(await redis.admin.hget(stateKey(prefix, 'pay'), 'state')).toBe('open');
  });

  it('applies fleet-wide operator commands over every node, and they win over a pinned state', async () => {
    const [a, b] = await nodes(2, ['pay']);
    b!.host.local('pay', 'disabled', 'manual'); // pinned on b only
    const forced = b!.host.until('pay', 'forced-open');
    a!.host.local('pay', 'forced-open', 'manual');
    a!.fleet.command('pay', 'force-open');
    await forced;
    expect(b!.host.transitions('pay')).toEqual(['closed->disabled:manual', 'disabled->forced-open:fleet']);
    const closed = b!.host.until('pay', 'closed');
    a!.host.local('pay', 'closed', 'manual');
    a!.fleet.command('pay', 'reset');
    await closed;
    expect(await redis.admin.hget(stateKey(`t${prefixN}:`, 'pay'), 'state')).toBe('closed');
  });

  it('keeps a local manual state against a fleet open (not a command)', async () => {
    const [a, b] = await nodes(2, ['pay']);
    b!.host.local('pay', 'disabled', 'manual');
    a!.host.local('pay', 'open', 'failure-threshold');
    await until(() => b!.fleet.shared('pay')?.state === 'open', b!.fleet);
    expect(b!.host.state('pay')).toBe('disabled');
  });

  it('validates its options, naming the field', () => {
    expect(() => new RedisFleet({ redis: 'http://x' })).toThrow(/options\.redis/);
    expect(() => new RedisFleet({ redis: redis.server.url, quorum: { nodes: 0 } })).toThrow(
      /options\.quorum\.nodes must be an integer between 1 and 1000, got 0/,
    );
    expect(() => new RedisFleet({ redis: redis.server.url, leaseMs: 100, commandTimeoutMs: 500 })).toThrow(
      /leaseMs/,
    );
    expect(() => new RedisFleet({ redis: redis.server.url, nodes: 1 } as never)).toThrow(/options\.nodes/);
    try {
      new RedisFleet({ redis: redis.server.url, node: '' });
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_INVALID_OPTION');
    }
  });
});
