/**
 * A ParquetWriter on a worker thread, fed row groups through buffer sets in shared memory.
 *
 * Why: encoding and brotli-compressing the feature file's row groups is ≈ 0.65 s of a default backtest's main thread,
 * spent while the replay runs and the second core waits. The replay calls its sinks synchronously, so the hand-over
 * is synchronous too: the caller fills a set, submits it and takes the next one, waiting (Atomics.wait) only when the
 * worker still encodes every set — memory stays bounded by the number of sets. The encoder is the same ParquetWriter,
 * so the file is byte for byte the one written on the caller's thread.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { ParquetColumn, ParquetWriterOptions } from './parquet-writer.ts';
import { PARQUET_WRITER, startThread } from '../worker-threads.ts';

/** a column's buffer kind: doubles (NaN null), bytes (booleans), string codes (0 null, k → words[k - 1]) */
export type BufferKind = 'f64' | 'u8' | 'i32';
export type ColumnBuffer = Float64Array | Uint8Array | Int32Array;

/** set states in the control array; its slot `sets` is the error flag, `sets + 1` says the file is finished or dropped */
export const FREE = 0;
export const BUSY = 1;

export interface WriterThreadInit {
  type: 'init';
  file: string;
  columns: readonly ParquetColumn[];
  options: ParquetWriterOptions;
  kinds: readonly BufferKind[];
  /** parquet column i is written from buffer source[i] */
  source: readonly number[];
  control: SharedArrayBuffer;
  buffers: SharedArrayBuffer[][];
  errors: MessagePort;
}

export type WriterThreadRequest =
  | { type: 'group'; set: number; rows: number; words: (readonly string[] | null)[] }
  | { type: 'finish' }
  | { type: 'abort' };

/** how long a caller waits for the writer thread before it gives up on it (a lost thread never answers) */
const STALL_MS = 120_000;

const BYTES: Record<BufferKind, number> = { f64: 8, u8: 1, i32: 4 };

export function viewOf(kind: BufferKind, buffer: SharedArrayBuffer): ColumnBuffer {
  return kind === 'f64' ? new Float64Array(buffer) : kind === 'u8' ? new Uint8Array(buffer) : new Int32Array(buffer);
}

export class ParquetWriterThread {
  private readonly worker: Worker;
  private readonly control: Int32Array;
  private sets: ColumnBuffer[][];
  private readonly setCount: number;
  private readonly errors: MessagePort;
  private next = 0;
  private current = -1;
  private ended = false;

  private constructor(
    file: string,
    columns: readonly ParquetColumn[],
    options: ParquetWriterOptions,
    kinds: readonly BufferKind[],
    source: readonly number[],
    groupRows: number,
    setCount: number,
  ) {
    const control = new SharedArrayBuffer(4 * (setCount + 2));
    this.control = new Int32Array(control);
    // every set after the first is the thread's until it has touched its pages (the first is filled here at once):
    // first touches of fresh memory are costly on this kind of machine (≈ 5 ms per MB), and the thread is idle
    // while the first set fills, where the caller is the replay
    for (let k = 1; k < setCount; k++) this.control[k] = BUSY;
    const buffers = Array.from({ length: setCount }, () => kinds.map((k) => new SharedArrayBuffer(BYTES[k] * groupRows)));
    this.sets = buffers.map((set) => set.map((b, i) => viewOf(kinds[i], b)));
    this.setCount = setCount;
    const channel = new MessageChannel();
    this.errors = channel.port1;
    this.worker = startThread(PARQUET_WRITER);
    this.worker.unref();
    const init: WriterThreadInit = { type: 'init', file, columns, options, kinds, source, control, buffers, errors: channel.port2 };
    this.worker.postMessage(init, [channel.port2]);
    // seen only between the caller's synchronous steps; a thread that cannot start raises the error flag itself
    this.worker.on('error', (err) => this.fail(err.message));
  }

