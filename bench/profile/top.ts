/**
 * Prints the functions with the most self time in V8 .cpuprofile files (from `node --cpu-prof`):
 *   npx tsx bench/profile/top.ts <file.cpuprofile>... [rows=25] [filter]
 * `filter` keeps only frames whose "name file:line" contains it (e.g. `src/`). Given several files
 * (one per thread), each thread that ran our code or piscina's is reported, busiest first.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.cpuprofile'));
const rest = args.filter((a) => !a.endsWith('.cpuprofile'));
const rowsArg = rest.find((a) => /^\d+$/.test(a));
const filter = rest.find((a) => !/^\d+$/.test(a));
if (files.length === 0) {
  process.stderr.write('usage: tsx bench/profile/top.ts <file.cpuprofile>... [rows] [filter]\n');
  process.exit(2);
}
const IDLE = new Set(['(idle) :0', '(program) :0']);
// One file per thread: the main thread, tsx's loader thread, worker threads (when they inherit
// --cpu-prof). Threads that did real work are printed, busiest first; a loader thread is skipped.
const loaded = files.map((f) => load(f)).sort((a, b) => b.busy - a.busy);
for (const p of loaded) {
  const loaderOnly = [...p.self.keys()].every(
    (k) => IDLE.has(k) || !/ (src|bench|workers|node_modules\/piscina)\//.test(k),
  );
  if (p !== loaded[0] && loaderOnly) continue;
  process.stdout.write(
    `${p.file}\nself time, % of busy samples (idle and (program) left out; ${(p.busy / 1000).toFixed(0)} ms busy)\n`,
  );
  const rows = [...p.self.entries()]
    .filter(([k]) => !IDLE.has(k) && (filter === undefined || k.includes(filter)))
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(rowsArg ?? 25));
  for (const [key, us] of rows) {
    process.stdout.write(
      `${((100 * us) / p.busy).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}\n`,
    );
  }
}

function load(file: string): { file: string; busy: number; self: Map<string, number> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (node === undefined) return;
    const f = node.callFrame;
    const where = f.url.replace(/^.*\/(src|bench|workers|node_modules)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const busy = [...self.entries()].filter(([k]) => !IDLE.has(k)).reduce((a, [, v]) => a + v, 0);
  return { file, busy, self };
}
