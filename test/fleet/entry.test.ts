/**
 * ioredis is an optional peer dependency: only `breakwater/redis` may load it. Walks the runtime
 * imports (type-only imports are erased) reachable from each entry point.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

const ROOT = resolve(import.meta.dirname, '../..');

/** Bare packages reachable at runtime from `entry` through relative imports. */
function runtimePackages(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    // Comments hold example imports (`typeof import('./geo.js')`): read code only.
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const re =
      /^\s*(import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'|import\('([^']+)'\)/gm;
    for (const m of text.matchAll(re)) {
      const spec = m[2] ?? m[3] ?? m[4]!;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!existsSync(target)) throw new Error(`${file} imports ${spec}, which does not exist`);
        visit(target);
      } else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return packages;
}

describe('the breakwater/redis entry point', () => {
  it('is the only one that loads ioredis', () => {
    expect(runtimePackages(resolve(ROOT, 'src/fleet/index.ts'))).toContain('ioredis');
    const core = runtimePackages(resolve(ROOT, 'src/index.ts'));
    expect(core).toContain('piscina'); // the walk does reach the supervisor's own packages
    expect(core).not.toContain('ioredis');
    expect(runtimePackages(resolve(ROOT, 'src/http/index.ts'))).not.toContain('ioredis');
  });

  it('is exported as ./redis, with ioredis an optional peer dependency', () => {
    expect(pkg.exports['./redis']).toEqual({
      types: './dist/src/fleet/index.d.ts',
      import: './dist/src/fleet/index.js',
      require: './dist/src/fleet/index.js',
      default: './dist/src/fleet/index.js',
    });
    expect(pkg.peerDependencies.ioredis).toMatch(/^\^5\./);
    expect(pkg.peerDependenciesMeta.ioredis.optional).toBe(true);
    expect(Object.keys(pkg.dependencies)).not.toContain('ioredis');
  });
});
