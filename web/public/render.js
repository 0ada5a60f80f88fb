// Cards, detail panels and the event stream. Text from the data is always set as text, never as HTML.
import * as P from '/palette.js';
import { ago, badge, el, fixed, label, pct, price, short, signed, usd, utc } from './format.js';

// every regime, severity and event-type colour comes from the one palette the reports use too
const COLORS = new Map([...P.SPOT_REGIME_PALETTE, ...P.VOL_REGIME_PALETTE, ...P.SEVERITY_PALETTE].map((e) => [e.key, e.color]));
const TYPE_COLORS = new Map(P.EVENT_TYPE_PALETTE.map((e) => [e.key, e.color]));
// the stylesheet's severity colours (event borders, banner) follow the palette too
for (const e of P.SEVERITY_PALETTE) document.documentElement.style.setProperty(`--${e.key.toLowerCase()}`, e.color);

/** a badge in its palette colour (set through CSSOM: the page's CSP allows no inline style attributes) */
function paletteBadge(text, key) {
  const b = badge(text, 'pal');
  const c = COLORS.get(key);
  if (c) b.style.setProperty('--c', c);
  return b;
}

function fill(container, nodes) {
  container.replaceChildren(...nodes);
}

const body = (id) => document.querySelector(`#${id} [data-body]`);

export function cascadeCard(cascades) {
  fill(
    body('card-cascades'),
    cascades.symbols.map((c) => {
      const sym = el('span', { class: 'sym' }, short(c.symbol));
      if (c.message !== null) {
        // no number to show: say why, and what coverage exists
        return el('div', { class: 'row', 'data-symbol': c.symbol }, sym, el('span', { class: 'note' }, c.message));
      }
      const state = c.cascade_detected ? badge(`CASCADE ${c.severity ?? '?'}/5`, 'b-cascade') : badge(`calm ${c.severity ?? '–'}/5`, 'b-calm');
      return el(
        'div',
        { class: 'row', 'data-symbol': c.symbol },
        sym,
        el('span', { class: 'state' }, state),
        el('span', { class: 'val' }, usd(c.total_usd)),
        el('span', { class: 'note kind' }, `${c.kind ?? 'unknown-kind'} data · window total`),
      );
    }),
  );
}

export function volatilityCard(vol) {
  fill(
    body('card-volatility'),
    vol.symbols.map((v) =>
      el(
        'div',
        { class: 'row', 'data-symbol': v.symbol },
        el('span', { class: 'sym' }, short(v.symbol)),
        el('span', { class: 'state' }, v.regime ? paletteBadge(v.regime.replace('_', ' '), v.regime) : badge(v.status ?? 'no data', 'b-none')),
        el('span', { class: 'val' }, v.ratio === null ? '—' : `${v.ratio.toFixed(2)}×`, el('span', { class: 'sub' }, ` · ${pct(v.volatility_24h)}`)),
      ),
    ),
  );
}

export function correlationCard(corr) {
  const rows = corr.pairs.map((p) =>
    el(
      'div',
      { class: 'row pair' },
      el('span', { class: 'sym' }, `${short(p.a)}/${short(p.b)}`),
      el('span', { class: 'state' }, p.broken === true ? badge('BREAK', 'b-break') : p.broken === false ? badge('normal', 'b-ok') : badge('no data', 'b-none')),
      el('span', { class: 'val' }, fixed(p.corr), el('span', { class: 'sub' }, ` vs ${fixed(p.normal)}`)),
    ),
  );
  fill(body('card-correlation'), rows.length ? rows : [el('div', { class: 'muted' }, 'one symbol: no pairs')]);
}

export function regimeCard(regimes) {
  fill(
    body('card-regime'),
    regimes.symbols.map((r) =>
      el(
        'div',
        { class: 'row', 'data-symbol': r.symbol },
        el('span', { class: 'sym' }, short(r.symbol)),
        el('span', { class: 'state' }, r.primary ? paletteBadge(label(r.primary), r.primary) : badge('no data', 'b-none')),
        el(
          'span',
          { class: 'val conf', title: 'timeframes agreeing with the primary regime' },
          el('span', { class: 'conf-bar' }, el('span', { style: `width:${Math.round((r.confidence ?? 0) * 100)}%` })),
          r.confidence === null ? '—' : `${Math.round(r.confidence * 100)} %`,
        ),
      ),
    ),
  );
}

const stat = (k, v, small) => el('div', {}, el('span', { class: 'k' }, k), el('span', { class: 'v' }, v, small ? el('small', {}, ` ${small}`) : null));

