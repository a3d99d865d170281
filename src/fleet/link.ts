/**
 * One service's side of the fleet protocol: what this node knows of the shared state, the writes
 * its local transitions cause, and the gate before half-open, which asks for the probe lease
 * (lease.ts: acquire, renew, release) and decides what its answers mean. Every Redis command
 * here is fire-and-forget from the supervisor's point of view: the supervisor calls in
 * synchronously, and a reply (or a failure) is handled when it comes.
 */
import type { FleetConnection } from './connection.ts';
import { script } from './connection.ts';
import { ProbeLease } from './lease.ts';
import type { ResolvedFleetOptions } from './options.ts';
import { isNewer, parseReply, type Seen, type ServiceKeys, type Shared, sameSeen } from './protocol.ts';
import { READ, UPDATE } from './scripts.ts';
import type { FleetCommand, FleetHost, FleetServiceView, LocalTransition, SharedState } from './types.ts';

const readScript = script(READ);
const updateScript = script(UPDATE);

/** Counters shared by every link of one fleet. */
export interface FleetStats {
  published: number;
  adopted: number;
  leaseWins: number;
  staleWrites: number;
}

/** What a link needs from its fleet. */
export interface LinkContext {
  readonly o: ResolvedFleetOptions;
  readonly conn: FleetConnection;
  readonly host: FleetHost;
  readonly stats: FleetStats;
  readonly channel: string;
  /** Redis answers and the shared state was re-read since the last failure. */
  healthy(): boolean;
}

/** Local reasons for an open that the fleet should hear about (a manual one has its own command). */
const TRIPS: ReadonlySet<string> = new Set([
  'failure-threshold',
  'failure-rate',
  'slow-call-rate',
  'probe-failed',
  'half-open-timeout',
]);

const COMMAND_STATES: Record<FleetCommand, SharedState> = {
  reset: 'closed',
  'force-open': 'forced-open',
  disable: 'disabled',
};

export class ServiceLink {
  readonly name: string;
  readonly #ctx: LinkContext;
  readonly #keys: ServiceKeys;
  /** `(epoch, v)` of the last shared state adopted or written. */
  #seen: Seen | undefined;
  #shared: Shared | undefined;
  /** A local change the fleet has not heard of (Redis was down): reconciled by the next sync(). */
  pending = false;
  /** An operator command that could not be written yet. */
  #pendingCommand: FleetCommand | undefined;
  readonly #lease: ProbeLease;
  /** Host clock time when the shared open period ends, as Redis said (time left + now). */
  #sharedUntil = 0;
  /** The gate held a breaker back: this link owes the host a release() (lease won, fleet degraded). */
  #waiting = false;

