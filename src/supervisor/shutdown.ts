/**
 * close(): calls are refused from the start (the engine is marked closing by the caller); with
 * `drain`, admitted calls may finish within `timeoutMs`; then every call left is given up with
 * ERR_SUPERVISOR_CLOSED, pools are closed without respawning, timers cancelled, connections
 * closed and listeners removed.
 */
import type { RemoteConnection } from '../remote/expose.ts';
import type { Engine } from './engine.ts';
import type { ServiceRecord } from './service.ts';

export async function shutdown(
  e: Engine,
  services: ReadonlyMap<string, ServiceRecord>,
  connections: Set<RemoteConnection>,
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
  for (const connection of [...connections]) connection.close();
  e.emitter.removeAll();
}
