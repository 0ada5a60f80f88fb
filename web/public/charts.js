// Vega-Lite charts. Each chart is embedded once; later refreshes replace its named datasets through a changeset,
// so the slider and the 10 s refresh move the data without rebuilding (or flickering) the SVG. The volume strip
// under the candles is the brush: dragging on it zooms every time chart (the `xdomain` parameter of specs.js).
/* global vega, vegaEmbed */
import * as P from '/palette.js';
import { fullSpec, timeFormat } from './specs.js';

const views = new Map();
const TIME_CHARTS = new Set(['price', 'volatility', 'funding', 'liquidations', 'regime']);
let zoom = null;
let format = '%b %d';
const zoomListeners = [];

async function embed(id, kind, datasets) {
  // vega warns about empty extents when a window has no data; the panel's own note says that instead
  // ast: vega interprets its expressions instead of compiling them with Function(), so the CSP needs no 'unsafe-eval'
  const result = await vegaEmbed(`#${id}`, fullSpec(P, kind, datasets), { actions: false, renderer: 'svg', ast: true, tooltip: { theme: 'dark' }, logLevel: vega.Error });
  const view = result.view;
  views.set(id, { view, kind });
  if (kind === 'volume') {
    view.addSignalListener('brush', (_name, value) => {
      const extent = value && Object.values(value)[0];
      setZoom(Array.isArray(extent) && extent.length === 2 ? [+extent[0], +extent[1]] : null);
    });
  }
  if (TIME_CHARTS.has(kind)) view.signal('xdomain', zoom);
  if (TIME_CHARTS.has(kind) || kind === 'volume') view.signal('xfmt', format);
  await view.runAsync();
}

/** draws the chart the first time, then swaps its datasets */
export async function draw(id, kind, datasets) {
  const entry = views.get(id);
  if (!entry) return embed(id, kind, datasets);
  const { view } = entry;
  for (const [name, values] of Object.entries(datasets)) view.change(name, vega.changeset().remove(vega.truthy).insert(values));
  if (TIME_CHARTS.has(kind) || kind === 'volume') view.signal('xfmt', format);
  await view.resize().runAsync();
}

/** the axis format for the window shown (a year when it crosses one) */
export function setWindow(first, last) {
  format = timeFormat(first, last);
}

/** zoom every time chart to [from, to] (epoch ms), or back to the whole window with null */
export function setZoom(extent) {
  zoom = extent;
  for (const { view, kind } of views.values()) {
    if (!TIME_CHARTS.has(kind)) continue;
    view.signal('xdomain', zoom);
    view.runAsync();
  }
  for (const f of zoomListeners) f(zoom);
}

export function onZoom(f) {
  zoomListeners.push(f);
}

/** forget the brush too: the volume strip is embedded afresh on its next draw */
export function resetZoom(volumeId) {
  const entry = views.get(volumeId);
  if (entry) {
    entry.view.finalize();
    views.delete(volumeId);
    document.getElementById(volumeId).replaceChildren();
  }
  setZoom(null);
}