  constructor(name: string, keys: ServiceKeys, ctx: LinkContext) {
    this.name = name;
    this.#keys = keys;
    this.#ctx = ctx;
    const leaseContext = { conn: ctx.conn, keys, leaseMs: ctx.o.leaseMs, now: () => ctx.host.clock.now() };
    // What the lease's answers to an acquire mean here (lease.ts's LeaseOwner).
    this.#lease = new ProbeLease(leaseContext, {
      wanted: (base) => this.#waiting && sameSeen(base, this.#seen) && ctx.healthy(),
      won: () => {
        ctx.stats.leaseWins++;
        this.#releaseGate(); // the gate now says yes: the breaker goes half-open
        if (ctx.host.view(this.name)?.state !== 'half-open') this.#lease.release(this.#lease.end());
      },
      early: (until) => {
        this.#sharedUntil = until;
        this.#releaseGate();
      },
      held: () => this.#releaseGate(),
      moved: (s) => this.#adopt(s, true),
    });
  }

  /** The shared state as this node knows it (for status and tests). */
  get shared(): Shared | undefined {
    return this.#shared;
  }

  get holdsLease(): boolean {
    return this.#lease.held;
  }

  // ------------------------------------------------------------------ sync

  /** Re-reads the shared state ((re)connect) and reconciles it with what happened locally. */
  async sync(): Promise<void> {
    const r = parseReply(await this.#ctx.conn.eval(readScript, [this.#keys.state], []));
    const view = this.#ctx.host.view(this.name);
    if (view === undefined) return;
    const pending = this.pending;
    this.pending = false;
    const command = this.#pendingCommand;
    if (command !== undefined) {
      this.#pendingCommand = undefined;
      this.#write('command', COMMAND_STATES[command], 'manual', undefined, '');
      return;
    }
    if (r.tag === 'none') {
      // No history in Redis (first use, or a Redis that lost its data): report a local trip.
      this.#seen = undefined;
      this.#shared = undefined;
      if (view.state === 'open' && TRIPS.has(view.reason ?? '')) this.#trip(view);
      return;
    }
    if (pending && sameSeen(r, this.#seen)) {
      // The fleet did not move while this node was cut off: tell it what the node learnt alone.
      if (view.state === 'open' && TRIPS.has(view.reason ?? '') && r.state === 'closed')
        return this.#trip(view);
      if (view.state === 'closed' && view.reason === 'probes-succeeded' && r.state === 'open') {
        this.#write('settle', 'closed', 'probes-succeeded', r, '');
        return;
      }
      this.#adopt(r, true);
      return;
    }
    this.#adopt(r, pending);
  }

  // ------------------------------------------------------------------ from the supervisor

  /**
   * The gate before open -> half-open: only the lease holder probes an open shared fleet-wide.
   * `null`: go; a time: stay open until then (the supervisor asks again, or release() does sooner).
   */
  gate(now: number): number | null {
    if (!this.#ctx.healthy() || this.#shared?.state !== 'open') return null;
    if (this.#lease.probes(this.#seen)) return null;
    this.#waiting = true;
    if (this.#sharedUntil > now) return this.#sharedUntil;
    if (this.#lease.retryAt > now) return this.#lease.retryAt;
    if (this.#seen !== undefined) this.#lease.acquire(this.#seen);
    // Bounded like the command: its reply (or its failure) calls release() sooner.
    return now + this.#ctx.o.commandTimeoutMs + 50;
  }

  /** A committed local transition. */
  local(t: LocalTransition): void {
    const token = t.from === 'half-open' ? this.#lease.end() : undefined;
    const ours = t.reason !== 'fleet' && t.reason !== 'manual' && t.reason !== 'restore';
    if (!ours || t.to === 'half-open') {
      this.#lease.release(token);
      return;
    }
    if (!this.#ctx.healthy()) {
      this.pending = true;
      return;
    }
    if (t.from === 'half-open' && this.#shared?.state === 'open' && this.#seen !== undefined) {
      // The end of a probe period of the fleet-wide open: its outcome is everyone's.
      this.#write('settle', t.to === 'closed' ? 'closed' : 'open', t.reason, this.#seen, token ?? '');
      return;
    }
    this.#lease.release(token);
    const view = this.#ctx.host.view(this.name);
    if (t.to === 'open' && view !== undefined) this.#trip(view);
  }

  /** A fleet-wide operator command; written when Redis answers (now or at the next sync). */
  command(command: FleetCommand): void {
    this.#lease.end();
    if (!this.#ctx.healthy()) {
      this.#pendingCommand = command;
      return;
    }
    this.#write('command', COMMAND_STATES[command], 'manual', undefined, '');
  }

  /** A message from another node. */
  message(m: Shared): void {
    this.#adopt(m, false);
  }

  /** The fleet degraded: stop waiting for Redis; a breaker held at the gate decides alone. */
  degraded(): void {
    this.#lease.degraded();
    this.#releaseGate();
  }

  /** Gives a held lease back (bounded). */
  close(): Promise<void> {
    this.#waiting = false;
    return this.#lease.close();
  }

  // ------------------------------------------------------------------ writes

  #trip(view: FleetServiceView): void {
    this.#write('trip', 'open', view.reason ?? 'failure-threshold', this.#seen, '');
  }

  #write(op: string, target: SharedState, reason: string, base: Seen | undefined, token: string): void {
    const { o, conn, channel } = this.#ctx;
    const b = this.#ctx.host.view(this.name)?.backoff ?? {
      openMs: 30_000,
      factor: 1,
      maxMs: 30_000,
      jitter: 0,
    };
    const args = [
      op,
      base?.epoch ?? '',
      base?.v ?? 0,
      target,
      o.node,
      reason,
      token,
      b.openMs,
      b.factor,
      b.maxMs,
      b.jitter * Math.random(),
      o.quorum.nodes,
      o.quorum.windowMs,
      channel,
      this.name,
    ];
    const k = this.#keys;
    conn.eval(updateScript, [k.state, k.lease, k.trips], args).then(
      (raw) => {
        const r = parseReply(raw);
        if (r.tag === 'ok') {
          this.#ctx.stats.published++;
          this.#know(r);
        } else if (r.tag === 'noted') {
          this.#know(r);
        } else {
          // Another node (or an operator) changed the state first: the write was based on the past.
          this.#ctx.stats.staleWrites++;
          this.#adopt(r, true);
        }
      },
      () => {
        // Redis failed under the write: the connection reports it; the next sync reconciles.
        if (op === 'command') this.#pendingCommand ??= commandOf(target);
        else this.pending = true;
      },
    );
  }

  /** Records a state this node wrote itself (no local change: the supervisor is already there). */
  #know(s: Shared): void {
    if (isNewer(s, this.#seen)) this.#learn(s);
  }

  /** Adopts a shared state if it is newer than what this node saw (or always, when `force`). */
  #adopt(s: Shared, force: boolean): void {
    const newer = isNewer(s, this.#seen);
    if (!newer && !force) return;
    if (newer) this.#learn(s);
    if (this.#lease.held && !this.#lease.probes(this.#seen)) this.#lease.end();
    this.#lease.retryAt = 0;
    if (s.origin !== this.#ctx.o.node) this.#ctx.stats.adopted++;
    this.#ctx.host.adopt(
      this.name,
      { state: s.state, remainingMs: s.remainingMs, reopens: s.reopens, origin: s.origin },
      s.reason === 'manual',
    );
    // A breaker held at the gate is asked again against what the fleet now says.
    this.#releaseGate();
  }

  #learn(s: Shared): void {
    this.#seen = { epoch: s.epoch, v: s.v };
    this.#shared = s;
    this.#sharedUntil = s.state === 'open' ? this.#ctx.host.clock.now() + s.remainingMs : 0;
  }

  #releaseGate(): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    this.#ctx.host.release(this.name);
  }
}

function commandOf(target: SharedState): FleetCommand {
  return target === 'closed' ? 'reset' : target === 'forced-open' ? 'force-open' : 'disable';
}
