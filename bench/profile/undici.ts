/**
 * Focused loops for profiling breakwater/undici's open circuit (no harness), e.g.
 *   node --cpu-prof --cpu-prof-dir=bench/results/prof --import tsx bench/profile/undici.ts open
 *   npx tsx bench/profile/top.ts bench/results/prof/<file>.cpuprofile
 * Each mode is the bench's request shape (`await request(origin, { dispatcher })`, then the body
 * read, or the rejection caught), one at a time:
 * - open: breakerInterceptor() with the breaker forced open (ERR_CIRCUIT_OPEN);
 * - fallback: the same with the service's fallback response (503, one header, a 4-byte body);
 * - floor: an interceptor that answers every request at once with one ready-made error, the way
 *   an answer without a socket must (onRequestStart, then onResponseError), no breaker at all:
 *   what undici's request() costs on an immediate error;
 * - floor-fresh: the same with a new stackless error per request;
 * - closed / bare: the loopback request through the closed breaker / a bare Agent.
 * `all` runs every mode in turn, interleaved round by round, and prints the median per mode.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher, request } from 'undici';
import { Supervisor } from '../../src/index.ts';
import { breakerInterceptor } from '../../src/undici/index.ts';
import { answerAtOnce } from '../scenarios/undici.ts';

const mode = process.argv[2] ?? 'open';
const seconds = Number(process.argv[3] ?? 3);

const server = createServer((_req, res) => res.end('ok'));
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const ready = new Error('ready-made');
function fresh(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const error = new Error('fresh');
  Error.stackTraceLimit = limit;
  return error;
}

const sup = new Supervisor();
const service = { breaker: { callTimeoutMs: 0 } };
const openSup = new Supervisor();
const fbSup = new Supervisor();
const fbService = {
  breaker: { callTimeoutMs: 0 },
  fallback: { value: { statusCode: 503, headers: { 'retry-after': '30' }, body: 'down' } },
};
const dispatchers: Record<string, Dispatcher> = {
  bare: new Agent({ connections: 1 }),
  closed: new Agent({ connections: 1 }).compose(breakerInterceptor({ supervisor: sup, service })),
  open: new Agent({ connections: 1 }).compose(breakerInterceptor({ supervisor: openSup, service })),
  fallback: new Agent({ connections: 1 }).compose(
    breakerInterceptor({ supervisor: fbSup, service: fbService }),
  ),
  floor: new Agent({ connections: 1 }).compose(answerAtOnce(() => ready)),
  'floor-fresh': new Agent({ connections: 1 }).compose(answerAtOnce(fresh)),
};
const get = async (dispatcher: Dispatcher): Promise<string> => {
  const r = await request(origin, { dispatcher });
  return r.body.text();
};
await get(dispatchers.open as Dispatcher);
openSup.forceOpen(`http ${origin}`);
await get(dispatchers.fallback as Dispatcher);
fbSup.forceOpen(`http ${origin}`);

async function loop(dispatcher: Dispatcher, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let calls = 0;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) await get(dispatcher).catch(() => 'rejected');
    calls += 200;
  }
  return ((performance.now() - start) * 1e6) / calls;
}

if (mode === 'all') {
  const names = Object.keys(dispatchers);
  const per: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) await loop(dispatchers[n] as Dispatcher, 200); // warm-up
  for (let round = 0; round < 9; round++) {
    for (const n of names)
      per[n]?.push(await loop(dispatchers[n] as Dispatcher, (seconds * 1000) / 9 / names.length));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
  for (const n of names)
    console.log(`${n.padEnd(12)} ${(median(per[n] ?? []) / 1000).toFixed(2)} µs/request`);
} else {
  const dispatcher = dispatchers[mode];
  if (dispatcher === undefined)
    throw new Error(`unknown mode ${mode}; one of ${Object.keys(dispatchers).join(', ')}, all`);
  const ns = await loop(dispatcher, seconds * 1000);
  console.log(`${mode}: ${(ns / 1000).toFixed(2)} µs/request`);
}
await Promise.all(Object.values(dispatchers).map((d) => d.close()));
await Promise.all([sup.close(), openSup.close(), fbSup.close()]);
server.closeAllConnections();
server.close();
