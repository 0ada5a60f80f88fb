// The dashboard: one state object, one refresh that reads every panel at the cursor, a 10 s poll for a live source,
// and the time slider that replays a run's hours as if live (nothing after the cursor is ever asked for).
import { api, openStream } from './api.js';
import { draw, onZoom, resetZoom, setWindow } from './charts.js';
import { HOUR, el, short, utc } from './format.js';
import { alertMarkers, bands, candles, correlationMatrix, liquidationBars, parseAt, withGaps } from './series.js';
import * as R from './render.js';

const REFRESH_MS = 10_000;
const WINDOWS = [
  [72, '3d'],
  [168, '7d'],
  [336, '14d'],
  [720, '30d'],
  [2160, '90d'],
];
const EVENT_TYPES = ['LIQUIDATION_CASCADE', 'FUNDING_ANOMALY', 'FUNDING_REVERSAL', 'VOLATILITY_REGIME_CHANGE', 'REGIME_CONFIRMED', 'CORRELATION_BREAK'];

const params = new URL(location.href).searchParams;
const notices = [];
const atParam = params.get('at') ? parseAt(params.get('at')) : { ms: null };
if (atParam.error) notices.push(`?at=: ${atParam.error}; showing the latest hour`);
if (params.get('hours') && !WINDOWS.some(([h]) => h === Number(params.get('hours')))) notices.push(`?hours=${params.get('hours')} is not one of ${WINDOWS.map(([h]) => h).join(', ')}; showing 168`);
const state = {
  run: params.get('run') || undefined,
  symbol: params.get('symbol') ? params.get('symbol').trim().toUpperCase() : null,
  hours: WINDOWS.some(([h]) => h === Number(params.get('hours'))) ? Number(params.get('hours')) : 168,
  /** null: follow the latest hour */
  at: atParam.ms ?? null,
  source: null,
  symbols: [],
  range: null,
  seq: 0,
  inflight: false,
  player: null,
  failed: false,
};

const $ = (id) => document.getElementById(id);
const cursorOf = () => state.at ?? state.range?.last ?? null;
const following = () => state.at === null;

function syncUrl() {
  const q = new URLSearchParams();
  if (state.run) q.set('run', state.run);
  if (state.symbol) q.set('symbol', state.symbol);
  if (state.hours !== 168) q.set('hours', String(state.hours));
  if (state.at !== null) q.set('at', String(state.at));
  history.replaceState(null, '', `${location.pathname}${q.size ? `?${q}` : ''}`);
}

/** a visible message for what the page could not do as asked (a bad ?at=, an unknown symbol): never silence */
function notify(text) {
  $('notice-text').textContent = text;
  $('notice').hidden = false;
}

function setLive(kind, text) {
  const dot = $('live-dot');
  dot.className = `dot ${kind}`;
  if (kind === 'replay') {
    // restart the flash so every refresh is visible
    void dot.offsetWidth;
    dot.classList.add('flash');
  }
  $('live-text').textContent = text;
}

function pressed(container, match) {
  for (const b of container.querySelectorAll('button')) b.setAttribute('aria-pressed', String(match(b)));
}

function buildControls() {
  const tabs = $('symbol-tabs');
  tabs.replaceChildren(
    ...state.symbols.map((s) => {
      const b = el('button', { 'data-symbol': s }, short(s));
      b.addEventListener('click', () => {
        state.symbol = s;
        pressed(tabs, (x) => x.dataset.symbol === s);
        refresh();
      });
      return b;
    }),
  );
  pressed(tabs, (x) => x.dataset.symbol === state.symbol);

  const windows = $('window-tabs');
  windows.replaceChildren(
    ...WINDOWS.map(([h, text]) => {
      const b = el('button', { 'data-hours': h, title: `charts show the ${text} before the cursor` }, text);
      b.addEventListener('click', () => {
        state.hours = h;
        pressed(windows, (x) => Number(x.dataset.hours) === h);
        refresh();
      });
      return b;
    }),
  );
  pressed(windows, (x) => Number(x.dataset.hours) === state.hours);

  const type = $('filter-type');
  type.replaceChildren(el('option', { value: '' }, 'all types'), ...EVENT_TYPES.map((t) => el('option', { value: t }, t.replaceAll('_', ' ').toLowerCase())));
  for (const id of ['filter-severity', 'filter-type', 'filter-symbol']) $(id).addEventListener('change', () => refresh());

  const slider = $('slider');
  let debounce = null;
  slider.addEventListener('input', () => {
    stopPlay();
    const ms = Number(slider.value) * HOUR;
    state.at = ms >= state.range.last ? null : ms;
    $('cursor-label').textContent = `${utc(cursorOf())} UTC`;
    clearTimeout(debounce);
    debounce = setTimeout(refresh, 120);
  });
  for (const b of document.querySelectorAll('[data-step]')) {
    b.addEventListener('click', () => {
      stopPlay();
      step(Number(b.dataset.step));
    });
  }
  $('go-latest').addEventListener('click', () => {
    stopPlay();
    state.at = null;
    refresh();
  });
  $('play').addEventListener('click', () => (state.player ? stopPlay() : startPlay()));
  $('notice-close').addEventListener('click', () => ($('notice').hidden = true));
  $('goto-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    stopPlay();
    const raw = $('goto-input').value;
    // datetime-local has no zone: the page is in UTC throughout
    const r = raw ? parseAt(`${raw.length === 16 ? raw : raw.slice(0, 16)}Z`) : { error: 'enter a date and hour (UTC)' };
    if (r.error) return notify(`go to: ${r.error}`);
    goTo(r.ms, 'go to');
  });
  $('zoom-reset').addEventListener('click', () => resetZoom('chart-volume'));
  onZoom((z) => {
    $('zoom-reset').hidden = z === null;
    $('zoom-label').textContent = z === null ? 'drag on the volume strip to zoom every time chart' : `zoomed: ${utc(z[0])} → ${utc(z[1])} UTC`;
  });
  $('banner-close').addEventListener('click', () => {
    const b = $('banner');
    b.dataset.dismissed = b.dataset.current ?? '';
    b.hidden = true;
  });
}

