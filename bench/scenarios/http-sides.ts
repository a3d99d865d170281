/**
 * The moving parts of the end-to-end scenario: the upstream child process, and the two API
 * servers being compared. Both servers are node:http on 127.0.0.1 with the same route; they differ
 * only in how the handler calls the upstream:
 * - breakwater: `sup.call()` into a worker pool whose handler does `fetch` + `JSON.parse`;
 * - cockatiel: the same `fetch` + `JSON.parse` inline on the API server's thread, through
 *   `wrap(fallback, circuitBreaker, timeout)` with the same breaker and timeout settings.
 * Each answer says in headers what it was (`x-answer: real | fallback | error`, `x-error-code`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once, setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  fallback,
  handleAll,
  handleType,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { Supervisor } from '../../src/index.ts';

/** Settings both sides share (the end-to-end shape). */
export const E2E = {
  callTimeoutMs: 1_000,
  threshold: 5,
  openMs: 1_000,
  /** One probe per half-open period, one success closes: what cockatiel's breaker does. */
  probes: 1,
  threads: { min: 2, max: 4 },
  concurrentTasksPerWorker: 16,
} as const;

export type UpstreamMode = 'healthy' | 'heavy' | 'down';

export interface UpstreamSummary {
  readonly items: number;
  readonly total: number;
  readonly fallback?: true;
}

const FALLBACK: UpstreamSummary = { items: 0, total: 0, fallback: true };

/** The same work as `summarize` in bench/workers/http-client.mjs (the breakwater side's handler). */
function summarize(doc: { items: { price: number }[] }): UpstreamSummary {
  let total = 0;
  for (const item of doc.items) total += item.price;
  return { items: doc.items.length, total };
}

/** The upstream, in a child process; `received` counts its requests per `?via=` tag. */
export class UpstreamProcess {
  readonly #child: ChildProcess;
  #next = 0;
  port = 0;
  bytes = { healthy: 0, heavy: 0 };

  constructor() {
    this.#child = fork(new URL('../workers/upstream.mjs', import.meta.url), [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }

  async start(): Promise<void> {
    const [m] = (await once(this.#child, 'message')) as [{ port: number; bytes: UpstreamProcess['bytes'] }];
    this.port = m.port;
    this.bytes = m.bytes;
  }

  url(via: string): string {
    return `http://127.0.0.1:${this.port}/data?via=${via}`;
  }

  /** Sets the mode; resolves to the request counts at the switch. */
  mode(mode: UpstreamMode): Promise<Record<string, number>> {
    return this.#ask({ mode });
  }

  received(): Promise<Record<string, number>> {
    return this.#ask({});
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = once(this.#child, 'exit');
    await Promise.race([this.#ask({ close: true }), exited]);
    if (this.#child.exitCode === null) this.#child.kill();
  }

  /** Kills the process whatever state it is in (the scenario's `finally`). */
  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill();
  }

  #ask(message: object): Promise<Record<string, number>> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      const onMessage = (m: { id?: number; received?: Record<string, number> }): void => {
        if (m.id !== id) return;
        this.#child.off('message', onMessage);
        this.#child.off('exit', onExit);
        resolve(m.received ?? {});
      };
      const onExit = (): void => {
        this.#child.off('message', onMessage);
        reject(new Error('the upstream process exited'));
      };
      this.#child.on('message', onMessage);
      this.#child.once('exit', onExit);
      this.#child.send({ id, ...message });
    });
  }
}

/** One API server and what the scenario reads of its breaker. */
export interface Side {
  readonly id: 'bw' | 'cockatiel';
  readonly label: string;
  /** `http://127.0.0.1:port/api` */
  readonly url: string;
  /** `epochMs()` of every transition to open. */
  readonly opened: number[];
  /** Transitions to half-open so far. */
  halfOpens(): number;
  /** `closed`, `open`, `half-open`, ... */
  state(): string;
  /** One upstream call outside the HTTP server (recovery after the outage). */
  call(): Promise<UpstreamSummary>;
  /** Pool figures (breakwater only): thread crashes, terminations and restarts so far. */
  pool(): { crashes: number; terminations: number; restarts: number; threads: number } | undefined;
  close(): Promise<void>;
}

/** The error's `code`, else its class name (cockatiel's errors have no code: `TaskCancelledError`). */
export function errorCode(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; constructor?: { name?: unknown } } | null;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e?.constructor?.name === 'string' && e.constructor.name !== '') return e.constructor.name;
  return 'Error';
}

