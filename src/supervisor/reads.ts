/**
 * The supervisor's read-only views over every service: metrics and health by name. Objects keyed
 * by service name are filled with defineProperty, so a service named `__proto__` is a key like any
 * other (an assignment would set the object's prototype instead).
 */
import type { HealthReport, ServiceHealth, ServiceMetrics } from '../types.ts';
import type { ServiceRecord } from './service.ts';

/** `out[key] = value` that also works for a key like `__proto__`. */
export function setOwn<V>(out: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

export function allMetrics(
  services: ReadonlyMap<string, ServiceRecord>,
  now: number,
): Record<string, ServiceMetrics> {
  const out: Record<string, ServiceMetrics> = {};
  for (const [name, svc] of services) setOwn(out, name, svc.metrics(now));
  return out;
}

/** `ok` when every service is healthy, `down` when none is, `degraded` in between. */
export function healthReport(services: ReadonlyMap<string, ServiceRecord>, now: number): HealthReport {
  const out: Record<string, ServiceHealth> = {};
  let healthy = 0;
  for (const [name, svc] of services) {
    const h = svc.health(now);
    setOwn(out, name, h);
    if (h.healthy) healthy++;
  }
  const n = services.size;
  const status = healthy === n ? 'ok' : healthy === 0 ? 'down' : 'degraded';
  return { status, services: out };
}
