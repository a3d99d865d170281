/**
 * The live demo (`npm start`): a local flaky upstream, three services with the reference presets
 * whose worker handlers make real HTTP requests, bounded load, fallbacks while breakers are open,
 * transitions printed as they happen, the admin dashboard, and a summary table at the end.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { createAdminServer } from '../http/index.ts';
import { presets } from '../presets.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import type { BreakerOptions, Logger, ServiceMetrics } from '../types.ts';
import { type Phase, profiles, startFlakyServer } from './flaky-server.ts';
import { pause } from './inline.ts';

export interface LiveDemoOptions {
  readonly durationMs: number;
  readonly rps: number;
  /** Admin server port; 0 = ephemeral. */
  readonly port: number;
  readonly dashboard: boolean;
  readonly write: (line: string) => void;
  /** Structured logs (pino) go to this file when given; none are written otherwise. */
  readonly logFile?: string;
  /** Ends the load early (Ctrl-C, a closed stdout): calls in flight settle, the summary follows. */
  readonly signal?: AbortSignal;
}

interface DemoService {
  readonly name: string;
  readonly preset: BreakerOptions;
  readonly story: string;
  readonly phases: readonly Phase[];
}

const SERVICES: readonly DemoService[] = [
  {
    name: 'service-bus',
    preset: presets.serviceBus,
    story: '50% failures at 100 ms (the tutorial service), then healthy',
    phases: [
      { name: 'healthy', share: 0.2, profile: profiles.healthy },
      { name: 'flaky', share: 0.45, profile: profiles.tutorial },
      { name: 'healthy', share: 0.35, profile: profiles.healthy },
    ],
  },
  {
    name: 'blob-storage',
    preset: presets.blobStorage,
    story: 'a hard outage (every request 503), then recovery',
    phases: [
      { name: 'healthy', share: 0.3, profile: profiles.healthy },
      { name: 'outage', share: 0.35, profile: profiles.outage },
      { name: 'recovered', share: 0.35, profile: profiles.healthy },
    ],
  },
  {
    name: 'key-vault',
    preset: presets.keyVault,
    story: 'hangs (requests never answer: call timeouts), then recovers',
    phases: [
      { name: 'healthy', share: 0.4, profile: profiles.healthy },
      { name: 'hanging', share: 0.3, profile: profiles.hanging },
      { name: 'recovered', share: 0.3, profile: profiles.healthy },
    ],
  },
];

/**
 * pino is a dev dependency (the library itself logs to whatever logger it is given): a checkout's
 * demo writes structured logs with it; an installed package's `breakwater demo` runs without them
 * unless the user installs pino.
 */
async function fileLogger(path: string): Promise<{ logger: Logger; stream: WriteStream } | undefined> {
  const found = await import('pino').catch(() => undefined);
  if (found === undefined) return undefined;
  const stream = createWriteStream(path, { flags: 'a' });
  return { logger: found.pino({ base: { app: 'breakwater-demo' } }, stream), stream };
}

const WORKER = new URL(
  `./upstream.worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);

export async function runLiveDemo(options: LiveDemoOptions): Promise<Record<string, ServiceMetrics>> {
  const { durationMs, rps, write } = options;
  // Transitions are printed anyway; the structured log is opt-in, so a run leaves no file behind.
  const log = options.logFile === undefined ? undefined : await fileLogger(options.logFile);
  const sup = new Supervisor(log === undefined ? {} : { logger: log.logger });
  // Demo-sized times: a breaker opens for about a tenth of the run, calls time out after 800 ms.
  const openMs = Math.max(1_000, Math.round(durationMs / 10));
  for (const s of SERVICES) {
    sup.register(s.name, {
      worker: WORKER,
      // The handlers wait on HTTP most of the time: a few calls share a thread.
      threads: { min: 1, max: 2 },
      concurrentTasksPerWorker: 4,
      maxQueue: 200,
      queueTimeoutMs: 2_000,
      breaker: { ...s.preset, openMs, callTimeoutMs: 800 },
      fallback: { value: { endpoint: s.name, phase: 'cached value', items: 0, topScore: 0 } },
    });
  }
  // Threads load the handler module before the clock starts, so the first calls of the run measure
  // the upstream, not a thread's start-up (seconds with the TypeScript loader).
  await Promise.all(SERVICES.map((s) => sup.call(s.name, 'ping')));
  const upstream = await startFlakyServer({
    durationMs,
    endpoints: Object.fromEntries(SERVICES.map((s) => [s.name, s.phases])),
  });
  const started = Date.now();
  const stamp = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  sup.on('stateChange', (e) => {
    const next =
      e.nextRecoveryAttempt === null ? '' : `, probe in ${Math.round(e.nextRecoveryAttempt - e.at)} ms`;
    write(`${stamp()}  ${e.service.padEnd(12)} ${e.from} -> ${e.to}  (${e.reason}${next})`);
  });

  const admin = options.dashboard ? createAdminServer(sup, { port: options.port }) : undefined;
  if (admin !== undefined) {
    const { url } = await admin.listen();
    write(`dashboard: ${url}/   health: ${url}/health   metrics: ${url}/metrics`);
  }
  const logs =
    options.logFile === undefined
      ? ''
      : log === undefined
        ? '   no structured logs (npm install pino for them)'
        : `   structured logs (pino): ${options.logFile}`;
  write(`upstream (flaky, local): ${upstream.url}${logs}`);
  for (const s of SERVICES) write(`  ${s.name.padEnd(12)} ${s.story}`);
  write('');

  const phases = new Map<string, string>();
  const pending = new Set<Promise<unknown>>();
  const maxCalls = Math.ceil((rps * durationMs) / 1000);
  const interval = 1000 / rps;
  const stop = options.signal;
  for (let i = 0; i < maxCalls && Date.now() - started < durationMs && stop?.aborted !== true; i++) {
    const s = SERVICES[i % SERVICES.length]!;
    const phase = upstream.phaseOf(s.name)?.name ?? '';
    if (phases.get(s.name) !== phase) {
      phases.set(s.name, phase);
      write(`${stamp()}  ${s.name.padEnd(12)} upstream is now: ${phase}`);
    }
    const p = sup.callResult(s.name, 'fetchSummary', [`${upstream.url}/${s.name}?id=${i}`]);
    pending.add(p);
    void p.finally(() => pending.delete(p));
    await pause(interval, stop);
  }
  await Promise.all(pending);
  const metrics = sup.allMetrics();
  await admin?.close();
  await sup.close();
  await upstream.close();
  if (log !== undefined) await new Promise<void>((resolve) => log.stream.end(resolve));
  return metrics;
}
