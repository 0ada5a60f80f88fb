/**
 * Vega-Lite in Node: a chart cell's spec gets its data from SQL cells, UTC time scales and the report's look,
 * is compiled to Vega, drawn by a headless vega View as SVG, and turned into PNG by resvg. Nothing is ever
 * loaded from a URL: specs with one are rejected, and the View's loader refuses every request.
 */
import fs from 'node:fs';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import type { Row } from './values.ts';
import { PALETTES, paletteScale, type PaletteName } from './palette.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export const CHART_FONT = 'Liberation Sans, DejaVu Sans, Helvetica, Arial, sans-serif';

export const BASE_CONFIG: Obj = {
  font: CHART_FONT,
  customFormatTypes: true,
  background: 'white',
  padding: 8,
  title: { fontSize: 15, fontWeight: 600, anchor: 'start', color: '#1f2933', subtitleColor: '#52606d', subtitleFontSize: 12, subtitleFontWeight: 400, offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, labelColor: '#3e4c59', labelLimit: 300, titleColor: '#1f2933', gridColor: '#e8ebef', domainColor: '#9aa5b1', tickColor: '#9aa5b1', labelOverlap: true },
  // fewer, calendar-aligned time ticks: with the default count, dropping overlapping labels can leave only
  // mid-year months and hide the years
  axisTemporal: { tickCount: 8 },
  legend: { labelFontSize: 11, labelLimit: 320, titleFontSize: 12, titleFontWeight: 500, labelColor: '#3e4c59', titleColor: '#1f2933' },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: null },
  range: { category: ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#ff9da6', '#bab0ac'] },
  line: { strokeWidth: 1.6 },
};

export const DEFAULT_WIDTH = 720;
export const DEFAULT_HEIGHT = 240;
/** a chart draws aggregates; more rows than this means the SQL should aggregate first */
export const MAX_CHART_ROWS = 60_000;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function mergeConfig(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? mergeConfig(out[k] as Obj, v) : v;
  return out;
}

const TEMPORAL_CHANNELS = new Set(['x', 'x2', 'y', 'y2']);

function utcUnit(unit: Json): Json {
  if (typeof unit === 'string') return unit.startsWith('utc') ? unit : `utc${unit}`;
  if (isObj(unit)) return { ...unit, utc: true };
  return unit;
}

/** Times are UTC everywhere: temporal position scales become `utc`, time units their utc variants. */
function fixChannel(channel: string, def: Json, problems: string[] = []): Json {
  if (Array.isArray(def)) return def.map((d) => fixChannel(channel, d, problems));
  if (!isObj(def)) return def;
  const out: Obj = { ...def };
  // "palette": "event_type" → the shared colours (palette.ts), the same in every report and on the dashboard
  if (out.palette !== undefined) {
    const name = out.palette;
    delete out.palette;
    if (typeof name !== 'string' || !(name in PALETTES)) problems.push(`encoding.${channel}.palette: '${String(name)}' is not one of ${Object.keys(PALETTES).join(', ')}`);
    else out.scale = { ...(isObj(out.scale) ? out.scale : {}), ...(paletteScale(PALETTES[name as PaletteName]) as unknown as Obj) };
  }
  if (out.timeUnit !== undefined) out.timeUnit = utcUnit(out.timeUnit);
  if (out.type === 'temporal') {
    if (TEMPORAL_CHANNELS.has(channel)) {
      const scale = isObj(out.scale) ? out.scale : {};
      if (scale.type === undefined) out.scale = { ...scale, type: 'utc' };
    } else if (out.timeUnit === undefined && out.format === undefined && (channel === 'tooltip' || channel === 'text')) {
      // utcFormat is a Vega expression function; as a "custom" format type it formats the raw time in UTC
      out.format = '%Y-%m-%d %H:%M UTC';
      out.formatType = 'utcFormat';
    }
  }
  if (isObj(out.condition)) out.condition = fixChannel(channel, out.condition, problems);
  return out;
}

function fixTree(node: Json, path: string, problems: string[], dataNames: Set<string>): Json {
  if (Array.isArray(node)) return node.map((n, i) => fixTree(n, `${path}[${i}]`, problems, dataNames));
  if (typeof node === 'string') {
    if (/^\s*(https?:|ftp:)?\/\//i.test(node)) problems.push(`${path}: external URL '${node}' (reports work offline; charts take their data from SQL cells)`);
    return node;
  }
  if (!isObj(node)) return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) {
    const p = path ? `${path}.${k}` : k;
    if (k === 'encoding' && isObj(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([ch, def]) => [ch, fixTree(fixChannel(ch, def, problems), `${p}.${ch}`, problems, dataNames)]));
    } else if (k === 'data' && isObj(v)) {
      if ('url' in v) problems.push(`${p}.url: charts take their data from SQL cells (data=cellname), not from a URL`);
      if (typeof v.name === 'string') dataNames.add(v.name);
      out[k] = fixTree(v, p, problems, dataNames);
    } else if (k === 'transform' && Array.isArray(v)) {
      out[k] = v.map((t, i) => (isObj(t) && t.timeUnit !== undefined ? { ...(fixTree(t, `${p}[${i}]`, problems, dataNames) as Obj), timeUnit: utcUnit(t.timeUnit) } : fixTree(t, `${p}[${i}]`, problems, dataNames)));
    } else {
      out[k] = fixTree(v, p, problems, dataNames);
    }
  }
  return out;
}

