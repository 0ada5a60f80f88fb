// Vega-Lite charts. Each chart is embedded once; later refreshes replace its named datasets through a changeset,
// so the slider and the 10 s refresh move the data without rebuilding (or flickering) the SVG.
/* global vega, vegaEmbed */
import { HOUR, short } from './format.js';

const C = {
  text: '#cbd5e1',
  muted: '#8b98ad',
  grid: '#1c2637',
  domain: '#2a3850',
  line: '#e5e9f0',
  price: '#60a5fa',
};

const CONFIG = {
  background: null,
  font: 'Inter, "Segoe UI", system-ui, sans-serif',
  padding: { left: 4, right: 8, top: 6, bottom: 4 },
  view: { stroke: null },
  axis: {
    labelColor: C.muted,
    titleColor: C.muted,
    gridColor: C.grid,
    domainColor: C.domain,
    tickColor: C.domain,
    labelFontSize: 10.5,
    titleFontSize: 10.5,
    titleFontWeight: 500,
    labelPadding: 4,
  },
  legend: { labelColor: C.text, titleColor: C.muted, labelFontSize: 10.5, symbolSize: 70, orient: 'top', title: null, padding: 0, offset: 4 },
  text: { color: C.text },
};

const VOL_REGIMES = ['STABLE', 'HIGH_VOL', 'EXPLOSIVE', 'EXTREME'];
const VOL_COLORS = ['#22c55e', '#eab308', '#f97316', '#ef4444'];
const SPOT_REGIMES = ['SPOT_IGNITION', 'SPOT_COOLING', 'SPOT_CHOP', 'SPOT_NEUTRAL'];
const SPOT_COLORS = ['#f43f5e', '#38bdf8', '#a78bfa', '#64748b'];
const SEVERITIES = ['INFO', 'WARNING', 'CRITICAL'];
const SEV_COLORS = ['#60a5fa', '#f59e0b', '#ef4444'];
const HEIGHT = 210;

const xTime = { field: 't', type: 'temporal', title: null, scale: { type: 'utc' }, axis: { labelAngle: 0, tickCount: 6, labelOverlap: true, grid: false } };
const tTip = { field: 't', type: 'temporal', title: 'hour (UTC)', format: '%Y-%m-%d %H:%M', scale: { type: 'utc' } };

