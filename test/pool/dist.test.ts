/**
 * breakwater from its built output, as users run it: plain `node` (no tsx) imports the compiled
 * index, runs a user's plain .js worker module (values, handler errors with code and cause, an
 * unknown handler, a CPU-bound call that times out and is terminated, a crash, a moved buffer), a
 * TypeScript worker module (the build loads tsx into those threads only), and a comlink client in
 * another thread. The build goes to a private directory so a concurrent `npm run build` or an
 * out-of-date dist/ can't interfere.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Under node_modules so the build resolves piscina, comlink, tsx... like an installed package.
let out = '';

function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      { cwd: root, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  out = mkdtempSync(join(root, 'node_modules', '.breakwater-dist-test-'));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = await run([
    tsc,
    '-p',
    'tsconfig.build.json',
    '--outDir',
    out,
    '--declaration',
    'false',
    '--declarationMap',
    'false',
    '--sourceMap',
    'false',
  ]);
  expect(build.stdout + build.stderr).toBe('');
  expect(build.code).toBe(0);
});

afterAll(() => {
  if (out !== '') rmSync(out, { recursive: true, force: true });
});

describe('running from the built output', () => {
  it('serves a plain .js worker, a .ts worker and a comlink client with typed outcomes', async () => {
    const script = fileURLToPath(new URL('../fixtures/dist-consumer.mjs', import.meta.url));
    const r = await run([script, pathToFileURL(out).href]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      double: { ok: true, value: 42 },
      error: {
        ok: false,
        name: 'QuotaError',
        code: 'E_QUOTA',
        message: 'over quota: ada',
        limit: 10,
        cause: { message: 'quota store unreachable', code: 'ECONNREFUSED' },
      },
      unknownHandler: {
        ok: false,
        code: 'ERR_UNKNOWN_HANDLER',
        message: 'worker module of "plain" has no export named "nope"',
      },
      timeout: { ok: false, code: 'ERR_CALL_TIMEOUT' },
      afterTimeout: { ok: true, value: 4 },
      crash: { ok: false, code: 'ERR_WORKER_CRASHED' },
      afterCrash: { ok: true, value: 6 },
      transfer: { ok: true, value: 4096 },
      detached: 0,
      typed: { ok: true, value: 5 },
      state: 'open',
      remote: { state: 'open', code: 'ERR_CIRCUIT_OPEN', guard: true },
      localGuard: true,
      metrics: {
        failedRequests: 6,
        timedOutRequests: 1,
        pool: { terminations: 1, crashes: 1 },
      },
      threadsAfterClose: 0,
    });
    expect(typeof (report.remote as { retryAfterMs: unknown }).retryAfterMs).toBe('number');
  });
});
