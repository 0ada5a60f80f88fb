// The dashboard: one state object, one refresh that reads every panel at the cursor, a 10 s poll, and the time
// slider that replays a run's hours as if live (nothing after the cursor is ever asked for).
import { api, openStream } from './api.js';
import { bands, correlationMatrix, draw, withGaps } from './charts.js';
import { HOUR, el, short, utc } from './format.js';
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
const state = {
  run: params.get('run') || undefined,
  symbol: params.get('symbol'),
  hours: WINDOWS.some(([h]) => h === Number(params.get('hours'))) ? Number(params.get('hours')) : 168,
  /** null: follow the latest hour */
  at: params.get('at') && /^\d+$/.test(params.get('at')) ? Number(params.get('at')) : null,
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
  $('banner-close').addEventListener('click', () => {
    const b = $('banner');
    b.dataset.dismissed = b.dataset.current ?? '';
    b.hidden = true;
  });
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
}

function showEmpty(chartId, message) {
  const overlay = $(chartId).parentElement.querySelector('.chart-empty');
  overlay.hidden = message === null;
  if (message !== null) overlay.textContent = message;
}

async function drawCharts(S, cas, vol, fund, reg, corr, prices, markers) {
  const p = prices.symbols[0];
  const closeAt = new Map(p.history.map((h) => [h.ts, h.close]));
  const alerts = markers.events
    .filter((e) => closeAt.get(e.ts) != null)
    .map((e) => ({ t: e.ts, close: closeAt.get(e.ts), severity: e.severity, title: e.title }));
  const v = vol.symbols.find((x) => x.symbol === S);
  const f = fund.symbols[0];
  const r = reg.symbols.find((x) => x.symbol === S);
  const c = cas.symbols.find((x) => x.symbol === S);
  const liq = [];
  for (const h of c.history) {
    if (h.long_usd === null || h.short_usd === null) continue;
    liq.push({ t: h.ts, side: 'longs liquidated', usd: h.long_usd }, { t: h.ts, side: 'shorts liquidated', usd: h.short_usd });
  }
  await Promise.all([
    draw('chart-price', 'price', { series: withGaps(p.history, 'close'), alerts }),
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
  showEmpty('chart-volatility', v.history.some((h) => h.ratio !== null) ? null : `no volatility ratio for ${name} in this window (warming up or gaps)`);
  showEmpty('chart-funding', f.history.some((h) => h.z !== null) ? null : `no funding z for ${name} in this window`);
  showEmpty('chart-correlation', corr.pairs.some((x) => x.corr !== null) ? null : 'no correlation at this hour (warming up or gaps)');
  showEmpty('chart-regime', r.history.some((h) => h.primary !== null) ? null : `no primary regime for ${name} in this window`);
  const noLiq = c.coverage && c.coverage.hours_with_data > 0 ? `coverage: ${c.coverage_note}` : `the ${state.source.kind === 'live' ? 'live source' : 'run'} has none for ${S}, so cascades cannot be detected`;
  showEmpty('chart-liquidations', liq.length ? null : `no liquidation data for ${S} in this window — ${noLiq}`);
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
  if (!state.symbols.includes(state.symbol)) state.symbol = state.symbols[0] ?? null;
  if (state.at !== null && state.range && (state.at >= state.range.last || state.at < state.range.first)) state.at = state.at < state.range.first ? state.range.first : null;
  const kind = $('source-kind');
  kind.className = `pill pill-${health.source.kind}`;
  kind.textContent = health.source.kind === 'live' ? 'LIVE' : 'BACKTEST';
  $('footer-source').textContent = health.source.kind === 'live' ? 'source: live loop' : `source: backtest run ${health.source.id}`;
}

async function loadRuns() {
  const picker = $('run-picker');
  const { current, runs } = await api('runs', { run: state.run });
  const options = runs.map((r) => el('option', { value: r.id }, `${r.label ? `${r.label} · ` : ''}${r.from.slice(0, 10)} → ${r.to.slice(0, 10)} · ${r.id}`));
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
  $('reports').replaceChildren(...(reports.length ? ['reports: ', ...reports.flatMap((r, i) => [i ? ', ' : '', el('a', { href: r.url, target: '_blank', rel: 'noopener' }, r.title)])] : []));
}

async function poll() {
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
  await Promise.all([loadRuns().catch(() => ($('run-picker').hidden = true)), loadReports().catch(() => {})]);
  await refresh();
  setInterval(poll, REFRESH_MS);
  listen();
}

main();
