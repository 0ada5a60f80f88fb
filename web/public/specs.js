// The dashboard's Vega-Lite specs, as pure data built from the shared palette (engine/report/palette.ts, served
// as /palette.js). No DOM and no imports, so the tests build every spec in Node and hold it to vega-lite's JSON
// schema. Every time chart reads two parameters the page sets: `xdomain` (the brushed zoom, shared by all time
// charts; null shows the whole window) and `xfmt` (the axis label format, with a year when the window crosses one).

const C = { text: '#cbd5e1', muted: '#8b98ad', grid: '#1c2637', domain: '#2a3850', line: '#e5e9f0', up: '#22c55e', down: '#ef4444', ink: '#0a0f1c' };

export const CONFIG = {
  background: 'transparent',
  font: 'Inter, "Segoe UI", system-ui, sans-serif',
  padding: { left: 4, right: 8, top: 6, bottom: 4 },
  view: { stroke: null },
  axis: { labelColor: C.muted, titleColor: C.muted, gridColor: C.grid, domainColor: C.domain, tickColor: C.domain, labelFontSize: 10.5, titleFontSize: 10.5, titleFontWeight: 500, labelPadding: 4 },
  legend: { labelColor: C.text, titleColor: C.muted, labelFontSize: 10.5, symbolSize: 70, orient: 'top', title: null, padding: 0, offset: 4 },
  text: { color: C.text },
};

const scaleOf = (entries) => ({ domain: entries.map((e) => e.key), range: entries.map((e) => e.color) });

const TIME_PARAMS = [
  { name: 'xdomain', value: null },
  { name: 'xfmt', value: '%b %d' },
];

/** the zoomable, year-aware time axis of every time chart */
const xTime = (field = 't0') => ({
  field,
  type: 'temporal',
  title: null,
  scale: { type: 'utc', domainRaw: { expr: 'xdomain' } },
  axis: { labelAngle: 0, tickCount: 6, labelOverlap: 'greedy', grid: false, labelExpr: 'utcFormat(datum.value, xfmt)' },
});
const x2 = (field = 't1') => ({ field });
const tTip = { field: 't', type: 'temporal', title: 'hour (UTC)', format: '%Y-%m-%d %H:%M', formatType: 'utc' };

