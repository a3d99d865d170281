/**
 * The three health routes, each for one reader:
 *
 * - `GET /livez` — for a liveness probe: the process answers and the supervisor is not closed.
 *   Restarting the process is the only thing a liveness failure can cause, so nothing a restart
 *   would not fix makes it fail.
 * - `GET /readyz` — for a readiness probe, with this policy: **not ready** when the supervisor is
 *   closed (or closing), or when a service's worker pool is broken (this replica cannot run those
 *   calls; another replica may). Breaker states never make a replica unready: an open breaker
 *   means a dependency is failing, and every replica that shares it sees the same, so taking them
 *   out of the load balancer would turn a partial outage (often answered from fallbacks) into a
 *   total one.
 * - `GET /health` — the detailed report for people and dashboards: every service's state, health,
 *   message and metrics, and the overall `ok` / `degraded` / `down`. Always 200 while the server
 *   answers (the status is in the body), so pointing a probe at it cannot take a fleet down.
 */
import type { ServerResponse } from 'node:http';
import type { MetricsReader } from './read.ts';
import { METRICS_UNAVAILABLE } from './read.ts';
import { sendJson } from './respond.ts';
import type { AdminSupervisor } from './types.ts';

/** Why `/readyz` answers 503. */
export interface NotReadyReason {
  readonly reason: 'supervisor-closed' | 'pool-broken';
  readonly service?: string;
  readonly message: string;
}

export function serveLivez(res: ServerResponse, sup: AdminSupervisor): void {
  if (sup.closed === true) {
    sendJson(res, 503, { status: 'closed', message: 'the supervisor is closed' });
    return;
  }
  sendJson(res, 200, { status: 'alive' });
}

/** The readiness policy described above: the reasons this replica should not get traffic. */
export function notReadyReasons(sup: AdminSupervisor, reader: MetricsReader): NotReadyReason[] {
  if (sup.closed === true) {
    return [{ reason: 'supervisor-closed', message: 'the supervisor is closed' }];
  }
  const reasons: NotReadyReason[] = [];
  for (const service of sup.services()) {
    // A service whose metrics can't be read is not a reason to take the replica out.
    const pool = reader.counters(service)?.pool;
    if (pool?.broken === true) {
      const message = sup.health().services[service]?.message ?? 'worker pool is broken';
      reasons.push({ reason: 'pool-broken', service, message });
    }
  }
  return reasons;
}

export function serveReadyz(res: ServerResponse, sup: AdminSupervisor, reader: MetricsReader): void {
  const reasons = notReadyReasons(sup, reader);
  sendJson(res, reasons.length === 0 ? 200 : 503, { ready: reasons.length === 0, reasons });
}

/**
 * `eventId` is the id of the last state change sent on `/events` (`<instance>-<seq>`), so a page
 * can tell whether an event it applied is newer than this report, and notice a restarted server.
 */
export function serveHealth(
  res: ServerResponse,
  sup: AdminSupervisor,
  reader: MetricsReader,
  eventId: string,
): void {
  const report = sup.health();
  const services: Record<string, object> = {};
  for (const [name, h] of Object.entries(report.services)) {
    const metrics = reader.read(name) ?? null;
    services[name] = {
      state: h.state,
      healthy: h.healthy,
      message: metrics === null && sup.has(name) ? `${h.message}; ${METRICS_UNAVAILABLE}` : h.message,
      metrics,
    };
  }
  // `now` is the supervisor clock, so `nextRecoveryAttempt` can be turned into a countdown.
  sendJson(res, 200, { status: report.status, now: sup.clock.now(), eventId, services });
}