export function cascadeDetail(c) {
  const cov = document.getElementById('liq-coverage');
  fill(cov, [...(c.coverage && c.coverage.kinds.length ? c.coverage.kinds.map((k) => badge(k, 'b-kind')) : [badge('no coverage', 'b-none')]), c.coverage_note]);
  const stats = document.getElementById('liq-stats');
  const covered = c.coverage && c.coverage.hours_with_data > 0;
  stats.hidden = !covered;
  if (!covered) return;
  if (c.message !== null) {
    fill(stats, [el('div', { class: 'message', style: 'grid-column: 1 / -1' }, c.message)]);
    return;
  }
  const zone = c.zone;
  fill(stats, [
    stat('state', c.cascade_detected ? 'CASCADE' : 'calm', c.severity === null ? '' : `sev ${c.severity}/5`),
    stat('window total', usd(c.total_usd)),
    stat('velocity', usd(c.velocity_usd_h), '/h'),
    stat('velocity z', signed(c.velocity_z)),
    stat('longs liquidated', usd(c.long_usd)),
    stat('shorts liquidated', usd(c.short_usd)),
    stat('side bias', c.side_bias ?? '—'),
    stat('support zone', zone ? price(zone.price) : '—', zone && zone.distance_pct !== null ? `${signed(zone.distance_pct, 1)} %` : ''),
    stat('zone share', zone ? pct(zone.share, 0) : '—', 'of 7 d liquidations'),
  ]);
}

export function regimeDetail(r, v) {
  const tbody = document.querySelector('#tf-table tbody');
  fill(
    tbody,
    r.timeframes.map((t) =>
      el('tr', {}, el('td', {}, t.timeframe), el('td', {}, t.regime ? paletteBadge(label(t.regime), t.regime) : badge('no data', 'b-none')), el('td', {}, signed(t.price_z)), el('td', {}, signed(t.volume_z)), el('td', {}, fixed(t.heat))),
    ),
  );
  fill(document.getElementById('vol-stats'), [
    stat('24 h volatility', pct(v.volatility_24h, 2)),
    stat('baseline (720 h)', pct(v.baseline, 2)),
    stat('risk multiplier', v.risk_multiplier === null ? '—' : `${v.risk_multiplier.toFixed(1)}×`),
    stat('vol clustering', pct(v.cluster_prob, 0), `vs ${pct(v.exceed_rate, 0)}`),
  ]);
}

function typeDot(type) {
  const d = el('span', { class: 'type-dot', 'aria-hidden': 'true' });
  const c = TYPE_COLORS.get(type);
  if (c) d.style.setProperty('--c', c);
  return d;
}

/** ▲ the move the alert is about was up, ▼ down; nothing when it has no direction */
function direction(d) {
  if (d === 1) return el('span', { class: 'dir dir-up', title: 'direction: up' }, ' ▲');
  if (d === -1) return el('span', { class: 'dir dir-down', title: 'direction: down' }, ' ▼');
  return null;
}

export function eventStream(events, cursor) {
  const list = document.getElementById('events-list');
  if (events.length === 0) {
    fill(list, [el('li', { class: 'events-empty' }, 'no events up to this hour with these filters')]);
    return;
  }
  fill(
    list,
    events.map((e) =>
      el(
        'li',
        { class: `event sev-${e.severity}`, 'data-ts': e.ts, 'data-id': e.id },
        el(
          'div',
          { class: 'event-top' },
          el('span', {}, el('span', { class: 'sev' }, e.severity), ' · ', typeDot(e.event_type), e.event_type.replaceAll('_', ' ').toLowerCase(), direction(e.direction)),
          el('span', { title: utc(e.ts) }, `${utc(e.ts)} · ${ago(e.ts, cursor)}`),
        ),
        el('div', { class: 'event-title' }, e.title),
        el('div', { class: 'event-desc' }, e.description),
      ),
    ),
  );
}

export function banner(critical, cursor) {
  const b = document.getElementById('banner');
  const latest = critical[0];
  if (!latest || b.dataset.dismissed === latest.id) {
    b.hidden = true;
    return;
  }
  b.hidden = false;
  b.dataset.current = latest.id;
  document.getElementById('banner-title').textContent = `CRITICAL · ${latest.title}`;
  const more = critical.length > 1 ? ` · ${critical.length - 1} more critical in the last 24 h` : '';
  document.getElementById('banner-more').textContent = `${utc(latest.ts)} UTC (${ago(latest.ts, cursor)})${more} — ${latest.description}`;
}
