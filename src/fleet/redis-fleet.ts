/**
 * RedisFleet: breakers that agree across processes and hosts through a Redis they already run.
 * Opens spread (a write and a PUBLISH per transition), one node at a time probes a service that
 * is open fleet-wide (a lease), and the re-open count lives in Redis so the backoff is shared.
 *
 * The supervisor never waits for it: it hears about transitions and answers the half-open gate
 * from memory. When Redis is down, slow or partitioned the fleet says `fleetDegraded`, every
 * breaker decides alone, and on return the fleet re-reads the shared state and says `fleetRestored`.
 */
import { FleetConnection } from './connection.ts';
import { type FleetStats, type LinkContext, ServiceLink } from './link.ts';
import { type RedisFleetOptions, type ResolvedFleetOptions, resolveFleetOptions } from './options.ts';
import { channelName, nodesKey, parseMessage, serviceKeys } from './protocol.ts';
import type { Fleet, FleetCommand, FleetHost, FleetStatus, LocalTransition } from './types.ts';

export class RedisFleet implements Fleet {
  readonly #o: ResolvedFleetOptions;
  readonly #channel: string;
  readonly #conn: FleetConnection;
  readonly #links = new Map<string, ServiceLink>();
  readonly #stats: FleetStats = { published: 0, adopted: 0, leaseWins: 0, staleWrites: 0 };
  #host: FleetHost | undefined;
  #ctx: LinkContext | undefined;
  /** Redis answers and every service was re-read since the last failure. */
  #healthy = false;
  /** Local clock ms since when the fleet is degraded; undefined while healthy or never connected. */
  #degradedSince: number | undefined;
  /** Bumped by every up/down, so a sync that finishes after a newer failure changes nothing. */
  #epoch = 0;
  #closed = false;

  constructor(options: RedisFleetOptions) {
    this.#o = resolveFleetOptions(options);
    this.#channel = channelName(this.#o.prefix);
    this.#conn = new FleetConnection(this.#o, this.#channel, nodesKey(this.#o.prefix), {
      up: () => this.#up(),
      down: (error) => this.#down(error),
      message: (text) => this.#message(text),
    });
  }

  /** This node's name in the fleet. */
  get node(): string {
    return this.#o.node;
  }

  attach(host: FleetHost): void {
    if (this.#host !== undefined) throw new Error('this RedisFleet is already attached to a supervisor');
    if (this.#closed) throw new Error('this RedisFleet is closed');
    this.#host = host;
    this.#ctx = {
      o: this.#o,
      conn: this.#conn,
      host,
      stats: this.#stats,
      channel: this.#channel,
      healthy: () => this.#healthy,
    };
    for (const name of host.services()) this.registered(name);
    this.#conn.start();
  }

  registered(service: string): void {
    const ctx = this.#ctx;
    if (ctx === undefined || this.#links.has(service)) return;
    const link = new ServiceLink(service, serviceKeys(this.#o.prefix, service), ctx);
    this.#links.set(service, link);
    if (this.#healthy) this.#syncLink(link);
  }

  beforeHalfOpen(service: string, now: number): number | null {
    return this.#links.get(service)?.gate(now) ?? null;
  }

  transitioned(service: string, t: LocalTransition): void {
    try {
      this.#links.get(service)?.local(t);
    } catch (error) {
      this.#o.logger?.error({ err: error, service }, 'fleet: could not report a transition');
    }
  }

  command(service: string, command: FleetCommand): void {
    this.#links.get(service)?.command(command);
  }

  status(): FleetStatus {
    return {
      node: this.#o.node,
      connected: this.#healthy,
      degraded: this.#degradedSince !== undefined,
      lagMs: this.#conn.lagMs,
      lastError: this.#conn.lastError,
      peers: [...this.#conn.peers].sort(),
      published: this.#stats.published,
      adopted: this.#stats.adopted,
      leaseWins: this.#stats.leaseWins,
      redisErrors: this.#conn.errors,
      staleWrites: this.#stats.staleWrites,
    };
  }

  /** The shared state of one service as this node knows it, or undefined (for tests and tools). */
  shared(service: string): { state: string; version: number; holdsLease: boolean } | undefined {
    const link = this.#links.get(service);
    const s = link?.shared;
    if (link === undefined || s === undefined) return undefined;
    return { state: s.state, version: s.v, holdsLease: link.holdsLease };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#links.values()].map((l) => l.close()));
    this.#links.clear();
    this.#healthy = false;
    await this.#conn.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #up(): void {
    const epoch = ++this.#epoch;
    const links = [...this.#links.values()];
    Promise.all(links.map((l) => l.sync())).then(
      () => {
        if (epoch !== this.#epoch || this.#closed || !this.#conn.up) return;
        this.#healthy = true;
        // Transitions committed while the re-read was on its way are reconciled now.
        for (const l of this.#links.values()) if (l.pending || !links.includes(l)) this.#syncLink(l);
        const since = this.#degradedSince;
        if (since !== undefined && this.#host !== undefined) {
          this.#degradedSince = undefined;
          const at = this.#host.clock.now();
          this.#o.logger?.info({ node: this.#o.node }, 'fleet restored');
          this.#host.restored({ at, node: this.#o.node, degradedMs: Math.max(0, at - since) });
        }
      },
      () => {}, // the failure marked the connection down; its next "up" syncs again
    );
  }

  #down(error: string): void {
    this.#epoch++;
    this.#healthy = false;
    if (this.#closed || this.#degradedSince !== undefined || this.#host === undefined) return;
    const at = this.#host.clock.now();
    this.#degradedSince = at;
    this.#o.logger?.warn({ node: this.#o.node, error }, 'fleet degraded: breaking locally only');
    this.#host.degraded({ at, node: this.#o.node, error });
    for (const link of this.#links.values()) link.degraded();
  }

  #syncLink(link: ServiceLink): void {
    link.sync().catch(() => {
      link.pending = true;
    });
  }

  #message(text: string): void {
    // Adopted even during a re-read: states are ordered by (epoch, v), so order of arrival is moot.
    if (this.#closed) return;
    const m = parseMessage(text);
    if (m === undefined || m.origin === this.#o.node) return;
    this.#links.get(m.service)?.message(m);
  }
}
