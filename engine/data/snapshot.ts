/**
 * Snapshot reads. A dataset generation is the list of Parquet files in manifest.json; a commit writes new
 * partition files under new names and then replaces manifest.json in one rename, so the list a reader took at
 * open stays valid: nothing it names is overwritten, and nothing it names is deleted while its pin exists.
 *
 * Pins live in `.readers/`. A reader first pins "pending", then reads the manifest, then records the files it
 * uses. The garbage collector (run by the writer, under the writer lock) keeps every file a live pin names and
 * deletes nothing while a pending pin exists, because that reader may have read the manifest before the commit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { writeFileAtomic } from './atomic-file.ts';
import { manifestPath } from './layout.ts';
import { TABLE_NAMES, type TableName } from './tables.ts';
import { isAlive, selfIdentity, type ProcessIdentity } from './process-identity.ts';

export interface Snapshot {
  /** null for a dataset whose manifest predates generations (then the files are listed from disk) */
  generation: number | null;
  /** dataset-relative paths with '/' separators */
  files: string[];
}

const READERS = '.readers';
/** files a commit writes: g<generation>-<id>.parquet, never visible until a manifest names them */
export const GENERATION_FILE_RE = /^g\d+-[0-9a-f]+\.parquet$/;

interface ManifestFiles {
  generation?: number;
  tables?: Partial<Record<string, { files?: { path: string }[] }>>;
}

function toPosix(rel: string): string {
  return rel.split(path.sep).join('/');
}

/** Every Parquet file a pre-generation dataset holds, except files staged by a commit that never finished. */
function legacyListing(datasetsDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.parquet') && !GENERATION_FILE_RE.test(e.name)) out.push(toPosix(path.relative(datasetsDir, full)));
    }
  };
  let venues: string[] = [];
  try {
    venues = fs.readdirSync(datasetsDir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    /* no dataset yet */
  }
  for (const venue of venues) for (const table of TABLE_NAMES) walk(path.join(datasetsDir, venue, table));
  return out.sort();
}

export function readSnapshot(datasetsDir: string): Snapshot {
  const file = manifestPath(datasetsDir);
  let manifest: ManifestFiles | null = null;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as ManifestFiles;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${file}: unreadable manifest (${(err as Error).message})`);
  }
  if (manifest && typeof manifest.generation === 'number') {
    const files = Object.values(manifest.tables ?? {}).flatMap((t) => (t?.files ?? []).map((f) => f.path));
    return { generation: manifest.generation, files: files.sort() };
  }
  return { generation: null, files: legacyListing(datasetsDir) };
}

/** Absolute paths of one table's files in a snapshot, optionally of one venue and/or symbol. */
export function snapshotFiles(datasetsDir: string, snap: Snapshot, table: TableName, venue?: string, symbol?: string): string[] {
  return snap.files
    .filter((f) => {
      const [v, t, s] = f.split('/');
      return t === table && (venue === undefined || v === venue) && (symbol === undefined || s === `symbol=${symbol}`);
    })
    .map((f) => path.join(datasetsDir, ...f.split('/')));
}

interface PinFile extends ProcessIdentity {
  /** null while pending: the reader has not yet read the manifest */
  files: string[] | null;
}

export interface PinnedSnapshot {
  snapshot: Snapshot;
  release(): void;
}

/** Pins the current generation for a reader; on a read-only dataset there is no writer to guard against. */
export function pinSnapshot(datasetsDir: string): PinnedSnapshot {
  const pinFile = path.join(datasetsDir, READERS, `${process.pid}-${randomUUID().slice(0, 8)}.json`);
  const write = (files: string[] | null) => writeFileAtomic(pinFile, JSON.stringify({ ...selfIdentity(), files } satisfies PinFile));
  let pinned = true;
  try {
    write(null);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') throw err;
    pinned = false;
  }
  const snapshot = readSnapshot(datasetsDir);
  if (pinned) write(snapshot.files);
  return {
    snapshot,
    release() {
      if (pinned) fs.rmSync(pinFile, { force: true });
      pinned = false;
    },
  };
}

export interface LivePins {
  files: Set<string>;
  /** a live reader that may be reading any generation: delete nothing */
  pending: boolean;
}

/** What live readers hold; pins of dead processes are removed on the way. */
export function livePins(datasetsDir: string): LivePins {
  const dir = path.join(datasetsDir, READERS);
  const out: LivePins = { files: new Set(), pending: false };
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    let pin: PinFile | null = null;
    try {
      pin = JSON.parse(fs.readFileSync(full, 'utf8')) as PinFile;
    } catch {
      // a temp file mid-rename or a torn pin: treat as a pending reader unless its writer is dead
      const pid = Number(/^(\d+)-/.exec(name)?.[1]);
      if (Number.isFinite(pid) && isAlive({ pid, host: selfIdentity().host, started: '' })) out.pending = true;
      else fs.rmSync(full, { force: true });
      continue;
    }
    if (!isAlive(pin)) {
      fs.rmSync(full, { force: true });
      continue;
    }
    if (pin.files === null) out.pending = true;
    else for (const f of pin.files) out.files.add(f);
  }
  return out;
}
