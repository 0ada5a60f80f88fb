/**
 * The live store: one DuckDB file (results/live/live.duckdb) holding what the live loop decided and what the
 * webhook worker did — hours stepped, feature rows, market_events, the outbox, webhook_logs, hours to backfill,
 * faults and the running scorecard. An event and its outbox rows are written in ONE transaction, so an alert is
 * either stored with every delivery it owes or not at all; the outbox holds endpoint ids (hashes), never URLs.
 *
 * DuckDB lets only one process open a file for writing, and not even a reader beside it. The store therefore
 * holds the file only while it works and lets go after a short idle time, and every open retries while another
 * process holds the lock: `regime live status` can read while `regime live` runs. Each let-go checkpoints the
 * file (hundreds of ms), so a caller with a burst of work ahead (the loop catching up on hours that are already
 * due, as on an accelerated clock) pins the file open until it is done; commits are durable either way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { Alert, AlertValue } from '../pipeline/alerts.ts';
import type { FeatureRow } from '../pipeline/feature-row.ts';
import { UserError } from '../errors.ts';
import { redact } from '../notify/redact.ts';

export const LIVE_DB_FILE = 'live.duckdb';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS hours (ts BIGINT PRIMARY KEY, stepped_at BIGINT, mode VARCHAR, missing VARCHAR, flags VARCHAR, liq VARCHAR, alerts INTEGER)`,
  `CREATE TABLE IF NOT EXISTS features (ts BIGINT, symbol VARCHAR, row_json VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS market_events (id VARCHAR PRIMARY KEY, ts BIGINT, symbol VARCHAR, event_type VARCHAR, severity VARCHAR, source VARCHAR,
     title VARCHAR, description VARCHAR, data VARCHAR, paper BOOLEAN, late BOOLEAN, created_at BIGINT)`,
  // the alert's direction (+1/−1/NULL), added after the first release: older files gain the column
  `ALTER TABLE market_events ADD COLUMN IF NOT EXISTS direction TINYINT`,
  `CREATE TABLE IF NOT EXISTS outbox (event_id VARCHAR, endpoint_id VARCHAR, endpoint VARCHAR, kind VARCHAR, state VARCHAR, attempts INTEGER,
     next_attempt_at BIGINT, last_status INTEGER, last_error VARCHAR, created_at BIGINT, delivered_at BIGINT, PRIMARY KEY (event_id, endpoint_id))`,
  `CREATE TABLE IF NOT EXISTS webhook_logs (event_id VARCHAR, endpoint_id VARCHAR, url VARCHAR, attempt INTEGER, status INTEGER, latency_ms DOUBLE,
     success BOOLEAN, error VARCHAR, "at" BIGINT)`,
  `CREATE TABLE IF NOT EXISTS missed (ts BIGINT, symbol VARCHAR, what VARCHAR, reason VARCHAR, attempts INTEGER, PRIMARY KEY (ts, symbol, what))`,
  `CREATE TABLE IF NOT EXISTS faults ("at" BIGINT, hour BIGINT, kind VARCHAR, detail VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS scorecard (id INTEGER PRIMARY KEY, computed_at BIGINT, json VARCHAR)`,
  // the order hours were recorded in, across restarts: proves they were stepped in order
  `ALTER TABLE hours ADD COLUMN IF NOT EXISTS seq BIGINT`,
  `CREATE TABLE IF NOT EXISTS rejects ("at" BIGINT, hour BIGINT, "table" VARCHAR, venue VARCHAR, symbol VARCHAR, ts BIGINT, reason VARCHAR, "values" VARCHAR)`,
];

/** an exchange value that failed the dataset's checks: kept for inspection, never stepped nor appended */
export interface RejectRow {
  at: number;
  hour: number;
  table: string;
  venue: string;
  symbol: string;
  ts: number;
  reason: string;
  values: string;
}

export interface OutboxTarget {
  id: string;
  redacted: string;
  kind: string;
}

export interface StoredAlert {
  alert: Alert;
  late: boolean;
  /** endpoints owed a delivery; empty: stored and scored only */
  targets: readonly OutboxTarget[];
}