/** the cursor to an hour (floored), kept inside the run with a visible note when it was outside */
function goTo(ms, what) {
  if (!state.range) return;
  const hour = Math.floor(ms / HOUR) * HOUR;
  if (hour < state.range.first || hour > state.range.last) {
    notify(`${what}: ${utc(ms)} UTC is outside this ${state.source.kind === 'live' ? 'source' : 'run'} (${utc(state.range.first)} → ${utc(state.range.last)} UTC); showing the nearest hour`);
  } else $('notice').hidden = true;
  const clamped = Math.min(Math.max(hour, state.range.first), state.range.last);
  state.at = clamped >= state.range.last ? null : clamped;
  return refresh();
}

function step(hours) {
  if (!state.range) return;
  const next = Math.min(Math.max(cursorOf() + hours * HOUR, state.range.first), state.range.last);
  state.at = next >= state.range.last ? null : next;
  return refresh();
}

function startPlay() {
  if (!state.range) return;
  // replaying from the end would stop at once: start a window back
  if (following()) state.at = Math.max(state.range.first, state.range.last - state.hours * HOUR);
  $('play').textContent = '❚❚ Pause';
  state.player = setInterval(() => {
    if (state.inflight) return;
    step(Number($('speed').value));
    if (following()) stopPlay();
  }, 1000);
  refresh();
}

function stopPlay() {
  if (!state.player) return;
  clearInterval(state.player);
  state.player = null;
  $('play').textContent = '▶ Play';
}

function updateTimeline() {
  const t = $('timeline');
  if (!state.range) {
    t.hidden = true;
    return;
  }
  t.hidden = false;
  const slider = $('slider');
  slider.min = String(Math.floor(state.range.first / HOUR));
  slider.max = String(Math.floor(state.range.last / HOUR));
  slider.value = String(Math.floor(cursorOf() / HOUR));
  const live = state.source.kind === 'live';
  $('cursor-label').textContent = `${utc(cursorOf())} UTC${following() ? (live ? ' · live' : ' · last hour') : ''}`;
  $('go-latest').disabled = following();
  if (document.activeElement !== $('goto-input')) $('goto-input').value = new Date(cursorOf()).toISOString().slice(0, 16);
}

/** a panel without data collapses to one short line (or to nothing when another line already says it) */
function showEmpty(chartId, message) {
  const wrap = $(chartId).parentElement;
  const note = wrap.querySelector('.chart-empty');
  wrap.classList.toggle('is-empty', message !== null);
  note.hidden = !message;
  if (message) note.textContent = message;
}

