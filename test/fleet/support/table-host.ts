/**
 * A small real FleetHost for the protocol tests: a table of breakers (state, reason, recovery
 * time) that applies what the fleet asks and reports its own transitions, like a supervisor would,
 * without the call pipeline. Every change is recorded, so tests assert exact sequences, and every
 * test can await the next change instead of sleeping.
 */
import type {
  Fleet,
  FleetBackoff,
  FleetDegradedEvent,
  FleetHost,
  FleetRestoredEvent,
  FleetServiceView,
  FleetUpdate,
} from '../../../src/fleet/types.ts';
import { systemClock } from '../../../src/time/clock.ts';
import type { CircuitState, TransitionReason } from '../../../src/types.ts';

export interface Row {
  state: CircuitState;
  reason: TransitionReason | null;
  /** Local ms when an open period ends. */
  until: number;
  timer: NodeJS.Timeout | undefined;
}

export type HostEvent =
  | { kind: 'transition'; service: string; from: CircuitState; to: CircuitState; reason: TransitionReason }
  | { kind: 'degraded'; error: string }
  | { kind: 'restored' };

export class TableHost implements FleetHost {
  readonly clock = systemClock;
  readonly rows = new Map<string, Row>();
  readonly events: HostEvent[] = [];
  readonly #waiters: { test: (e: HostEvent) => boolean; resolve: (e: HostEvent) => void }[] = [];
  readonly #backoff: FleetBackoff;
  fleet: Fleet | undefined;

  constructor(
    services: readonly string[],
    backoff: FleetBackoff = { openMs: 60_000, factor: 1, maxMs: 60_000, jitter: 0 },
  ) {
    this.#backoff = backoff;
    for (const s of services) this.rows.set(s, { state: 'closed', reason: null, until: 0, timer: undefined });
  }

  attach(fleet: Fleet): this {
    this.fleet = fleet;
    fleet.attach(this);
    return this;
  }

  services(): readonly string[] {
    return [...this.rows.keys()];
  }

  view(service: string): FleetServiceView | undefined {
    const row = this.rows.get(service);
    if (row === undefined) return undefined;
    return { state: row.state, reason: row.reason, backoff: this.#backoff, halfOpenMaxWaitMs: 60_000 };
  }

  state(service: string): CircuitState {
    return this.#row(service).state;
  }

  /** A local transition (a trip, a probe outcome, a manual change), reported to the fleet. */
  local(service: string, to: CircuitState, reason: TransitionReason, openMs = this.#backoff.openMs): void {
    const row = this.#row(service);
    const from = row.state;
    this.#go(service, to, reason, openMs);
    this.fleet?.transitioned(service, { from, to, reason });
  }

  /**
   * The open period ended locally: ask the gate, like the supervisor's recovery timer does; a time
   * from the gate keeps the breaker open until then (its timer re-armed).
   */
  recover(service: string): boolean {
    const row = this.#row(service);
    if (row.state !== 'open') return false;
    const until = this.fleet?.beforeHalfOpen(service, this.clock.now()) ?? null;
    if (until !== null) {
      this.#arm(service, Math.max(0, until - this.clock.now()));
      return false;
    }
    this.local(service, 'half-open', 'recovery-timer');
    return true;
  }

  adopt(service: string, update: FleetUpdate, command: boolean): void {
    const row = this.rows.get(service);
    if (row === undefined) return;
    const pinned = (row.state === 'forced-open' || row.state === 'disabled') && row.reason === 'manual';
    if (pinned && !command) return;
    if (update.state === row.state) return; // like the supervisor: the gate knows the shared deadline
    this.#go(service, update.state, 'fleet', update.remainingMs);
    this.fleet?.transitioned(service, { from: this.#last(service), to: update.state, reason: 'fleet' });
  }

  release(service: string): void {
    if (this.rows.get(service)?.state === 'open') this.recover(service);
  }

  degraded(e: FleetDegradedEvent): void {
    this.#record({ kind: 'degraded', error: e.error });
  }

  restored(_e: FleetRestoredEvent): void {
    this.#record({ kind: 'restored' });
  }

  /** Resolves with the first event (already recorded from `from` on, or coming) that matches. */
  next(test: (e: HostEvent) => boolean, from = 0): Promise<HostEvent> {
    const seen = this.events.slice(from).find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }

  /** Resolves at the next transition of `service` to `to`, counting from event index `from`. */
  until(service: string, to: CircuitState, from = this.events.length): Promise<HostEvent> {
    return this.next((e) => e.kind === 'transition' && e.service === service && e.to === to, from);
  }

  transitions(service: string): string[] {
    return this.events.flatMap((e) =>
      e.kind === 'transition' && e.service === service ? [`${e.from}->${e.to}:${e.reason}`] : [],
    );
  }

  close(): void {
    for (const row of this.rows.values()) clearTimeout(row.timer);
  }

  #lastFrom = new Map<string, CircuitState>();

  #last(service: string): CircuitState {
    return this.#lastFrom.get(service) ?? 'closed';
  }

  #go(service: string, to: CircuitState, reason: TransitionReason, openMs: number): void {
    const row = this.#row(service);
    const from = row.state;
    this.#lastFrom.set(service, from);
    row.state = to;
    row.reason = reason;
    clearTimeout(row.timer);
    row.timer = undefined;
    if (to === 'open') this.#arm(service, openMs);
    this.#record({ kind: 'transition', service, from, to, reason });
  }

  /** Like the supervisor's reset timer: when the open period ends, ask the gate. */
  #arm(service: string, ms: number): void {
    const row = this.#row(service);
    clearTimeout(row.timer);
    row.until = Date.now() + ms;
    row.timer = setTimeout(() => {
      row.timer = undefined;
      this.recover(service);
    }, ms);
    row.timer.unref();
  }

  #record(e: HostEvent): void {
    this.events.push(e);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.test(e)) {
        this.#waiters.splice(i, 1);
        w.resolve(e);
      }
    }
  }

  #row(service: string): Row {
    const row = this.rows.get(service);
    if (row === undefined) throw new Error(`no row ${service}`);
    return row;
  }
}
