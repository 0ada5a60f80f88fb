/**
 * The Thrift compact protocol, write side only, as much of it as a Parquet footer and page headers need:
 * structs, lists, i32/i64 (zigzag varints), bools, binary/strings.
 */

const T_TRUE = 1;
const T_FALSE = 2;
const T_I32 = 5;
const T_I64 = 6;
const T_BINARY = 8;
const T_LIST = 9;
const T_STRUCT = 12;

const utf8 = new TextEncoder();

export class ThriftWriter {
  private buf = new Uint8Array(256);
  private len = 0;
  /** last field id per open struct: field headers are deltas within their struct */
  private last: number[] = [0];

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  private byte(b: number): void {
    if (this.len === this.buf.length) this.grow(1);
    this.buf[this.len++] = b;
  }

  private grow(need: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + need));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private raw(b: Uint8Array): void {
    if (this.len + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** unsigned varint of a non-negative bigint (i64 zigzag values can exceed 2^53) */
  private varint(v: bigint): void {
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private uvarint(v: number): void {
    while (v >= 0x80) {
      this.byte((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }

  private field(id: number, type: number): void {
    const top = this.last.length - 1;
    const delta = id - this.last[top];
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.uvarint(id >= 0 ? id * 2 : -id * 2 - 1);
    }
    this.last[top] = id;
  }

  i32(id: number, v: number): this {
    this.field(id, T_I32);
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
    return this;
  }

  i64(id: number, v: number | bigint): this {
    this.field(id, T_I64);
    const b = BigInt(v);
    this.varint(b >= 0n ? b * 2n : -b * 2n - 1n);
    return this;
  }

  bool(id: number, v: boolean): this {
    this.field(id, v ? T_TRUE : T_FALSE);
    return this;
  }

  binary(id: number, v: Uint8Array): this {
    this.field(id, T_BINARY);
    this.uvarint(v.length);
    this.raw(v);
    return this;
  }

  string(id: number, v: string): this {
    return this.binary(id, utf8.encode(v));
  }

  struct(id: number, body: (w: this) => void): this {
    this.field(id, T_STRUCT);
    this.inStruct(body);
    return this;
  }

  private inStruct(body: (w: this) => void): void {
    this.last.push(0);
    body(this);
    this.byte(0);
    this.last.pop();
  }

  private listHeader(id: number, type: number, size: number): void {
    this.field(id, T_LIST);
    if (size < 15) this.byte((size << 4) | type);
    else {
      this.byte(0xf0 | type);
      this.uvarint(size);
    }
  }

  listI32(id: number, values: readonly number[]): this {
    this.listHeader(id, T_I32, values.length);
    for (const v of values) this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
    return this;
  }

  listString(id: number, values: readonly string[]): this {
    this.listHeader(id, T_BINARY, values.length);
    for (const v of values) {
      const b = utf8.encode(v);
      this.uvarint(b.length);
      this.raw(b);
    }
    return this;
  }

  listStruct<T>(id: number, items: readonly T[], body: (w: this, item: T) => void): this {
    this.listHeader(id, T_STRUCT, items.length);
    for (const item of items) this.inStruct((w) => body(w, item));
    return this;
  }

  /** the top-level struct (a footer or a page header): its fields, then the stop byte */
  static message(body: (w: ThriftWriter) => void): Uint8Array {
    const w = new ThriftWriter();
    body(w);
    w.byte(0);
    return w.bytes();
  }
}
