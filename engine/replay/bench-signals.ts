/**
 * `npm run bench -- signals`: what the default configuration says about the bundled history, as shares of the
 * hours — a flag that is on most of the time, or a state nobody ever reaches, shows here before it misleads.
 */
import { openStore } from '../data/store.ts';
import { REGIME_TIMEFRAMES, SPOT_REGIMES } from '../detectors/multi-timeframe-regime.ts';
import { VOL_REGIMES } from '../detectors/volatility-regime.ts';
import { EVENT_TYPES } from '../pipeline/alerts.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { loadReplayData } from './replay-data.ts';
import { runReplay } from './replay.ts';

const pct = (n: number, d: number) => (d === 0 ? '—' : `${((100 * n) / d).toFixed(n / d < 0.01 ? 2 : 1)} %`);

export async function benchSignals(): Promise<string[]> {
  const config = defaultConfig();
  const store = await openStore();
  const data = await loadReplayData(store, config.symbols);
  store.close();

  let rows = 0;
  let liqCovered = 0;
  let cascades = 0;
  let sev5 = 0;
  let fundingKnown = 0;
  let fundingAnomaly = 0;
  let pairHours = 0;
  let pairBroken = 0;
  const regimes: Record<string, Record<string, number>> = Object.fromEntries([...REGIME_TIMEFRAMES, 'primary'].map((t) => [t, {}]));
  const vol: Record<string, number> = {};
  const alerts: Record<string, { n: number; up: number; down: number }> = {};
  runReplay(data, config, {
    onStep: (s) => {
      for (const f of s.features) {
        rows++;
        const c = f.cascades;
        if (c.kind !== null) {
          liqCovered++;
          if (c.cascade_detected === true) cascades++;
          if (c.cascade_detected === true && c.severity === 5) sev5++;
        }
        if (f.funding.z !== null) {
          fundingKnown++;
          if (Math.abs(f.funding.z) >= config.rules.funding_abs_z) fundingAnomaly++;
        }
        for (const tf of REGIME_TIMEFRAMES) {
          const r = f.regimes[tf].regime ?? 'none';
          regimes[tf][r] = (regimes[tf][r] ?? 0) + 1;
        }
        const p = f.regimes.primary ?? 'none';
        regimes.primary[p] = (regimes.primary[p] ?? 0) + 1;
        const v = f.volatility.regime ?? 'none';
        vol[v] = (vol[v] ?? 0) + 1;
      }
      for (const p of s.correlations.pairs) {
        if (p.broken === null) continue;
        pairHours++;
        if (p.broken) pairBroken++;
      }
      for (const a of s.alerts) {
        const x = (alerts[a.event_type] ??= { n: 0, up: 0, down: 0 });
        x.n++;
        if (a.direction === 1) x.up++;
        if (a.direction === -1) x.down++;
      }
    },
  });

  const states = [...SPOT_REGIMES, 'none'];
  const out = [
    '## Signals: what the default configuration flags on the bundled history (shares of symbol-hours)',
    `cascade flagged        ${pct(cascades, liqCovered)} of ${liqCovered.toLocaleString('en-US')} covered hours   goal ≤ 5 %   ${cascades <= 0.05 * liqCovered ? 'MET' : 'NOT MET'}`,
    `cascade severity 5     ${pct(sev5, liqCovered)}   goal ≤ 0.5 %   ${sev5 <= 0.005 * liqCovered ? 'MET' : 'NOT MET'}`,
    `funding |z| ≥ ${config.rules.funding_abs_z}       ${pct(fundingAnomaly, fundingKnown)} of hours with a funding z`,
    `correlation broken     ${pct(pairBroken, pairHours)} of pair-hours with a correlation`,
    `volatility regime      ${[...VOL_REGIMES, 'none'].map((r) => `${r} ${pct(vol[r] ?? 0, rows)}`).join(', ')}`,
    `regime state per timeframe (of ${rows.toLocaleString('en-US')} symbol-hours):`,
    `  ${'timeframe'.padEnd(10)}${states.map((s) => s.replace('SPOT_', '').padStart(13)).join('')}`,
    ...[...REGIME_TIMEFRAMES, 'primary'].map((tf) => `  ${tf.padEnd(10)}${states.map((s) => pct(regimes[tf][s] ?? 0, rows).padStart(13)).join('')}`),
    'alerts by type (direction up / down / none):',
    ...EVENT_TYPES.map((t) => {
      const x = alerts[t] ?? { n: 0, up: 0, down: 0 };
      return `  ${t.padEnd(26)}${String(x.n).padStart(6)}   ▲ ${x.up}  ▼ ${x.down}  – ${x.n - x.up - x.down}`;
    }),
  ];
  return out;
}