export class ChartSpecError extends Error {}

/**
 * The spec as the page embeds it: data from the named SQL results (`datasets`), the first one as the
 * default `data`, UTC time, a default size and the report's config.
 */
export function prepareSpec(spec: unknown, datasets: Record<string, Row[]>): Obj {
  if (!isObj(spec)) throw new ChartSpecError('a Vega-Lite spec must be a JSON object');
  const names = Object.keys(datasets);
  for (const [n, rows] of Object.entries(datasets)) {
    if (rows.length > MAX_CHART_ROWS) throw new ChartSpecError(`data cell '${n}' has ${rows.length.toLocaleString('en-US')} rows, more than ${MAX_CHART_ROWS.toLocaleString('en-US')} a chart should embed: aggregate in SQL (time_bucket, GROUP BY)`);
  }
  const problems: string[] = [];
  const used = new Set<string>();
  const { config, $schema: _ignored, ...rest } = spec;
  const fixed = fixTree(rest, '', problems, used) as Obj;
  if (problems.length) throw new ChartSpecError(problems.join('; '));
  for (const u of used) if (!names.includes(u)) throw new ChartSpecError(`the spec reads data '${u}', which is not among the chart's data cells (data=${names.join(',') || '…'})`);
  if (fixed.datasets !== undefined) throw new ChartSpecError('datasets are filled from the data=… cells; remove "datasets" from the spec');
  const composite = ['hconcat', 'vconcat', 'concat', 'facet', 'repeat'].some((k) => k in fixed) || (isObj(fixed.encoding) && ('row' in fixed.encoding || 'column' in fixed.encoding || 'facet' in fixed.encoding));
  const out: Obj = { ...fixed };
  if (out.data === undefined && names.length > 0) out.data = { name: names[0] };
  out.datasets = datasets as unknown as Json;
  if (!composite) {
    if (out.width === undefined) out.width = DEFAULT_WIDTH;
    if (out.height === undefined) out.height = DEFAULT_HEIGHT;
  }
  out.config = mergeConfig(BASE_CONFIG, isObj(config) ? config : {});
  return out;
}

/** vega's loader, refusing every load: a report never reaches the network or reads files through a chart. */
function noLoader(): vega.Loader {
  const refuse = (uri: string) => Promise.reject(new Error(`chart tried to load '${uri}': charts take their data from SQL cells`));
  const l = vega.loader();
  l.load = refuse;
  l.sanitize = refuse as unknown as vega.Loader['sanitize'];
  l.http = refuse;
  l.file = refuse;
  return l;
}

interface Collected {
  warnings: string[];
  errors: string[];
}

function collectingLogger(c: Collected): vega.LoggerInterface {
  let lvl = vega.Warn;
  const text = (args: readonly unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const logger = {
    level(l?: number) {
      if (l === undefined) return lvl;
      lvl = l;
      return logger;
    },
    error(...args: readonly unknown[]) {
      c.errors.push(text(args));
      return logger;
    },
    warn(...args: readonly unknown[]) {
      c.warnings.push(text(args));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger as unknown as vega.LoggerInterface;
}

export interface DrawnChart {
  svg: string;
  warnings: string[];
}

/** Compiles and draws a prepared spec; throws ChartSpecError with Vega-Lite's or Vega's message. */
export async function drawChart(spec: Obj): Promise<DrawnChart> {
  const c: Collected = { warnings: [], errors: [] };
  let vg: vega.Spec;
  try {
    vg = compile(spec as never, { logger: collectingLogger(c) }).spec;
  } catch (err) {
    throw new ChartSpecError(`Vega-Lite: ${(err as Error).message}`);
  }
  if (c.errors.length) throw new ChartSpecError(`Vega-Lite: ${c.errors.join('; ')}`);
  let view: vega.View | null = null;
  try {
    view = new vega.View(vega.parse(vg), { renderer: 'none', loader: noLoader(), logger: collectingLogger(c) });
    const svg = await view.toSVG();
    if (c.errors.length) throw new Error(c.errors.join('; '));
    return { svg, warnings: [...new Set(c.warnings)] };
  } catch (err) {
    throw new ChartSpecError(`Vega: ${(err as Error).message}`);
  } finally {
    view?.finalize();
  }
}

const FONT_FILES = [
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];
let fontOptions: ResvgRenderOptions['font'] | undefined;

function fonts(): ResvgRenderOptions['font'] {
  if (!fontOptions) {
    const files = FONT_FILES.filter((f) => fs.existsSync(f));
    const family = files.some((f) => f.includes('Liberation')) ? 'Liberation Sans' : files.length ? 'DejaVu Sans' : undefined;
    // known files load in milliseconds; scanning every system font costs far more, so only as a fallback
    fontOptions = files.length ? { loadSystemFonts: false, fontFiles: files, defaultFontFamily: family, sansSerifFamily: family } : { loadSystemFonts: true };
  }
  return fontOptions;
}

/** PNG at twice the SVG's size, so text stays sharp on high-density screens and in documents. */
export function svgToPng(svg: string, zoom = 2): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: zoom }, background: 'white', font: fonts() }).render().asPng();
}
