/**
 * Global test set-up. System packages that some suites need (Debian `chromium` for the dashboard
 * test, `prometheus` for `promtool test rules`, `redis-server` for fleet mode) are installed here when missing and we run as root;
 * otherwise the suites that need them fail with a message that says what to install.
 *
 * Idempotent and fast: when every binary is already there it only stats a few files.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A Debian package and the file whose presence proves it is installed. */
interface SystemPackage {
  readonly name: string;
  readonly binary: string;
  readonly neededBy: string;
}

/** The packages the suites need. Exported so suites can name them in their own failure message. */
export const SYSTEM_PACKAGES: readonly SystemPackage[] = [
  { name: 'chromium', binary: '/usr/bin/chromium', neededBy: 'test/http/dashboard.test.ts' },
  { name: 'prometheus', binary: '/usr/bin/promtool', neededBy: 'test/http/alerts.test.ts' },
  { name: 'redis-server', binary: '/usr/bin/redis-server', neededBy: 'test/fleet/*.test.ts' },
];

function log(line: string): void {
  process.stdout.write(`[global-setup] ${line}\n`);
}

/** Runs a command, streaming its output with a prefix so a slow install shows progress. */
function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    log(`$ ${command} ${args.join(' ')}`);
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') log(`  ${line}`);
      }
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}`));
    });
  });
}

export default async function setup(): Promise<void> {
  const missing = SYSTEM_PACKAGES.filter((p) => !existsSync(p.binary));
  if (missing.length === 0) return;

  const names = missing.map((p) => p.name);
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    // Not ours to install: the suites that need these binaries fail with the same advice.
    log(
      `missing Debian package(s): ${names.join(', ')} (needed by ${missing.map((p) => p.neededBy).join(', ')}). ` +
        `Install them with: sudo apt-get install -y --no-install-recommends ${names.join(' ')}`,
    );
    return;
  }

  log(`installing missing Debian package(s): ${names.join(', ')}`);
  // Wait for a dpkg lock held by another apt run instead of failing at once.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  try {
    await run('apt-get', [...lock, 'update']);
    await run('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...names]);
  } catch (error) {
    // Don't abort the whole run: the suites that need the packages fail with a clear message,
    // the others still run.
    log(`install failed: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  for (const p of missing) log(`${p.name}: ${existsSync(p.binary) ? `ok (${p.binary})` : 'still missing'}`);
}