/** Wall-clock ms with sub-ms precision, comparable across threads (`performance.now()` is per thread). */
export const epochMs = (): number => performance.timeOrigin + performance.now();

async function serve(call: () => Promise<UpstreamSummary>): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    call().then(
      (body) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-answer': body.fallback === true ? 'fallback' : 'real',
        });
        res.end(JSON.stringify(body));
      },
      (error: unknown) => {
        const code = errorCode(error);
        res.writeHead(502, { 'content-type': 'application/json', 'x-answer': 'error', 'x-error-code': code });
        res.end(JSON.stringify({ error: code }));
      },
    );
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api` };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The API server whose handler calls the upstream through breakwater's worker pool. */
export async function breakwaterSide(upstream: UpstreamProcess): Promise<Side> {
  const sup = new Supervisor();
  const url = upstream.url('bw');
  sup.register('upstream', {
    worker: new URL('../workers/http-client.mjs', import.meta.url),
    threads: E2E.threads,
    concurrentTasksPerWorker: E2E.concurrentTasksPerWorker,
    breaker: {
      callTimeoutMs: E2E.callTimeoutMs,
      trip: { kind: 'consecutive', threshold: E2E.threshold },
      openMs: E2E.openMs,
      halfOpen: { maxCalls: E2E.probes, successThreshold: E2E.probes },
    },
    fallback: { value: FALLBACK },
  });
  const opened: number[] = [];
  let halfOpens = 0;
  sup.subscribe('upstream', 'stateChange', (e) => {
    if (e.to === 'open') opened.push(epochMs());
    if (e.to === 'half-open') halfOpens++;
  });
  const call = () => sup.call('upstream', 'summary', [url]) as Promise<UpstreamSummary>;
  const { server, url: api } = await serve(call);
  return {
    id: 'bw',
    label: 'breakwater worker pool',
    url: api,
    opened,
    halfOpens: () => halfOpens,
    state: () => sup.metrics('upstream').state,
    call,
    pool: () => {
      const p = sup.metrics('upstream').pool;
      return p === undefined
        ? undefined
        : { crashes: p.crashes, terminations: p.terminations, restarts: p.restarts, threads: p.threads };
    },
    close: async () => {
      await closeServer(server);
      await sup.close();
    },
  };
}

/** The same API server calling the upstream inline through cockatiel. */
export async function cockatielSide(upstream: UpstreamProcess): Promise<Side> {
  const url = upstream.url('cockatiel');
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: E2E.openMs,
    breaker: new ConsecutiveBreaker(E2E.threshold),
  });
  // Fallback only when the breaker rejects (like breakwater's `fallback`); timeouts count as
  // failures of the breaker (timeout inside it) and reach the caller as errors.
  const policy = wrap(
    fallback(handleType(BrokenCircuitError), FALLBACK),
    breaker,
    timeout(E2E.callTimeoutMs, TimeoutStrategy.Aggressive),
  );
  const opened: number[] = [];
  let halfOpens = 0;
  breaker.onStateChange((s) => {
    if (s === CircuitState.Open) opened.push(epochMs());
    if (s === CircuitState.HalfOpen) halfOpens++;
  });
  // cockatiel derives each call's signal from a parent (its own shared never-aborted one by
  // default); with 50 calls in flight Node warns about >10 listeners on it. The same kind of
  // parent, ours, with the warning limit lifted: no extra work per call.
  const parent = new AbortController().signal;
  setMaxListeners(0, parent);
  const call = () =>
    policy.execute(async ({ signal }) => {
      const res = await fetch(url, { signal });
      const text = await res.text();
      if (!res.ok) throw Object.assign(new Error(`upstream answered ${res.status}`), { code: 'E_UPSTREAM' });
      return summarize(JSON.parse(text) as { items: { price: number }[] });
    }, parent);
  const { server, url: api } = await serve(call);
  const names: Record<number, string> = {
    [CircuitState.Closed]: 'closed',
    [CircuitState.Open]: 'open',
    [CircuitState.HalfOpen]: 'half-open',
    [CircuitState.Isolated]: 'isolated',
  };
  return {
    id: 'cockatiel',
    label: 'inline cockatiel',
    url: api,
    opened,
    halfOpens: () => halfOpens,
    state: () => names[breaker.state] ?? String(breaker.state),
    call,
    pool: () => undefined,
    close: () => closeServer(server),
  };
}