export interface HourRecord {
  ts: number;
  mode: 'live' | 'catchup';
  /** symbols stepped without a candle */
  missing: readonly string[];
  /** fault flags of the hour (candle_unavailable:BTCUSDT, funding_unavailable:…, …) */
  flags: readonly string[];
  /** liquidation coverage kind per symbol, null = no data */
  liq: Record<string, string | null>;
  features: readonly FeatureRow[];
  alerts: readonly StoredAlert[];
}

export interface OutboxEntry {
  event_id: string;
  endpoint_id: string;
  endpoint: string;
  kind: string;
  state: 'pending' | 'delivered' | 'dead';
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface StoredEvent extends Alert {
  paper: boolean;
  late: boolean;
  created_at: number;
}

export interface WebhookLog {
  event_id: string;
  endpoint_id: string;
  url: string;
  attempt: number;
  status: number | null;
  latency_ms: number;
  success: boolean;
  error: string | null;
  at: number;
}

export interface MissedRow {
  ts: number;
  symbol: string;
  what: 'candle' | 'funding';
  reason: string;
  attempts: number;
}

export interface LiveStoreOptions {
  readOnly?: boolean;
  /** let go of the file after this much idle time (ms); default 250 */
  idleCloseMs?: number;
  /** keep retrying a locked file this long (ms); default 30 000 */
  lockTimeoutMs?: number;
}

type Row = Record<string, unknown>;

function plain(row: Row): Row {
  for (const k of Object.keys(row)) if (typeof row[k] === 'bigint') row[k] = Number(row[k]);
  return row;
}

const isLockError = (err: unknown) => /Could not set lock|Conflicting lock|lock on file/i.test((err as Error)?.message ?? '');

export class LiveStore {
  readonly file: string;
  readonly readOnly: boolean;
  private readonly idleCloseMs: number;
  private readonly lockTimeoutMs: number;
  private instance: DuckDBInstance | null = null;
  private conn: DuckDBConnection | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;
  /** operations queued or running; the file is let go only when none is */
  private pending = 0;
  /** callers that asked to keep the file open between operations (pin()) */
  private pins = 0;
  private closed = false;

  private constructor(file: string, opts: LiveStoreOptions) {
    this.file = file;
    this.readOnly = opts.readOnly ?? false;
    this.idleCloseMs = opts.idleCloseMs ?? 250;
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 30_000;
  }

  /** `dir` is the live results folder (results/live); the file is created on the first writable open */
  static async open(dir: string, opts: LiveStoreOptions = {}): Promise<LiveStore> {
    const file = path.join(dir, LIVE_DB_FILE);
    if (opts.readOnly && !fs.existsSync(file)) throw new UserError(`no live store at ${file} (start one with \`regime live\`)`);
    if (!opts.readOnly) fs.mkdirSync(dir, { recursive: true });
    const store = new LiveStore(file, opts);
    if (!store.readOnly) await store.use(async (c) => {
      for (const sql of SCHEMA) await c.run(sql);
    });
    return store;
  }

  /** runs fn with the connection, one caller at a time, opening the file if needed */
  use<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    this.pending++;
    this.cancelIdleClose();
    const run = async (): Promise<T> => {
      try {
        if (this.closed) throw new Error('live store is closed');
        const conn = await this.connect();
        return await fn(conn);
      } finally {
        this.pending--;
        this.scheduleIdleClose();
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** whether the file is open now (it is opened by the next operation when not) */
  get holdsFile(): boolean {
    return this.conn !== null;
  }

  /**
   * Keeps the file open between operations until the returned function is called (once; later calls do nothing),
   * then the usual idle close applies. For bursts of work whose gaps would each cost a close and a checkpoint.
   */
  pin(): () => void {
    this.pins++;
    this.cancelIdleClose();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.pins--;
      this.scheduleIdleClose();
    };
  }

  private cancelIdleClose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private scheduleIdleClose(): void {
    if (this.pending > 0 || this.pins > 0 || this.closed || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pending === 0 && this.pins === 0) this.release();
    }, this.idleCloseMs);
    this.idleTimer.unref();
  }

