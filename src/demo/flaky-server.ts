/**
 * A local flaky HTTP upstream for the demo, on 127.0.0.1 only. Each endpoint has its own behaviour
 * — failure rate, latency, and scripted phases (healthy, outage, recovery) on a timeline — so the
 * demo shows breakers trip and recover against real sockets. The reference tutorial's service
 * (50% failures, 100 ms) is the `tutorial` profile.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How an endpoint behaves during one phase. */
export interface UpstreamProfile {
  /** Fraction of requests answered with 503, 0..1. */
  readonly failureRate: number;
  /** Mean latency in ms (actual: 0.5x..1.5x). */
  readonly latencyMs: number;
  /** Never answer (the connection hangs until the client gives up). */
  readonly hang?: boolean;
}

export interface Phase {
  readonly name: string;
  /** Phase length, as a fraction of the whole run. */
  readonly share: number;
  readonly profile: UpstreamProfile;
}

export const profiles = {
  healthy: { failureRate: 0.01, latencyMs: 15 },
  tutorial: { failureRate: 0.5, latencyMs: 100 },
  outage: { failureRate: 1, latencyMs: 20 },
  hanging: { failureRate: 0, latencyMs: 0, hang: true },
  slow: { failureRate: 0.05, latencyMs: 400 },
} as const satisfies Record<string, UpstreamProfile>;

export interface FlakyServerOptions {
  /** Endpoint name -> its phases, played in order over `durationMs`. */
  readonly endpoints: Readonly<Record<string, readonly Phase[]>>;
  readonly durationMs: number;
  /** @default 0 (ephemeral) */
  readonly port?: number;
  /** Injected for tests; @default Math.random */
  readonly random?: () => number;
}

export interface FlakyServer {
  readonly url: string;
  /** The phase an endpoint is in now. */
  phaseOf(endpoint: string): Phase | undefined;
  close(): Promise<void>;
}

/** Starts the upstream; `GET /<endpoint>?id=N` answers JSON or 503 per the endpoint's current phase. */
export async function startFlakyServer(options: FlakyServerOptions): Promise<FlakyServer> {
  const random = options.random ?? Math.random;
  const started = Date.now();
  const timers = new Set<NodeJS.Timeout>();
  const phaseOf = (endpoint: string): Phase | undefined => {
    const phases = options.endpoints[endpoint];
    if (phases === undefined) return undefined;
    const fraction = (Date.now() - started) / options.durationMs;
    let acc = 0;
    for (const p of phases) {
      acc += p.share;
      if (fraction < acc) return p;
    }
    return phases[phases.length - 1];
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const endpoint = url.pathname.slice(1);
    const phase = phaseOf(endpoint);
    if (req.method !== 'GET' || phase === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such endpoint"}');
      return;
    }
    const { profile } = phase;
    if (profile.hang === true) return; // the client's timeout (and the breaker) deal with it
    const latency = profile.latencyMs * (0.5 + random());
    const fail = random() < profile.failureRate;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (fail) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"upstream unavailable"}');
        return;
      }
      const id = url.searchParams.get('id') ?? '0';
      // A body with some heft, so parsing it is real work (done in the worker, not the event loop).
      const items = Array.from({ length: 50 }, (_, i) => ({
        i,
        label: `${endpoint}-${id}-${i}`,
        score: random(),
      }));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ endpoint, id, phase: phase.name, items }));
    }, latency);
    timers.add(timer);
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    phaseOf,
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
