// Worker threads do not inherit the CLI's loader: start from the CLI's bundle, or through tsx (scripts/cli-bundle.mjs).
import { parentPort } from 'node:worker_threads';
import { importEntry } from '../../scripts/cli-bundle.mjs';

try {
  await importEntry(new URL('./parquet-writer-worker.ts', import.meta.url));
} catch (err) {
  // the caller may be blocked waiting for a free buffer set: raise the error flag it watches
  parentPort.once('message', (init) => {
    const control = new Int32Array(init.control);
    init.errors.postMessage({ message: `the feature writer thread could not start: ${err instanceof Error ? err.message : String(err)}` });
    Atomics.store(control, init.buffers.length, 1);
    for (let i = 0; i < control.length; i++) Atomics.notify(control, i);
  });
}
