/**
 * Example handlers: CPU-bound JSON work, the kind that should not run on a server's event loop.
 * Register with `worker: new URL('./workers/examples/json.js', import.meta.url)` (from dist/).
 */

export interface JsonSummary {
  /** Characters parsed. */
  readonly bytes: number;
  /** Values in the document (objects, arrays and primitives). */
  readonly values: number;
  /** Deepest nesting. */
  readonly depth: number;
  /** Top-level keys of an object document, else []. */
  readonly keys: readonly string[];
}

/** Parses `text` and returns the value (throws the parser's SyntaxError on bad input). */
export function parse(text: string): unknown {
  return JSON.parse(text);
}

/** Parses `text` and describes it without sending the whole value back. */
export function summarize(text: string): JsonSummary {
  const value: unknown = JSON.parse(text);
  let values = 0;
  let depth = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    values++;
    if (d > depth) depth = d;
    if (typeof v === 'object' && v !== null) {
      for (const child of Object.values(v)) stack.push([child, d + 1]);
    }
  }
  const keys = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
  return { bytes: text.length, values, depth, keys };
}

/** Picks `path` (dot separated) out of the parsed document. */
export function pick(text: string, path: string): unknown {
  let v: unknown = JSON.parse(text);
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
