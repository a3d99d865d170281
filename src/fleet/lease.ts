/**
 * One service link's probe lease: the Redis key that lets one node at a time probe an open shared
 * fleet-wide. This class asks for it, renews it while held and gives it back; its link (link.ts)
 * decides when to ask and what each answer means for the breaker, through the LeaseOwner it is
 * built with. Like the link's writes, every command is fire-and-forget: a reply (or a failure) is
 * handled when it comes.
 */
import { randomUUID } from 'node:crypto';
import type { FleetConnection } from './connection.ts';
import { script } from './connection.ts';
import { parseReply, type Seen, type ServiceKeys, type Shared, sameSeen } from './protocol.ts';
import { ACQUIRE, RELEASE, RENEW } from './scripts.ts';

const acquireScript = script(ACQUIRE);
const renewScript = script(RENEW);
const releaseScript = script(RELEASE);

/** What a lease needs from its link. */
export interface LeaseContext {
  readonly conn: FleetConnection;
  readonly keys: ServiceKeys;
  readonly leaseMs: number;
  /** The host clock's time. */
  now(): number;
}

/** The link's side of an acquire: what each answer from Redis means for the breaker. */
export interface LeaseOwner {
  /** Redis granted the lease for the open `base`: does it still probe anything (else it is released)? */
  wanted(base: Seen): boolean;
  /** The lease is now held (and renewed). */
  won(): void;
  /** The open period has not ended by Redis's clock: it ends at `until` (host clock). */
  early(until: number): void;
  /** Another node holds the lease: `retryAt` says when to ask again. */
  held(): void;
  /** The shared state moved on without this node hearing of it (a lost message). */
  moved(s: Shared): void;
}

interface Held {
  readonly token: string;
  /** The open this lease probes. */
  readonly seen: Seen;
  readonly renew: NodeJS.Timeout;
}

export class ProbeLease {
  readonly #ctx: LeaseContext;
  readonly #owner: LeaseOwner;
  #held: Held | undefined;
  #acquiring = false;
  /** Host clock time before which the lease is not worth asking for again (another node holds it). */
  retryAt = 0;

  constructor(ctx: LeaseContext, owner: LeaseOwner) {
    this.#ctx = ctx;
    this.#owner = owner;
  }

  get held(): boolean {
    return this.#held !== undefined;
  }

  /** This node holds the lease for the open `seen`. */
  probes(seen: Seen | undefined): boolean {
    return this.#held !== undefined && sameSeen(this.#held.seen, seen);
  }

  /** Asks Redis for the lease to probe the open `base` (once at a time). */
  acquire(base: Seen): void {
    if (this.#acquiring) return;
    this.#acquiring = true;
    const token = randomUUID();
    const { conn, keys, leaseMs } = this.#ctx;
    conn.eval(acquireScript, [keys.state, keys.lease], [token, leaseMs, base.epoch, base.v]).then(
      (raw) => {
        this.#acquiring = false;
        const r = parseReply(raw);
        const now = this.#ctx.now();
        switch (r.tag) {
          case 'won':
            this.#won(token, base);
            return;
          case 'wait':
            // The open period has not ended by Redis's clock: ask again when it has.
            this.#owner.early(now + r.remainingMs + 1);
            return;
          case 'held':
            // Another node probes; its outcome arrives as a message, or its lease expires by then.
            this.retryAt = now + (r.extra > 0 ? r.extra + 1 : 5);
            this.#owner.held();
            return;
          default:
            // The shared state moved on without this node hearing of it (a lost message).
            this.#owner.moved(r);
        }
      },
      () => {
        this.#acquiring = false; // the connection reports the failure; degraded() releases the gate
      },
    );
  }

  /** The fleet degraded: stop waiting for an acquire's answer and forget when to ask again. */
  degraded(): void {
    this.#acquiring = false;
    this.retryAt = 0;
  }

  /** Forgets the held lease (stops renewing) and returns its token, for a settle or a release. */
  end(): string | undefined {
    const held = this.#held;
    if (held === undefined) return undefined;
    clearInterval(held.renew);
    this.#held = undefined;
    return held.token;
  }

  /** Gives a lease back (fire-and-forget; nothing when there is no token or no connection). */
  release(token: string | undefined): void {
    if (token === undefined || !this.#ctx.conn.up) return;
    this.#ctx.conn.eval(releaseScript, [this.#ctx.keys.lease], [token]).catch(() => {});
  }

  /** Gives a held lease back and waits for Redis's answer (bounded by the command timeout). */
  async close(): Promise<void> {
    const token = this.end();
    if (token !== undefined && this.#ctx.conn.up) {
      await this.#ctx.conn.eval(releaseScript, [this.#ctx.keys.lease], [token]).catch(() => {});
    }
  }

  #won(token: string, base: Seen): void {
    if (!this.#owner.wanted(base)) {
      this.release(token); // the state moved while we asked: this lease probes nothing
      return;
    }
    const renew = setInterval(() => this.#renew(), Math.max(1, Math.floor(this.#ctx.leaseMs / 3)));
    renew.unref();
    this.#held = { token, seen: base, renew };
    this.#owner.won();
  }

  #renew(): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#ctx.conn.eval(renewScript, [this.#ctx.keys.lease], [held.token, this.#ctx.leaseMs]).then(
      (ok) => {
        // Lost (it expired while Redis was unreachable): the probes finish; their outcome is still
        // written against the open they probed, and rejected if someone else settled it first.
        if (ok !== 1 && this.#held === held) this.end();
      },
      () => {},
    );
  }
}