  /**
   * A writer of `file` on its own thread. kinds: one buffer per entry; source: the buffer each parquet column is
   * written from. Nothing is written to `file` itself until finish() renames the temp file into place.
   */
  static start(file: string, columns: readonly ParquetColumn[], options: ParquetWriterOptions, kinds: readonly BufferKind[], source: readonly number[], groupRows: number, sets = 2): ParquetWriterThread {
    if (source.length !== columns.length) throw new Error(`parquet writer thread: ${columns.length} columns but ${source.length} sources`);
    return new ParquetWriterThread(file, columns, options, kinds, source, groupRows, sets);
  }

  /** the buffers to fill next: a set the thread has finished with (waits for one if every set is being encoded) */
  acquire(): ColumnBuffer[] {
    if (this.current >= 0) throw new Error('parquet writer thread: the previous set was not submitted');
    const k = this.next;
    this.waitWhile(k, BUSY);
    this.current = k;
    return this.sets[k];
  }

  /** hands the acquired set, holding `rows` rows, to the thread; words: the dictionary of each string buffer */
  submit(rows: number, words: (readonly string[] | null)[]): void {
    const k = this.current;
    if (k < 0) throw new Error('parquet writer thread: nothing acquired to submit');
    this.current = -1;
    this.next = (k + 1) % this.setCount;
    this.throwIfFailed();
    Atomics.store(this.control, k, BUSY);
    this.worker.postMessage({ type: 'group', set: k, rows, words } satisfies WriterThreadRequest);
  }

  /**
   * writes the footer and renames the file into place; resolves once that is done (rejects with the thread's error).
   * The caller is free meanwhile: the thread may still be encoding the last groups (a backtest scores beside it).
   */
  async finish(): Promise<void> {
    if (this.ended) throw new Error('parquet writer thread already finished or aborted');
    this.ended = true;
    // a set acquired for rows that never came (the last group was full) is simply not written
    this.current = -1;
    // the thread answers with a message once done: held referenced until then so the process waits for it
    this.worker.ref();
    const settled = new Promise<void>((resolve) => {
      this.worker.once('message', () => resolve());
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ type: 'finish' } satisfies WriterThreadRequest);
    try {
      await settled;
      if (Atomics.load(this.control, this.setCount + 1) === 0) this.fail('the feature writer thread stopped before finishing');
      this.throwIfFailed();
    } finally {
      // the buffers (≈ 17 MB a set for the feature file) go at once: the caller may still hold this object
      this.sets = [];
      void this.worker.terminate();
    }
  }

  /** drops the temp file; returns once the thread has removed it */
  abort(): void {
    if (this.ended) return;
    this.ended = true;
    this.worker.postMessage({ type: 'abort' } satisfies WriterThreadRequest);
    try {
      this.waitWhile(this.setCount + 1, 0);
    } catch {
      // the thread failed: it removed its temp file itself
    } finally {
      this.sets = [];
      void this.worker.terminate();
    }
  }

  /** blocks while control[slot] === value, failing if the thread reports an error or stops answering */
  private waitWhile(slot: number, value: number): void {
    const deadline = Date.now() + STALL_MS;
    while (Atomics.load(this.control, slot) === value) {
      this.throwIfFailed();
      if (Date.now() > deadline) throw new Error(`parquet writer thread did not answer for ${STALL_MS / 1000} s`);
      Atomics.wait(this.control, slot, value, 200);
    }
    this.throwIfFailed();
  }

  private failure: string | null = null;

  private fail(message: string): void {
    this.failure ??= message;
  }

  private throwIfFailed(): void {
    if (this.failure === null && Atomics.load(this.control, this.setCount) !== 0) {
      const reply = receiveMessageOnPort(this.errors) as { message: { message: string } } | undefined;
      this.fail(reply?.message.message ?? 'the feature writer thread failed');
    }
    if (this.failure !== null) throw new Error(this.failure);
  }
}
