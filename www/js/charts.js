// Hand-written canvas charts (no library): line charts with linear or log x axes, grouped bar
// charts, spike rasters, and the axes they share. Charts are sharp on high-density screens, follow their
// container's width (re-drawn on resize) and keep their last data.

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const INK = '#1c2430';
const MUTED = '#5b6675';
const GRID = '#e3e7ec';
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

const last = new WeakMap();
const observer = typeof ResizeObserver !== 'undefined'
  ? new ResizeObserver((entries) => {
      for (const e of entries) {
        const c = e.target;
        const l = last.get(c);
        if (l && Math.abs(l.width - c.clientWidth) > 1) l.draw();
      }
    })
  : null;

/** Sizes the canvas backing store to its CSS box × devicePixelRatio; returns { ctx, w, h } in CSS px. */
export function fit(canvas, height) {
  const dpr = Math.min(window.devicePixelRatio || 1, 3);
  if (height) canvas.style.height = `${height}px`;
  const w = Math.max(50, canvas.clientWidth);
  const h = Math.max(50, height ?? canvas.clientHeight);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = FONT;
  return { ctx, w, h };
}

function remember(canvas, draw) {
  last.set(canvas, { width: canvas.clientWidth, draw });
  observer?.observe(canvas);
}

/** About `n` round tick values covering [min, max]. */
export function niceTicks(min, max, n = 5) {
  if (!(max > min)) return [min];
  const span = max - min;
  const step0 = span / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(+v.toFixed(12));
  return out;
}

