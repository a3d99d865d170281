/**
 * A small hand-written SVG line chart (no chart library): axes with ticks, linear or log10 scales,
 * one polyline with markers per series, a legend. Enough for the three charts of the report.
 */

export interface ChartSeries {
  readonly name: string;
  /** [x, y] points; points with a non-finite or (on a log axis) non-positive coordinate are skipped. */
  readonly points: readonly (readonly [number, number])[];
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  /** Start the (linear) y axis at zero. @default true */
  readonly yFromZero?: boolean;
  readonly series: readonly ChartSeries[];
  /** Formats tick labels. @default compact numbers */
  readonly formatX?: (v: number) => string;
  readonly formatY?: (v: number) => string;
  readonly width?: number;
  readonly height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** Escapes text for use in SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** `1`, `100`, `10k`, `1.5M`: short labels for ticks. */
export function compactNumber(v: number): string {
  const abs = Math.abs(v);
  const trim = (s: string): string => s.replace(/\.0+$|(\.\d*?)0+$/, '$1');
  if (abs >= 1e9) return `${trim((v / 1e9).toFixed(1))}G`;
  if (abs >= 1e6) return `${trim((v / 1e6).toFixed(1))}M`;
  if (abs >= 1e3) return `${trim((v / 1e3).toFixed(1))}k`;
  if (abs >= 1 || v === 0) return trim(v.toFixed(abs >= 100 ? 0 : 1));
  return trim(v.toPrecision(2));
}

interface Scale {
  readonly map: (v: number) => number;
  readonly ticks: number[];
}

/** Nice linear ticks (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Powers of ten covering [lo, hi] (both > 0). */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) ticks.push(10 ** e);
  return ticks;
}

function makeScale(values: number[], log: boolean, fromZero: boolean, start: number, end: number): Scale {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (log) {
    const ticks = logTicks(lo, hi);
    lo = ticks[0]!;
    hi = ticks[ticks.length - 1]!;
    if (hi === lo) hi = lo * 10;
    const span = Math.log10(hi) - Math.log10(lo);
    return { ticks, map: (v) => start + ((Math.log10(v) - Math.log10(lo)) / span) * (end - start) };
  }
  if (fromZero) lo = Math.min(0, lo);
  if (hi === lo) hi = lo + 1;
  const ticks = linearTicks(lo, hi);
  lo = Math.min(lo, ticks[0]!);
  hi = Math.max(hi, ticks[ticks.length - 1]!);
  return { ticks, map: (v) => start + ((v - lo) / (hi - lo)) * (end - start) };
}

/** Renders the chart as a standalone SVG document. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 780;
  const height = spec.height ?? 420;
  const m = { left: 80, right: 240, top: 40, bottom: 56 };
  const fx = spec.formatX ?? compactNumber;
  const fy = spec.formatY ?? compactNumber;
  const ok = (x: number, y: number): boolean =>
    Number.isFinite(x) && Number.isFinite(y) && (!spec.xLog || x > 0) && (!spec.yLog || y > 0);
  const series = spec.series.map((s) => ({ name: s.name, points: s.points.filter(([x, y]) => ok(x, y)) }));
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  if (xs.length === 0) {
    out.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle">no data</text>`, '</svg>');
    return `${out.join('\n')}\n`;
  }
  const x = makeScale(xs, spec.xLog === true, false, m.left, width - m.right);
  const y = makeScale(ys, spec.yLog === true, spec.yFromZero !== false, height - m.bottom, m.top);
  const px = (v: number): string => x.map(v).toFixed(1);
  const py = (v: number): string => y.map(v).toFixed(1);
  const bottom = height - m.bottom;
  const right = width - m.right;
  out.push(`<g stroke="#e5e5e5">`);
  for (const t of y.ticks) out.push(`<line x1="${m.left}" y1="${py(t)}" x2="${right}" y2="${py(t)}"/>`);
  for (const t of x.ticks) out.push(`<line x1="${px(t)}" y1="${m.top}" x2="${px(t)}" y2="${bottom}"/>`);
  out.push('</g>');
  out.push(
    `<g stroke="#333333"><line x1="${m.left}" y1="${bottom}" x2="${right}" y2="${bottom}"/><line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${bottom}"/></g>`,
  );
  for (const t of x.ticks) {
    out.push(`<text x="${px(t)}" y="${bottom + 18}" text-anchor="middle">${escapeXml(fx(t))}</text>`);
  }
  for (const t of y.ticks) {
    out.push(
      `<text x="${m.left - 8}" y="${(Number(py(t)) + 4).toFixed(1)}" text-anchor="end">${escapeXml(fy(t))}</text>`,
    );
  }
  out.push(
    `<text x="${(m.left + right) / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text x="18" y="${(m.top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(m.top + bottom) / 2})">${escapeXml(spec.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    if (s.points.length > 1) {
      const pts = s.points.map(([a, b]) => `${px(a)},${py(b)}`).join(' ');
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`);
    }
    for (const [a, b] of s.points) out.push(`<circle cx="${px(a)}" cy="${py(b)}" r="3.5" fill="${color}"/>`);
    const ly = m.top + 8 + i * 20;
    out.push(
      `<line x1="${right + 14}" y1="${ly}" x2="${right + 36}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${right + 42}" y="${ly + 4}">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
