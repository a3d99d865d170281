/**
 * Exhaustion guards of the admin server, with a bounded number of real sockets on 127.0.0.1: a
 * flood of idle or half-sent connections (slowloris) past `maxConnections` never stops /health
 * from answering, because the oldest idle connections are evicted; streams and requests in
 * progress are never evicted; a request head that never ends is closed after `headersTimeoutMs`.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { request, SseClient, startRig } from './helpers.ts';

/** Opens `n` sockets and waits until each is connected; `first` is written on each at once. */
async function flood(url: string, n: number, first: string): Promise<Socket[]> {
  const port = Number(new URL(url).port);
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined); // evicted sockets see ECONNRESET
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    if (first !== '') socket.write(first);
  }
  return sockets;
}

const closed = (s: Socket): Promise<void> =>
  s.destroyed ? Promise.resolve() : new Promise((resolve) => s.once('close', () => resolve()));

describe('connection limits', () => {
  it('keeps answering /health through a flood of half-sent requests past maxConnections', async () => {
    await using rig = await startRig(['alpha'], { maxConnections: 40, maxSseClients: 4 });
    const stream = await SseClient.open(rig.url);
    // 200 sockets, each with a request head that never ends (slowloris).
    const partial = await flood(rig.url, 200, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    for (let round = 0; round < 5; round++) {
      const res = await request(rig.url, '/health');
      expect(res.status).toBe(200);
    }
    // The oldest ones were evicted to make room (the stream holds one of the 40 places).
    await Promise.all(partial.slice(0, 200 - 40).map(closed));
    // The event stream opened before the flood is still live.
    await rig.sup.run('alpha', () => 1);
    rig.sup.forceOpen('alpha');
    await stream.waitForEvents('stateChange', 1);
    stream.close();
    for (const s of partial) s.destroy();
  });

  it('keeps answering /health through a flood of sockets that send nothing at all', async () => {
    await using rig = await startRig([], { maxConnections: 32, maxSseClients: 1 });
    const idle = await flood(rig.url, 150, '');
    expect((await request(rig.url, '/health')).status).toBe(200);
    expect((await request(rig.url, '/livez')).status).toBe(200);
    // Everything but the newest 32 - 1 (room for the request just made) was evicted, oldest first.
    await Promise.all(idle.slice(0, 150 - 32).map(closed));
    expect(idle.slice(0, 150 - 32).every((s) => s.destroyed)).toBe(true);
    for (const s of idle) s.destroy();
  });

  it('closes a connection whose request head does not arrive within headersTimeoutMs', async () => {
    await using rig = await startRig([], { headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const [slow] = await flood(rig.url, 1, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let answer = '';
    slow!.setEncoding('utf8');
    slow!.on('data', (chunk: string) => {
      answer += chunk;
    });
    await closed(slow!);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('validates the limits: maxConnections above maxSseClients, requestTimeoutMs >= headersTimeoutMs', async () => {
    await using rig = await startRig([]);
    const { createAdminServer } = await import('../../src/http/index.ts');
    expect(() => createAdminServer(rig.sup, { maxConnections: 10, maxSseClients: 10 })).toThrow(
      /maxConnections must be an integer > maxSseClients \(10\), got 10/,
    );
    expect(() => createAdminServer(rig.sup, { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).toThrow(
      /requestTimeoutMs must be an integer >= headersTimeoutMs \(5000\), got 1000/,
    );
    expect(() => createAdminServer(rig.sup, { maxConnections: 1 })).toThrow(/maxConnections/);
  });
});
