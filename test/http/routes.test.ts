/**
 * Routing, status codes and lifecycle of the admin server: /health as a probe, 404/405/413/421,
 * JSON errors without stack traces, HEAD, the dashboard's headers, listen/close/asyncDispose.
 */
import { describe, expect, it, vi } from 'vitest';
import { createAdminServer } from '../../src/http/index.ts';
import { Supervisor } from '../../src/index.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { fail, request, SseClient, startRig, TEST_SERVICE } from './helpers.ts';

interface HealthBody {
  status: string;
  now: number;
  eventId: string;
  services: Record<
    string,
    { state: string; healthy: boolean; message: string; metrics: Record<string, unknown> }
  >;
}

describe('GET /health', () => {
  it('is 200 ok when every breaker is closed, with state, health, message and metrics per service', async () => {
    await using rig = await startRig(['alpha', 'beta']);
    await rig.sup.run('alpha', () => 1);
    const res = await request(rig.url, '/health');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<HealthBody>();
    expect(body.status).toBe('ok');
    expect(body.now).toBe(rig.clock.now());
    expect(body.eventId).toMatch(/^[0-9a-v]{10}-0$/);
    expect(Object.keys(body.services).sort()).toEqual(['alpha', 'beta']);
    const alpha = body.services.alpha!;
    expect(alpha.state).toBe('closed');
    expect(alpha.healthy).toBe(true);
    expect(typeof alpha.message).toBe('string');
    expect(alpha.metrics).toMatchObject({
      service: 'alpha',
      state: 'closed',
      totalRequests: 1,
      successfulRequests: 1,
    });
  });

  it('is 200 degraded when some breakers are open, and still 200 (a report, not a probe) when all are', async () => {
    await using rig = await startRig(['alpha', 'beta']);
    await fail(rig.sup, 'alpha');
    const degraded = await request(rig.url, '/health');
    expect(degraded.status).toBe(200);
    expect(degraded.json<HealthBody>().status).toBe('degraded');
    expect(degraded.json<HealthBody>().services.alpha).toMatchObject({ state: 'open', healthy: false });
    expect(degraded.json<HealthBody>().eventId).toMatch(/-1$/);

    await fail(rig.sup, 'beta');
    const down = await request(rig.url, '/health');
    expect(down.status).toBe(200);
    expect(down.json<HealthBody>().status).toBe('down');

    rig.sup.reset('alpha');
    const back = await request(rig.url, '/health');
    expect(back.status).toBe(200);
    expect(back.json<HealthBody>().status).toBe('degraded');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    await using rig = await startRig(['alpha']);
    const res = await request(rig.url, '/health', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(Number(res.headers['content-length'])).toBeGreaterThan(10);
  });
});

describe('errors', () => {
  it('404s unknown paths with a JSON error', async () => {
    await using rig = await startRig(['alpha']);
    for (const path of ['/nope', '/health/', '/services/alpha', '/services/alpha/explode', '/metrics/x']) {
      const res = await request(rig.url, path, { method: path.startsWith('/services') ? 'POST' : 'GET' });
      expect(res.status, path).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'ERR_NOT_FOUND', message: expect.any(String) } });
    }
  });

  it('405s wrong methods with an Allow header', async () => {
    await using rig = await startRig(['alpha']);
    const cases: [string, string, string][] = [
      ['POST', '/health', 'GET, HEAD'],
      ['DELETE', '/metrics', 'GET, HEAD'],
      ['PUT', '/', 'GET, HEAD'],
      ['POST', '/events', 'GET'],
      ['GET', '/services/alpha/reset', 'POST'],
      ['DELETE', '/services/alpha/force-open', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await request(rig.url, path, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.allow).toBe(allow);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('ERR_METHOD_NOT_ALLOWED');
    }
  });

  it('413s bodies larger than maxBodyBytes, declared or chunked', async () => {
    await using rig = await startRig(['alpha'], { token: 'secret-token', maxBodyBytes: 100 });
    const auth = { authorization: 'Bearer secret-token' };
    const big = 'x'.repeat(101);
    for (const [path, method] of [
      ['/health', 'GET'],
      ['/services/alpha/reset', 'POST'],
    ] as const) {
      const res = await request(rig.url, path, { method, body: big, headers: auth });
      expect(res.status, path).toBe(413);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('ERR_PAYLOAD_TOO_LARGE');
    }
    const chunked = await request(rig.url, '/services/alpha/reset', {
      method: 'POST',
      body: big,
      chunked: true,
      headers: auth,
    });
    expect(chunked.status).toBe(413);
    const fits = await request(rig.url, '/services/alpha/reset', {
      method: 'POST',
      body: 'x'.repeat(100),
      headers: auth,
    });
    expect(fits.status).toBe(200);
  });

  it('answers an unexpected exception with a fixed 500 message, never its stack or text', async () => {
    const clock = new ManualClock();
    const sup = new Supervisor({ clock });
    sup.register('alpha', TEST_SERVICE);
    const secret = new Error('db password is hunter2');
    vi.spyOn(sup, 'health').mockImplementation(() => {
      throw secret;
    });
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    await using server = createAdminServer(sup, { logger });
    const { url } = await server.listen();
    const res = await request(url, '/health');
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'ERR_INTERNAL', message: 'internal server error' } });
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toMatch(/\bat .*\.ts:\d+/);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0]![0]).toMatchObject({ err: secret, path: '/health' });
    await sup.close();
  });

  it('421s a Host it does not serve (DNS rebinding guard), and accepts loopback names', async () => {
    await using rig = await startRig(['alpha']);
    const port = new URL(rig.url).port;
    const evil = await request(rig.url, '/health', { headers: { host: `evil.example:${port}` } });
    expect(evil.status).toBe(421);
    expect(evil.json<{ error: { code: string } }>().error.code).toBe('ERR_MISDIRECTED_REQUEST');
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      expect((await request(rig.url, '/health', { headers: { host } })).status, host).toBe(200);
    }
  });

  it('serves any Host given in allowedHosts', async () => {
    await using rig = await startRig(['alpha'], { allowedHosts: ['admin.internal'] });
    expect((await request(rig.url, '/health', { headers: { host: 'admin.internal:80' } })).status).toBe(200);
    expect((await request(rig.url, '/health', { headers: { host: 'localhost' } })).status).toBe(421);
  });

  it('400s a malformed percent-encoding in a service name', async () => {
    await using rig = await startRig(['alpha'], { token: 'secret-token' });
    const res = await request(rig.url, '/services/%E0%A4%A/reset', {
      method: 'POST',
      headers: { authorization: 'Bearer secret-token' },
    });
    expect(res.status).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('ERR_BAD_REQUEST');
  });
});