const SPECS = {
  price: {
    layer: [
      {
        data: { name: 'series' },
        mark: { type: 'line', color: C.price, strokeWidth: 1.6, invalid: 'break-paths-show-domains' },
        encoding: {
          x: xTime,
          y: { field: 'close', type: 'quantitative', title: 'close (USDT)', scale: { zero: false } },
          tooltip: [tTip, { field: 'close', type: 'quantitative', format: ',.2f' }],
        },
      },
      {
        data: { name: 'alerts' },
        mark: { type: 'point', filled: true, size: 80, opacity: 0.95, stroke: '#0a0f1c', strokeWidth: 1 },
        encoding: {
          x: { field: 't', type: 'temporal', scale: { type: 'utc' } },
          y: { field: 'close', type: 'quantitative' },
          color: { field: 'severity', type: 'nominal', scale: { domain: SEVERITIES, range: SEV_COLORS }, legend: { title: null } },
          shape: { field: 'severity', type: 'nominal', scale: { domain: SEVERITIES, range: ['circle', 'triangle-up', 'diamond'] }, legend: { title: null } },
          tooltip: [tTip, { field: 'severity', type: 'nominal' }, { field: 'title', type: 'nominal', title: 'alert' }],
        },
      },
    ],
  },
  volatility: {
    layer: [
      {
        data: { name: 'bands' },
        mark: { type: 'rect', opacity: 0.2 },
        encoding: {
          x: { field: 'start', type: 'temporal', title: null, scale: { type: 'utc' }, axis: xTime.axis },
          x2: { field: 'end' },
          color: { field: 'regime', type: 'nominal', scale: { domain: VOL_REGIMES, range: VOL_COLORS }, legend: { title: null } },
          tooltip: [{ field: 'regime', type: 'nominal', title: 'regime' }],
        },
      },
      {
        data: { name: 'one' },
        mark: { type: 'rule', color: C.muted, strokeDash: [3, 3], opacity: 0.6 },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { name: 'series' },
        mark: { type: 'line', color: C.line, strokeWidth: 1.5, invalid: 'break-paths-show-domains' },
        encoding: {
          x: { field: 't', type: 'temporal', scale: { type: 'utc' } },
          y: { field: 'ratio', type: 'quantitative', title: '24 h vol / baseline' },
          tooltip: [tTip, { field: 'ratio', type: 'quantitative', format: '.2f' }, { field: 'regime', type: 'nominal' }],
        },
      },
    ],
  },
  funding: {
    layer: [
      {
        data: { name: 'guides' },
        mark: { type: 'rule', strokeDash: [4, 4] },
        encoding: {
          y: { field: 'y', type: 'quantitative' },
          color: { field: 'kind', type: 'nominal', scale: { domain: ['anomaly |z| ≥ 2', 'watch |z| ≥ 1'], range: ['#ef4444', '#f59e0b'] }, legend: { title: null } },
          opacity: { value: 0.55 },
        },
      },
      {
        data: { name: 'series' },
        mark: { type: 'area', interpolate: 'step-after', color: '#a78bfa', opacity: 0.22, invalid: 'break-paths-show-domains' },
        encoding: { x: xTime, y: { field: 'z', type: 'quantitative', title: 'funding z (30 d)' } },
      },
      {
        data: { name: 'series' },
        mark: { type: 'line', interpolate: 'step-after', color: '#a78bfa', strokeWidth: 1.5, invalid: 'break-paths-show-domains' },
        encoding: {
          x: { field: 't', type: 'temporal', scale: { type: 'utc' } },
          y: { field: 'z', type: 'quantitative' },
          tooltip: [tTip, { field: 'z', type: 'quantitative', format: '.2f' }, { field: 'rate_pct', type: 'quantitative', title: '8 h rate %', format: '.4f' }],
        },
      },
    ],
  },
  correlation: {
    data: { name: 'matrix' },
    encoding: {
      x: { field: 'x', type: 'nominal', title: null, sort: { field: 'xi' }, axis: { orient: 'top', labelAngle: 0, labelFontSize: 12, labelColor: C.text, domain: false, ticks: false } },
      y: { field: 'y', type: 'nominal', title: null, sort: { field: 'yi' }, axis: { labelFontSize: 12, labelColor: C.text, domain: false, ticks: false } },
    },
    layer: [
      {
        mark: { type: 'rect', cornerRadius: 4, stroke: '#0a0f1c', strokeWidth: 3 },
        encoding: {
          color: { field: 'corr', type: 'quantitative', scale: { scheme: 'redblue', domain: [-1, 1] }, legend: { orient: 'right', title: 'corr', gradientLength: 150 } },
          tooltip: [{ field: 'pair', type: 'nominal' }, { field: 'corr', type: 'quantitative', format: '.3f' }, { field: 'normal', type: 'quantitative', format: '.3f', title: 'normal (720 h)' }, { field: 'state', type: 'nominal' }],
        },
      },
      {
        transform: [{ filter: 'datum.broken' }],
        mark: { type: 'rect', cornerRadius: 4, fill: null, stroke: '#ef4444', strokeWidth: 2.5 },
      },
      {
        mark: { type: 'text', fontSize: 13, fontWeight: 600, dy: -7 },
        encoding: { text: { field: 'label' }, color: { condition: { test: 'abs(datum.corr) < 0.45', value: '#0a0f1c' }, value: '#f8fafc' } },
      },
      {
        mark: { type: 'text', fontSize: 10, dy: 9 },
        encoding: { text: { field: 'sub' }, color: { condition: { test: 'abs(datum.corr) < 0.45', value: '#334155' }, value: '#cbd5e1' } },
      },
    ],
  },
  liquidations: {
    data: { name: 'series' },
    mark: { type: 'bar', width: { band: 0.85 } },
    encoding: {
      // an hourly time unit gives the bars an hour's band on the time axis
      x: { field: 't', type: 'temporal', timeUnit: 'utcyearmonthdatehours', title: null, axis: { ...xTime.axis, format: '%b %d' } },
      y: { field: 'usd', type: 'quantitative', title: 'USD in the cascade window', stack: true, axis: { format: '~s' } },
      color: { field: 'side', type: 'nominal', scale: { domain: ['longs liquidated', 'shorts liquidated'], range: ['#ef4444', '#22c55e'] }, legend: { title: null } },
      tooltip: [{ field: 't', type: 'temporal', timeUnit: 'utcyearmonthdatehours', title: 'hour (UTC)', format: '%Y-%m-%d %H:%M' }, { field: 'side', type: 'nominal' }, { field: 'usd', type: 'quantitative', format: '$,.0f' }],
    },
  },
  regime: {
    layer: [
      {
        data: { name: 'bands' },
        mark: { type: 'rect', opacity: 0.5 },
        encoding: {
          x: { field: 'start', type: 'temporal', title: null, scale: { type: 'utc' }, axis: xTime.axis },
          x2: { field: 'end' },
          color: { field: 'regime', type: 'nominal', scale: { domain: SPOT_REGIMES, range: SPOT_COLORS }, legend: { title: null, labelExpr: "replace(datum.label, 'SPOT_', '')" } },
          tooltip: [{ field: 'regime', type: 'nominal', title: 'primary regime' }],
        },
      },
      {
        data: { name: 'series' },
        mark: { type: 'line', color: C.line, strokeWidth: 1.4, interpolate: 'step-after', invalid: 'break-paths-show-domains' },
        encoding: {
          x: { field: 't', type: 'temporal', scale: { type: 'utc' } },
          y: { field: 'confidence', type: 'quantitative', title: 'confidence', scale: { domain: [0, 1] }, axis: { format: '.0%', tickCount: 4 } },
          tooltip: [tTip, { field: 'primary', type: 'nominal', title: 'primary regime' }, { field: 'confidence', type: 'quantitative', format: '.0%' }],
        },
      },
    ],
  },
};

