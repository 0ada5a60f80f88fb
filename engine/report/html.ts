/**
 * The report page: one self-contained HTML file. vega, vega-lite and vega-embed are inlined from node_modules
 * (no CDN), every chart's spec and data sit in a JSON script tag, and each chart also carries its SVG inside
 * <noscript> for readers without JavaScript. The page loads nothing from anywhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeHtml } from './values.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export function findPackageFile(pkg: string, rel: string): string {
  for (let dir = HERE; ; dir = path.dirname(dir)) {
    const f = path.join(dir, 'node_modules', pkg, rel);
    if (fs.existsSync(f)) return f;
    if (path.dirname(dir) === dir) throw new Error(`cannot find ${pkg}/${rel} in any node_modules above ${HERE}`);
  }
}

const LIBS = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
] as const;

let libCache: { script: string; versions: string } | null = null;

/** The three libraries as one inline script (read once per process). */
export function inlineLibraries(): { script: string; versions: string } {
  if (!libCache) {
    const parts: string[] = [];
    const versions: string[] = [];
    for (const [pkg, rel] of LIBS) {
      const file = findPackageFile(pkg, rel);
      const version = (JSON.parse(fs.readFileSync(path.join(file, '../../package.json'), 'utf8')) as { version: string }).version;
      versions.push(`${pkg} ${version}`);
      // an HTML parser ends a script at "</script" whatever the JavaScript around it means
      parts.push(fs.readFileSync(file, 'utf8').replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--'));
    }
    libCache = { script: parts.join('\n;\n'), versions: versions.join(', ') };
  }
  return libCache;
}

/** JSON inside <script type="application/json">: `<` escaped so no string can close the tag. */
export function jsonScript(id: string, value: unknown): string {
  const json = JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<script type="application/json" id="${escapeHtml(id)}">${json}</script>`;
}

export const CSS = `
:root { --ink: #1f2933; --muted: #52606d; --line: #d9dee4; --soft: #f5f7fa; --accent: #2f6db5; --bad: #b42318; --badbg: #fef3f2; --warn: #8a5a00; --warnbg: #fffaeb; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.6 "Liberation Sans", "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 28px 28px 64px; }
h1 { font-size: 28px; line-height: 1.25; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-top: 10px; border-top: 1px solid var(--line); }
h3 { font-size: 17px; margin: 24px 0 8px; }
p, ul, ol { margin: 8px 0 12px; }
a { color: var(--accent); }
code { font: 13px/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace; background: var(--soft); padding: 1px 4px; border-radius: 3px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow-x: auto; }
pre code { background: none; padding: 0; }
blockquote { margin: 12px 0; padding: 8px 14px; border-left: 4px solid var(--accent); background: #f0f5fb; color: var(--ink); }
.subtitle { color: var(--muted); margin: 0 0 14px; }
.meta { font-size: 13px; color: var(--muted); }
table { border-collapse: collapse; margin: 10px 0 16px; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
td { white-space: nowrap; }
td.wrap, td.kv, .params td { white-space: normal; overflow-wrap: anywhere; }
td.wrap { min-width: 12em; max-width: 32em; }
td.kv { min-width: 14em; font-size: 12px; }
td.kv code { font-size: 12px; padding: 0 2px; }
td.num, th.num { text-align: right; }
tr:nth-child(even) td { background: #fbfcfd; }
td.null { color: #9aa5b1; }
.table-wrap { overflow-x: auto; max-width: 100%; margin: 10px 0 16px; }
.table-wrap > table { margin: 0; }
.params td:first-child { font-family: "DejaVu Sans Mono", monospace; }
figure.chart { margin: 18px 0 22px; }
.vega-chart { min-height: 60px; overflow-x: auto; }
.vega-chart svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
details.sql { margin: 8px 0 14px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
details.sql > summary { cursor: pointer; padding: 5px 10px; font-size: 13px; color: var(--muted); }
details.sql > summary b { color: var(--ink); font-family: "DejaVu Sans Mono", monospace; font-weight: 600; }
details.sql > div { padding: 0 10px 8px; }
.cell-error { border: 1px solid #f5c2bd; background: var(--badbg); color: var(--bad); border-radius: 6px; padding: 8px 12px; margin: 10px 0 16px; font-size: 14px; white-space: pre-wrap; }
.cell-error b { font-weight: 700; }
.inline-error { color: var(--bad); background: var(--badbg); border-radius: 3px; padding: 0 3px; font-size: 13px; }
.warnings { border: 1px solid #f6d58e; background: var(--warnbg); color: var(--warn); border-radius: 6px; padding: 6px 12px; font-size: 13px; margin: 4px 0 12px; }
.error-summary { border: 1px solid #f5c2bd; background: var(--badbg); border-radius: 6px; padding: 10px 14px; margin: 12px 0 18px; }
.error-summary h2 { border: 0; margin: 0 0 6px; padding: 0; font-size: 16px; color: var(--bad); }
.error-summary li { font: 13px/1.5 "DejaVu Sans Mono", monospace; }
nav.toc { font-size: 13px; background: var(--soft); border-radius: 6px; padding: 8px 14px; margin: 10px 0 18px; }
nav.toc a { margin-right: 14px; white-space: nowrap; }
footer { margin-top: 48px; padding-top: 12px; border-top: 1px solid var(--line); font-size: 12px; color: var(--muted); }
.ext-link { border-bottom: 1px dotted var(--muted); }
#vg-tooltip-element { visibility: hidden; position: fixed; z-index: 1000; padding: 6px 8px; font-size: 12px; border-radius: 4px; background: rgba(255,255,255,.96); border: 1px solid var(--line); box-shadow: 0 2px 6px rgba(0,0,0,.12); color: var(--ink); pointer-events: none; }
#vg-tooltip-element.visible { visibility: visible; }
#vg-tooltip-element table { margin: 0; font-size: 12px; }
#vg-tooltip-element td { border: 0; padding: 1px 4px; background: none; }
#vg-tooltip-element td.key { color: var(--muted); text-align: right; }
#vg-tooltip-element h2 { margin: 0 0 4px; padding: 0; border: 0; font-size: 13px; }
@media print { details.sql { display: none; } main { max-width: none; } }
`;

/** Draws every chart with vega-embed and records the outcome on its container (data-rendered = ok | error). */
export const EMBED_SCRIPT = `
(function () {
  // ast: vega's expression interpreter instead of compiled functions, so the page needs no 'unsafe-eval';
  // no injected <style> elements (embed and tooltip styles are in the page's own style block) for a strict CSP
  var opts = { actions: false, renderer: 'svg', mode: 'vega-lite', ast: true, defaultStyle: false, tooltip: { disableDefaultStyle: true } };
  var charts = document.querySelectorAll('[data-vega-spec]');
  var pending = charts.length;
  function done() { if (--pending === 0) document.documentElement.setAttribute('data-charts', 'done'); }
  if (pending === 0) document.documentElement.setAttribute('data-charts', 'done');
  Array.prototype.forEach.call(charts, function (el) {
    var spec;
    try { spec = JSON.parse(document.getElementById(el.getAttribute('data-vega-spec')).textContent); }
    catch (e) { el.setAttribute('data-rendered', 'error'); el.textContent = 'chart spec unreadable: ' + e.message; console.error(e); done(); return; }
    vegaEmbed(el, spec, opts).then(function () { el.setAttribute('data-rendered', 'ok'); done(); })
      .catch(function (e) { el.setAttribute('data-rendered', 'error'); el.textContent = 'chart failed: ' + e.message; console.error(e); done(); });
  });
})();
`;

export interface PageParts {
  title: string;
  description: string | null;
  headerHtml: string;
  bodyHtml: string;
  footerHtml: string;
  hasCharts: boolean;
}

export function renderPage(p: PageParts): string {
  const libs = p.hasCharts ? inlineLibraries() : null;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Regime Workbench report${libs ? `; ${escapeHtml(libs.versions)} inlined` : ''}">
<title>${escapeHtml(p.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${escapeHtml(p.title)}</h1>
${p.description ? `<p class="subtitle">${escapeHtml(p.description)}</p>` : ''}
${p.headerHtml}
${p.bodyHtml}
<footer>${p.footerHtml}</footer>
</main>
${libs ? `<script>${libs.script}</script>\n<script>${EMBED_SCRIPT}</script>` : ''}
</body>
</html>
`;
}
