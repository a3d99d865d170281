/**
 * `npm run check:package`: the package as users get it. Packs the tarball, installs it into a
 * consumer project in a fresh temporary folder (outside the repository, so nothing resolves from
 * our own node_modules), then checks that
 *   (a) `import` and (b) `require()` load the package and every subpath of its exports map, and a
 *       breaker and a worker call work from the installed files;
 *   (c) a consumer type-checks under `module: nodenext` (ESM and .cts) and under
 *       `moduleResolution: bundler`: strict, exactOptionalPropertyTypes, lib ES2023, no skipLibCheck;
 *   (d) publint and @arethetypeswrong/cli find nothing;
 *   (e) every TypeScript block of the README type-checks in that consumer;
 * plus: the `breakwater` command runs, and every source map of the package points at a shipped file.
 * Exits 1 with the failing step's output; the temporary folder is removed either way.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { typescriptBlocks } from './readme-blocks.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = fileURLToPath(new URL('./package-consumer/', import.meta.url));
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const repoPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

/** Subpaths and the names each must export (a subset: the check is that the entry point is ours). */
const EXPECTED: Readonly<Record<string, readonly string[]>> = {
  breakwater: [
    'Supervisor',
    'ManualClock',
    'systemClock',
    'presets',
    'isCircuitOpenError',
    'connectSupervisor',
  ],
  'breakwater/http': ['createAdminServer', 'HttpErrorCode'],
  'breakwater/undici': ['breakerInterceptor', 'FailureStatusError', 'originKey'],
};

class StepError extends Error {}

function run(cmd: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(cmd, args, { cwd, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) done(stdout);
      else fail(new StepError(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${stdout}${stderr}`));
    });
  });
}

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  const started = Date.now();
  await fn();
  process.stdout.write(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new StepError(message);
}

function tsconfig(compilerOptions: Record<string, unknown>, include: readonly string[]): string {
  const strict = {
    target: 'ES2022',
    lib: ['ES2023'],
    types: ['node'],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    noEmit: true,
  };
  return JSON.stringify({ compilerOptions: { ...strict, ...compilerOptions }, include }, null, 2);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'breakwater-consumer-'));
  try {
    let tarball = '';
    await step('npm pack (runs the build through `prepare`)', async () => {
      const out = await run('npm', ['pack', '--json', '--pack-destination', work], root);
      const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
      check(info !== undefined, `npm pack printed no file:\n${out}`);
      tarball = join(work, info?.filename ?? '');
    });

    const app = join(work, 'app');
    const installed = join(app, 'node_modules', 'breakwater');
    await step('install the tarball into a consumer project', async () => {
      cpSync(fixtures, app, { recursive: true });
      writeFileSync(join(app, 'package.json'), '{ "name": "consumer", "private": true, "type": "module" }\n');
      // The optional peers too (a user of breakwater/undici or breakwater/redis installs them), at the
      // repository's versions, so the check is the same on every run.
      const pin = (name: string): string => `${name}@${repoPackage.devDependencies[name]}`;
      const peers = Object.keys(repoPackage.peerDependencies ?? {}).map(pin);
      const install = ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, pin('@types/node')];
      await run('npm', [...install, ...peers], app);
    });

    await step(
      '(a) import and (b) require the package and every subpath; a breaker and a worker call',
      async () => {
        const exportsMap = (
          JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { exports: object }
        ).exports;
        for (const [subpath, target] of Object.entries(exportsMap)) {
          if (subpath === './package.json') continue;
          const conditions = Object.keys(target as object).join(',');
          check(conditions === 'types,import,require,default', `${subpath}: conditions ${conditions}`);
        }
        const esm = await run(process.execPath, ['esm.mjs'], app);
        const cjs = await run(process.execPath, ['cjs.cjs'], app);
        for (const [how, out] of [
          ['import', esm],
          ['require', cjs],
        ] as const) {
          const report = JSON.parse(out) as {
            modules: Record<string, string[]>;
            tripped: boolean;
            sum: number;
          };
          const subpaths = Object.keys(exportsMap).filter((s) => s !== './package.json').length;
          check(Object.keys(report.modules).length === subpaths, `${how}: ${Object.keys(report.modules)}`);
          for (const [specifier, names] of Object.entries(EXPECTED)) {
            const missing = names.filter((n) => !report.modules[specifier]?.includes(n));
            check(missing.length === 0, `${how} ${specifier}: missing ${missing.join(', ')}`);
          }
          check(report.tripped && report.sum === 5, `${how}: ${out}`);
        }
        check(esm === cjs, `import and require disagree:\n${esm}\n${cjs}`);
      },
    );

    await step('the breakwater command', async () => {
      const usage = await run(join(app, 'node_modules', '.bin', 'breakwater'), ['--help'], app);
      check(usage.includes('usage: breakwater'), usage);
    });

    await step('every source map points at a shipped file', async () => {
      const maps = filesUnder(installed).filter((f) => f.endsWith('.map'));
      check(maps.length > 0, 'no source maps in the package');
      for (const map of maps) {
        const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
        for (const source of sources) {
          const file = resolve(dirname(map), source);
          check(file.startsWith(installed), `${relative(installed, map)} points outside the package`);
          check(readFileSync(file, 'utf8').length > 0, `${relative(installed, map)}: ${source} missing`);
        }
      }
    });

    await step('(e) write the README blocks into the consumer', async () => {
      const blocks = typescriptBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
      check(blocks.length > 0, 'the README has no TypeScript blocks');
      for (const block of blocks) {
        const file = join(app, 'readme', block.file);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, `// README.md line ${block.line}\n${block.code}`);
      }
    });

    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await step('(c, e) type-check under module nodenext (ESM and CommonJS)', async () => {
      const config = { module: 'nodenext', moduleResolution: 'nodenext' };
      writeFileSync(
        join(app, 'tsconfig.nodenext.json'),
        tsconfig(config, ['types.ts', 'types.cts', 'readme']),
      );
      await run(process.execPath, [tsc, '-p', 'tsconfig.nodenext.json'], app);
    });
    await step('(c, e) type-check under moduleResolution bundler', async () => {
      const config = { module: 'esnext', moduleResolution: 'bundler' };
      writeFileSync(join(app, 'tsconfig.bundler.json'), tsconfig(config, ['types.ts', 'readme']));
      await run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], app);
    });

    await step('(d) publint --strict', async () => {
      await run(bin('publint'), ['--strict', installed], root);
    });
    await step('(d) @arethetypeswrong/cli (every rule but cjs-resolves-to-esm)', async () => {
      // That rule is about Node < 20.19 and TypeScript's `module: node16`, which can't require() an
      // ES module. Our floor is Node 20.19, where require() of ESM works (step b proves it from the
      // tarball), and TypeScript >= 5.8 models it under `module: nodenext` (types.cts proves it).
      // Every other rule (node10, node16 from ESM, bundler, false CJS/ESM, ...) must pass.
      await run(bin('attw'), [tarball, '--format', 'ascii', '--ignore-rules', 'cjs-resolves-to-esm'], root);
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`FAIL ${error instanceof StepError ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
