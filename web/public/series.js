// Rows from the API → the datasets the charts draw. Pure functions (no DOM), tested in Node.
import { HOUR, short, utc } from './format.js';

const SEV_RANK = { INFO: 0, WARNING: 1, CRITICAL: 2 };

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

/** OHLCV rows → candle rectangles within their hour (t0..t1) and a wick at its middle (tm) */
export function candles(history) {
  return history
    .filter((h) => h.open !== null && h.high !== null && h.low !== null && h.close !== null)
    .map((h) => ({ t: h.ts, t0: h.ts + 0.12 * HOUR, t1: h.ts + 0.88 * HOUR, tm: h.ts + 0.5 * HOUR, open: h.open, high: h.high, low: h.low, close: h.close, volume: h.volume ?? 0 }));
}

/**
 * Alert markers above the candles. Up to `maxMarkers` alerts each get their own; past that they are counted
 * per time bin (so a 90-day window shows ~90 markers, not 1,500 INFO dots burying the price), each bin drawn in
 * its highest severity and sized by its count.
 */
export function alertMarkers(events, history, hours, maxMarkers = 80) {
  const byTs = new Map(history.map((h) => [h.ts, h]));
  const top = (h) => (h ? (h.high ?? h.close) : null);
  const known = events.filter((e) => top(byTs.get(e.ts)) !== null);
  if (known.length <= maxMarkers) {
    return known.map((e) => ({ t: e.ts + 0.5 * HOUR, y: top(byTs.get(e.ts)), severity: e.severity, count: 1, title: e.title, when: utc(e.ts) }));
  }
  const binHours = Math.max(2, Math.ceil(hours / 90));
  const bins = new Map();
  for (const e of known) {
    const b = Math.floor(e.ts / (binHours * HOUR));
    let bin = bins.get(b);
    if (!bin) bins.set(b, (bin = { start: b * binHours * HOUR, count: 0, severity: 'INFO', y: -Infinity, titles: new Map() }));
    bin.count++;
    if (SEV_RANK[e.severity] > SEV_RANK[bin.severity]) bin.severity = e.severity;
    bin.y = Math.max(bin.y, top(byTs.get(e.ts)));
    const type = e.event_type.replaceAll('_', ' ').toLowerCase();
    bin.titles.set(type, (bin.titles.get(type) ?? 0) + 1);
  }
  return [...bins.values()].map((b) => ({
    t: b.start + (binHours * HOUR) / 2,
    y: b.y,
    severity: b.severity,
    count: b.count,
    title: [...b.titles].map(([k, n]) => `${n} × ${k}`).join(', '),
    when: `${utc(b.start)} + ${binHours} h`,
  }));
}

/** long and short liquidations stacked per hour */
export function liquidationBars(history) {
  const out = [];
  for (const h of history) {
    if (h.long_usd === null || h.short_usd === null) continue;
    const base = { t: h.ts, t0: h.ts + 0.1 * HOUR, t1: h.ts + 0.9 * HOUR };
    out.push({ ...base, side: 'longs liquidated', usd: h.long_usd, y0: 0, y1: h.long_usd }, { ...base, side: 'shorts liquidated', usd: h.short_usd, y0: h.long_usd, y1: h.long_usd + h.short_usd });
  }
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

/**
 * `?at=` and the date-time input: epoch ms or an ISO date/time in UTC, with the server's rules — an impossible
 * date (2026-02-30) is an error, never rolled over to March. Returns { ms } or { error }.
 */
export function parseAt(text) {
  const s = String(text ?? '').trim();
  if (/^\d+$/.test(s)) return { ms: Number(s) };
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(s);
  if (!m) return { error: `'${s.slice(0, 40)}' is not a time: use an ISO time like 2022-11-09T12:00Z (UTC) or epoch ms` };
  const [, y, mo, d, h = '00', mi = '00', sec = '00', zone] = m;
  const days = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > days) return { error: `'${s}' is not a date: ${y}-${mo} has ${Number(mo) >= 1 && Number(mo) <= 12 ? days : 'no'} ${Number(mo) >= 1 && Number(mo) <= 12 ? 'days' : 'such month'}` };
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return { error: `'${s}' is not a time of day` };
  const off = !zone || zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${off}`);
  return Number.isFinite(ms) ? { ms } : { error: `'${s}' is not a time` };
}
