/**
 * A deep copy of plain data (objects, arrays, Maps, typed arrays) whose typed arrays own fresh buffers, listed
 * for postMessage's transfer list: the receiver then takes the buffers as they are instead of copying them
 * while it deserialises — the copy is made on the sender, which may be idle while the receiver is busy.
 * Objects reached twice stay one object (a market's grid.bySymbol values are its grid.symbols entries).
 */
export function transferCopy<T>(value: T): { copy: T; transfer: ArrayBuffer[] } {
  const seen = new Map<object, unknown>();
  const transfer: ArrayBuffer[] = [];
  const copyOf = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const known = seen.get(v);
    if (known !== undefined) return known;
    let out: unknown;
    if (ArrayBuffer.isView(v)) {
      const typed = (v as unknown as { slice(): ArrayBufferView }).slice();
      transfer.push(typed.buffer as ArrayBuffer);
      out = typed;
    } else if (v instanceof Map) {
      const map = new Map();
      seen.set(v, map);
      for (const [k, x] of v) map.set(k, copyOf(x));
      return map;
    } else if (Array.isArray(v)) {
      const list: unknown[] = [];
      seen.set(v, list);
      for (const x of v) list.push(copyOf(x));
      return list;
    } else {
      const obj: Record<string, unknown> = {};
      seen.set(v, obj);
      for (const [k, x] of Object.entries(v)) obj[k] = copyOf(x);
      return obj;
    }
    seen.set(v, out);
    return out;
  };
  return { copy: copyOf(value) as T, transfer };
}
