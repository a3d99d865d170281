/**
 * The upstream of the end-to-end scenario, in its own thread: GET /data answers a JSON document
 * (`?size=small` ~2 KB, `?size=big` ~300 KB: expensive to parse). While "down" it never answers
 * (a dead upstream that hangs). Counts the requests it receives, so the bench can check that a
 * dead upstream gets only probes.
 */
import { createServer } from 'node:http';
import { parentPort } from 'node:worker_threads';

function doc(items) {
  return JSON.stringify({
    items: Array.from({ length: items }, (_, i) => ({
      id: i,
      name: `item-${i}`,
      price: (i * 37) % 1000,
      tags: ['a', 'b'],
    })),
  });
}
const bodies = { small: doc(30), big: doc(5_000) };
let down = false;
let received = 0;
const hung = new Set();

const server = createServer((req, res) => {
  received++;
  if (down) {
    hung.add(res);
    res.on('close', () => hung.delete(res));
    return;
  }
  const size = req.url?.includes('size=big') ? 'big' : 'small';
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(bodies[size]);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));

parentPort.on('message', (m) => {
  if (m.down !== undefined) {
    down = m.down;
    if (!down) for (const res of hung) res.destroy();
    parentPort.postMessage({ ack: true, received });
  } else if (m.count) {
    parentPort.postMessage({ received });
  } else if (m.close) {
    for (const res of hung) res.destroy();
    server.close(() => parentPort.postMessage({ closed: true }));
    server.closeAllConnections();
  }
});