async function drawCharts(S, cas, vol, fund, reg, corr, prices, markers) {
  const p = prices.symbols[0];
  const bars = candles(p.history);
  const v = vol.symbols.find((x) => x.symbol === S);
  const f = fund.symbols[0];
  const r = reg.symbols.find((x) => x.symbol === S);
  const c = cas.symbols.find((x) => x.symbol === S);
  const liq = liquidationBars(c.history);
  const first = p.history.length ? p.history[0].ts : cursorOf() - state.hours * HOUR;
  setWindow(first, cursorOf());
  await Promise.all([
    draw('chart-price', 'price', { candles: bars, series: bars.length ? [] : withGaps(p.history, 'close'), alerts: alertMarkers(markers.events, p.history, state.hours) }),
    draw('chart-volume', 'volume', { candles: bars }),
    draw('chart-volatility', 'volatility', { bands: bands(v.history), series: withGaps(v.history, 'ratio'), one: [{ y: 1 }] }),
    draw('chart-funding', 'funding', {
      series: withGaps(f.history.map((h) => ({ ...h, rate_pct: h.rate_8h === null ? null : h.rate_8h * 100 })), 'z'),
      guides: [2, -2, 1, -1].map((y) => ({ y, kind: Math.abs(y) === 2 ? 'anomaly |z| ≥ 2' : 'watch |z| ≥ 1' })),
    }),
    draw('chart-correlation', 'correlation', { matrix: correlationMatrix(corr.symbols, corr.pairs) }),
    draw('chart-liquidations', 'liquidations', { series: liq }),
    draw('chart-regime', 'regime', { bands: bands(r.history.map((h) => ({ ts: h.ts, regime: h.primary }))), series: withGaps(r.history, 'confidence') }),
  ]);
  const name = short(S);
  showEmpty('chart-price', p.history.length ? null : `no candles for ${name} in this window`);
  showEmpty('chart-volume', bars.length ? null : p.history.length ? 'no volume: the dataset has no candles for this window' : '');
  showEmpty('chart-volatility', v.history.some((h) => h.ratio !== null) ? null : `no volatility ratio for ${name} in this window (warming up or gaps)`);
  showEmpty('chart-funding', f.history.some((h) => h.z !== null) ? null : `no funding z for ${name} in this window`);
  showEmpty('chart-correlation', corr.pairs.some((x) => x.corr !== null) ? null : 'no correlation at this hour (warming up or gaps)');
  showEmpty('chart-regime', r.history.some((h) => h.primary !== null) ? null : `no primary regime for ${name} in this window`);
  // without any coverage the panel's coverage line already says so: the chart just folds away
  const covered = c.coverage && c.coverage.hours_with_data > 0;
  showEmpty('chart-liquidations', liq.length ? null : covered ? `no liquidation data for ${S} in this window` : '');
}

async function refresh() {
  if (!state.source) return;
  if (!state.range) {
    // a live source before its first closed hour has nothing to show yet
    updateTimeline();
    setLive('replay', 'waiting for the first closed hour');
    return;
  }
  const seq = ++state.seq;
  state.inflight = true;
  syncUrl();
  updateTimeline();
  const S = state.symbol;
  const H = state.hours;
  const at = state.at ?? undefined;
  const cursor = cursorOf();
  const base = { run: state.run, at };
  try {
    const [cas, vol, fund, reg, corr, prices, events, markers, critical] = await Promise.all([
      api('cascades', { ...base, hours: H }),
      api('volatility', { ...base, hours: H }),
      api('funding', { ...base, hours: H, symbol: S }),
      api('regimes', { ...base, hours: H }),
      api('correlation', { ...base, hours: 1 }),
      api('prices', { ...base, hours: H, symbol: S }),
      api('events', { ...base, limit: 60, severity: $('filter-severity').value, type: $('filter-type').value, symbol: $('filter-symbol').checked ? S : undefined }),
      api('events', { ...base, symbol: S, since: cursor - H * HOUR, limit: 1000 }),
      api('events', { ...base, severity: 'CRITICAL', since: cursor - 24 * HOUR, limit: 20 }),
    ]);
    // a slower answer to an older cursor must not overwrite a newer one
    if (seq !== state.seq) return;
    const shownAt = cas.at ?? cursor;
    R.cascadeCard(cas);
    R.volatilityCard(vol);
    R.correlationCard(corr);
    R.regimeCard(reg);
    R.cascadeDetail(cas.symbols.find((c) => c.symbol === S));
    R.regimeDetail(reg.symbols.find((r) => r.symbol === S), vol.symbols.find((v) => v.symbol === S));
    R.eventStream(events.events, shownAt);
    R.banner(critical.events, shownAt);
    for (const n of document.querySelectorAll('[data-symbol-label]')) n.textContent = n.closest('.check') ? short(S) : `· ${S}`;
    await drawCharts(S, cas, vol, fund, reg, corr, prices, markers);
    if (seq !== state.seq) return;
    state.failed = false;
    const now = new Date().toISOString().slice(11, 19);
    if (state.source.kind === 'live' && following()) setLive('live', `LIVE · updated ${now} UTC`);
    else setLive('replay', `${state.source.kind === 'live' ? 'LIVE (paused at cursor)' : 'REPLAY'} · refreshed ${now} UTC`);
    document.body.dataset.ready = 'true';
    document.body.dataset.cursor = String(shownAt);
  } catch (err) {
    if (seq !== state.seq) return;
    state.failed = true;
    setLive('error', `offline · ${err.message} · retrying`);
    console.warn('refresh failed:', err.message);
  } finally {
    if (seq === state.seq) state.inflight = false;
  }
}

