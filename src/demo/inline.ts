/**
 * The inline demo: a flaky service (the reference tutorial's 50% failures and 100 ms latency) goes
 * through scripted phases — healthy, outage, recovery — while bounded load runs through a
 * breaker. Every transition is printed as it happens; a summary table closes the run.
 */
import { presets } from '../presets.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import type { ServiceMetrics } from '../types.ts';

export interface InlineDemoOptions {
  readonly durationMs: number;
  readonly rps: number;
  readonly write: (line: string) => void;
  /** Ends the load early (Ctrl-C, a closed stdout): calls in flight settle, the summary follows. */
  readonly signal?: AbortSignal;
}

interface Phase {
  readonly name: string;
  readonly untilFraction: number;
  readonly failureRate: number;
  readonly latencyMs: number;
}

const PHASES: readonly Phase[] = [
  { name: 'healthy', untilFraction: 0.2, failureRate: 0.02, latencyMs: 20 },
  { name: 'flaky (50% failures, 100 ms)', untilFraction: 0.4, failureRate: 0.5, latencyMs: 100 },
  { name: 'outage', untilFraction: 0.65, failureRate: 1, latencyMs: 30 },
  { name: 'recovered', untilFraction: 1, failureRate: 0, latencyMs: 15 },
];

function phaseAt(fraction: number): Phase {
  return PHASES.find((p) => fraction < p.untilFraction) ?? PHASES[PHASES.length - 1]!;
}

export async function runInlineDemo(options: InlineDemoOptions): Promise<Record<string, ServiceMetrics>> {
  const { durationMs, rps, write } = options;
  const sup = new Supervisor();
  const openMs = Math.max(500, Math.round(durationMs / 12));
  sup.register('user-api', {
    breaker: {
      ...presets.default,
      openMs,
      callTimeoutMs: 1_000,
      halfOpen: { maxCalls: 3, successThreshold: 2 },
    },
    fallback: { value: { id: 0, name: 'Cached User' } },
  });
  const started = Date.now();
  const stamp = (): string => `${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s`;
  sup.on('stateChange', (e) => {
    const extra =
      e.nextRecoveryAttempt === null ? '' : ` (probe in ${Math.round(e.nextRecoveryAttempt - e.at)} ms)`;
    write(`${stamp()}  ${e.service}: ${e.from} -> ${e.to}  [${e.reason}]${extra}`);
  });
  let phase = '';
  let served = 0;
  let fallbacks = 0;
  let errors = 0;
  const interval = 1000 / rps;
  const pending = new Set<Promise<void>>();
  const stop = options.signal;
  for (
    let i = 0;
    Date.now() - started < durationMs && i < rps * (durationMs / 1000) * 2 && stop?.aborted !== true;
    i++
  ) {
    const current = phaseAt((Date.now() - started) / durationMs);
    if (current.name !== phase) {
      phase = current.name;
      write(`${stamp()}  -- upstream phase: ${phase}`);
    }
    const p = sup
      .run('user-api', async (signal) => {
        await delay(current.latencyMs * (0.5 + Math.random()), signal);
        if (Math.random() < current.failureRate) throw new Error('upstream returned 503');
        return { id: 42, name: 'Ada' };
      })
      .then(
        (user) => {
          if (user.id === 0) fallbacks++;
          else served++;
        },
        () => {
          errors++;
        },
      )
      .finally(() => pending.delete(p));
    pending.add(p);
    await pause(interval, stop);
  }
  await Promise.all(pending);
  write(
    `${stamp()}  done: ${served} served live, ${fallbacks} from the fallback ("Cached User"), ${errors} errors`,
  );
  const metrics = sup.allMetrics();
  await sup.close();
  return metrics;
}

/** Waits `ms`, or less when `stop` aborts (resolves either way: stopping is not an error). */
export function pause(ms: number, stop: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (stop?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(t);
      stop?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    stop?.addEventListener('abort', done, { once: true });
  });
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
