/**
 * Fleet mode in `/metrics`: the node's connection to the fleet and its counters, read from
 * `sup.fleetStatus()` at scrape time. Registered only for a supervisor with a fleet attached, so
 * a supervisor without one exposes exactly what it did before.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FleetStatus } from '../fleet/types.ts';

/** Registers the fleet's metrics in `registry` when `status()` reports a fleet. */
export function registerFleetMetrics(registry: Registry, status: () => FleetStatus | undefined): void {
  if (status() === undefined) return;
  const registers = [registry];
  const gauge = (name: string, help: string, read: (s: FleetStatus) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        const s = status();
        const value = s === undefined ? null : read(s);
        if (s !== undefined && value !== null) this.set({ node: s.node }, value);
      },
    });
  // Counters mirror a cumulative figure of the fleet's (it only grows while the fleet lives).
  const counter = (name: string, help: string, read: (s: FleetStatus) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        const s = status();
        if (s !== undefined) this.inc({ node: s.node }, read(s));
      },
    });
  gauge(
    'breakwater_fleet_connected',
    '1 while Redis answers and the shared state is in sync, else 0.',
    (s) => (s.connected ? 1 : 0),
  );
  gauge(
    'breakwater_fleet_degraded',
    '1 while the node breaks locally only (Redis down, slow or partitioned).',
    (s) => (s.degraded ? 1 : 0),
  );
  gauge('breakwater_fleet_lag_seconds', 'Round trip of the last heartbeat to Redis.', (s) =>
    s.lagMs === null ? null : s.lagMs / 1000,
  );
  gauge('breakwater_fleet_peers', 'Other nodes that sent a heartbeat recently.', (s) => s.peers.length);
  counter(
    'breakwater_fleet_published_total',
    'Transitions this node published to the fleet.',
    (s) => s.published,
  );
  counter(
    'breakwater_fleet_adopted_total',
    'Transitions propagated from other nodes (shared states adopted).',
    (s) => s.adopted,
  );
  counter('breakwater_fleet_lease_wins_total', 'Probe leases this node won.', (s) => s.leaseWins);
  counter(
    'breakwater_fleet_redis_errors_total',
    'Redis commands that failed or timed out.',
    (s) => s.redisErrors,
  );
  counter(
    'breakwater_fleet_stale_writes_total',
    'Writes Redis rejected as stale (another node changed the state first).',
    (s) => s.staleWrites,
  );
}
