/**
 * Fleet mode wired into the Supervisor (in one process, several supervisors, one real
 * redis-server): opens spread with reason `fleet`, one probe fleet-wide, operator commands with
 * `scope: 'fleet'`, degraded/restored events, and zero Redis commands per successful call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StateChangeEvent } from '../../src/events.ts';
import { RedisFleet } from '../../src/fleet/index.ts';
import { Supervisor } from '../../src/index.ts';
import type { ServiceOptions } from '../../src/types.ts';
import { useRedisServer } from './support/redis-server.ts';

const redis = useRedisServer();
let prefixN = 0;
const sups: Supervisor[] = [];

afterEach(async () => {
  await Promise.all(sups.splice(0).map((s) => s.close()));
});

const PAY: ServiceOptions = {
  breaker: {
    trip: { kind: 'consecutive', threshold: 2 },
    openMs: 120,
    halfOpen: { maxCalls: 1, successThreshold: 1 },
    callTimeoutMs: 0,
  },
};

/** `n` supervisors, each with its own RedisFleet on one fresh prefix, connected. */
async function fleet(
  n: number,
  extra: Partial<ConstructorParameters<typeof RedisFleet>[0]> = {},
  service: ServiceOptions = PAY,
): Promise<Supervisor[]> {
  const prefix = `s${++prefixN}:`;
  const made = Array.from({ length: n }, (_, i) => {
    const sup = new Supervisor({
      fleet: new RedisFleet({
        redis: redis.server.url,
        prefix,
        node: `n${i}`,
        heartbeatMs: 100,
        commandTimeoutMs: 200,
        ...extra,
      }),
    });
    sup.register('pay', service);
    sups.push(sup);
    return sup;
  });
  await Promise.all(made.map((s) => connected(s)));
  return made;
}

/** Resolves once the supervisor's fleet is connected; progress is driven by Redis round trips. */
async function connected(sup: Supervisor): Promise<void> {
  for (let i = 0; i < 10_000 && sup.fleetStatus()?.connected !== true; i++) await redis.admin.ping();
  expect(sup.fleetStatus()?.connected).toBe(true);
}

function next(sup: Supervisor, test: (e: StateChangeEvent) => boolean): Promise<StateChangeEvent> {
  return new Promise((resolve) => {
    const on = (e: StateChangeEvent) => {
      if (!test(e)) return;
      sup.off('stateChange', on);
      resolve(e);
    };
    sup.on('stateChange', on);
  });
}

const fail = () => Promise.reject(new Error('upstream down'));
const ok = () => Promise.resolve('ok');

async function trip(sup: Supervisor): Promise<void> {
  for (let i = 0; i < 2; i++) await sup.run('pay', fail).catch(() => {});
  expect(sup.state('pay')).toBe('open');
}

