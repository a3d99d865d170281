/**
 * `npm start`, end to end: the live demo as a newcomer runs it (a child process, real worker
 * pools, a real flaky HTTP upstream on 127.0.0.1, the admin server). The run is bounded by its
 * `--duration`; the test asserts on what it printed, not on how long anything took.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript, type ScriptRun } from '../support/run-script.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(args: readonly string[], env?: Record<string, string>): Promise<ScriptRun> {
  return runScript('src/demo/main.ts', args, { cwd: root, killAfterMs: 55_000, ...(env && { env }) });
}

/**
 * Starts the demo and calls `act(child)` once its output shows `marker`; collects how it ended.
 * The kill timer is a safety net: a demo that ignores the signal would otherwise hang the suite.
 */
function runDemoUntil(
  args: readonly string[],
  marker: RegExp,
  act: (child: ReturnType<typeof spawn>) => void,
): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let acted = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!acted && marker.test(stdout)) {
        acted = true;
        act(child);
      }
    });
    child.stdout.on('error', () => undefined);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('the live demo (npm start)', () => {
  it('trips a breaker on a real outage, answers from the fallback, prints a summary and exits 0', {
    timeout: 60_000,
  }, async () => {
    // A temp folder of its own: the run must leave nothing in it (no log file by default).
    const tmp = mkdtempSync(join(tmpdir(), 'breakwater-demo-test-'));
    const {
      code,
      stdout: out,
      stderr: err,
    } = await runDemo(['--duration', '6', '--rps', '60'], {
      TMPDIR: tmp,
    });
    // (tsx, which runs the TypeScript sources, keeps its own cache folder there.)
    const left = readdirSync(tmp).filter((name) => !/^tsx-\d+$/.test(name));
    rmSync(tmp, { recursive: true, force: true });
    expect(left).toEqual([]);
    expect(out).not.toContain('structured logs');
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

  it('on Ctrl-C stops the load, prints the summary of what ran, and exits 130', {
    timeout: 60_000,
  }, async () => {
    const run = await runDemoUntil(
      ['--inline', '--duration', '60', '--rps', '50'],
      /upstream phase: healthy/,
      (c) => c.kill('SIGINT'),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(130);
    expect(run.stdout).toContain('interrupted: the load stopped early; totals so far');
    const header = run.stdout.split('\n').findIndex((line) => /^service +state +total/.test(line));
    expect(header).toBeGreaterThan(0);
    expect(run.stdout.split('\n')[header + 2]).toMatch(/^user-api +\S+ +\d+/);
  });

  it('piped into a reader that stops early (| head) ends quietly: no EPIPE stack trace', {
    timeout: 60_000,
  }, async () => {
    // The reader goes away after the first lines, as `head -n 3` does.
    const run = await runDemoUntil(['--inline', '--duration', '8', '--rps', '50'], /upstream phase/, (c) =>
      c.stdout?.destroy(),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('rejects a bad flag with a message and exit code 1', async () => {
    const { code, stderr: err } = await runDemo(['--rps', '0']);
    expect(code).toBe(1);
    expect(err).toContain('--rps must be 1..10000, got 0');
  });
});
