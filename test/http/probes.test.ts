/**
 * The probe routes and their policy: /livez (alive unless the supervisor is closed), /readyz (not
 * ready only for a closed supervisor or a broken pool; never for breaker states, fallback or not),
 * /health as a report that answers 200 however many breakers are open; request targets that look
 * like URLs of their own (`//health`); and a custom trip policy whose stats() throws, which only
 * costs its own service its figures.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createAdminServer } from '../../src/http/index.ts';
import type { AdminSupervisor } from '../../src/http/types.ts';
import { Supervisor } from '../../src/index.ts';
import type { TripPolicy } from '../../src/policy/types.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import type { ServiceMetrics } from '../../src/types.ts';
import { fail, parseMetrics, request, sample, startRig, TEST_SERVICE } from './helpers.ts';

/** A raw request line on its own socket: the target goes on the wire exactly as written. */
function rawGet(url: string, target: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(text));
    socket.end(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  });
}

const statusOf = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);

describe('GET /livez and /readyz', () => {
  it('stay 200 while every breaker is open, with a fallback or without one; /health reports it', async () => {
    await using rig = await startRig(['plain']);
    rig.sup.register('cached', { ...TEST_SERVICE, fallback: { value: 'stale' } });
    await fail(rig.sup, 'plain');
    await fail(rig.sup, 'cached');
    expect(rig.sup.state('plain')).toBe('open');
    expect(rig.sup.state('cached')).toBe('open');

    const live = await request(rig.url, '/livez');
    expect([live.status, live.json()]).toEqual([200, { status: 'alive' }]);
    const ready = await request(rig.url, '/readyz');
    expect([ready.status, ready.json()]).toEqual([200, { ready: true, reasons: [] }]);
    const health = await request(rig.url, '/health');
    expect(health.status).toBe(200);
    expect(health.json().status).toBe('down');
    expect((await request(rig.url, '/readyz', { method: 'HEAD' })).status).toBe(200);
    expect((await request(rig.url, '/livez', { method: 'POST' })).status).toBe(405);
  });

  it('answer 503 once the supervisor is closed', async () => {
    await using rig = await startRig(['alpha']);
    await rig.sup.close();
    const live = await request(rig.url, '/livez');
    expect([live.status, live.json()]).toEqual([
      503,
      { status: 'closed', message: 'the supervisor is closed' },
    ]);
    const ready = await request(rig.url, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json()).toEqual({
      ready: false,
      reasons: [{ reason: 'supervisor-closed', message: 'the supervisor is closed' }],
    });
  });

  it('/readyz answers 503 naming the service whose pool is broken', async () => {
    const sup = new Supervisor({ clock: new ManualClock(0) });
    sup.register('thumbs', TEST_SERVICE);
    sup.register('geo', TEST_SERVICE);
    let broken = false;
    const pool = (): NonNullable<ServiceMetrics['pool']> => ({
      threads: 1,
      retiring: 0,
      retirements: 0,
      queued: 0,
      running: 0,
      utilization: 0,
      restarts: 0,
      crashes: 0,
      terminations: 1,
      broken,
    });
    // The readiness policy reads pool figures through the AdminSupervisor API, like any wrapper.
    const wrapped: AdminSupervisor = {
      clock: sup.clock,
      get closed() {
        return sup.closed;
      },
      services: () => sup.services(),
      has: (name) => sup.has(name),
      state: (name) => sup.state(name),
      metrics: (name) => sup.metrics(name),
      counters: (name) => (name === 'thumbs' ? { ...sup.counters(name), pool: pool() } : sup.counters(name)),
      allMetrics: () => sup.allMetrics(),
      health: () => sup.health(),
      reset: (name) => sup.reset(name),
      forceOpen: (name) => sup.forceOpen(name),
      disable: (name) => sup.disable(name),
      on: sup.on.bind(sup),
      off: sup.off.bind(sup),
    };
    await using server = createAdminServer(wrapped);
    const { url } = await server.listen();
    expect((await request(url, '/readyz')).status).toBe(200);
    broken = true;
    const res = await request(url, '/readyz');
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({
      ready: false,
      reasons: [{ reason: 'pool-broken', service: 'thumbs', message: 'closed: calls flow normally' }],
    });
    expect((await request(url, '/livez')).status).toBe(200);
    await sup.close();
  });
});

describe('request targets', () => {
  it('reads //health as a path (404), never as a host named "health"', async () => {
    await using rig = await startRig(['alpha']);
    for (const target of ['//health', '//health/', '//127.0.0.1/health', '///health']) {
      const raw = await rawGet(rig.url, target);
      expect(statusOf(raw), target).toBe(404);
      expect(raw, target).toContain('ERR_NOT_FOUND');
    }
    expect(statusOf(await rawGet(rig.url, '/health'))).toBe(200);
    // Absolute-form, which HTTP/1.1 servers must accept: only its path and query count.
    expect(statusOf(await rawGet(rig.url, `${rig.url}/readyz`))).toBe(200);
    expect(statusOf(await rawGet(rig.url, `http://127.0.0.1//health`))).toBe(404);
    expect(statusOf(await rawGet(rig.url, '*'))).toBe(400);
  });
});

describe('a custom trip policy whose stats() throws', () => {
  const throwingPolicy = (): TripPolicy => ({
    kind: 'custom-broken',
    needsTimeOnSuccess: false,
    slowCallMs: undefined,
    onSuccess: () => null,
    onFailure: () => null,
    reset: () => undefined,
    consecutiveFailures: () => 0,
    stats: () => {
      throw new Error('stats exploded');
    },
    toJSON: () => null,
    restore: () => undefined,
  });

  it('costs only its own service its figures on /health, /metrics and /readyz', async () => {
    const errors: unknown[] = [];
    const logger = { info: () => undefined, warn: () => undefined, error: (o: object) => errors.push(o) };
    await using rig = await startRig(['good'], { logger });
    rig.sup.register('bad', { breaker: { trip: { kind: 'custom', create: throwingPolicy } } });
    await rig.sup.run('good', () => 1);
    await rig.sup.run('bad', () => 2);

    const health = await request(rig.url, '/health');
    expect(health.status).toBe(200);
    const services = health.json<{ services: Record<string, { metrics: unknown; message: string }> }>()
      .services;
    expect(services.good!.metrics).toMatchObject({ successfulRequests: 1 });
    expect(services.bad!.metrics).toBeNull();
    expect(services.bad!.message).toMatch(/metrics unavailable/);
    expect(health.body).not.toContain('stats exploded');

    const metrics = await request(rig.url, '/metrics');
    expect(metrics.status).toBe(200);
    const { samples } = parseMetrics(metrics.body);
    expect(sample(samples, 'breakwater_calls_total', { service: 'good', outcome: 'success' })).toBe(1);
    expect(sample(samples, 'breakwater_circuit_state', { service: 'bad', state: 'closed' })).toBe(1);
    expect(sample(samples, 'breakwater_metrics_unavailable', { service: 'bad' })).toBe(1);
    expect(sample(samples, 'breakwater_metrics_unavailable', { service: 'good' })).toBeUndefined();
    expect(sample(samples, 'breakwater_calls_total', { service: 'bad', outcome: 'success' })).toBeUndefined();

    expect((await request(rig.url, '/readyz')).status).toBe(200);
    // Reported once to the logger, not once per read.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      service: 'bad',
      err: expect.objectContaining({ message: 'stats exploded' }),
    });
  });
});
