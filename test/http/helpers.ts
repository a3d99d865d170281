/**
 * Shared helpers of the admin-server tests: a real Supervisor on a ManualClock, raw HTTP requests
 * (node:http, so Host and body framing are under the test's control), an SSE client that parses
 * frames and lets a test await a given event, and a parser of the Prometheus text format.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AdminServer, AdminServerOptions } from '../../src/http/index.ts';
import { createAdminServer } from '../../src/http/index.ts';
import { Supervisor } from '../../src/index.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import type { ServiceOptions } from '../../src/types.ts';

/** Opens after 3 consecutive failures, half-opens 10 s later, closes after 1 probe success. */
export const TEST_SERVICE: ServiceOptions = {
  breaker: {
    trip: { kind: 'consecutive', threshold: 3, windowMs: 0 },
    openMs: 10_000,
    halfOpen: { maxCalls: 1, successThreshold: 1 },
    callTimeoutMs: 0,
  },
};

export const OPEN_MS = 10_000;

export interface Rig {
  readonly clock: ManualClock;
  readonly sup: Supervisor;
  readonly server: AdminServer;
  readonly url: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A listening admin server over a real supervisor with the given inline services. */
export async function startRig(services: readonly string[], options: AdminServerOptions = {}): Promise<Rig> {
  const clock = new ManualClock(1_700_000_000_000);
  const sup = new Supervisor({ clock });
  for (const name of services) sup.register(name, TEST_SERVICE);
  const server = createAdminServer(sup, options);
  const { url } = await server.listen();
  return {
    clock,
    sup,
    server,
    url,
    async [Symbol.asyncDispose]() {
      await server.close();
      await sup.close();
    },
  };
}

export const boom = (): never => {
  throw new Error('boom');
};

/** Makes `n` failing calls (each rejects: the breaker counts it, or rejects it once open). */
export async function fail(sup: Supervisor, name: string, n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await sup.run(name, boom).catch(() => undefined);
}

export async function succeed(sup: Supervisor, name: string, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await sup.run(name, () => 'ok');
}

/** Drives `name` closed -> open -> half-open -> closed. */
export async function cycle(rig: Rig, name: string): Promise<void> {
  await fail(rig.sup, name, 3);
  rig.clock.advance(OPEN_MS);
  await succeed(rig.sup, name);
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Send the body with chunked encoding (no Content-Length). */
  readonly chunked?: boolean;
}

/** One request on its own connection. */
export function request(base: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  const target = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      target,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
      },
    );
    req.once('error', reject);
    if (options.body !== undefined) {
      if (options.chunked !== true) req.setHeader('content-length', Buffer.byteLength(options.body));
      req.end(options.body);
    } else {
      req.end();
    }
  });
}

export interface SseEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
  json<T = Record<string, unknown>>(): T;
}

/** A Server-Sent Events client over node:http. Records every event and comment it receives. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly ended: Promise<void>;
  #destroy: () => void;
  #waiters: (() => void)[] = [];

  private constructor(
    status: number,
    headers: IncomingHttpHeaders,
    ended: Promise<void>,
    destroy: () => void,
  ) {
    this.status = status;
    this.headers = headers;
    this.ended = ended;
    this.#destroy = destroy;
  }

  /** Resolves once the response head arrived (any status; non-200 bodies are ignored). */
  static open(base: string, path = '/events', headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(new URL(path, base), { headers, agent: false }, (res) => {
        let resolveEnded!: () => void;
        const ended = new Promise<void>((r) => {
          resolveEnded = r;
        });
        const client = new SseClient(res.statusCode ?? 0, res.headers, ended, () => req.destroy());
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            client.#frame(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
          }
          client.#wake();
        });
        res.once('close', () => {
          resolveEnded();
          client.#wake();
        });
        resolve(client);
      });
      req.once('error', reject);
      req.end();
    });
  }

  #frame(text: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length === 0) return;
    const joined = data.join('\n');
    this.events.push({ event, id, data: joined, json: () => JSON.parse(joined) });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when `check()` is true (re-checked after every chunk); rejects if the stream ends first. */
  async until(check: () => boolean, what: string): Promise<void> {
    let closed = false;
    void this.ended.then(() => {
      closed = true;
    });
    while (!check()) {
      if (closed) throw new Error(`stream ended before ${what}`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  /** Waits until `count` events named `event` have arrived; returns them. */
  async waitForEvents(event: string, count: number): Promise<SseEvent[]> {
    const pick = (): SseEvent[] => this.events.filter((e) => e.event === event);
    await this.until(() => pick().length >= count, `${count} "${event}" event(s)`);
    return pick();
  }

  close(): void {
    this.#destroy();
  }
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text exposition format into samples and `# TYPE` lines. */
export function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** The value of one sample, or `undefined` when absent. */
export function sample(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string>,
): number | undefined {
  const found = samples.find(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found?.value;
}