describe('Supervisor with a RedisFleet (real redis-server)', () => {
  it('spreads an open: the other supervisors change with reason fleet and the origin node', async () => {
    const [a, b, c] = await fleet(3);
    const bOpen = next(b!, (e) => e.to === 'open');
    const cOpen = next(c!, (e) => e.to === 'open');
    await trip(a!);
    const [eb, ec] = await Promise.all([bOpen, cOpen]);
    expect(eb).toMatchObject({ service: 'pay', from: 'closed', to: 'open', reason: 'fleet', origin: 'n0' });
    expect(ec).toMatchObject({ reason: 'fleet', origin: 'n0' });
    await expect(b!.run('pay', ok)).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
    expect(a!.fleetStatus()).toMatchObject({ node: 'n0', connected: true, degraded: false, published: 1 });
    expect(b!.fleetStatus()?.adopted).toBe(1);
    // Peers are learnt from heartbeats (every 100 ms here): b may have beaten before n0 first did.
    for (let i = 0; i < 10_000 && !b!.fleetStatus()?.peers.includes('n0'); i++) await redis.admin.ping();
    expect(b!.fleetStatus()?.peers).toEqual(expect.arrayContaining(['n0']));
  });

  it('lets one supervisor probe fleet-wide; the others reject until its success closes them', async () => {
    const all = await fleet(3);
    const halfOpen = Promise.race(all.map((s) => next(s, (e) => e.to === 'half-open').then(() => s)));
    await trip(all[0]!);
    const prober = await halfOpen;
    const others = all.filter((s) => s !== prober);
    for (const s of others) {
      expect(s.state('pay')).toBe('open');
      // Past its open period, still held open: another node probes.
      await expect(s.run('pay', ok)).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
    }
    const closed = others.map((s) => next(s, (e) => e.to === 'closed'));
    await expect(prober.run('pay', ok)).resolves.toBe('ok');
    expect(prober.state('pay')).toBe('closed');
    const events = await Promise.all(closed);
    for (const e of events) expect(e).toMatchObject({ from: 'open', to: 'closed', reason: 'fleet' });
    expect(all.reduce((n, s) => n + (s.fleetStatus()?.leaseWins ?? 0), 0)).toBe(1);
  });

  it('forceOpen / disable / reset with scope fleet change every node', async () => {
    const [a, b] = await fleet(2);
    const forced = next(b!, (e) => e.to === 'forced-open');
    const local = next(a!, (e) => e.to === 'forced-open');
    a!.forceOpen('pay', { scope: 'fleet' });
    expect((await local).reason).toBe('manual');
    expect(await forced).toMatchObject({ reason: 'fleet', origin: 'n0' });
    const disabled = next(a!, (e) => e.to === 'disabled');
    b!.disable('pay', { scope: 'fleet' });
    expect(await disabled).toMatchObject({ from: 'forced-open', reason: 'fleet', origin: 'n1' });
    const reset = next(b!, (e) => e.to === 'closed');
    a!.reset('pay', { scope: 'fleet' });
    expect(await reset).toMatchObject({ from: 'disabled', reason: 'fleet' });
    // A local-scope change stays local.
    a!.forceOpen('pay');
    expect(a!.state('pay')).toBe('forced-open');
    await redis.admin.ping();
    expect(await redis.admin.hget(`s${prefixN}:{pay}:state`, 'state')).toBe('closed');
  });

  it('refuses scope fleet without a fleet, and a bad scope, naming the field', () => {
    const sup = new Supervisor();
    sups.push(sup);
    sup.register('pay', PAY);
    expect(() => sup.forceOpen('pay', { scope: 'fleet' })).toThrow(
      /options\.scope must be 'local' \(no fleet/,
    );
    expect(() => sup.reset('pay', { scope: 'world' as never })).toThrow(/options\.scope/);
    expect(() => sup.disable('pay', { scpe: 'fleet' } as never)).toThrow(/scpe/);
    expect(sup.state('pay')).toBe('closed');
    expect(sup.fleetStatus()).toBeUndefined();
    expect(() => new Supervisor({ fleet: {} as never })).toThrow(/options\.fleet\.attach/);
  });

  it('sends zero Redis commands per call while no transition happens', async () => {
    const [a] = await fleet(1, { heartbeatMs: 60_000 });
    const calls = async () => {
      const stats = await redis.admin.info('commandstats');
      let n = 0;
      for (const m of stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (m[1] !== 'info') n += Number(m[2]);
      return n;
    };
    const before = await calls();
    for (let i = 0; i < 20_000; i++) await a!.run('pay', ok);
    // Failures that don't trip are local too (the streak is reset by the success after each).
    for (let i = 0; i < 200; i++) {
      await a!.run('pay', fail).catch(() => {});
      await a!.run('pay', ok);
    }
    expect(a!.state('pay')).toBe('closed');
    expect((await calls()) - before).toBe(0);
  });

  it('emits fleetDegraded and fleetRestored around a CLIENT PAUSE; calls never wait for Redis', async () => {
    // Open longer than the pause: the open made while cut off is still there when Redis returns.
    const [a, b] = await fleet(2, {}, { breaker: { ...PAY.breaker, openMs: 10_000 } });
    const seen: string[] = [];
    a!.on('fleetDegraded', (e) => seen.push(`degraded:${e.node}`));
    a!.on('stateChange', (e) => seen.push(`${e.from}->${e.to}:${e.reason}`));
    const degraded = new Promise((resolve) => a!.once('fleetDegraded', resolve));
    const restored = new Promise((resolve) => a!.once('fleetRestored', resolve));
    const bOpen = next(b!, (e) => e.to === 'open');
    await redis.admin.client('PAUSE', 500, 'ALL');
    await degraded;
    // Each call settles before the event loop gets to I/O: nothing waits on the paused Redis.
    for (let i = 0; i < 200; i++) {
      const raced = await Promise.race([
        a!.run('pay', ok),
        new Promise((r) => setImmediate(() => r('blocked'))),
      ]);
      expect(raced).toBe('ok');
    }
    await trip(a!);
    await restored;
    seen.push('restored');
    expect(seen).toEqual(['degraded:n0', 'closed->open:failure-threshold', 'restored']);
    expect(await bOpen).toMatchObject({ reason: 'fleet', origin: 'n0' }); // re-synced after the pause
    expect(a!.fleetStatus()).toMatchObject({ connected: true, degraded: false });
    expect(a!.fleetStatus()?.lastError).toMatch(/timed out/i);
  });
});
