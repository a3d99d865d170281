/**
 * The fleet's two Redis connections (commands, and the subscription to the channel) and what they
 * say about Redis: up, or down with the reason. Nothing here ever waits without a bound: there is
 * no offline queue (a command while disconnected fails at once), every command has a timeout, and
 * a heartbeat notices a Redis that still holds the socket but answers nothing (`CLIENT PAUSE`, a
 * partition).
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Cluster } from 'ioredis';
import { Redis } from 'ioredis';
import type { ResolvedFleetOptions } from './options.ts';
import { HEARTBEAT, LEAVE } from './scripts.ts';

type Client = Redis | Cluster;

/** A Lua script with its SHA1, run by EVALSHA (EVAL once after a restart or SCRIPT FLUSH). */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const heartbeatScript = script(HEARTBEAT);
const leaveScript = script(LEAVE);

export interface ConnectionEvents {
  /** Both connections are ready and a command just succeeded. */
  up(): void;
  /** A connection dropped or a command failed: Redis can't be relied on now. */
  down(error: string): void;
  message(text: string): void;
}

export class FleetConnection {
  readonly #o: ResolvedFleetOptions;
  readonly #events: ConnectionEvents;
  readonly #cmd: Client;
  readonly #sub: Client;
  readonly #ownCmd: boolean;
  readonly #channel: string;
  readonly #nodesKey: string;
  readonly #cleanups: (() => void)[] = [];
  #up = false;
  #subscribed = false;
  #closed = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #beating = false;
  lagMs: number | null = null;
  lastError: string | null = null;
  errors = 0;
  peers: readonly string[] = [];

  constructor(o: ResolvedFleetOptions, channel: string, nodesKey: string, events: ConnectionEvents) {
    this.#o = o;
    this.#events = events;
    this.#channel = channel;
    this.#nodesKey = nodesKey;
    const own = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: o.maxRetriesPerRequest,
      commandTimeout: o.commandTimeoutMs,
      connectTimeout: o.connectTimeoutMs,
      connectionName: `breakwater:${o.node}`,
      lazyConnect: true,
      retryStrategy: (times: number) =>
        Math.min(o.reconnect.minMs * 2 ** Math.min(times - 1, 20), o.reconnect.maxMs),
    };
    if (typeof o.redis === 'string') {
      this.#ownCmd = true;
      this.#cmd = new Redis(o.redis, own);
      this.#sub = new Redis(o.redis, own);
    } else {
      this.#ownCmd = false;
      this.#cmd = o.redis;
      this.#sub = o.redis.duplicate();
    }
    this.#watch(this.#cmd, 'commands', () => this.#check());
    this.#watch(this.#sub, 'subscription', () => this.#subscribe());
    const onMessage = (channel: string, text: string) => {
      if (channel === this.#channel) this.#events.message(text);
    };
    this.#sub.on('message', onMessage);
    this.#cleanups.push(() => this.#sub.off('message', onMessage));
  }

  /** Connects (own clients) and starts the heartbeat. */
  start(): void {
    const connect = (c: Client) => {
      if (c.status === 'wait') c.connect().catch((error: unknown) => this.#failed(error));
    };
    if (this.#ownCmd) connect(this.#cmd);
    connect(this.#sub);
    if (this.#cmd.status === 'ready') this.#check();
    if (this.#sub.status === 'ready') this.#subscribe();
    this.#heartbeat = setInterval(() => this.#beat(), this.#o.heartbeatMs);
    this.#heartbeat.unref();
  }

  get up(): boolean {
    return this.#up;
  }

  /** Runs a script with a bound on its time. A failure marks Redis down and rethrows. */
  async eval(s: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      try {
        return await this.#bounded(this.#cmd.evalsha(s.sha, keys.length, ...keys, ...args));
      } catch (error) {
        if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
        return await this.#bounded(this.#cmd.eval(s.source, keys.length, ...keys, ...args));
      }
    } catch (error) {
      this.#failed(error);
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    if (this.#up) {
      // Leave the peer list at once; best effort, bounded like every command.
      await this.#bounded(this.#cmd.evalsha(leaveScript.sha, 1, this.#nodesKey, this.#o.node)).catch(() =>
        this.#bounded(this.#cmd.eval(leaveScript.source, 1, this.#nodesKey, this.#o.node)).catch(() => {}),
      );
    }
    this.#up = false;
    for (const cleanup of this.#cleanups) cleanup();
    this.#sub.disconnect();
    if (this.#ownCmd) {
      await this.#bounded(this.#cmd.quit()).catch(() => {});
      this.#cmd.disconnect();
    }
  }

  #watch(client: Client, role: string, onReady: () => void): void {
    const ready = () => onReady();
    const closed = () => {
      if (role === 'subscription') this.#subscribed = false;
      this.#down(`${role} connection closed`);
    };
    // ioredis logs unhandled 'error' events to the console; they are ours to report.
    const error = (e: unknown) => {
      this.lastError = errorText(e);
    };
    client.on('ready', ready);
    client.on('close', closed);
    client.on('error', error);
    this.#cleanups.push(() => {
      client.off('ready', ready);
      client.off('close', closed);
      client.off('error', error);
    });
  }

  #subscribe(): void {
    this.#bounded(this.#sub.subscribe(this.#channel)).then(
      () => {
        this.#subscribed = true;
        this.#check();
      },
      (error: unknown) => this.#failed(error),
    );
  }

  /** Both connections ready: one heartbeat proves Redis answers before the fleet is told "up". */
  #check(): void {
    if (!this.#up && this.#subscribed && this.#cmd.status === 'ready') this.#beat();
  }

  #beat(): void {
    if (this.#beating || this.#closed || this.#cmd.status !== 'ready') return;
    this.#beating = true;
    const start = performance.now();
    this.eval(heartbeatScript, [this.#nodesKey], [this.#o.node, this.#o.peerTtlMs]).then(
      (nodes) => {
        this.#beating = false;
        this.lagMs = Math.round((performance.now() - start) * 100) / 100;
        if (Array.isArray(nodes)) {
          this.peers = nodes.map(String).filter((n) => n !== this.#o.node);
        }
        if (!this.#up && this.#subscribed && !this.#closed) {
          this.#up = true;
          this.#events.up();
        }
      },
      () => {
        this.#beating = false;
      },
    );
  }

  #failed(error: unknown): void {
    this.errors++;
    this.lastError = errorText(error);
    this.#down(this.lastError);
  }

  /** Reported every time (the fleet keeps its own degraded flag): a first failure at start counts too. */
  #down(reason: string): void {
    if (this.#closed) return;
    this.#up = false;
    this.#events.down(reason);
  }

  /** Bounds a command by `commandTimeoutMs` (a client passed in may have no timeout of its own). */
  #bounded<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Command timed out')), this.#o.commandTimeoutMs + 50);
      timer.unref();
    });
    return Promise.race([p, limit]).finally(() => clearTimeout(timer));
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
