/**
 * The layout of src/ (issue 10): no import cycles, and no file longer than 300 lines. The import
 * graph is read from the sources with a regex over top-level `import ... from`, `import type ...
 * from`, `export ... from` and side-effect `import '...'` statements; relative specifiers are
 * resolved against the importing file's folder, and imports of files outside src/ are ignored.
 *
 * Cycles are checked twice: with run-time imports only (what Node loads), where there must be
 * none, and with type imports too, where the only cycles allowed are the groups in KNOWN_CYCLES.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');
const MAX_LINES = 300;

/**
 * Import cycles that exist only through type imports, inside one folder, each a group of files
 * that name each other's types. A change that breaks one up (or grows it) must update its entry
 * here; a new cycle, or any cycle of run-time imports, fails.
 */
const KNOWN_CYCLES: readonly (readonly string[])[] = [
  // A service's record holds its pool lane, whose execute() takes the engine and the record; the
  // engine holds the records and the transition hooks; settle and transitions take both.
  [
    'src/supervisor/engine.ts',
    'src/supervisor/executor.ts',
    'src/supervisor/pool-lane.ts',
    'src/supervisor/service.ts',
    'src/supervisor/settle.ts',
    'src/supervisor/transitions.ts',
  ],
  // A pool call records the lane it was sent to and a lane holds its calls; the watchdog, the
  // retirement and the capacity views that lanes.ts builds read lanes and calls.
  [
    'src/pool/call.ts',
    'src/pool/capacity.ts',
    'src/pool/lane.ts',
    'src/pool/lanes.ts',
    'src/pool/retirement.ts',
    'src/pool/watchdog.ts',
  ],
];

/** A statement at the start of a line: `import`/`export`, maybe `type`, maybe names and `from`, the specifier. */
const STATEMENT = /^(?:import|export)\s+(type\s+)?(?:([\w$*\s,{}]*?)\s*from\s*)?['"]([^'"]+)['"]/gm;
/** Looser: a line that ends an import or export with `from '<relative>'` (a cross-check of STATEMENT). */
const LOOSE = /^(?:import|export|\s*\}).*\bfrom\s*['"](\.\.?\/[^'"]+)['"]/gm;

interface Edge {
  readonly to: string;
  /** `import type`, `export type`, or braces naming only `type X` specifiers: erased at run time. */
  readonly typeOnly: boolean;
}

type Graph = ReadonlyMap<string, readonly Edge[]>;

const rel = (file: string): string => relative(ROOT, file).split('\\').join('/');

function sources(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(SRC, f))
    .sort();
}

/** The relative imports of `file` that land in src/, resolved to absolute paths. */
function importsOf(file: string, text: string): Edge[] {
  const edges: Edge[] = [];
  const read = new Set<string>();
  for (const [, type, clause, spec = ''] of text.matchAll(STATEMENT)) {
    if (!spec.startsWith('.')) continue;
    read.add(spec);
    const names = clause?.trim() ?? '';
    const typeNames = /^\{[^}]*\}$/.test(names) && names.slice(1, -1).trim() !== '';
    const typeOnly =
      type !== undefined ||
      (typeNames &&
        names
          .slice(1, -1)
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n !== '')
          .every((n) => n.startsWith('type ')));
    let to = resolve(dirname(file), spec);
    if (!existsSync(to) && to.endsWith('.js')) to = to.replace(/\.js$/, '.ts');
    if (to.startsWith(`${SRC}/`)) edges.push({ to, typeOnly });
  }
  const missed = [...text.matchAll(LOOSE)].map((m) => m[1] ?? '').filter((s) => !read.has(s));
  if (missed.length > 0)
    throw new Error(`${rel(file)}: imports the parser did not read: ${missed.join(', ')}`);
  return edges;
}

function readGraph(): Graph {
  const g = new Map<string, Edge[]>();
  for (const file of sources()) g.set(file, importsOf(file, readFileSync(file, 'utf8')));
  return g;
}

/** The graph's strongly connected groups of more than one file (Tarjan), each sorted. */
function cyclicGroups(g: Graph, withTypes: boolean): string[][] {
  const next = (v: string): string[] =>
    (g.get(v) ?? []).filter((e) => withTypes || !e.typeOnly).map((e) => e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1) groups.push(group.sort());
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return groups.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** A shortest cycle through the group's first file, as a path `a -> b -> a`. */
function cyclePath(g: Graph, group: readonly string[], withTypes: boolean): string {
  const inGroup = new Set(group);
  const start = group[0]!;
  const from = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const e of g.get(v) ?? []) {
      if ((!withTypes && e.typeOnly) || !inGroup.has(e.to)) continue;
      if (e.to === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(from.get(path[0]!)!);
        return [...path, start].map(rel).join(' -> ');
      }
      if (!from.has(e.to)) {
        from.set(e.to, v);
        queue.push(e.to);
      }
    }
  }
  return group.map(rel).join(', ');
}

const describeGroups = (g: Graph, groups: readonly string[][], withTypes: boolean): string[] =>
  groups.map((group) => `${cyclePath(g, group, withTypes)}   (group: ${group.map(rel).join(' ')})`);

describe('src/ layout', () => {
  const g = readGraph();

  it('reads the import graph', () => {
    // A parser that silently read nothing would pass the other checks.
    expect(g.size).toBeGreaterThan(50);
    expect(g.get(join(SRC, 'index.ts'))?.map((e) => e.to)).toContain(join(SRC, 'types.ts'));
    const dangling = [...g].flatMap(([file, edges]) =>
      edges.filter((e) => !existsSync(e.to)).map((e) => `${rel(file)} -> ${rel(e.to)}`),
    );
    expect(dangling, 'imports of files that do not exist').toEqual([]);
  });

  it('has no import cycles at run time', () => {
    const cycles = describeGroups(g, cyclicGroups(g, false), false);
    expect(cycles, `import cycles in src/ (run-time imports):\n  ${cycles.join('\n  ')}\n`).toEqual([]);
  });

  it('has no import cycles through type imports beyond the known groups', () => {
    const known = new Set(KNOWN_CYCLES.map((group) => [...group].sort().join(' ')));
    const groups = cyclicGroups(g, true);
    const found = new Set(groups.map((group) => group.map(rel).join(' ')));
    const cycles = describeGroups(
      g,
      groups.filter((group) => !known.has(group.map(rel).join(' '))),
      true,
    );
    expect(cycles, `import cycles in src/ (type imports included):\n  ${cycles.join('\n  ')}\n`).toEqual([]);
    const gone = [...known].filter((k) => !found.has(k));
    expect(gone, 'KNOWN_CYCLES entries that are no longer cycles: remove them').toEqual([]);
  });

  it(`has no file longer than ${MAX_LINES} lines`, () => {
    const long = sources()
      .map((file) => {
        const text = readFileSync(file, 'utf8');
        return { file: rel(file), lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) };
      })
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(long, `files over ${MAX_LINES} lines:\n  ${long.join('\n  ')}\n`).toEqual([]);
  });
});
