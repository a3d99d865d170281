// Run by scripts/check-package.ts in a consumer project that installed the packed tarball: imports
// the package and every subpath its exports map lists, drives a breaker and a worker call, and
// prints one JSON report. The CommonJS twin is cjs.cjs.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { exports } = require('breakwater/package.json');
const modules = {};
for (const subpath of Object.keys(exports).filter((s) => s !== './package.json')) {
  const specifier = subpath === '.' ? 'breakwater' : `breakwater/${subpath.slice(2)}`;
  modules[specifier] = Object.keys(await import(specifier)).sort();
}

const { Supervisor, isCircuitOpenError } = await import('breakwater');
const sup = new Supervisor();
sup.register('inline', { breaker: { trip: { kind: 'consecutive', threshold: 1 } } });
await sup.runResult('inline', () => Promise.reject(new Error('down')));
const rejected = await sup.run('inline', () => 'ran').catch((e) => e);
sup.register('pool', { worker: new URL('./handlers.mjs', import.meta.url), threads: { min: 1, max: 1 } });
const sum = await sup.call('pool', 'add', [2, 3]);
await sup.close();
console.log(JSON.stringify({ modules, tripped: isCircuitOpenError(rejected), sum }));
