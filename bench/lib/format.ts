/** Human-readable numbers for the console and the Markdown report. */

/** `62 ns`, `3.12 µs`, `1.25 ms`, `2.10 s`. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const abs = Math.abs(ns);
  if (abs < 1_000) return `${abs < 10 ? ns.toFixed(1) : ns.toFixed(0)} ns`;
  if (abs < 1_000_000) return `${(ns / 1_000).toFixed(abs < 10_000 ? 2 : 1)} µs`;
  if (abs < 1_000_000_000) return `${(ns / 1_000_000).toFixed(abs < 10_000_000 ? 2 : 1)} ms`;
  return `${(ns / 1_000_000_000).toFixed(2)} s`;
}

/** `16.1M/s`, `412k/s`, `950/s`. */
export function formatOps(ops: number): string {
  if (!Number.isFinite(ops)) return String(ops);
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(ops >= 1e7 ? 1 : 2)}M/s`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(ops >= 1e4 ? 0 : 1)}k/s`;
  return `${ops.toFixed(0)}/s`;
}

/** `1.85x`, `12.3x`, `0.97x`. */
export function formatRatio(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`;
}

/** Milliseconds: `0.67 ms`, `8.4 ms`, `1043 ms`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const abs = Math.abs(ms);
  return `${abs >= 100 ? ms.toFixed(0) : abs >= 10 ? ms.toFixed(1) : ms.toFixed(2)} ms`;
}

/** `812 B`, `1.5 KB`, `3.2 MB` (binary units). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${bytes.toFixed(0)} B`;
  if (abs < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** `median (min–max)` with the given formatter. */
export function formatSpread(median: number, min: number, max: number, fmt: (n: number) => string): string {
  return `${fmt(median)} (${fmt(min)}–${fmt(max)})`;
}

/** Escapes a cell for a Markdown table. */
export function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Renders a Markdown table. */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
