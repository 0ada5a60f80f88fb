// Display helpers. Every time on the page is UTC, like the data.
export const HOUR = 3_600_000;

export const short = (symbol) => symbol.replace(/USDT$|USD$|BUSD$/, '');

export function utc(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export function ago(ms, cursor) {
  const h = Math.round((cursor - ms) / HOUR);
  if (h <= 0) return 'this hour';
  if (h < 48) return `${h} h before`;
  return `${Math.round(h / 24)} d before`;
}

export function usd(x) {
  if (x === null || x === undefined) return '—';
  const a = Math.abs(x);
  if (a >= 1e9) return `$${(x / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `$${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `$${(x / 1e3).toFixed(1)}k`;
  return `$${x.toFixed(0)}`;
}

export function price(x) {
  if (x === null || x === undefined) return '—';
  return x >= 1000 ? x.toLocaleString('en-US', { maximumFractionDigits: 0 }) : x >= 10 ? x.toFixed(2) : x.toFixed(4);
}

export const fixed = (x, d = 2) => (x === null || x === undefined ? '—' : x.toFixed(d));
export const pct = (x, d = 1) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(d)} %`);
export const signed = (x, d = 2) => (x === null || x === undefined ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(d)}`);
export const label = (s) => (s ? s.replace(/^SPOT_/, '').replace('_', ' ') : 'no data');

/** builds an element; children are nodes or text (never parsed as HTML: event text comes from data) */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

export function badge(text, cls) {
  return el('span', { class: `badge ${cls}` }, text);
}
