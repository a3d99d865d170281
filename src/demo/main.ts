/**
 * `npm start`: the live demo. Flags: --duration <seconds> (default 20), --rps <calls per second>
 * (default 40). Ends by itself and exits 0.
 */
import { parseArgs } from 'node:util';
import type { ServiceMetrics } from '../types.ts';
import { runInlineDemo } from './inline.ts';

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

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string', default: '20' },
      rps: { type: 'string', default: '40' },
    },
    allowPositionals: false,
  });
  const durationS = Number(values.duration);
  const rps = Number(values.rps);
  if (!(durationS > 0 && durationS <= 3600))
    throw new RangeError(`--duration must be 1..3600 seconds, got ${values.duration}`);
  if (!(rps > 0 && rps <= 10_000)) throw new RangeError(`--rps must be 1..10000, got ${values.rps}`);
  const write = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  write(`breakwater demo: a flaky upstream behind a breaker, ${durationS}s at ${rps} calls/s`);
  const metrics = await runInlineDemo({ durationMs: durationS * 1000, rps, write });
  write('');
  write(summaryTable(metrics));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
