/**
 * Line charts as inline SVG strings, for the self-contained HTML report: no
 * script, no external asset. Pure.
 */

/** One line of a chart. Points with a null value leave a gap. */
export interface ChartSeries {
  name: string;
  /** Any CSS colour. */
  color: string;
  points: readonly (readonly [x: number, y: number | null])[];
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title: string;
  /** Unit shown on the y axis (`ms`, `req/s`). */
  yUnit: string;
  series: readonly ChartSeries[];
  /** @default 760 */
  width?: number;
  /** @default 240 */
  height?: number;
}

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** About `count` round tick values covering [min, max] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (max <= min) max = min + 1;
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${Number((v / 1000).toPrecision(3))}k` : String(Number(v.toPrecision(3))));

/** An SVG line chart with axes, grid lines and a legend. */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 240;
  const pad = { left: 56, right: 16, top: 28, bottom: 34 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = options.series.flatMap((s) => s.points.map((p) => p[1]).filter((y): y is number => y !== null && Number.isFinite(y)));
  const xTicks = niceTicks(Math.min(0, ...xs), Math.max(1, ...xs), 8);
  const yTicks = niceTicks(0, Math.max(0, ...ys), 4);
  const x0 = xTicks[0]!;
  const x1 = xTicks[xTicks.length - 1]!;
  const y1 = yTicks[yTicks.length - 1]!;
  const px = (x: number) => pad.left + ((x - x0) / (x1 - x0 || 1)) * plotW;
  const py = (y: number) => pad.top + plotH - (y / (y1 || 1)) * plotH;
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(options.title)}">`);
  parts.push(`<text x="${pad.left}" y="16" class="chart-title">${escapeHtml(options.title)} (${escapeHtml(options.yUnit)})</text>`);
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${pad.top + plotH}" y2="${pad.top + plotH + 4}" class="axis"/>`);
    parts.push(`<text x="${x}" y="${pad.top + plotH + 16}" class="tick" text-anchor="middle">${fmt(t)}s</text>`);
  }
  parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${pad.top + plotH}" y2="${pad.top + plotH}" class="axis"/>`);
  parts.push(`<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${pad.top + plotH}" class="axis"/>`);
  for (const s of options.series) {
    // Split at gaps so a missing interval is not drawn as a slope.
    let run: string[] = [];
    const flush = () => {
      if (run.length === 1) parts.push(`<circle cx="${run[0]!.split(',')[0]}" cy="${run[0]!.split(',')[1]}" r="2" fill="${escapeHtml(s.color)}"/>`);
      else if (run.length > 1) parts.push(`<polyline fill="none" stroke="${escapeHtml(s.color)}" stroke-width="1.5" points="${run.join(' ')}"/>`);
      run = [];
    };
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y)) flush();
      else run.push(`${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    }
    flush();
  }
  let lx = pad.left + 8;
  for (const s of options.series) {
    parts.push(`<rect x="${lx}" y="${pad.top + 2}" width="10" height="3" fill="${escapeHtml(s.color)}"/>`);
    parts.push(`<text x="${lx + 14}" y="${pad.top + 7}" class="legend">${escapeHtml(s.name)}</text>`);
    lx += 24 + s.name.length * 7;
  }
  parts.push('</svg>');
  return parts.join('');
}