async function loadSource() {
  const health = await api('health', { run: state.run });
  state.source = health.source;
  state.symbols = health.symbols;
  state.range = health.range;
  if (state.symbol !== null && !state.symbols.includes(state.symbol) && !state.warnedSymbol) {
    state.warnedSymbol = true;
    notices.push(`?symbol=${state.symbol}: not in this ${health.source.kind === 'live' ? 'source' : 'run'} (${health.symbols.join(', ')}); showing ${health.symbols[0] ?? 'nothing'}`);
  }
  if (!state.symbols.includes(state.symbol)) state.symbol = state.symbols[0] ?? null;
  if (state.at !== null && state.range && (state.at > state.range.last || state.at < state.range.first) && !state.warnedAt) {
    state.warnedAt = true;
    notices.push(`?at=: ${utc(state.at)} UTC is outside this run (${utc(state.range.first)} → ${utc(state.range.last)} UTC); showing the nearest hour`);
  }
  if (state.at !== null && state.range) state.at = Math.floor(state.at / HOUR) * HOUR;
  if (state.at !== null && state.range && (state.at >= state.range.last || state.at < state.range.first)) state.at = state.at < state.range.first ? state.range.first : null;
  const kind = $('source-kind');
  kind.className = `pill pill-${health.source.kind}`;
  kind.textContent = health.source.kind === 'live' ? 'LIVE' : 'BACKTEST';
  $('footer-source').textContent = health.source.kind === 'live' ? 'source: live loop' : `Saved run: ${health.source.id}`;
}

async function loadRuns() {
  const picker = $('run-picker');
  const { current, runs } = await api('runs', { run: state.run });
  const options = runs.map((r) => el('option', { value: r.id }, `${r.label ? `${r.label} · ` : ''}${r.from.slice(0, 10)} → ${r.to.slice(0, 10)} · ${r.id}`));
  const mine = runs.find((r) => r.id === current.id);
  if (mine) $('footer-source').textContent = `Saved run: ${mine.label ? `${mine.label} · ` : ''}${mine.id} (${mine.from} → ${mine.to} UTC)`;
  if (current.kind === 'live' || !runs.some((r) => r.id === current.id)) options.unshift(el('option', { value: '' }, current.kind === 'live' ? 'live' : current.id));
  picker.replaceChildren(...options);
  picker.value = runs.some((r) => r.id === current.id) ? current.id : '';
  picker.hidden = options.length <= 1 && current.kind === 'live';
  picker.onchange = () => {
    const q = new URLSearchParams();
    if (picker.value) q.set('run', picker.value);
    if (state.symbol) q.set('symbol', state.symbol);
    location.search = q.toString();
  };
}

async function loadReports() {
  const { reports } = await api('reports');
  // several renders of one notebook share a title: the folder name tells them apart
  const seen = new Map();
  for (const r of reports) seen.set(r.title, (seen.get(r.title) ?? 0) + 1);
  const name = (r) => (seen.get(r.title) > 1 ? (r.label && r.label !== r.title ? r.label : `${r.title} (${r.name})`) : r.title);
  $('reports').replaceChildren(...(reports.length ? [el('a', { href: '/reports/', target: '_blank', rel: 'noopener' }, 'reports'), ': ', ...reports.flatMap((r, i) => [i ? ', ' : '', el('a', { href: r.url, target: '_blank', rel: 'noopener' }, name(r))])] : []));
}

async function poll() {
  // a saved run never changes under the page (the server resolves it once): redrawing it every 10 s only burnt CPU
  // in the browser and the server; the poll then only retries a refresh that failed
  if (state.source?.kind !== 'live' && !state.failed) return;
  try {
    // a live source grows by an hour at a time; a following cursor moves with it
    if (state.source?.kind === 'live') await loadSource();
    await refresh();
  } catch (err) {
    setLive('error', `offline · ${err.message} · retrying`);
  }
}

/** a live source pushes `update` on every new hour or event; the 10 s poll stays as the fallback */
async function listen() {
  if (state.source?.kind !== 'live') return;
  try {
    const res = await openStream('stream', { run: state.run });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const message = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (/^event: update$/m.test(message)) poll();
      }
    }
  } catch {
    // the poll keeps the page current; the stream is retried below
  }
  setTimeout(listen, REFRESH_MS);
}

async function main() {
  try {
    await loadSource();
  } catch (err) {
    setLive('error', `cannot reach the API: ${err.message}`);
    setTimeout(main, REFRESH_MS);
    return;
  }
  buildControls();
  if (notices.length) notify(notices.join(' · '));
  await Promise.all([loadRuns().catch(() => ($('run-picker').hidden = true)), loadReports().catch(() => {})]);
  await refresh();
  setInterval(poll, REFRESH_MS);
  listen();
}

main();
