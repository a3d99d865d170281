/**
 * The upstream of the end-to-end scenario, run as a **child process** (`child_process.fork`), so
 * it shares neither a heap nor an event loop with the API server. GET /data answers a JSON
 * document whose size depends on the mode the parent sets over IPC:
 * - `healthy`: ~2 KB (30 items);
 * - `heavy`: ~2 MB (expensive to parse: ~35,000 items);
 * - `down`: the request is accepted and never answered (a dead upstream that hangs), until the
 *   mode changes or the caller gives up.
 * It counts every request it receives per `?via=` tag, so the bench can tell how many requests a
 * dead upstream received from each API server (only probes, once the breaker is open).
 * Every IPC message `{ id, ... }` is answered with `{ id, received }`. The process exits when its
 * parent disconnects, so a bench that dies never leaves it running.
 */
import { createServer } from 'node:http';

function doc(items) {
  return Buffer.from(
    JSON.stringify({
      items: Array.from({ length: items }, (_, i) => ({
        id: i,
        name: `item-${i}`,
        price: (i * 37) % 1000,
        tags: ['a', 'b'],
      })),
    }),
  );
}
const bodies = { healthy: doc(30), heavy: doc(35_000) };
let mode = 'healthy';
const received = {};
const held = new Set();

function release() {
  for (const res of held) res.destroy();
  held.clear();
}

const server = createServer((req, res) => {
  const via = /[?&]via=([\w-]+)/.exec(req.url ?? '')?.[1] ?? 'other';
  received[via] = (received[via] ?? 0) + 1;
  if (mode === 'down') {
    held.add(res);
    res.on('close', () => held.delete(res));
    return;
  }
  const body = bodies[mode];
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send({
    ready: true,
    port: server.address().port,
    bytes: { healthy: bodies.healthy.length, heavy: bodies.heavy.length },
  });
});

process.on('message', (m) => {
  if (m.mode !== undefined) {
    mode = m.mode;
    if (mode !== 'down') release();
    process.send({ id: m.id, received: { ...received } });
  } else if (m.close) {
    release();
    server.closeAllConnections();
    server.close(() => {
      process.send({ id: m.id, received: { ...received } }, () => process.exit(0));
    });
  } else {
    process.send({ id: m.id, received: { ...received } });
  }
});
process.on('disconnect', () => process.exit(0));
