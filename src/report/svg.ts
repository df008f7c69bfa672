// Small, dependency-free SVG charts for the static report: a report must open from disk anywhere,
// offline, so it carries its pictures inline instead of loading a chart library.

export interface Line {
  label: string;
  values: ArrayLike<number>;
  color: string;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  unit: string;
  /** x positions as UTC ms, same length as every series. */
  timesMs: ArrayLike<number>;
  zone: string;
  width?: number;
  height?: number;
}

const PAD = { left: 64, right: 16, top: 28, bottom: 36 };

export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

function frame(o: ChartOptions, yMin: number, yMax: number) {
  const w = o.width ?? 960;
  const h = o.height ?? 260;
  const n = o.timesMs.length;
  const t0 = o.timesMs[0];
  const t1 = o.timesMs[n - 1];
  const x = (i: number) =>
    PAD.left + ((o.timesMs[i] - t0) / Math.max(1, t1 - t0)) * (w - PAD.left - PAD.right);
  const y = (v: number) =>
    h - PAD.bottom - ((v - yMin) / Math.max(1e-9, yMax - yMin)) * (h - PAD.top - PAD.bottom);
  const parts: string[] = [];
  parts.push(
    `<text x="${PAD.left}" y="18" class="title">${esc(o.title)} <tspan class="unit">(${esc(o.unit)})</tspan></text>`,
  );
  const step = niceStep(yMax - yMin, 5);
  for (let v = Math.ceil(yMin / step) * step; v <= yMax + 1e-9; v += step) {
    parts.push(
      `<line x1="${PAD.left}" x2="${w - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`,
    );
    parts.push(`<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" class="ytick">${fmtTick(v)}</text>`);
  }
  const days = (t1 - t0) / 86_400_000;
  const fmt = new Intl.DateTimeFormat('en-CA', {
    timeZone: o.zone,
    month: '2-digit',
    day: '2-digit',
    ...(days <= 3 ? { hour: '2-digit', hour12: false } : {}),
  });
  // Multi-day charts tick at local midnights (every k-th day so at most ~10 labels); short ones evenly.
  const ticks: number[] = [];
  if (days > 3) {
    const everyDays = Math.max(1, Math.ceil(days / 10));
    let lastDay = '';
    let dayCount = 0;
    const dayOf = new Intl.DateTimeFormat('en-CA', {
      timeZone: o.zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    for (let i = 0; i < n; i++) {
      const day = dayOf.format(new Date(o.timesMs[i]));
      if (day !== lastDay) {
        if (dayCount++ % everyDays === 0) ticks.push(i);
        lastDay = day;
      }
    }
  } else for (let k = 0; k <= 8; k++) ticks.push(Math.round((k / 8) * (n - 1)));
  for (const i of ticks)
    parts.push(
      `<text x="${x(i).toFixed(1)}" y="${h - 14}" class="xtick">${esc(fmt.format(new Date(o.timesMs[i])))}</text>`,
    );
  return { w, h, x, y, parts };
}

function fmtTick(v: number): string {
  return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(Math.abs(v) >= 10000 ? 0 : 1)}k` : `${+v.toFixed(2)}`;
}

function legend(lines: { label: string; color: string }[], w: number): string {
  let x = w - PAD.right;
  const items: string[] = [];
  for (const l of [...lines].reverse()) {
    x -= l.label.length * 6.5 + 22;
    items.push(
      `<rect x="${x}" y="8" width="10" height="10" fill="${l.color}"/><text x="${x + 14}" y="17" class="legend">${esc(l.label)}</text>`,
    );
  }
  return items.join('');
}

function path(values: ArrayLike<number>, x: (i: number) => number, y: (v: number) => number): string {
  let d = '';
  for (let i = 0; i < values.length; i++)
    d += `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(values[i]).toFixed(1)}`;
  return d;
}

export function lineChart(o: ChartOptions, lines: Line[]): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of lines)
    for (let i = 0; i < l.values.length; i++) {
      lo = Math.min(lo, l.values[i]);
      hi = Math.max(hi, l.values[i]);
    }
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (lo > 0) lo = 0;
  const f = frame(o, lo, hi + (hi - lo) * 0.05 || 1);
  for (const l of lines)
    f.parts.push(
      `<path d="${path(l.values, f.x, f.y)}" fill="none" stroke="${l.color}" stroke-width="1.4"${l.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
    );
  f.parts.push(legend(lines, f.w));
  return `<svg viewBox="0 0 ${f.w} ${f.h}" class="chart" role="img" aria-label="${esc(o.title)}">${f.parts.join('')}</svg>`;
}

/** Stacked areas (each series ≥ 0, stacked in order) with optional overlay lines. */
export function stackedChart(o: ChartOptions, areas: Line[], overlays: Line[] = []): string {
  const n = o.timesMs.length;
  const tops = areas.map(() => new Float64Array(n));
  let hi = 0;
  for (let i = 0; i < n; i++) {
    let acc = 0;
    areas.forEach((a, k) => {
      acc += Math.max(0, a.values[i]);
      tops[k][i] = acc;
    });
    hi = Math.max(hi, acc);
  }
  for (const l of overlays) for (let i = 0; i < n; i++) hi = Math.max(hi, l.values[i]);
  const f = frame(o, 0, hi * 1.05 || 1);
  areas.forEach((a, k) => {
    const top = tops[k];
    const bottom = k ? tops[k - 1] : new Float64Array(n);
    let d = path(top, f.x, f.y);
    for (let i = n - 1; i >= 0; i--) d += `L${f.x(i).toFixed(1)},${f.y(bottom[i]).toFixed(1)}`;
    f.parts.push(`<path d="${d}Z" fill="${a.color}" fill-opacity="0.85" stroke="none"/>`);
  });
  for (const l of overlays)
    f.parts.push(
      `<path d="${path(l.values, f.x, f.y)}" fill="none" stroke="${l.color}" stroke-width="1.6"${l.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
    );
  f.parts.push(legend([...areas, ...overlays], f.w));
  return `<svg viewBox="0 0 ${f.w} ${f.h}" class="chart" role="img" aria-label="${esc(o.title)}">${f.parts.join('')}</svg>`;
}

/** Reduces a series to at most `maxPoints` by averaging (or taking the max of) equal buckets. */
export function downsample(
  values: ArrayLike<number>,
  bucket: number,
  mode: 'mean' | 'max' = 'mean',
): Float64Array {
  if (bucket <= 1) return Float64Array.from(values as ArrayLike<number>);
  const out = new Float64Array(Math.ceil(values.length / bucket));
  for (let b = 0; b < out.length; b++) {
    let acc = mode === 'max' ? -Infinity : 0;
    let cnt = 0;
    for (let i = b * bucket; i < Math.min(values.length, (b + 1) * bucket); i++) {
      acc = mode === 'max' ? Math.max(acc, values[i]) : acc + values[i];
      cnt++;
    }
    out[b] = mode === 'max' ? acc : acc / cnt;
  }
  return out;
}
