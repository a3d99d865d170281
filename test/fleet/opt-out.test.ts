/**
 * Per-service opt-out of fleet mode (`fleet: false`), with supervisors in one process and one real
 * redis-server: the service's breaker stays local (nothing published, nothing adopted, no probe
 * lease) while the supervisor's other services are shared, and a fleet-wide command on it is
 * refused. "Nothing arrived" is proven with a barrier: a later message on the same connection and
 * channel that did arrive.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isInvalidOptionError } from '../../src/errors.ts';
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

const SHARED: ServiceOptions = {
  breaker: {
    trip: { kind: 'consecutive', threshold: 2 },
    openMs: 10_000,
    halfOpen: { maxCalls: 1, successThreshold: 1 },
    callTimeoutMs: 0,
  },
};
const LOCAL: ServiceOptions = { ...SHARED, fleet: false };

/** `n` connected supervisors on one fresh prefix, each with `pay` shared. */
async function fleet(n: number): Promise<{ all: Supervisor[]; prefix: string }> {
  const prefix = `o${++prefixN}:`;
  const all = Array.from({ length: n }, (_, i) => {
    const sup = new Supervisor({
      fleet: new RedisFleet({
        redis: redis.server.url,
        prefix,
        node: `n${i}`,
        heartbeatMs: 100,
        commandTimeoutMs: 200,
      }),
    });
    sup.register('pay', SHARED);
    sups.push(sup);
    return sup;
  });
  for (const sup of all) {
    for (let i = 0; i < 10_000 && sup.fleetStatus()?.connected !== true; i++) await redis.admin.ping();
    expect(sup.fleetStatus()?.connected).toBe(true);
  }
  return { all, prefix };
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

async function trip(sup: Supervisor, service: string): Promise<void> {
  for (let i = 0; i < 2; i++) await sup.run(service, () => Promise.reject(new Error('down'))).catch(() => {});
  expect(sup.state(service)).toBe('open');
}

describe('fleet: false (real redis-server)', () => {
  it('keeps the breaker local: no publish, no adoption, while the shared service spreads', async () => {
    const { all, prefix } = await fleet(2);
    const [a, b] = all as [Supervisor, Supervisor];
    // Shared at first, then registered again as local: the link the fleet kept must not leak.
    a.register('audit', SHARED);
    await a.unregister('audit');
    a.register('audit', LOCAL);
    b.register('audit', SHARED);
    const seenOnB: string[] = [];
    b.on('stateChange', (e) => seenOnB.push(`${e.service}:${e.to}:${e.reason}`));

    // a's local trip is not published: b hears the later `pay` open, and nothing of `audit`.
    await trip(a, 'audit');
    const bPay = next(b, (e) => e.service === 'pay' && e.to === 'open');
    await trip(a, 'pay');
    expect(await bPay).toMatchObject({ reason: 'fleet', origin: 'n0' });
    expect(b.state('audit')).toBe('closed');
    expect(seenOnB).toEqual(['pay:open:fleet']);
    expect(a.fleetStatus()?.published).toBe(1);
    expect(await redis.admin.hget(`${prefix}{audit}:state`, 'state')).toBeNull();

    // b shares `audit`; its fleet-wide force-open reaches every node that shares it, not a.
    const aPay = next(a, (e) => e.service === 'pay' && e.to === 'forced-open');
    b.forceOpen('audit', { scope: 'fleet' });
    b.forceOpen('pay', { scope: 'fleet' });
    expect(await aPay).toMatchObject({ reason: 'fleet', origin: 'n1' });
    expect(await redis.admin.hget(`${prefix}{audit}:state`, 'state')).toBe('forced-open');
    expect(a.state('audit')).toBe('open');
    expect(a.metrics('audit').state).toBe('open');
  });

  it('recovers on its own timer, without a probe lease', async () => {
    const { all, prefix } = await fleet(1);
    const a = all[0]!;
    a.register('audit', { ...LOCAL, breaker: { ...LOCAL.breaker, openMs: 50 } });
    const halfOpen = next(a, (e) => e.service === 'audit' && e.to === 'half-open');
    await trip(a, 'audit');
    expect(await halfOpen).toMatchObject({ from: 'open', reason: 'recovery-timer' });
    await expect(a.run('audit', () => 'ok')).resolves.toBe('ok');
    expect(a.state('audit')).toBe('closed');
    expect(a.fleetStatus()).toMatchObject({ published: 0, leaseWins: 0 });
    expect(await redis.admin.exists(`${prefix}{audit}:lease`, `${prefix}{audit}:state`)).toBe(0);
  });

  it('refuses a fleet-wide command on it (ERR_INVALID_OPTION, nothing changed); local commands work', async () => {
    const { all } = await fleet(1);
    const a = all[0]!;
    a.register('audit', LOCAL);
    for (const command of ['forceOpen', 'disable', 'reset'] as const) {
      let error: unknown;
      try {
        a[command]('audit', { scope: 'fleet' });
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionError(error), command).toBe(true);
      expect(error).toMatchObject({ field: 'options.scope', value: 'fleet' });
      expect((error as Error).message).toMatch(/service "audit" is registered with fleet: false/);
      expect(a.state('audit')).toBe('closed');
    }
    a.forceOpen('audit');
    expect(a.state('audit')).toBe('forced-open');
    a.reset('audit', { scope: 'local' });
    expect(a.state('audit')).toBe('closed');
    expect(a.fleetStatus()?.published).toBe(0);
  });

  it('validates the option like the others; supervisor defaults can opt every service out', async () => {
    const sup = new Supervisor({ defaults: { fleet: false } });
    sups.push(sup);
    expect(() => sup.register('x', { fleet: 'no' as never })).toThrow(
      /options\.fleet must be a boolean, got "no"/,
    );
    expect(() => sup.register('y', { flet: false } as never)).toThrow(/did you mean `fleet`/);
    // Without a fleet the option changes nothing; with `defaults`, a service can opt back in.
    sup.register('z', { fleet: true }).register('w', { fleet: undefined });
    expect(sup.services()).toEqual(['z', 'w']);

    const opted = new Supervisor({
      defaults: { fleet: false },
      fleet: new RedisFleet({ redis: redis.server.url, prefix: `o${++prefixN}:`, node: 'd0' }),
    });
    sups.push(opted);
    opted.register('local').register('shared', { fleet: true });
    expect(() => opted.forceOpen('local', { scope: 'fleet' })).toThrow(/fleet: false/);
    opted.forceOpen('shared', { scope: 'fleet' });
    expect(opted.state('shared')).toBe('forced-open');
  });
});
