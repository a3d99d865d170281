/** The example handlers in workers/examples/, run in real pools (HTTP against 127.0.0.1 only). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPoolExecutor, resolvePoolOptions } from '../../src/pool/index.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { outcome } from './helpers.ts';

const example = (name: string): URL => new URL(`../../workers/examples/${name}`, import.meta.url);

function pool(name: string) {
  const options = resolvePoolOptions({ worker: example(name), threads: { min: 1, max: 1 } });
  if (options === undefined) throw new Error('no worker');
  const p = createPoolExecutor(name, options, { clock: new ManualClock(0), logger: undefined });
  return {
    pool: p,
    call: (handler: string, args: unknown[]) =>
      p.call({ handler, args, timeoutMs: 0, signal: undefined, transferList: undefined }),
  };
}

describe('json example', () => {
  const json = pool('json.ts');
  afterAll(() => json.pool.close({ drain: false, timeoutMs: 0 }));

  it('summarizes, picks and reports parse errors as SyntaxError', async () => {
    const text = JSON.stringify({ a: [1, 2, { b: 'x' }], c: { d: { e: true } } });
    expect(await json.call('summarize', [text])).toEqual({
      bytes: text.length,
      values: 9,
      depth: 4,
      keys: ['a', 'c'],
    });
    expect(await json.call('pick', [text, 'c.d.e'])).toBe(true);
    const bad = await outcome(json.call('parse', ['{nope']));
    expect((bad as { error: Error }).error.name).toBe('SyntaxError');
  });
});

describe('http example', () => {
  const http = pool('http.ts');
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/data') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ city: 'Paris', lat: 48.85 }));
      } else {
        res.writeHead(503);
        res.end('down');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await http.pool.close({ drain: false, timeoutMs: 0 });
    await new Promise((resolve) => server.close(resolve));
  });

  it('fetches and parses in the worker; an error status is an HttpError with its code', async () => {
    expect(await http.call('fetchJson', [`${base}/data`])).toEqual({
      status: 200,
      body: { city: 'Paris', lat: 48.85 },
    });
    const r = await outcome(http.call('fetchJson', [`${base}/down`]));
    expect((r as { error: unknown }).error).toMatchObject({
      name: 'HttpError',
      code: 'HTTP_503',
      status: 503,
    });
    expect(await http.call('fetchText', [`${base}/down`])).toEqual({ status: 503, body: 'down' });
  });
});
