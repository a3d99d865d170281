/**
 * breakwater/undici against real local HTTP servers on 127.0.0.1: a scripted flaky upstream whose
 * every answer the test decides, a port nobody listens on, and an upstream that hangs. Breakers run
 * on a ManualClock; nothing waits on wall-clock time except real sockets answering.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isCallTimeoutError,
  isCircuitOpenError,
  isHalfOpenFullError,
  ManualClock,
  Supervisor,
} from '../../src/index.ts';
import { breakerInterceptor, FailureStatusError } from '../../src/undici/index.ts';

type Script = (req: IncomingMessage, res: ServerResponse) => void;

interface Upstream {
  readonly origin: string;
  /** Requests that reached the server. */
  hits: number;
  /** How the next requests are answered. */
  script: Script;
  close(): Promise<void>;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function upstream(script: Script = (_req, res) => res.end('ok')): Promise<Upstream> {
  const u = { hits: 0, script } as Upstream & { server: Server };
  const server = createServer((req, res) => {
    u.hits++;
    u.script(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(u, {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  cleanup.push(() => u.close());
  return u;
}

function setup(options: Omit<Parameters<typeof breakerInterceptor>[0], 'supervisor'> = {}) {
  const clock = new ManualClock();
  const sup = new Supervisor({ clock });
  const interceptor = breakerInterceptor({
    supervisor: sup,
    service: { breaker: { trip: { kind: 'consecutive', threshold: 2 }, openMs: 1_000, callTimeoutMs: 0 } },
    ...options,
  });
  const dispatcher = new Agent().compose(interceptor);
  cleanup.push(async () => {
    await dispatcher.close();
    await sup.close();
  });
  return { clock, sup, interceptor, dispatcher };
}

const status =
  (code: number): Script =>
  (_req, res) => {
    res.statusCode = code;
    res.end(`status ${code}`);
  };

describe('breakerInterceptor', () => {
  it('passes answers through and keeps one service per origin', async () => {
    const a = await upstream();
    const b = await upstream(status(201));
    const { sup, interceptor, dispatcher } = setup();
    const ra = await request(a.origin, { dispatcher });
    expect([ra.statusCode, await ra.body.text()]).toEqual([200, 'ok']);
    const rb = await fetch(`${b.origin}/x`, { dispatcher });
    expect([rb.status, await rb.text()]).toEqual([201, 'status 201']);
    expect(sup.services()).toEqual([`http ${a.origin}`, `http ${b.origin}`]);
    expect(interceptor.services).toBe(2);
    expect(sup.metrics(`http ${a.origin}`)).toMatchObject({ successfulRequests: 1, failedRequests: 0 });
  });

  it('counts 5xx as failures (not 4xx), opens, then answers ERR_CIRCUIT_OPEN without the upstream', async () => {
    const u = await upstream(status(404));
    const { sup, dispatcher } = setup();
    const name = `http ${u.origin}`;
    for (let i = 0; i < 3; i++) await (await request(u.origin, { dispatcher })).body.dump();
    expect(sup.state(name)).toBe('closed');
    const failures: unknown[] = [];
    sup.on('callFailed', (e) => failures.push(e.error));
    u.script = status(503);
    for (let i = 0; i < 2; i++) {
      const r = await request(u.origin, { dispatcher });
      expect(r.statusCode).toBe(503); // the caller gets the real answer
      await r.body.dump();
    }
    expect(sup.state(name)).toBe('open');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toBeInstanceOf(FailureStatusError);
    expect(failures[0]).toMatchObject({ code: 'ERR_FAILURE_STATUS', statusCode: 503, service: name });
    const hits = u.hits;
    const viaRequest = await request(u.origin, { dispatcher }).catch((e: unknown) => e);
    expect(isCircuitOpenError(viaRequest)).toBe(true);
    const viaFetch = await fetch(u.origin, { dispatcher }).catch((e: { cause?: unknown }) => e.cause);
    expect(isCircuitOpenError(viaFetch)).toBe(true);
    expect(u.hits).toBe(hits);
    expect(sup.metrics(name)).toMatchObject({
      successfulRequests: 3,
      failedRequests: 2,
      rejectedRequests: 2,
    });
  });

  it('gives every rejected request its own ERR_CIRCUIT_OPEN, with the wait as of that request', async () => {
    const u = await upstream(status(500));
    const { clock, sup, dispatcher } = setup();
    const name = `http ${u.origin}`;
    for (let i = 0; i < 2; i++) await (await request(u.origin, { dispatcher })).body.dump();
    expect(sup.state(name)).toBe('open');
    clock.advance(400);
    const first = await request(u.origin, { dispatcher }).catch((e: unknown) => e);
    clock.advance(200);
    const second = await request(u.origin, { dispatcher }).catch((e: unknown) => e);
    expect(isCircuitOpenError(first) && isCircuitOpenError(second)).toBe(true);
    expect(first).not.toBe(second);
    expect(first).toMatchObject({ service: name, retryAfterMs: 600 });
    expect(second).toMatchObject({ service: name, retryAfterMs: 400 });
    expect(u.hits).toBe(2);
  });

  it('answers ERR_HALF_OPEN_FULL while the probes are out, and passes the probe through', async () => {
    const u = await upstream(status(500));
    const { clock, sup, dispatcher } = setup({
      service: {
        breaker: {
          trip: { kind: 'consecutive', threshold: 1 },
          openMs: 1_000,
          halfOpen: { maxCalls: 1, successThreshold: 1 },
          callTimeoutMs: 0,
        },
      },
    });
    const name = `http ${u.origin}`;
    await (await request(u.origin, { dispatcher })).body.dump();
    clock.advance(1_000);
    expect(sup.state(name)).toBe('half-open');
    let answer: () => void = () => undefined;
    const probeArrived = new Promise<void>((resolve) => {
      u.script = (_req, res) => {
        answer = () => res.end('probe');
        resolve();
      };
    });
    const probe = request(u.origin, { dispatcher });
    await probeArrived;
    const refused = await request(u.origin, { dispatcher }).catch((e: unknown) => e);
    expect(isHalfOpenFullError(refused)).toBe(true);
    expect(u.hits).toBe(2);
    answer();
    const r = await probe;
    expect([r.statusCode, await r.body.text()]).toEqual([200, 'probe']);
    expect(sup.state(name)).toBe('closed');
  });

  it('recovers through half-open probes once the upstream is healthy again', async () => {
    const u = await upstream(status(500));
    const { clock, sup, dispatcher } = setup();
    const name = `http ${u.origin}`;
    for (let i = 0; i < 2; i++) await (await request(u.origin, { dispatcher })).body.dump();
    expect(sup.state(name)).toBe('open');
    u.script = status(200);
    clock.advance(1_000);
    expect(sup.state(name)).toBe('half-open');
    for (let i = 0; i < 3; i++) await (await request(u.origin, { dispatcher })).body.dump();
    expect(sup.state(name)).toBe('closed');
  });

  it('counts a refused connection as a failure and passes the error on', async () => {
    const u = await upstream();
    const origin = u.origin;
    await u.close();
    const { sup, dispatcher } = setup();
    const e1 = await request(origin, { dispatcher }).catch((e: { code?: string }) => e.code);
    expect(e1).toBe('ECONNREFUSED');
    await request(origin, { dispatcher }).catch(() => undefined);
    expect(sup.state(`http ${origin}`)).toBe('open');
  });

  it("answers with the service's fallback response while open", async () => {
    const u = await upstream(status(502));
    const { sup, dispatcher } = setup({
      service: {
        breaker: { trip: { kind: 'consecutive', threshold: 1 }, callTimeoutMs: 0 },
        fallback: { value: { statusCode: 503, headers: { 'Retry-After': '30' }, body: '{"cached":true}' } },
      },
    });
    await (await request(u.origin, { dispatcher })).body.dump();
    expect(sup.state(`http ${u.origin}`)).toBe('open');
    const r = await fetch(`${u.origin}/items`, { dispatcher });
    expect([r.status, r.headers.get('retry-after'), await r.json()]).toEqual([503, '30', { cached: true }]);
    expect(u.hits).toBe(1);
    expect(sup.metrics(`http ${u.origin}`).fallbacks).toBe(1);
  });

  it("ends a fallback response with the caller's abort reason when the caller aborted", async () => {
    const u = await upstream(status(502));
    const { dispatcher } = setup({
      service: {
        breaker: { trip: { kind: 'consecutive', threshold: 1 }, callTimeoutMs: 0 },
        fallback: { value: { statusCode: 503, body: 'fallback' } },
      },
    });
    await (await request(u.origin, { dispatcher })).body.dump();
    const reason = new Error('caller gave up');
    const error = await request(u.origin, { dispatcher, signal: AbortSignal.abort(reason) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBe(reason);
    expect(u.hits).toBe(1);
  });

  it('streams the body: the caller reads the start while the upstream is still writing', async () => {
    let finish: () => void = () => undefined;
    const u = await upstream((_req, res) => {
      res.write('first-');
      finish = () => res.end('last');
    });
    const { sup, dispatcher } = setup();
    const r = await request(u.origin, { dispatcher });
    const reader = r.body[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(String(first.value)).toBe('first-'); // arrived before the upstream finished
    expect(sup.metrics(`http ${u.origin}`).successfulRequests).toBe(1); // verdict at the answer's start
    finish();
    let rest = '';
    for (let c = await reader.next(); !c.done; c = await reader.next()) rest += String(c.value);
    expect(rest).toBe('last');
  });

  it("bounds a hanging upstream with the service's call timeout (ERR_CALL_TIMEOUT, a failure)", async () => {
    const u = await upstream(() => undefined); // never answers
    const { clock, sup, dispatcher } = setup({
      service: { breaker: { trip: { kind: 'consecutive', threshold: 1 }, callTimeoutMs: 500 } },
    });
    const name = `http ${u.origin}`;
    const started = new Promise<void>((resolve) => {
      u.script = () => resolve();
    });
    const pending = request(u.origin, { dispatcher }).catch((e: unknown) => e);
    await started;
    clock.advance(500);
    const error = await pending;
    expect(isCallTimeoutError(error)).toBe(true);
    expect(sup.state(name)).toBe('open');
    expect(sup.metrics(name).timedOutRequests).toBe(1);
  });

  it('stops a request in flight with ERR_SUPERVISOR_CLOSED when the supervisor closes', async () => {
    const u = await upstream(() => undefined); // never answers
    const { sup, dispatcher } = setup({ service: { breaker: { callTimeoutMs: 5_000 } } });
    const started = new Promise<void>((resolve) => {
      u.script = () => resolve();
    });
    const pending = request(u.origin, { dispatcher }).catch((e: { code?: string }) => e.code);
    await started;
    await sup.close();
    expect(await pending).toBe('ERR_SUPERVISOR_CLOSED');
  });

  it('keeps at most maxServices, unregistering the least recently used', async () => {
    const [a, b, c] = [await upstream(), await upstream(), await upstream()];
    const { sup, interceptor, dispatcher } = setup({ maxServices: 2 });
    for (const u of [a, b, a, c]) await (await request(u.origin, { dispatcher })).body.dump();
    expect(interceptor.services).toBe(2);
    expect(sup.has(`http ${a.origin}`)).toBe(true);
    expect(sup.has(`http ${b.origin}`)).toBe(false); // least recently used
    expect(sup.has(`http ${c.origin}`)).toBe(true);
  });

  it('uses a service the user registered under the key name, and a custom key and status rule', async () => {
    const u = await upstream(status(429));
    const { sup, dispatcher } = setup({
      key: (req) => `${req.method} ${req.path.split('?')[0]}`,
      serviceName: (key) => key,
      isFailureStatus: (code) => code === 429 || code >= 500,
    });
    sup.register('GET /mine', { breaker: { trip: { kind: 'consecutive', threshold: 1 }, callTimeoutMs: 0 } });
    await (await request(`${u.origin}/mine?x=1`, { dispatcher })).body.dump();
    expect(sup.state('GET /mine')).toBe('open');
    await (await request(`${u.origin}/other`, { dispatcher })).body.dump();
    expect(sup.state('GET /other')).toBe('closed'); // threshold 2 from the template
  });

  it('validates its options', () => {
    const sup = new Supervisor();
    cleanup.push(() => sup.close());
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return [(e as { code?: string }).code, (e as { field?: string }).field];
      }
      return undefined;
    };
    expect(codeOf(() => breakerInterceptor({ supervisor: {} as Supervisor }))).toEqual([
      'ERR_INVALID_OPTION',
      'options.supervisor',
    ]);
    expect(codeOf(() => breakerInterceptor({ supervisor: sup, maxServices: 0 }))).toEqual([
      'ERR_INVALID_OPTION',
      'options.maxServices',
    ]);
    expect(codeOf(() => breakerInterceptor({ supervisor: sup, service: { worker: 'x.js' } }))).toEqual([
      'ERR_INVALID_OPTION',
      'options.service.worker',
    ]);
    expect(codeOf(() => breakerInterceptor({ supervisor: sup, maxService: 3 } as never))).toEqual([
      'ERR_INVALID_OPTION',
      'options.maxService',
    ]);
  });
});