export function buildSpecs(P) {
  const SEV = scaleOf(P.SEVERITY_PALETTE);
  const VOL = scaleOf(P.VOL_REGIME_PALETTE);
  const SPOT = scaleOf(P.SPOT_REGIME_PALETTE);
  const upDown = { condition: { test: 'datum.close >= datum.open', value: C.up }, value: C.down };
  return {
    price: {
      params: TIME_PARAMS,
      layer: [
        {
          // a close-only line where the dataset has no candles (a live source, or candles not loaded)
          data: { name: 'series' },
          mark: { type: 'line', color: '#60a5fa', strokeWidth: 1.5, clip: true },
          encoding: { x: xTime('t'), y: { field: 'close', type: 'quantitative', title: 'price (USDT)', scale: { zero: false } }, tooltip: [tTip, { field: 'close', type: 'quantitative', format: ',.2f' }] },
        },
        {
          data: { name: 'candles' },
          mark: { type: 'rule', strokeWidth: 1, clip: true },
          encoding: { x: xTime('tm'), y: { field: 'low', type: 'quantitative', title: 'price (USDT)', scale: { zero: false } }, y2: { field: 'high' }, color: upDown },
        },
        {
          data: { name: 'candles' },
          mark: { type: 'rect', clip: true },
          encoding: {
            x: xTime('t0'),
            x2: x2('t1'),
            y: { field: 'open', type: 'quantitative' },
            y2: { field: 'close' },
            color: upDown,
            tooltip: [
              tTip,
              { field: 'open', type: 'quantitative', format: ',.2f' },
              { field: 'high', type: 'quantitative', format: ',.2f' },
              { field: 'low', type: 'quantitative', format: ',.2f' },
              { field: 'close', type: 'quantitative', format: ',.2f' },
              { field: 'volume', type: 'quantitative', format: ',.0f' },
            ],
          },
        },
        {
          // alerts: one marker per alert in short windows, one per time bin (sized by count) in long ones
          data: { name: 'alerts' },
          mark: { type: 'point', filled: true, opacity: 0.95, stroke: C.ink, strokeWidth: 1, clip: true },
          encoding: {
            x: xTime('t'),
            y: { field: 'y', type: 'quantitative' },
            color: { field: 'severity', type: 'nominal', scale: SEV, legend: { title: null } },
            shape: { field: 'severity', type: 'nominal', scale: { domain: SEV.domain, range: ['circle', 'triangle-up', 'diamond'] }, legend: { title: null } },
            size: { field: 'count', type: 'quantitative', scale: { type: 'sqrt', range: [60, 420] }, legend: null },
            tooltip: [{ field: 'when', type: 'nominal', title: 'hour (UTC)' }, { field: 'severity', type: 'nominal', title: 'highest severity' }, { field: 'count', type: 'quantitative', title: 'alerts' }, { field: 'title', type: 'nominal', title: 'alert' }],
          },
        },
        {
          data: { name: 'alerts' },
          transform: [{ filter: 'datum.count > 1' }],
          mark: { type: 'text', dy: -13, fontSize: 10, fontWeight: 700, clip: true },
          encoding: { x: xTime('t'), y: { field: 'y', type: 'quantitative' }, text: { field: 'count', type: 'quantitative' }, color: { value: C.text } },
        },
      ],
    },
    volume: {
      data: { name: 'candles' },
      params: [{ name: 'brush', select: { type: 'interval', encodings: ['x'] } }, { name: 'xfmt', value: '%b %d' }],
      mark: { type: 'rect' },
      encoding: {
        x: { field: 't0', type: 'temporal', title: null, scale: { type: 'utc' }, axis: { labelAngle: 0, tickCount: 6, labelOverlap: 'greedy', grid: false, labelExpr: 'utcFormat(datum.value, xfmt)' } },
        x2: x2('t1'),
        y: { field: 'volume', type: 'quantitative', title: 'volume', axis: { format: '~s', tickCount: 2 } },
        color: upDown,
        tooltip: [tTip, { field: 'volume', type: 'quantitative', format: ',.0f' }],
      },
    },
    volatility: {
      params: TIME_PARAMS,
      layer: [
        {
          data: { name: 'bands' },
          mark: { type: 'rect', opacity: 0.2, clip: true },
          encoding: { x: xTime('start'), x2: x2('end'), color: { field: 'regime', type: 'nominal', scale: VOL, legend: { title: null } }, tooltip: [{ field: 'regime', type: 'nominal', title: 'regime' }] },
        },
        { data: { name: 'one' }, mark: { type: 'rule', color: C.muted, strokeDash: [3, 3], opacity: 0.6 }, encoding: { y: { field: 'y', type: 'quantitative' } } },
        {
          data: { name: 'series' },
          mark: { type: 'line', color: C.line, strokeWidth: 1.5, clip: true },
          encoding: { x: xTime('t'), y: { field: 'ratio', type: 'quantitative', title: '24 h vol / baseline' }, tooltip: [tTip, { field: 'ratio', type: 'quantitative', format: '.2f' }, { field: 'regime', type: 'nominal' }] },
        },
      ],
    },
    funding: {
      params: TIME_PARAMS,
      layer: [
        {
          data: { name: 'guides' },
          mark: { type: 'rule', strokeDash: [4, 4], opacity: 0.55 },
          encoding: { y: { field: 'y', type: 'quantitative' }, color: { field: 'kind', type: 'nominal', scale: { domain: ['anomaly |z| ≥ 2', 'watch |z| ≥ 1'], range: [P.SEVERITY_PALETTE[2].color, P.SEVERITY_PALETTE[1].color] }, legend: { title: null } } },
        },
        {
          data: { name: 'series' },
          mark: { type: 'area', interpolate: 'step-after', color: '#a78bfa', opacity: 0.22, clip: true },
          encoding: { x: xTime('t'), y: { field: 'z', type: 'quantitative', title: 'funding z (30 d)' } },
        },
        {
          data: { name: 'series' },
          mark: { type: 'line', interpolate: 'step-after', color: '#a78bfa', strokeWidth: 1.5, clip: true },
          encoding: { x: xTime('t'), y: { field: 'z', type: 'quantitative' }, tooltip: [tTip, { field: 'z', type: 'quantitative', format: '.2f' }, { field: 'rate_pct', type: 'quantitative', title: '8 h rate %', format: '.4f' }] },
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
          mark: { type: 'rect', cornerRadius: 4, stroke: C.ink, strokeWidth: 3 },
          encoding: {
            color: { field: 'corr', type: 'quantitative', scale: { scheme: 'redblue', domain: [-1, 1] }, legend: { orient: 'right', title: 'corr', gradientLength: 150 } },
            tooltip: [{ field: 'pair', type: 'nominal' }, { field: 'corr', type: 'quantitative', format: '.3f' }, { field: 'normal', type: 'quantitative', format: '.3f', title: 'normal (720 h)' }, { field: 'state', type: 'nominal' }],
          },
        },
        { transform: [{ filter: 'datum.broken' }], mark: { type: 'rect', cornerRadius: 4, fill: null, stroke: P.SEVERITY_PALETTE[2].color, strokeWidth: 2.5 } },
        { mark: { type: 'text', fontSize: 13, fontWeight: 600, dy: -7 }, encoding: { text: { field: 'label' }, color: { condition: { test: 'abs(datum.corr) < 0.45', value: C.ink }, value: '#f8fafc' } } },
        { mark: { type: 'text', fontSize: 10, dy: 9 }, encoding: { text: { field: 'sub' }, color: { condition: { test: 'abs(datum.corr) < 0.45', value: '#334155' }, value: C.text } } },
      ],
    },
    liquidations: {
      params: TIME_PARAMS,
      data: { name: 'series' },
      mark: { type: 'rect', clip: true },
      encoding: {
        x: xTime('t0'),
        x2: x2('t1'),
        y: { field: 'y0', type: 'quantitative', title: 'USD in the cascade window', axis: { format: '~s' } },
        y2: { field: 'y1' },
        color: { field: 'side', type: 'nominal', scale: { domain: ['longs liquidated', 'shorts liquidated'], range: [C.down, C.up] }, legend: { title: null } },
        tooltip: [tTip, { field: 'side', type: 'nominal' }, { field: 'usd', type: 'quantitative', format: '$,.0f' }],
      },
    },
    regime: {
      params: TIME_PARAMS,
      layer: [
        {
          data: { name: 'bands' },
          mark: { type: 'rect', opacity: 0.5, clip: true },
          encoding: {
            x: xTime('start'),
            x2: x2('end'),
            color: { field: 'regime', type: 'nominal', scale: SPOT, legend: { title: null, labelExpr: "replace(datum.label, 'SPOT_', '')" } },
            tooltip: [{ field: 'regime', type: 'nominal', title: 'primary regime' }],
          },
        },
        {
          data: { name: 'series' },
          mark: { type: 'line', color: C.line, strokeWidth: 1.4, interpolate: 'step-after', clip: true },
          encoding: {
            x: xTime('t'),
            y: { field: 'confidence', type: 'quantitative', title: 'confidence', scale: { domain: [0, 1] }, axis: { format: '.0%', tickCount: 4 } },
            tooltip: [tTip, { field: 'primary', type: 'nominal', title: 'primary regime' }, { field: 'confidence', type: 'quantitative', format: '.0%' }],
          },
        },
      ],
    },
  };
}

const HEIGHTS = { price: 250, volume: 64, correlation: 230, regime: 110, liquidations: 180 };

/** the complete spec one chart is embedded with (datasets filled later through changesets) */
export function fullSpec(P, kind, datasets) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 'container',
    height: HEIGHTS[kind] ?? 190,
    autosize: { type: 'fit', contains: 'padding' },
    config: CONFIG,
    datasets,
    ...buildSpecs(P)[kind],
  };
}

export const CHART_KINDS = ['price', 'volume', 'volatility', 'funding', 'correlation', 'liquidations', 'regime'];

/** the axis label format: hours in short windows, and a year whenever the window crosses one */
export function timeFormat(first, last) {
  const crossesYear = new Date(first).getUTCFullYear() !== new Date(last).getUTCFullYear();
  const short = last - first <= 4 * 86_400_000;
  if (crossesYear) return short ? '%Y-%m-%d %H:%M' : '%Y-%m-%d';
  return short ? '%b %d %H:%M' : '%b %d';
}
