import { queryRows } from './duckdb.ts';
import { isoHour } from './gaps.ts';
import { readManifest } from './manifest.ts';
import { manifestHash } from './layout.ts';
import type { Store } from './store.ts';
import { TABLE_NAMES, tableSpec } from './tables.ts';

export interface DatasetSummary {
  datasets_dir: string;
  manifest_sha256: string | null;
  tables: {
    table: string;
    venue: string;
    description: string;
    source: string[];
    series: { symbol: string; rows: number; first: string; last: string; kinds?: string }[];
  }[];
}

export async function summarizeDataset(store: Store): Promise<DatasetSummary> {
  const manifest = readManifest(store.datasetsDir);
  const out: DatasetSummary = { datasets_dir: store.datasetsDir, manifest_sha256: manifestHash(store.datasetsDir), tables: [] };
  for (const table of TABLE_NAMES) {
    const kinds = table === 'liquidations_1h' ? `, string_agg(DISTINCT kind, ',' ORDER BY kind) AS kinds` : '';
    const rows = await queryRows(
      store.conn,
      `SELECT symbol, count(*)::DOUBLE AS n, epoch_ms(min(ts))::DOUBLE AS f, epoch_ms(max(ts))::DOUBLE AS l ${kinds}
       FROM ${table} GROUP BY symbol ORDER BY symbol`,
    );
    out.tables.push({
      table,
      venue: table === 'liquidations_1h' ? 'all' : store.venues[table],
      description: tableSpec(table).description,
      source: manifest?.tables[table]?.source ?? [],
      series: rows.map((r) => ({
        symbol: String(r.symbol),
        rows: Number(r.n),
        first: isoHour(Number(r.f)),
        last: isoHour(Number(r.l)),
        ...(r.kinds ? { kinds: String(r.kinds) } : {}),
      })),
    });
  }
  return out;
}
