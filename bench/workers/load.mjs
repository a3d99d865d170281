/**
 * Load generator for the end-to-end scenario, in its own thread so it does not share the API
 * server's event loop: `concurrency` keep-alive connections in a closed loop for `durationMs`
 * (bounded in time and count), recording every request's latency.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { url, concurrency, durationMs, maxRequests } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const latencies = [];
const statuses = {};
let errors = 0;
let sent = 0;
const start = performance.now();
const end = start + durationMs;

function once() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end();
  });
}

async function lane() {
  while (performance.now() < end && sent < maxRequests) {
    sent++;
    await once();
  }
}

await Promise.all(Array.from({ length: concurrency }, lane));
agent.destroy();
parentPort.postMessage({ latencies, statuses, errors, elapsedMs: performance.now() - start });