describe('GET /', () => {
  it('serves the self-contained dashboard with a nonce CSP and no external resources', async () => {
    await using rig = await startRig(['alpha']);
    const res = await request(rig.url, '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(res.body).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(res.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const again = await request(rig.url, '/');
    expect(again.headers['content-security-policy']).not.toBe(csp);
  });
});

describe('lifecycle', () => {
  it('binds 127.0.0.1 on an ephemeral port by default', async () => {
    await using rig = await startRig([]);
    expect(rig.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(rig.server.url).toBe(rig.url);
    expect(await rig.server.listen()).toEqual({ url: rig.url, port: Number(new URL(rig.url).port) });
  });

  it('url throws before listen; close is idempotent; listen after close rejects', async () => {
    const sup = new Supervisor({ clock: new ManualClock() });
    const server = createAdminServer(sup);
    expect(() => server.url).toThrow(/not listening/);
    await server.close();
    await server.close();
    await expect(server.listen()).rejects.toThrow(/closed/);
    await sup.close();
  });

  it('close() ends open streams, closes keep-alive sockets and removes every listener', async () => {
    const sup = new Supervisor({ clock: new ManualClock() });
    sup.register('alpha', TEST_SERVICE);
    const baseline = {
      stateChange: sup.listenerCount('stateChange'),
      callSucceeded: sup.listenerCount('callSucceeded'),
      callRejected: sup.listenerCount('callRejected'),
    };
    const server = createAdminServer(sup);
    const { url } = await server.listen();
    expect(sup.listenerCount('stateChange')).toBe(baseline.stateChange + 2);
    const stream = await SseClient.open(url, '/events?calls=1');
    expect(sup.listenerCount('callRejected')).toBe(baseline.callRejected + 1);
    const keepAlive = await fetch(`${url}/health`);
    await keepAlive.text();
    await server.close();
    await stream.ended;
    expect(server.sseClients).toBe(0);
    expect(sup.listenerCount('stateChange')).toBe(baseline.stateChange);
    expect(sup.listenerCount('callSucceeded')).toBe(baseline.callSucceeded);
    expect(sup.listenerCount('callRejected')).toBe(baseline.callRejected);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await sup.close();
  });

  it('reports a port already in use from listen(), and a later listen() can retry', async () => {
    await using rig = await startRig([]);
    const port = Number(new URL(rig.url).port);
    const second = createAdminServer(rig.sup, { port });
    await expect(second.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await rig.server.close();
    expect(await second.listen()).toEqual({ url: `http://127.0.0.1:${port}`, port });
    await second.close();
  });

  it('close() during listen() waits for the bind and leaves nothing behind', async () => {
    const sup = new Supervisor({ clock: new ManualClock() });
    const before = sup.listenerCount('stateChange');
    const server = createAdminServer(sup);
    const listening = server.listen();
    await server.close();
    const { url } = await listening;
    expect(sup.listenerCount('stateChange')).toBe(before);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await sup.close();
  });
});