const views = new Map();

async function embed(id, kind, datasets) {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 'container',
    height: kind === 'correlation' ? 250 : kind === 'regime' ? 120 : HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    config: CONFIG,
    datasets,
    ...SPECS[kind],
  };
  // vega warns about empty extents when a window has no data; the panel's own overlay says that instead
  const result = await vegaEmbed(`#${id}`, spec, { actions: false, renderer: 'svg', tooltip: { theme: 'dark' }, logLevel: vega.Error });
  views.set(id, result.view);
}

/** draws the chart the first time, then swaps its datasets */
export async function draw(id, kind, datasets) {
  const view = views.get(id);
  if (!view) return embed(id, kind, datasets);
  for (const [name, values] of Object.entries(datasets)) {
    view.change(name, vega.changeset().remove(vega.truthy).insert(values));
  }
  await view.resize().runAsync();
}

/** rows with a null where an hour is missing, so lines break at data gaps instead of bridging them */
export function withGaps(rows, value) {
  const out = [];
  let prev = null;
  for (const r of rows) {
    if (prev !== null && r.ts - prev > HOUR) out.push({ t: prev + HOUR, [value]: null });
    out.push({ ...r, t: r.ts });
    prev = r.ts;
  }
  return out;
}

/** consecutive hours of one regime → one band */
export function bands(rows) {
  const out = [];
  let cur = null;
  for (const r of rows) {
    if (cur && r.regime === cur.regime && r.ts === cur.end) cur.end = r.ts + HOUR;
    else {
      if (cur && cur.regime) out.push(cur);
      cur = { regime: r.regime, start: r.ts, end: r.ts + HOUR };
    }
  }
  if (cur && cur.regime) out.push(cur);
  return out;
}

export function correlationMatrix(symbols, pairs) {
  const idx = new Map(symbols.map((s, i) => [s, i]));
  const cells = symbols.map((s, i) => ({ x: short(s), y: short(s), xi: i, yi: i, corr: 1, normal: 1, label: '1.00', sub: '', pair: s, broken: false, state: 'self' }));
  for (const p of pairs) {
    const state = p.broken === true ? 'BREAK' : p.corr === null ? 'no data' : 'normal';
    const base = { corr: p.corr, normal: p.normal, broken: p.broken === true, pair: `${short(p.a)}/${short(p.b)}`, state };
    const label = p.corr === null ? 'n/a' : p.corr.toFixed(2);
    const sub = p.broken === true ? 'BREAK' : p.normal === null ? '' : `norm ${p.normal.toFixed(2)}`;
    cells.push({ ...base, x: short(p.a), y: short(p.b), xi: idx.get(p.a), yi: idx.get(p.b), label, sub });
    cells.push({ ...base, x: short(p.b), y: short(p.a), xi: idx.get(p.b), yi: idx.get(p.a), label, sub });
  }
  return cells;
}
