/**
 * The seam between a supervisor and a fleet. Types only, and no ioredis: the supervisor imports
 * this file, and users who never import `breakwater/redis` load nothing of Redis.
 *
 * The fleet only hears about transitions and answers one question (may this open breaker move to
 * half-open?) from what it already knows: nothing on a call's path ever waits for Redis.
 */
import type { CircuitState, TransitionReason } from '../core/states.ts';
import type { Clock } from '../time/clock.ts';

/** The states a fleet shares. Half-open is never shared: only the probe lease holder is half-open. */
export type SharedState = 'closed' | 'open' | 'forced-open' | 'disabled';

/** Fleet-wide operator commands (`scope: 'fleet'`). */
export type FleetCommand = 'reset' | 'force-open' | 'disable';

/** How one service's breaker opens, so a node can compute the shared backoff in Redis. */
export interface FleetBackoff {
  readonly openMs: number;
  /** 1 for a constant backoff. */
  readonly factor: number;
  readonly maxMs: number;
  /** Jitter fraction (0..1). */
  readonly jitter: number;
}

/** What a fleet reads of one local breaker. */
export interface FleetServiceView {
  readonly state: CircuitState;
  /** Why the breaker entered its state (`null` before any transition). */
  readonly reason: TransitionReason | null;
  readonly backoff: FleetBackoff;
  /** The half-open period's bound: a probe lease never needs to live longer. */
  readonly halfOpenMaxWaitMs: number;
}

/** A shared state to adopt, as the fleet learnt it from Redis. */
export interface FleetUpdate {
  readonly state: SharedState;
  /** `open` only: time left until the open period ends, computed by Redis (never a wall clock). */
  readonly remainingMs: number;
  /** Opens since the service last closed fleet-wide (drives the backoff). */
  readonly reopens: number;
  /** The node that wrote it. */
  readonly origin: string;
}

/** A local transition, as the supervisor reports it to the fleet after committing it. */
export interface LocalTransition {
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: TransitionReason;
}

/** Payload of `fleetDegraded`: the node stopped waiting for Redis and breaks locally only. */
export interface FleetDegradedEvent {
  readonly at: number;
  readonly node: string;
  /** What went wrong, e.g. `connection closed`, `Command timed out`. */
  readonly error: string;
}

/** Payload of `fleetRestored`: Redis answers again and the shared state was re-read. */
export interface FleetRestoredEvent {
  readonly at: number;
  readonly node: string;
  /** How long the node was degraded (local clock ms). */
  readonly degradedMs: number;
}

/** What a supervisor offers the fleet it is attached to. */
export interface FleetHost {
  readonly clock: Clock;
  /** Names of the services the fleet should share. */
  services(): readonly string[];
  /** One service's breaker, or undefined when it is not (or no longer) registered. */
  view(service: string): FleetServiceView | undefined;
  /**
   * Adopts a shared state, as a transition with reason `fleet` (none when the state is the same;
   * an open breaker then only moves its recovery time). A breaker forced open or disabled by hand
   * on this node keeps that state unless `update` is itself an operator command.
   */
  adopt(service: string, update: FleetUpdate, command: boolean): void;
  /**
   * Asks the gate again, now, for an open breaker it held back (the lease was won, or the fleet is
   * degraded and the node decides alone): with its yes the breaker goes half-open.
   */
  release(service: string): void;
  degraded(event: FleetDegradedEvent): void;
  restored(event: FleetRestoredEvent): void;
}

/** The fleet's counters and connection, for `sup.fleetStatus()` and `/metrics`. */
export interface FleetStatus {
  readonly node: string;
  /** Redis answers and the shared state is in sync. */
  readonly connected: boolean;
  /** The node breaks locally only (Redis down, slow or partitioned). */
  readonly degraded: boolean;
  /** Round trip of the last heartbeat, ms; `null` before the first. */
  readonly lagMs: number | null;
  /** The last Redis error seen, `null` if none yet. */
  readonly lastError: string | null;
  /** Other nodes that sent a heartbeat recently (names, sorted). */
  readonly peers: readonly string[];
  /** Transitions this node published to the fleet. */
  readonly published: number;
  /** Shared states this node adopted from other nodes. */
  readonly adopted: number;
  /** Probe leases this node won. */
  readonly leaseWins: number;
  /** Redis commands that failed or timed out. */
  readonly redisErrors: number;
  /** Writes Redis rejected as stale (another node changed the state first). */
  readonly staleWrites: number;
}

/** A fleet a supervisor can be attached to (`new Supervisor({ fleet })`). One supervisor per fleet. */
export interface Fleet {
  /** Called once by the supervisor's constructor. */
  attach(host: FleetHost): void;
  /** A service was registered: read its shared state. */
  registered(service: string): void;
  /**
   * The gate asked before open -> half-open, synchronous, from what the fleet already knows:
   * `null` lets the breaker go half-open now; a clock time keeps it open until then, when the gate
   * is asked again (or sooner: the fleet calls `host.release()` once the lease is won or Redis is
   * gone).
   */
  beforeHalfOpen(service: string, now: number): number | null;
  /** A local transition was committed (never called on the success path). Never throws. */
  transitioned(service: string, t: LocalTransition): void;
  /** Writes a fleet-wide operator command (after the supervisor applied it locally). */
  command(service: string, command: FleetCommand): void;
  status(): FleetStatus;
  /** Stops the fleet: releases a held lease, unsubscribes, and closes its own connections. */
  close(): Promise<void>;
}
