/**
 * `npm start` / `breakwater demo`: the live demo. Flags: --duration <seconds> (default 30),
 * --rps <calls per second> (default 60), --port <admin port> (default 0: any free port),
 * --no-dashboard, --inline (the smaller in-process demo, no workers), --log-file <path> (structured
 * pino logs; none by default). Ends by itself and exits 0. Ctrl-C stops the load, prints the
 * summary and exits 130 (a second Ctrl-C exits at once); a closed stdout (`| head`) stops the run
 * quietly and exits 0.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ServiceMetrics } from '../types.ts';
import { runInlineDemo } from './inline.ts';
import { runLiveDemo } from './live.ts';

function summaryTable(metrics: Record<string, ServiceMetrics>): string {
  const cols = [
    'service',
    'state',
    'total',
    'ok',
    'failed',
    'rejected',
    'timeouts',
    'fallbacks',
    'opens',
    'p99 ms',
  ] as const;
  const rows = Object.values(metrics).map((m) => [
    m.service,
    m.state,
    String(m.totalRequests),
    String(m.successfulRequests),
    String(m.failedRequests),
    String(m.rejectedRequests),
    String(m.timedOutRequests),
    String(m.fallbacks),
    String(m.opens),
    m.p99ResponseTimeMs.toFixed(1),
  ]);
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Stops the run early: Ctrl-C, or a stdout that was closed. */
export interface DemoControls {
  readonly signal: AbortSignal;
  /** Why it stopped, once it did. */
  readonly reason: () => 'interrupted' | 'closed-output' | undefined;
}

export async function main(
  argv: readonly string[],
  controls?: DemoControls,
  write: (line: string) => void = (line) => {
    process.stdout.write(`${line}\n`);
  },
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string', default: '30' },
      rps: { type: 'string', default: '60' },
      port: { type: 'string', default: '0' },
      'no-dashboard': { type: 'boolean', default: false },
      inline: { type: 'boolean', default: false },
      'log-file': { type: 'string' },
    },
    allowPositionals: false,
  });
  const durationS = Number(values.duration);
  const rps = Number(values.rps);
  if (!(durationS > 0 && durationS <= 3600))
    throw new RangeError(`--duration must be 1..3600 seconds, got ${values.duration}`);
  if (!(rps > 0 && rps <= 10_000)) throw new RangeError(`--rps must be 1..10000, got ${values.rps}`);
  const port = Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535))
    throw new RangeError(`--port must be 0..65535, got ${values.port}`);
  const durationMs = durationS * 1000;
  let metrics: Record<string, ServiceMetrics>;
  if (values.inline) {
    write(`breakwater inline demo: a flaky function behind a breaker, ${durationS}s at ${rps} calls/s`);
    metrics = await runInlineDemo({ durationMs, rps, write, ...(controls && { signal: controls.signal }) });
  } else {
    write(`breakwater demo: three flaky upstreams, calls in worker pools, ${durationS}s at ${rps} calls/s`);
    metrics = await runLiveDemo({
      durationMs,
      rps,
      port,
      dashboard: !values['no-dashboard'],
      write,
      ...(values['log-file'] !== undefined && { logFile: values['log-file'] }),
      ...(controls && { signal: controls.signal }),
    });
  }
  const reason = controls?.reason();
  if (reason === 'closed-output') return 0;
  write('');
  if (reason === 'interrupted') write('interrupted: the load stopped early; totals so far');
  write(summaryTable(metrics));
  return reason === 'interrupted' ? 130 : 0;
}

/** The demo as a process runs it (`npm start`, `breakwater demo`): Ctrl-C and EPIPE handled. */
export function runDemoProcess(argv: readonly string[]): Promise<number> {
  const { controls, write } = processControls();
  return main(argv, controls, write);
}

/**
 * Wires Ctrl-C and a closed stdout to the run. Writes after stdout closed are dropped: piping into
 * `head` ends the demo without an EPIPE stack trace.
 */
export function processControls(): { controls: DemoControls; write: (line: string) => void } {
  const stop = new AbortController();
  let reason: 'interrupted' | 'closed-output' | undefined;
  let closed = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
    reason ??= 'closed-output';
    stop.abort();
  });
  process.on('SIGINT', () => {
    // A second Ctrl-C while the run winds down: leave at once.
    if (reason === 'interrupted') process.exit(130);
    reason = 'interrupted';
    stop.abort();
  });
  const write = (line: string): void => {
    if (!closed) process.stdout.write(`${line}\n`);
  };
  return { controls: { signal: stop.signal, reason: () => reason }, write };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runDemoProcess(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
