/**
 * Profiles register() and each service's first failure (many services):
 *   node --cpu-prof --cpu-prof-dir=bench/results/prof --import tsx bench/profile/register.ts [services=20000]
 */
import { performance } from 'node:perf_hooks';
import { Supervisor } from '../../src/index.ts';

const n = Number(process.argv[2] ?? 20_000);
const names = Array.from({ length: n }, (_, i) => `service-${i}`);
const sup = new Supervisor();
let t0 = performance.now();
for (const name of names) sup.register(name);
const register = performance.now() - t0;
const boom = new Error('boom');
t0 = performance.now();
for (const name of names) await sup.runResult(name, () => Promise.reject(boom));
const first = performance.now() - t0;
t0 = performance.now();
for (const name of names) await sup.runResult(name, () => Promise.reject(boom));
const second = performance.now() - t0;
const us = (ms: number): string => ((ms * 1000) / n).toFixed(1);
console.log(
  `register ${us(register)} µs each; first failure ${us(first)} µs; second failure ${us(second)} µs`,
);
await sup.close();
