// The LZ4 frame decoder on hand-built frames (synthetic bytes, not market data): every block kind, every
// checksum, and a clear failure on damaged input. The real freqtrade files are decoded in freqtrade-import.test.ts.
import { describe, expect, it } from 'vitest';
import { Lz4Error, lz4FrameDecode, xxh32 } from './freqtrade-lz4.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

interface FrameSpec {
  blocks: { data: number[]; raw?: boolean }[];
  blockChecksum?: boolean;
  contentChecksum?: Uint8Array;
  contentSize?: number;
}

function frame(spec: FrameSpec): Uint8Array {
  const flg = 0x40 | (spec.blockChecksum ? 0x10 : 0) | (spec.contentSize !== undefined ? 0x08 : 0) | (spec.contentChecksum ? 0x04 : 0);
  const desc = [flg, 0x40, ...(spec.contentSize !== undefined ? [...u32(spec.contentSize), 0, 0, 0, 0] : [])];
  const out = [0x04, 0x22, 0x4d, 0x18, ...desc, (xxh32(Uint8Array.from(desc)) >>> 8) & 0xff];
  for (const b of spec.blocks) {
    out.push(...u32(b.data.length | (b.raw ? 0x80000000 : 0)), ...b.data);
    if (spec.blockChecksum) out.push(...u32(xxh32(Uint8Array.from(b.data))));
  }
  out.push(0, 0, 0, 0);
  if (spec.contentChecksum) out.push(...u32(xxh32(spec.contentChecksum)));
  return Uint8Array.from(out);
}

// "abc", then a match 3 back of length 9 (overlapping copy), then the closing literal "x"
const COMPRESSED = [0x35, ...enc('abc'), 3, 0, 0x10, ...enc('x')];

describe('xxh32', () => {
  it('matches the reference values', () => {
    expect(xxh32(enc(''))).toBe(0x02cc5d05);
    expect(xxh32(enc('abc'))).toBe(0x32d153ff);
    expect(xxh32(enc('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });
});

describe('lz4FrameDecode', () => {
  it('decodes compressed and stored blocks, with overlapping matches', () => {
    expect(dec(lz4FrameDecode(frame({ blocks: [{ data: COMPRESSED }] })))).toBe('abcabcabcabcx');
    expect(dec(lz4FrameDecode(frame({ blocks: [{ data: [...enc('hello')], raw: true }, { data: COMPRESSED }] })))).toBe('helloabcabcabcabcx');
  });

  it('follows matches into the previous block (linked blocks) and long length encodings', () => {
    // 20 literals (15 + 5 in an extra byte), then a match of 4 + 15 + 1 = 20 reaching back into block 1
    const lit = [...enc('0123456789abcdefghij')];
    const block2 = [0x0f, 20, 0, 1, 0x10, ...enc('!')];
    const out = lz4FrameDecode(frame({ blocks: [{ data: [0xf0, 5, ...lit] }, { data: block2 }] }));
    expect(dec(out)).toBe('0123456789abcdefghij0123456789abcdefghij!');
  });

  it('verifies block and content checksums and the declared size', () => {
    const content = enc('abcabcabcabcx');
    const ok = frame({ blocks: [{ data: COMPRESSED }], blockChecksum: true, contentChecksum: content, contentSize: content.length });
    expect(dec(lz4FrameDecode(ok))).toBe('abcabcabcabcx');
    const badBlock = ok.slice();
    badBlock[4 + 2 + 8 + 1 + 4 + 1] ^= 1; // first literal byte
    expect(() => lz4FrameDecode(badBlock)).toThrow(/block checksum mismatch/);
    const wrongContent = frame({ blocks: [{ data: COMPRESSED }], contentChecksum: enc('something else') });
    expect(() => lz4FrameDecode(wrongContent)).toThrow(/content checksum mismatch/);
    const wrongSize = frame({ blocks: [{ data: COMPRESSED }], contentSize: 99 });
    expect(() => lz4FrameDecode(wrongSize)).toThrow(/declares 99 bytes but decodes to 13/);
  });

  it('decodes concatenated frames and skips skippable frames', () => {
    const a = frame({ blocks: [{ data: [...enc('one')], raw: true }] });
    const skippable = [0x50, 0x2a, 0x4d, 0x18, ...u32(3), 9, 9, 9];
    const b = frame({ blocks: [{ data: COMPRESSED }] });
    expect(dec(lz4FrameDecode(Uint8Array.from([...a, ...skippable, ...b])))).toBe('oneabcabcabcabcx');
  });

  it('fails clearly on damaged or foreign data', () => {
    const good = frame({ blocks: [{ data: COMPRESSED }] });
    expect(() => lz4FrameDecode(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0]))).toThrow(/bad magic number 0xfd2fb528/);
    const badHeader = good.slice();
    badHeader[6] ^= 0xff; // the header checksum byte
    expect(() => lz4FrameDecode(badHeader)).toThrow(/header checksum mismatch/);
    expect(() => lz4FrameDecode(good.subarray(0, good.length - 3))).toThrow(/missing end mark/);
    const farMatch = frame({ blocks: [{ data: [0x35, ...enc('abc'), 9, 0, 0x10, ...enc('x')] }] });
    expect(() => lz4FrameDecode(farMatch)).toThrow(/match offset 9 points before the start/);
    const cut = frame({ blocks: [{ data: [0x35, ...enc('ab')] }] });
    expect(() => lz4FrameDecode(cut)).toThrow(Lz4Error);
    expect(() => lz4FrameDecode(new Uint8Array(0))).toThrow(/no frame found/);
  });
});
