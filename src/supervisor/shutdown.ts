/**
 * close(): options are validated before anything changes; then calls are refused (the engine is
 * marked closing); with
 * `drain`, admitted calls may finish within `timeoutMs`; then every call left is given up with
 * ERR_SUPERVISOR_CLOSED, pools are closed without respawning, timers cancelled, connections
 * closed and listeners removed.
 */
import type { Fleet } from '../fleet/types.ts';
import type { Connections } from '../remote/expose.ts';
import type { Engine } from './engine.ts';
import type { ServiceRecord } from './service.ts';
import { resolveCloseOptions } from './supervisor-options.ts';

/**
 * The whole of a first close(): throws on bad options before anything changes (the caller turns
 * that into a rejection and stays open); the fleet closes after the drain.
 */
export function closeSupervisor(
  e: Engine,
  services: ReadonlyMap<string, ServiceRecord>,
  connections: Connections,
  fleet: Fleet | undefined,
  options: unknown,
): Promise<void> {
  const o = resolveCloseOptions(options);
  e.close();
  const down = shutdown(e, services, connections, o.drain, o.timeoutMs);
  // The fleet closes with its supervisor (a lease it holds is released), after the drain.
  return fleet === undefined ? down : down.finally(() => fleet.close());
}

async function shutdown(
  e: Engine,
  services: ReadonlyMap<string, ServiceRecord>,
  connections: Connections,
  drain: boolean,
  timeoutMs: number,
): Promise<void> {
  const pools = [...services.values()].flatMap((s) => (s.pool === undefined ? [] : [s.pool]));
  if (drain && timeoutMs > 0) {
    let timer: unknown;
    const bound = new Promise<void>((resolve) => {
      timer = e.clock.setTimeout(resolve, timeoutMs);
    });
    const inFlight = (): number => {
      let n = 0;
      for (const svc of services.values()) n += svc.inFlight;
      return n;
    };
    await Promise.race([
      Promise.all([e.whenIdle(inFlight), ...pools.map((p) => p.close({ drain: true, timeoutMs }))]),
      bound,
    ]);
    e.clock.clearTimeout(timer);
  }
  for (const node of e.deadlines.takeAll()) node.shutdown();
  await Promise.all(pools.map((p) => p.close({ drain: false, timeoutMs: 0 })));
  for (const svc of services.values()) {
    svc.detach();
    svc.timer = undefined;
  }
  e.scheduler.clear();
  connections.closeAll();
  e.emitter.removeAll();
}
