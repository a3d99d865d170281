/**
 * Every TypeScript block of the README type-checks against the sources, the way a user would paste
 * it (`import ... from 'breakwater'`), under the project's strict settings. `npm run check:package`
 * checks the same blocks against the packed tarball; this test catches a drifting README at every
 * `npm test`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { typescriptBlocks } from '../../scripts/readme-blocks.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Under node_modules, so `node:*` types and the sources' dependencies resolve as in the repository.
const dir = mkdtempSync(join(root, 'node_modules', '.breakwater-readme-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tsc(project: string): Promise<string> {
  const bin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '-p', project], { cwd: dir, timeout: 120_000 }, (_e, stdout, stderr) =>
      resolve(stdout + stderr),
    );
  });
}

/**
 * `breakwater` and each subpath of the exports map, pointed at the source its types are built from
 * (`./redis` -> `./dist/src/fleet/index.d.ts` -> `src/fleet/index.ts`): a subpath's folder need not
 * share its name.
 */
function sourcePaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { types?: string }>;
  };
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const types = typeof target === 'string' ? undefined : target.types;
    if (types === undefined) continue;
    const source = types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts');
    paths[subpath === '.' ? 'breakwater' : `breakwater/${subpath.slice(2)}`] = [join(root, source)];
  }
  return paths;
}

describe('README code blocks', () => {
  const blocks = typescriptBlocks(readFileSync(join(root, 'README.md'), 'utf8'));

  it('finds the blocks and names the files they declare', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(blocks.map((b) => b.file)).toContain('workers/geocoder.ts');
  });

  it('type-checks every block', async () => {
    for (const block of blocks) {
      const file = join(dir, block.file);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `// README.md line ${block.line}\n${block.code}`);
    }
    const config = {
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { noEmit: true, paths: sourcePaths() },
      include: ['**/*.ts'],
      exclude: [],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    expect(await tsc('tsconfig.json')).toBe('');
    // One tsc run over every source takes ~20 s alone on this 2-core machine: give it the time
    // the child itself is allowed, not the suite's 30 s default.
  }, 150_000);
});
