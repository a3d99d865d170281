/**
 * Load generator of the end-to-end scenario, in its own thread so it does not share the API
 * server's event loop: `connections` keep-alive connections in a closed loop (each answer sends the
 * next request) for `durationMs`, at most `maxRequests` requests, each given up after
 * `requestTimeoutMs` (bounded in time and count even if the server stops answering).
 * The API server says what each answer was in headers: `x-answer` (`real`, `fallback`, `error`)
 * and, for errors, `x-error-code`. Latencies (ms) are recorded per kind of answer; rates count the
 * answers that arrived within `durationMs` (the requests still in flight then are waited for, and
 * their latencies and codes counted, but they don't inflate the rate).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

const { url, connections, durationMs, maxRequests, requestTimeoutMs } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const latencies = { real: [], fallback: [], error: [] };
/** Answers that arrived within `durationMs` (rates are over the window; the drain after it is not). */
const inWindow = { real: 0, fallback: 0, error: 0 };
const codes = {};
const clientErrors = {};
let sent = 0;
const start = performance.now();
const end = start + durationMs;

function count(table, key) {
  table[key] = (table[key] ?? 0) + 1;
}

function once() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let settled = false;
    const done = () => {
      settled = true;
      resolve();
    };
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (settled) return;
        const header = res.headers['x-answer'];
        const kind = header === 'real' || header === 'fallback' ? header : 'error';
        const t1 = performance.now();
        latencies[kind].push(t1 - t0);
        if (t1 <= end) inWindow[kind]++;
        if (kind === 'error') count(codes, String(res.headers['x-error-code'] ?? `HTTP_${res.statusCode}`));
        done();
      });
      res.on('error', () => {
        if (settled) return;
        count(clientErrors, 'RESPONSE_ERROR');
        done();
      });
    });
    req.setTimeout(requestTimeoutMs, () => {
      if (settled) return;
      count(clientErrors, 'CLIENT_TIMEOUT');
      done();
      req.destroy();
    });
    req.on('error', (error) => {
      if (settled) return;
      count(clientErrors, error.code ?? 'REQUEST_ERROR');
      done();
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

await Promise.all(Array.from({ length: connections }, lane));
const elapsedMs = performance.now() - start;
agent.destroy();
parentPort.postMessage({
  latencies,
  inWindow,
  codes,
  clientErrors,
  sent,
  durationMs,
  elapsedMs,
  startEpochMs: performance.timeOrigin + start,
});