const fmtDefault = (v) => {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e4) return `${(v / 1000).toFixed(0)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return +v.toFixed(2) + '';
  return +v.toPrecision(2) + '';
};

function extent(values, pad = 0) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/**
 * Axes frame: returns { sx, sy, plot } (scales from data to CSS px) after drawing the grid,
 * ticks and labels. x: { min, max, log, ticks, label, format }, y: likewise (linear).
 */
function axes(ctx, w, h, x, y, { top = 12, right = 12, legendRows = 0 } = {}) {
  const fy = y.format ?? fmtDefault;
  const fx = x.format ?? fmtDefault;
  const yTicks = y.ticks ?? niceTicks(y.min, y.max, Math.max(2, Math.floor(h / 45)));
  ctx.font = FONT;
  const left = Math.max(...yTicks.map((t) => ctx.measureText(fy(t)).width)) + (y.label ? 26 : 12);
  const bottom = (x.label ? 36 : 22) + legendRows * 18;
  const plot = { x0: left, x1: w - right, y0: top, y1: h - bottom };
  const lx = (v) => (x.log ? Math.log(v) : v);
  const [xa, xb] = [lx(x.min), lx(x.max)];
  const sx = (v) => plot.x0 + ((lx(v) - xa) / (xb - xa || 1)) * (plot.x1 - plot.x0);
  const sy = (v) => plot.y1 - ((v - y.min) / (y.max - y.min || 1)) * (plot.y1 - plot.y0);
  // grid + y ticks
  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  ctx.fillStyle = MUTED;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of yTicks) {
    const py = Math.round(sy(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(plot.x0, py);
    ctx.lineTo(plot.x1, py);
    ctx.stroke();
    ctx.fillText(fy(t), plot.x0 - 6, py);
  }
  // x ticks
  let xTicks = x.ticks;
  if (!xTicks) {
    if (x.log) {
      xTicks = [];
      for (let e = Math.floor(Math.log10(x.min)); e <= Math.ceil(Math.log10(x.max)); e++) {
        for (const m of [1, 2, 5]) {
          const v = m * 10 ** e;
          if (v >= x.min * 0.999 && v <= x.max * 1.001) xTicks.push(v);
        }
      }
    } else xTicks = niceTicks(x.min, x.max, Math.max(2, Math.floor((plot.x1 - plot.x0) / 70)));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  let lastRight = -Infinity;
  for (const t of xTicks) {
    const px = Math.round(sx(t)) + 0.5;
    ctx.strokeStyle = GRID;
    ctx.beginPath();
    ctx.moveTo(px, plot.y0);
    ctx.lineTo(px, plot.y1);
    ctx.stroke();
    const s = fx(t);
    const tw = ctx.measureText(s).width;
    if (px - tw / 2 > lastRight + 4) {
      ctx.fillText(s, px, plot.y1 + 5);
      lastRight = px + tw / 2;
    }
  }
  // frame
  ctx.strokeStyle = '#b8c0ca';
  ctx.beginPath();
  ctx.moveTo(plot.x0 + 0.5, plot.y0);
  ctx.lineTo(plot.x0 + 0.5, plot.y1 + 0.5);
  ctx.lineTo(plot.x1, plot.y1 + 0.5);
  ctx.stroke();
  // labels
  ctx.fillStyle = INK;
  if (x.label) {
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText(x.label, (plot.x0 + plot.x1) / 2, h - 2 - legendRows * 18);
  }
  if (y.label) {
    ctx.save();
    ctx.translate(11, (plot.y0 + plot.y1) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(y.label, 0, 0);
    ctx.restore();
  }
  return { sx, sy, plot };
}

/** Legend rows under the plot: items [{ label, color, dash }]; returns how many rows it needs. */
function legendLayout(ctx, w, items) {
  ctx.font = FONT;
  const rows = [[]];
  let x = 0;
  for (const it of items) {
    const iw = ctx.measureText(it.label).width + 34;
    if (x + iw > w - 20 && rows[rows.length - 1].length) {
      rows.push([]);
      x = 0;
    }
    rows[rows.length - 1].push({ ...it, x, iw });
    x += iw;
  }
  return rows;
}

function drawLegend(ctx, w, h, rows) {
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  rows.forEach((row, r) => {
    const total = row.reduce((s, it) => s + it.iw, 0);
    let x = Math.max(8, (w - total) / 2);
    const y = h - (rows.length - r) * 18 + 8;
    for (const it of row) {
      ctx.strokeStyle = it.color;
      ctx.fillStyle = it.color;
      ctx.lineWidth = 2.5;
      ctx.setLineDash(it.dash ?? []);
      if (it.bar) ctx.fillRect(x, y - 5, 18, 10);
      else if (it.line !== false) {
        ctx.beginPath();
        ctx.moveTo(x, y);
        ctx.lineTo(x + 18, y);
        ctx.stroke();
      }
      if (it.dot) {
        ctx.beginPath();
        ctx.arc(x + 9, y, 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
      ctx.setLineDash([]);
      ctx.fillStyle = INK;
      ctx.fillText(it.label, x + 23, y);
      x += it.iw;
    }
  });
}

/**
 * Line chart. opts: { height, x: {min,max,log,label,ticks,format}, y: {...}, series: [{ label,
 * color, points: [[x, y], …], width, dash, dots, alpha }], hlines: [{ y, color, dash, label }],
 * legend (default true), empty: text shown without data }. Missing min/max come from the data.
 */
export function lineChart(canvas, opts) {
  const draw = () => {
    const { ctx, w, h } = fit(canvas, opts.height ?? 220);
    const series = opts.series.filter((s) => s.points.length);
    const xs = series.flatMap((s) => s.points.map((p) => p[0]));
    const ys = series.flatMap((s) => s.points.map((p) => p[1])).concat((opts.hlines ?? []).map((l) => l.y));
    const [x0, x1] = extent(xs);
    const [y0, y1] = extent(ys, 0.05);
    const x = { ...opts.x, min: opts.x?.min ?? x0, max: opts.x?.max ?? x1 };
    const y = { ...opts.y, min: opts.y?.min ?? y0, max: opts.y?.max ?? y1 };
    let items = opts.legend === false ? [] : opts.series.filter((s) => s.label).map((s) => ({ label: s.label, color: s.color, dash: s.dash, dot: s.dots, line: s.line }));
    if (opts.legendSort) items = items.sort((a, b) => opts.legendSort(a.label, b.label));
    const rows = items.length ? legendLayout(ctx, w, items) : [];
    const { sx, sy, plot } = axes(ctx, w, h, x, y, { legendRows: rows.length });
    if (!series.length && opts.empty) {
      ctx.fillStyle = MUTED;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(opts.empty, (plot.x0 + plot.x1) / 2, (plot.y0 + plot.y1) / 2);
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x0, plot.y0 - 4, plot.x1 - plot.x0 + 4, plot.y1 - plot.y0 + 8);
    ctx.clip();
    for (const l of opts.hlines ?? []) {
      ctx.strokeStyle = l.color ?? MUTED;
      ctx.lineWidth = 1.2;
      ctx.setLineDash(l.dash ?? [5, 4]);
      ctx.beginPath();
      ctx.moveTo(plot.x0, sy(l.y));
      ctx.lineTo(plot.x1, sy(l.y));
      ctx.stroke();
      ctx.setLineDash([]);
      if (l.label) {
        ctx.fillStyle = l.color ?? MUTED;
        ctx.textAlign = 'right';
        ctx.textBaseline = 'bottom';
        ctx.fillText(l.label, plot.x1 - 4, sy(l.y) - 2);
      }
    }
    for (const s of series) {
      ctx.globalAlpha = s.alpha ?? 1;
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = s.width ?? 2;
      ctx.lineJoin = 'round';
      ctx.setLineDash(s.dash ?? []);
      if (s.line !== false) {
        ctx.beginPath();
        s.points.forEach(([px, py], i) => (i ? ctx.lineTo(sx(px), sy(py)) : ctx.moveTo(sx(px), sy(py))));
        ctx.stroke();
      }
      ctx.setLineDash([]);
      if (s.dots) {
        for (const [px, py] of s.points) {
          ctx.beginPath();
          ctx.arc(sx(px), sy(py), s.dotSize ?? 3.5, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
      ctx.globalAlpha = 1;
    }
    ctx.restore();
    if (rows.length) drawLegend(ctx, w, h, rows);
  };
  draw();
  remember(canvas, draw);
}

/**
 * Grouped bar chart. opts: { height, categories: [labels], groups: [{ label, color, values }],
 * y: { min, max, label, format, log }, xLabel }.
 */
export function barChart(canvas, opts) {
  const draw = () => {
    const { ctx, w, h } = fit(canvas, opts.height ?? 220);
    const vals = opts.groups.flatMap((g) => g.values);
    const y = { min: 0, max: Math.max(1e-9, ...vals.filter(Number.isFinite)) * 1.08, ...opts.y };
    const cats = opts.categories;
    const items = opts.groups.map((g) => ({ label: g.label, color: g.color, bar: true }));
    const rows = items.length > 1 || opts.legend ? legendLayout(ctx, w, items) : [];
    const x = { min: -0.5, max: cats.length - 0.5, label: opts.xLabel, ticks: cats.map((_, i) => i), format: (i) => cats[Math.round(i)] ?? '' };
    const { sx, sy, plot } = axes(ctx, w, h, x, y, { legendRows: rows.length });
    const slot = (plot.x1 - plot.x0) / cats.length;
    const gw = (slot * 0.8) / opts.groups.length;
    opts.groups.forEach((g, gi) => {
      ctx.fillStyle = g.color;
      g.values.forEach((v, i) => {
        if (!Number.isFinite(v) || v <= y.min) return;
        const px = sx(i) - slot * 0.4 + gi * gw;
        const top = sy(Math.min(v, y.max));
        ctx.fillRect(px, top, Math.max(1, gw - 1), plot.y1 - top);
      });
    });
    if (rows.length) drawLegend(ctx, w, h, rows);
  };
  draw();
  remember(canvas, draw);
}

/**
 * Spike raster: groups of rows (e.g. the inputs, then each hidden layer) stacked from the top,
 * one short vertical tick per spike. opts: { height, x: {min,max,label}, groups: [{ label,
 * rows, color, spikes: [[t, row], …], rowLabels: [one per row] (else the group's label is shown
 * at its middle), weight: rows' relative height (default 1) }], empty }. Returns the number of
 * ticks drawn.
 */
export function rasterChart(canvas, opts) {
  let drawn = 0;
  const draw = () => {
    const { ctx, w, h } = fit(canvas, opts.height ?? 240);
    const groups = opts.groups.filter((g) => g.rows > 0);
    // data units: each group spans rows × weight, with a gap of one unit between groups
    const gap = 1.5;
    let top = 0;
    const spans = groups.map((g) => {
      const unit = g.weight ?? 1;
      const s = { g, unit, y1: top, y0: top + g.rows * unit };
      top = s.y0 + gap;
      return s;
    });
    const total = Math.max(1, top - gap);
    // y runs upwards in axes(): a row r of a group sits at total - (y1 + (r + ½)·unit)
    const rowY = (s, r) => total - (s.y1 + (r + 0.5) * s.unit);
    const ticks = [];
    const labels = new Map();
    // rows of a group drawn this tall (CSS px) or taller get their own labels
    const plotH = h - 12 - (opts.x?.label ? 36 : 22);
    const rowPx = (s) => (s.unit / total) * plotH;
    for (const s of spans) {
      if (s.g.rowLabels && rowPx(s) >= 11) {
        s.g.rowLabels.forEach((l, r) => {
          const v = +rowY(s, r).toFixed(6);
          ticks.push(v);
          labels.set(v, l);
        });
      } else {
        const v = +(total - (s.y1 + s.y0) / 2).toFixed(6);
        ticks.push(v);
        labels.set(v, s.g.label);
      }
    }
    const y = { min: 0, max: total, ticks, format: (v) => labels.get(+v.toFixed(6)) ?? '' };
    const { sx, sy, plot } = axes(ctx, w, h, { ...opts.x }, y);
    drawn = 0;
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x0, plot.y0 - 2, plot.x1 - plot.x0 + 2, plot.y1 - plot.y0 + 4);
    ctx.clip();
    for (const s of spans) {
      // group frame: a faint band behind the rows
      ctx.fillStyle = 'rgba(32, 83, 201, 0.045)';
      ctx.fillRect(plot.x0 + 1, sy(total - s.y1), plot.x1 - plot.x0 - 1, sy(total - s.y0) - sy(total - s.y1));
      const px = Math.abs(sy(0) - sy(s.unit));
      const half = Math.max(1.2, Math.min(9, px * 0.42));
      ctx.strokeStyle = s.g.color ?? '#d9480f';
      ctx.lineWidth = px < 2.5 ? 1.2 : 1.8;
      ctx.beginPath();
      for (const [t, r] of s.g.spikes) {
        const cx = Math.round(sx(t)) + 0.5;
        const cy = sy(rowY(s, r));
        ctx.moveTo(cx, cy - half);
        ctx.lineTo(cx, cy + half);
        drawn++;
      }
      ctx.stroke();
    }
    ctx.restore();
    if (!drawn && opts.empty) {
      ctx.fillStyle = MUTED;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(opts.empty, (plot.x0 + plot.x1) / 2, (plot.y0 + plot.y1) / 2);
    }
  };
  draw();
  remember(canvas, draw);
  return drawn;
}
