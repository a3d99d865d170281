/**
 * Fleet mode through the admin server: `POST /services/:name/force-open?scope=fleet` (token
 * required) changes every node (a service kept local with `fleet: false` answers 400), and `/metrics` carries the fleet's connection and counters.
 * Real supervisors, a real redis-server, real HTTP (fetch on 127.0.0.1).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StateChangeEvent } from '../../src/events.ts';
import { RedisFleet } from '../../src/fleet/index.ts';
import { type AdminServer, createAdminServer } from '../../src/http/index.ts';
import { Supervisor } from '../../src/index.ts';
import { useRedisServer } from './support/redis-server.ts';

const TOKEN = 'fleet-admin-token';
const redis = useRedisServer();
let prefixN = 0;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function node(prefix: string, name: string): Promise<Supervisor> {
  const sup = new Supervisor({
    fleet: new RedisFleet({
      redis: redis.server.url,
      prefix,
      node: name,
      heartbeatMs: 100,
      commandTimeoutMs: 200,
    }),
  });
  sup.register('pay', { breaker: { callTimeoutMs: 0 } });
  cleanups.push(() => sup.close());
  for (let i = 0; i < 10_000 && sup.fleetStatus()?.connected !== true; i++) await redis.admin.ping();
  expect(sup.fleetStatus()?.connected).toBe(true);
  return sup;
}

async function serve(sup: Supervisor): Promise<{ admin: AdminServer; url: string }> {
  const http = createAdminServer(sup, { token: TOKEN });
  const { url } = await http.listen();
  cleanups.push(() => http.close());
  return { admin: http, url };
}

function next(sup: Supervisor, to: string): Promise<StateChangeEvent> {
  return new Promise((resolve) => {
    const on = (e: StateChangeEvent) => {
      if (e.to !== to) return;
      sup.off('stateChange', on);
      resolve(e);
    };
    sup.on('stateChange', on);
  });
}

describe('the admin server in fleet mode (real redis-server)', () => {
  it('POST force-open?scope=fleet opens every node; the token is required; bad scopes are 400', async () => {
    const prefix = `h${++prefixN}:`;
    const a = await node(prefix, 'a');
    const b = await node(prefix, 'b');
    const { url } = await serve(a);
    const post = (path: string, token?: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });

    expect((await post('/services/pay/force-open?scope=fleet')).status).toBe(401);
    expect((await post('/services/pay/force-open?scope=world', TOKEN)).status).toBe(400);
    expect(a.state('pay')).toBe('closed');

    const forced = next(b, 'forced-open');
    const res = await post('/services/pay/force-open?scope=fleet', TOKEN);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      service: 'pay',
      action: 'force-open',
      scope: 'fleet',
      state: 'forced-open',
    });
    expect(await forced).toMatchObject({ reason: 'fleet', origin: 'a' });

    const closed = next(b, 'closed');
    expect((await post('/services/pay/reset?scope=fleet', TOKEN)).status).toBe(200);
    expect(await closed).toMatchObject({ reason: 'fleet', origin: 'a' });

    // A service kept local (fleet: false): scope=fleet is 400 and changes nothing; local works.
    a.register('audit', { fleet: false });
    const refused = await post('/services/audit/force-open?scope=fleet', TOKEN);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/fleet: false/);
    expect(a.state('audit')).toBe('closed');
    expect((await post('/services/audit/force-open', TOKEN)).status).toBe(200);
    expect(a.state('audit')).toBe('forced-open');
  });

  it('answers 400 for scope=fleet on a supervisor without a fleet', async () => {
    const sup = new Supervisor();
    sup.register('pay');
    cleanups.push(() => sup.close());
    const { url } = await serve(sup);
    const res = await fetch(`${url}/services/pay/disable?scope=fleet`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(400);
    expect(sup.state('pay')).toBe('closed');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).not.toContain('breakwater_fleet_');
  });

  it('exposes the fleet connection, propagated transitions, lease wins and Redis errors in /metrics', async () => {
    const prefix = `h${++prefixN}:`;
    const a = await node(prefix, 'a');
    const b = await node(prefix, 'b');
    const { url } = await serve(b);
    const opened = next(b, 'open');
    for (let i = 0; i < 5; i++) await a.run('pay', () => Promise.reject(new Error('down'))).catch(() => {});
    await opened;
    // Peers are learnt from heartbeats (every 100 ms here): wait for b's to have seen a's.
    for (let i = 0; i < 10_000 && b.fleetStatus()?.peers.length !== 1; i++) await redis.admin.ping();
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^breakwater_fleet_connected\{node="b"\} 1$/m);
    expect(text).toMatch(/^breakwater_fleet_degraded\{node="b"\} 0$/m);
    expect(text).toMatch(/^breakwater_fleet_adopted_total\{node="b"\} 1$/m);
    expect(text).toMatch(/^breakwater_fleet_published_total\{node="b"\} 0$/m);
    expect(text).toMatch(/^breakwater_fleet_lease_wins_total\{node="b"\} 0$/m);
    expect(text).toMatch(/^breakwater_fleet_redis_errors_total\{node="b"\} 0$/m);
    expect(text).toMatch(/^breakwater_fleet_peers\{node="b"\} 1$/m);
    expect(text).toMatch(/^breakwater_fleet_lag_seconds\{node="b"\} [\d.e-]+$/m);
  });
});
