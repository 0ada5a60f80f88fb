/**
 * The market's arrays (grid, labels, hourly table, draw tables): ordinary buffers, or shared memory when a
 * baseline worker prepares the market for the caller as well. Shared, the caller receives the worker's own
 * arrays with the message instead of a copy made for it (a backtest's market is ≈ 30 MB: the copy cost the worker
 * ≈ 0.2 s during the replay, mostly in first touches of the fresh pages, and kept two markets in memory).
 */
let shared = false;

/** build's market arrays in shared memory */
export function inSharedMemory<T>(build: () => T): T {
  const was = shared;
  shared = true;
  try {
    return build();
  } finally {
    shared = was;
  }
}

export function float64s(n: number): Float64Array {
  return shared ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n);
}

export function int32s(n: number): Int32Array {
  return shared ? new Int32Array(new SharedArrayBuffer(4 * n)) : new Int32Array(n);
}

export function int8s(n: number): Int8Array {
  return shared ? new Int8Array(new SharedArrayBuffer(n)) : new Int8Array(n);
}
