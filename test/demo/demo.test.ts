/**
 * `npm start`, end to end: the live demo as a newcomer runs it (a child process, real worker
 * pools, a real flaky HTTP upstream on 127.0.0.1, the admin server). The run is bounded by its
 * `--duration`; the test asserts on what it printed, not on how long anything took.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript, type ScriptRun } from '../support/run-script.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(args: readonly string[]): Promise<ScriptRun> {
  return runScript('src/demo/main.ts', args, { cwd: root, killAfterMs: 55_000 });
}

describe('the live demo (npm start)', () => {
  it('trips a breaker on a real outage, answers from the fallback, prints a summary and exits 0', {
    timeout: 60_000,
  }, async () => {
    const { code, stdout: out, stderr: err } = await runDemo(['--duration', '6', '--rps', '60']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/ {3}health: /m);
    // blob-storage's upstream answers 503 to everything for a third of the run: it must open.
    expect(out).toMatch(/blob-storage +closed -> open +\(failure-threshold, probe in \d+ ms\)/);
    // The summary table has one row per service, and the outage was answered from the fallback.
    const header = out.split('\n').findIndex((line) => /^service +state +total/.test(line));
    expect(header).toBeGreaterThan(0);
    const rows = out.split('\n').slice(header + 2, header + 5);
    expect(rows.map((r) => r.split(/ +/)[0])).toEqual(['service-bus', 'blob-storage', 'key-vault']);
    const blob = rows[1]!.trim().split(/ +/);
    const [, , total, ok, failed, rejected, , fallbacks, opens] = blob.map((v) => Number(v));
    expect(opens).toBeGreaterThanOrEqual(1);
    expect(rejected).toBeGreaterThan(0);
    expect(fallbacks).toBe(rejected);
    expect(ok! + failed! + rejected!).toBe(total);
  });

  it('rejects a bad flag with a message and exit code 1', async () => {
    const { code, stderr: err } = await runDemo(['--rps', '0']);
    expect(code).toBe(1);
    expect(err).toContain('--rps must be 1..10000, got 0');
  });
});
