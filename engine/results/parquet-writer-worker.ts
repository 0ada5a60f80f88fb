/**
 * The thread of a ParquetWriterThread: encodes each submitted buffer set as a row group, then marks the set free.
 * Any failure drops the temp file, raises the error flag and says why on the error port; later requests are ignored.
 */
import { parentPort } from 'node:worker_threads';
import { ParquetWriter, type ColumnValues } from './parquet-writer.ts';
import { FREE, viewOf, type ColumnBuffer, type WriterThreadInit, type WriterThreadRequest } from './parquet-writer-thread.ts';

const port = parentPort;
if (!port) throw new Error('parquet-writer-worker.ts runs as a worker thread');

let init: WriterThreadInit | null = null;
let writer: ParquetWriter | null = null;
let control: Int32Array = new Int32Array(0);
let sets: ColumnBuffer[][] = [];
let failed = false;

/** slots after the sets: the error flag, then "finished or dropped" */
const errorSlot = () => sets.length;
const doneSlot = () => sets.length + 1;

/** writes a zero into every page of a fresh (all-zero) buffer, so its memory is mapped before the caller fills it */
function touchPages(buffer: SharedArrayBuffer): void {
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 0;
}

function wake(): void {
  for (let i = 0; i < control.length; i++) Atomics.notify(control, i);
}

function handle(request: WriterThreadInit | WriterThreadRequest): void {
  if (request.type === 'init') {
    init = request;
    control = new Int32Array(request.control);
    sets = request.buffers.map((set) => set.map((b, i) => viewOf(request.kinds[i], b)));
    writer = ParquetWriter.create(request.file, request.columns, request.options);
    // the caller handed over every set but the first untouched (ParquetWriterThread): their pages, then theirs
    for (let k = 1; k < sets.length; k++) {
      for (const b of request.buffers[k]) touchPages(b);
      Atomics.store(control, k, FREE);
      Atomics.notify(control, k);
    }
    return;
  }
  if (!init || !writer) throw new Error('parquet writer thread: request before init');
  if (request.type === 'group') {
    const set = sets[request.set];
    const { kinds, source } = init;
    const values = source.map((j): ColumnValues => {
      const view = set[j].subarray(0, request.rows);
      return kinds[j] === 'i32' ? { codes: view as Int32Array, words: request.words[j] ?? [] } : (view as Float64Array | Uint8Array);
    });
    writer.writeRowGroup(request.rows, values);
    Atomics.store(control, request.set, FREE);
    Atomics.notify(control, request.set);
    return;
  }
  if (request.type === 'finish') writer.finish();
  else writer.abort();
  Atomics.store(control, doneSlot(), 1);
  wake();
  // a finishing caller awaits this rather than blocking on the control array
  parentPort!.postMessage({ type: 'done' });
}

port.on('message', (request: WriterThreadInit | WriterThreadRequest) => {
  if (failed) {
    // the caller learns of the failure from the error flag; a finish still gets its answer
    if (request.type === 'finish' || request.type === 'abort') port.postMessage({ type: 'done' });
    return;
  }
  try {
    handle(request);
  } catch (err) {
    failed = true;
    writer?.abort();
    init?.errors.postMessage({ message: err instanceof Error ? err.message : String(err) });
    if (control.length > 0) {
      for (let k = 0; k < sets.length; k++) Atomics.store(control, k, FREE);
      Atomics.store(control, errorSlot(), 1);
      Atomics.store(control, doneSlot(), 1);
      wake();
    }
    port.postMessage({ type: 'done' });
  }
});
