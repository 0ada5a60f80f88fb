/**
 * The comparison chart: a Vega-Lite spec (grouped bars of precision, recall and NAB per configuration, for the
 * overall row and each event type), rendered to SVG in Node by vega, and to PNG by resvg. Nothing is fetched:
 * the data is inline and vega's headless renderer needs no browser.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { ComparisonRow } from './scorecard-table.ts';

const METRICS = [
  { key: 'precision', title: 'precision %', scale: 100 },
  { key: 'recall', title: 'recall %', scale: 100 },
  { key: 'nab', title: 'NAB', scale: 1 },
] as const;

export function comparisonChartSpec(rows: readonly ComparisonRow[], title = 'Configurations compared'): vl.TopLevelSpec {
  const labels = [...new Set(rows.map((r) => r.label))];
  const groups = [...new Set(rows.map((r) => r.group))];
  const values = rows.flatMap((r) =>
    METRICS.filter((m) => r[m.key] !== null).map((m) => ({ configuration: r.label, group: r.group, metric: m.title, value: (r[m.key] as number) * m.scale, alerts: r.alerts })),
  );
  return {
    title,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: METRICS.map((m) => m.title) } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: Math.max(120, groups.length * (labels.length * 10 + 12)),
      height: 200,
      mark: 'bar',
      encoding: {
        x: { field: 'group', type: 'nominal', sort: groups, title: null, axis: { labelAngle: -35, labelLimit: 220 } },
        xOffset: { field: 'configuration', type: 'nominal', sort: labels },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'configuration', type: 'nominal', sort: labels, title: 'configuration' },
        tooltip: [
          { field: 'configuration', type: 'nominal' },
          { field: 'group', type: 'nominal' },
          { field: 'metric', type: 'nominal' },
          { field: 'value', type: 'quantitative', format: '.1f' },
          { field: 'alerts', type: 'quantitative' },
        ],
      },
    },
  } as vl.TopLevelSpec;
}

export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string): Uint8Array {
  return new Resvg(svg, { font: { loadSystemFonts: true }, background: 'white', fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
}

/** SVG or PNG by the file extension */
export async function renderChart(spec: vl.TopLevelSpec, format: 'svg' | 'png'): Promise<string | Uint8Array> {
  const svg = await renderSvg(spec);
  return format === 'svg' ? svg : svgToPng(svg);
}
