/**
 * `npm run demo:fleet` end to end: its own redis-server, three node processes, one outage. It must
 * show the open spreading (reason fleet, from the node that tripped), one node probing per
 * half-open period, every node closing, and exit 0.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../http/system-packages.ts';
import { runScript } from '../support/run-script.ts';
import { REDIS_SERVER } from './support/redis-server.ts';

const DEMO = fileURLToPath(new URL('../../src/demo/fleet.ts', import.meta.url));

describe('npm run demo:fleet', () => {
  it('shows an open spreading and a single probe, and exits 0', async () => {
    requireBinary(REDIS_SERVER, 'redis-server');
    const run = await runScript(DEMO, ['--outage', '0'], { killAfterMs: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/redis-server started on redis:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/p\d: closed -> open {2}fleet \(from p\d\)/);
    expect(run.stdout).toMatch(/p\d: open -> half-open {2}recovery-timer/);
    expect(run.stdout).toMatch(/p\d: half-open -> closed {2}probes-succeeded/);
    expect(run.stdout).toMatch(/p\d: open -> closed {2}fleet \(from p\d\)/);
    const periods = /(\d+) half-open period\(s\) fleet-wide/.exec(run.stdout);
    expect(Number(periods?.[1])).toBeGreaterThanOrEqual(1);
    const halfOpens = run.stdout.match(/open -> half-open/g) ?? [];
    expect(halfOpens.length).toBe(Number(periods?.[1]));
  });
});