  /** fn inside BEGIN … COMMIT; rolled back on any error */
  tx<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.use(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const out = await fn(c);
        await c.run('COMMIT');
        return out;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue;
    this.cancelIdleClose();
    this.release();
    this.closed = true;
  }

  private async connect(): Promise<DuckDBConnection> {
    if (this.conn) return this.conn;
    const deadline = Date.now() + this.lockTimeoutMs;
    for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
      try {
        // one thread: every query here touches a few small tables, and a second thread only adds scheduling CPU
        this.instance = await DuckDBInstance.create(this.file, this.readOnly ? { access_mode: 'READ_ONLY', threads: '1' } : { threads: '1' });
        this.conn = await this.instance.connect();
        return this.conn;
      } catch (err) {
        this.release();
        if (!isLockError(err) || Date.now() > deadline) {
          if (isLockError(err)) throw new UserError(`the live store ${this.file} stayed locked by another process for ${this.lockTimeoutMs} ms`);
          throw err;
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private release(): void {
    try {
      this.conn?.closeSync();
      this.instance?.closeSync();
    } catch {
      // closing twice after a failed open is harmless
    }
    this.conn = null;
    this.instance = null;
  }

  private static async rows(c: DuckDBConnection, sql: string, params?: DuckDBValue[]): Promise<Row[]> {
    const r = await c.runAndReadAll(sql, params);
    return (r.getRowObjectsJS() as Row[]).map(plain);
  }

  query(sql: string, params?: DuckDBValue[]): Promise<Row[]> {
    return this.use((c) => LiveStore.rows(c, sql, params));
  }

  // ---- meta ------------------------------------------------------------------------------------------------

  async setMeta(entries: Record<string, string>): Promise<void> {
    const params: DuckDBValue[] = [];
    // one statement for all rows: DuckDB pays ≈ 5 ms CPU per INSERT OR REPLACE statement, little per row
    const rows = Object.entries(entries).map(([k, v]) => `($${params.push(k)}, $${params.push(redact(v))})`);
    if (rows.length > 0) await this.use((c) => c.run(`INSERT OR REPLACE INTO meta VALUES ${rows.join(', ')}`, params));
  }

  async meta(): Promise<Record<string, string>> {
    const rows = await this.query(`SELECT key, value FROM meta`);
    return Object.fromEntries(rows.map((r) => [String(r.key), String(r.value)]));
  }

  // ---- hours, features, events, outbox -------------------------------------------------------------------

  async lastSteppedHour(): Promise<number | null> {
    const [r] = await this.query(`SELECT max(ts)::DOUBLE AS m FROM hours`);
    return r?.m === null || r?.m === undefined ? null : Number(r.m);
  }

  /** inserts the events not stored yet, with their outbox rows, in the caller's transaction; returns the new ids */
  private static async insertAlerts(c: DuckDBConnection, alerts: readonly StoredAlert[], paper: boolean, now: number): Promise<string[]> {
    if (alerts.length === 0) return [];
    const ids = alerts.map((a) => a.alert.id);
    const existing = new Set(
      (await LiveStore.rows(c, `SELECT id FROM market_events WHERE id IN (${ids.map((_, i) => `$${i + 1}`).join(', ')})`, ids)).map((r) => String(r.id)),
    );
    const inserted: string[] = [];
    // all new events in one statement and all their outbox rows in another (DuckDB's cost is per statement)
    const events: DuckDBValue[] = [];
    const eventRows: string[] = [];
    const outbox: DuckDBValue[] = [];
    const outboxRows: string[] = [];
    const owed = new Set<string>();
    const slots = (params: DuckDBValue[], values: DuckDBValue[]) => `(${values.map((v) => `$${params.push(v)}`).join(', ')})`;
    for (const { alert: a, late, targets } of alerts) {
      if (existing.has(a.id)) continue;
      existing.add(a.id);
      eventRows.push(slots(events, [a.id, a.ts, a.symbol, a.event_type, a.severity, a.source, a.title, a.description, JSON.stringify(a.data), paper, late, now, a.direction]));
      for (const t of targets) {
        // a key twice in one INSERT would conflict with itself; the first stands, as row by row
        if (owed.has(`${a.id}\0${t.id}`)) continue;
        owed.add(`${a.id}\0${t.id}`);
        const [id, endpointId, redacted, kind, due, created] = [a.id, t.id, t.redacted, t.kind, now, now].map((v) => `$${outbox.push(v)}`);
        outboxRows.push(`(${id}, ${endpointId}, ${redacted}, ${kind}, 'pending', 0, ${due}, NULL, NULL, ${created}, NULL)`);
      }
      inserted.push(a.id);
    }
    if (eventRows.length > 0) await c.run(`INSERT INTO market_events VALUES ${eventRows.join(', ')}`, events);
    if (outboxRows.length > 0) await c.run(`INSERT INTO outbox VALUES ${outboxRows.join(', ')} ON CONFLICT DO NOTHING`, outbox);
    return inserted;
  }

  /** one stepped hour: its row, feature rows, new events and their outbox rows, all or nothing */
  recordHour(h: HourRecord, paper: boolean, now: number): Promise<string[]> {
    return this.tx(async (c) => {
      await c.run(
        `INSERT OR REPLACE INTO hours (ts, stepped_at, mode, missing, flags, liq, alerts, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT coalesce(max(seq), 0) + 1 FROM hours))`,
        [h.ts, now, h.mode, JSON.stringify(h.missing), JSON.stringify(h.flags), JSON.stringify(h.liq), h.alerts.length],
      );
      if (h.features.length > 0) {
        const params: DuckDBValue[] = [];
        const values = h.features.map((f) => `($${params.push(h.ts)}, $${params.push(String(f.symbol))}, $${params.push(JSON.stringify(f))})`);
        await c.run(`INSERT INTO features VALUES ${values.join(', ')}`, params);
      }
      return LiveStore.insertAlerts(c, h.alerts, paper, now);
    });
  }

  /** events found for hours already passed (a rebuild after a backfill): stored late, no hour row */
  recordLateAlerts(alerts: readonly StoredAlert[], paper: boolean, now: number): Promise<string[]> {
    return this.tx((c) => LiveStore.insertAlerts(c, alerts, paper, now));
  }

  async dueOutbox(now: number, limit: number): Promise<OutboxEntry[]> {
    const rows = await this.query(
      `SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, created_at, event_id LIMIT ${Math.max(1, Math.floor(limit))}`,
      [now],
    );
    return rows as unknown as OutboxEntry[];
  }

  async nextOutboxDue(): Promise<number | null> {
    const [r] = await this.query(`SELECT min(next_attempt_at)::DOUBLE AS m FROM outbox WHERE state = 'pending'`);
    return r?.m === null || r?.m === undefined ? null : Number(r.m);
  }

  async event(id: string): Promise<StoredEvent | null> {
    const [r] = await this.query(`SELECT * FROM market_events WHERE id = $1`, [id]);
    return r ? toEvent(r) : null;
  }

  /** the outcome of one attempt and its log line, together */
  recordAttempt(entry: OutboxEntry, update: Pick<OutboxEntry, 'state' | 'attempts' | 'next_attempt_at' | 'last_status' | 'last_error' | 'delivered_at'>, log: WebhookLog): Promise<void> {
    return this.tx(async (c) => {
      await c.run(
        `UPDATE outbox SET state = $1, attempts = $2, next_attempt_at = $3, last_status = $4, last_error = $5, delivered_at = $6 WHERE event_id = $7 AND endpoint_id = $8`,
        [update.state, update.attempts, update.next_attempt_at, update.last_status, nullableRedact(update.last_error), update.delivered_at, entry.event_id, entry.endpoint_id],
      );
      await c.run(`INSERT INTO webhook_logs VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
        log.event_id, log.endpoint_id, redact(log.url), log.attempt, log.status, log.latency_ms, log.success, nullableRedact(log.error), log.at,
      ]);
    });
  }

  /** every pending entry of an endpoint waits at least until `until` (a receiver's announced rate-limit wait) */
  async deferEndpoint(endpointId: string, until: number): Promise<void> {
    await this.use((c) => c.run(`UPDATE outbox SET next_attempt_at = greatest(next_attempt_at, $1) WHERE endpoint_id = $2 AND state = 'pending'`, [until, endpointId]));
  }

  async outboxCounts(): Promise<Record<'pending' | 'delivered' | 'dead', number>> {
    const rows = await this.query(`SELECT state, count(*)::DOUBLE AS n FROM outbox GROUP BY state`);
    const out = { pending: 0, delivered: 0, dead: 0 };
    for (const r of rows) out[String(r.state) as keyof typeof out] = Number(r.n);
    return out;
  }

  async outbox(): Promise<OutboxEntry[]> {
    return (await this.query(`SELECT * FROM outbox ORDER BY created_at, event_id, endpoint_id`)) as unknown as OutboxEntry[];
  }

  async webhookLogs(limit = 1000): Promise<WebhookLog[]> {
    return (await this.query(`SELECT * FROM webhook_logs ORDER BY "at" DESC LIMIT ${Math.max(1, Math.floor(limit))}`)) as unknown as WebhookLog[];
  }

  async events(q: { since?: number; until?: number; type?: string; severity?: string; symbol?: string; limit?: number } = {}): Promise<StoredEvent[]> {
    const where: string[] = [];
    const params: DuckDBValue[] = [];
    const add = (sql: string, v: DuckDBValue) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.since !== undefined) add('ts >= ?', q.since);
    if (q.until !== undefined) add('ts <= ?', q.until);
    if (q.type) add('event_type = ?', q.type);
    if (q.severity) add('severity = ?', q.severity);
    if (q.symbol) add('symbol = ?', q.symbol);
    const limit = q.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(q.limit))}`;
    const rows = await this.query(`SELECT * FROM market_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id${limit}`, params);
    return rows.map(toEvent);
  }

  async features(q: { symbol?: string; from?: number; to?: number } = {}): Promise<FeatureRow[]> {
    const where: string[] = [];
    const params: DuckDBValue[] = [];
    if (q.symbol) where.push(`symbol = $${params.push(q.symbol)}`);
    if (q.from !== undefined) where.push(`ts >= $${params.push(q.from)}`);
    if (q.to !== undefined) where.push(`ts <= $${params.push(q.to)}`);
    const rows = await this.query(`SELECT row_json FROM features${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ts, symbol`, params);
    return rows.map((r) => JSON.parse(String(r.row_json)) as FeatureRow);
  }

  async hours(q: { from?: number; to?: number } = {}): Promise<{ ts: number; mode: string; missing: string[]; flags: string[]; liq: Record<string, string | null>; alerts: number; stepped_at: number; seq: number | null }[]> {
    const rows = await this.query(
      `SELECT * FROM hours WHERE ts >= $1 AND ts <= $2 ORDER BY ts`,
      [q.from ?? -8.64e15, q.to ?? 8.64e15],
    );
    return rows.map((r) => ({
      ts: Number(r.ts),
      mode: String(r.mode),
      missing: JSON.parse(String(r.missing)) as string[],
      flags: JSON.parse(String(r.flags)) as string[],
      liq: JSON.parse(String(r.liq)) as Record<string, string | null>,
      alerts: Number(r.alerts),
      stepped_at: Number(r.stepped_at),
      seq: r.seq === null || r.seq === undefined ? null : Number(r.seq),
    }));
  }

  // ---- faults and backfill --------------------------------------------------------------------------------

  async addFault(at: number, hour: number | null, kind: string, detail: string): Promise<void> {
    await this.use((c) => c.run(`INSERT INTO faults VALUES ($1, $2, $3, $4)`, [at, hour, kind, redact(detail).slice(0, 500)]));
  }

  async faults(limit = 200): Promise<{ at: number; hour: number | null; kind: string; detail: string }[]> {
    const rows = await this.query(`SELECT * FROM faults ORDER BY "at" DESC LIMIT ${Math.max(1, Math.floor(limit))}`);
    return rows.map((r) => ({ at: Number(r.at), hour: r.hour === null ? null : Number(r.hour), kind: String(r.kind), detail: String(r.detail) }));
  }

  async addMissed(rows: readonly Omit<MissedRow, 'attempts'>[]): Promise<void> {
    if (rows.length === 0) return;
    const params: DuckDBValue[] = [];
    const seen = new Set<string>();
    const values: string[] = [];
    for (const r of rows) {
      // a key twice in one INSERT would conflict with itself; the first stands, as row by row
      const key = `${r.ts}\0${r.symbol}\0${r.what}`;
      if (seen.has(key)) continue;
      seen.add(key);
      values.push(`($${params.push(r.ts)}, $${params.push(r.symbol)}, $${params.push(r.what)}, $${params.push(r.reason)}, 0)`);
    }
    await this.use((c) => c.run(`INSERT INTO missed VALUES ${values.join(', ')} ON CONFLICT DO NOTHING`, params));
  }

  async addReject(r: RejectRow): Promise<void> {
    await this.use((c) => c.run(`INSERT INTO rejects VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [r.at, r.hour, r.table, r.venue, r.symbol, r.ts, redact(r.reason).slice(0, 500), redact(r.values).slice(0, 2000)]));
  }

  async rejects(): Promise<RejectRow[]> {
    return (await this.query(`SELECT * FROM rejects ORDER BY "at", ts`)) as unknown as RejectRow[];
  }

  async missed(): Promise<MissedRow[]> {
    return (await this.query(`SELECT * FROM missed ORDER BY ts, symbol, what`)) as unknown as MissedRow[];
  }

  /** drops the resolved rows and counts an attempt on the others; rows past maxAttempts are given up */
  async settleMissed(resolved: readonly MissedRow[], tried: readonly MissedRow[], maxAttempts: number): Promise<void> {
    if (resolved.length === 0 && tried.length === 0) return;
    await this.tx(async (c) => {
      for (const r of resolved) await c.run(`DELETE FROM missed WHERE ts = $1 AND symbol = $2 AND what = $3`, [r.ts, r.symbol, r.what]);
      for (const r of tried) {
        if (r.attempts + 1 >= maxAttempts) await c.run(`DELETE FROM missed WHERE ts = $1 AND symbol = $2 AND what = $3`, [r.ts, r.symbol, r.what]);
        else await c.run(`UPDATE missed SET attempts = attempts + 1 WHERE ts = $1 AND symbol = $2 AND what = $3`, [r.ts, r.symbol, r.what]);
      }
    });
  }

  // ---- scorecard ---------------------------------------------------------------------------------------------

  async saveScorecard(json: unknown, now: number): Promise<void> {
    await this.use((c) => c.run(`INSERT OR REPLACE INTO scorecard VALUES (1, $1, $2)`, [now, JSON.stringify(json)]));
  }

  async scorecard(): Promise<{ computed_at: number; scorecard: unknown } | null> {
    const [r] = await this.query(`SELECT computed_at, json FROM scorecard WHERE id = 1`);
    return r ? { computed_at: Number(r.computed_at), scorecard: JSON.parse(String(r.json)) } : null;
  }
}

/** the boundary of storage: nothing written to the live store holds a configured secret */
function nullableRedact(s: string | null): string | null {
  return s === null ? null : redact(s);
}

function toEvent(r: Row): StoredEvent {
  return {
    id: String(r.id),
    ts: Number(r.ts),
    symbol: String(r.symbol),
    event_type: r.event_type as Alert['event_type'],
    severity: r.severity as Alert['severity'],
    source: r.source as Alert['source'],
    direction: r.direction === null || r.direction === undefined ? null : (Number(r.direction) as 1 | -1),
    title: String(r.title),
    description: String(r.description),
    data: JSON.parse(String(r.data)) as Record<string, AlertValue>,
    paper: Boolean(r.paper),
    late: Boolean(r.late),
    created_at: Number(r.created_at),
  };
}
